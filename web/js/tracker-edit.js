// Editing a torrent's trackers from the details' Trackers tab: an "Add trackers"
// form (one URL per line, appended), and Edit and Remove on each row, in a
// dialog. Each change reads the current list from the server, computes the new
// one and PUTs it whole (api/v1/torrents/{hash}/trackers: order is tier order);
// the server checks the URLs and its answer, the new list, is shown at once. Its
// refusals show where the change was asked for (the form or the dialog).

import { api, torrentPath } from './api.js';
import { h, setText } from './dom.js';
import { showMessage } from './toast.js';

/** The URLs in `text`, one per line (or separated by spaces), without blanks or repeats. */
export function trackerLines(text) {
  return [...new Set(String(text).split(/\s+/).filter(Boolean))];
}

/**
 * The tracker list `urls` changed by `change`: `{add: [url…]}` appends the new
 * ones, `{replace: [old, url]}` puts `url` in the place of `old`, `{remove: url}`
 * drops it. Repeats are dropped, the first one kept.
 */
export function changedTrackers(urls, change) {
  let next = [...urls];
  if (change.add) next.push(...change.add);
  if (change.replace) next = next.map((url) => (url === change.replace[0] ? change.replace[1] : url));
  if (change.remove) next = next.filter((url) => url !== change.remove);
  return [...new Set(next)];
}

const urlsOf = (trackers) => [...trackers].sort((a, b) => a.tier - b.tier).map((tr) => tr.url);

/**
 * The editor of the trackers of `context.torrent()`; `shown(trackers)` gets the
 * list the server answers after a change. `controls` goes above the table (the
 * Add trackers button, then its form); `actions(tracker)` is a row's Edit and
 * Remove; `keep(trackers)` forgets the rows that are gone.
 */
export function trackerEditor(context, shown) {
  async function apply(change) {
    const t = context.torrent();
    if (!t) throw new Error('The torrent is gone.');
    const path = torrentPath(t.infoHash, 'trackers');
    const before = urlsOf(await api('GET', path));
    const trackers = await api('PUT', path, { urls: changedTrackers(before, change) });
    shown(trackers);
    return { before, after: urlsOf(trackers), name: t.name };
  }

  // The Add trackers form.
  const toggle = h('button', { type: 'button', class: 'add-trackers', 'aria-expanded': 'false', 'aria-controls': 'trackers-add' }, 'Add trackers');
  const lines = h('textarea', {
    name: 'urls', rows: '3', spellcheck: 'false', required: true, placeholder: 'udp://tracker.example.org:6969/announce',
  });
  const formStatus = h('p', { class: 'error', role: 'alert' });
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Add these trackers');
  const form = h('form', { id: 'trackers-add', class: 'trackers-add', hidden: true, autocomplete: 'off' },
    h('label', {}, 'Tracker URLs to add, one per line (http, https or udp://host:port)', lines),
    formStatus,
    h('div', { class: 'row' }, submit, h('button', { type: 'button', onclick: () => openForm(false) }, 'Cancel')));
  function openForm(open) {
    form.hidden = !open;
    toggle.setAttribute('aria-expanded', String(open));
    setText(formStatus, '');
    if (open) lines.focus();
    else {
      lines.value = '';
      toggle.focus();
    }
  }
  toggle.addEventListener('click', () => openForm(form.hidden));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const add = trackerLines(lines.value);
    if (add.length === 0) return;
    submit.disabled = true;
    setText(formStatus, '');
    try {
      const { before, after, name } = await apply({ add });
      const added = after.filter((url) => !before.includes(url)).length;
      showMessage(added > 0 ? `Added ${added} tracker${added === 1 ? '' : 's'} to ${name}` : `${name} already had these trackers`,
        'info', `trackers ${name}`);
      openForm(false);
    } catch (error) {
      setText(formStatus, error.message);
    } finally {
      submit.disabled = false;
    }
  });

  // The dialog of Edit and Remove.
  const heading = h('h2', { id: 'tracker-dialog-h' });
  const text = h('p', { class: 'tracker-dialog-text' });
  const input = h('input', { type: 'text', inputmode: 'url', spellcheck: 'false', required: true });
  const field = h('label', { class: 'bulk-field' }, 'URL ', input);
  const dialogStatus = h('p', { class: 'error', role: 'alert' });
  const confirm = h('button', { type: 'submit', class: 'primary' });
  const dialog = h('dialog', { class: 'tracker-dialog', 'aria-labelledby': 'tracker-dialog-h' });
  const dialogForm = h('form', { method: 'dialog' }, heading, text, field, dialogStatus,
    h('div', { class: 'row' }, confirm, h('button', { type: 'button', onclick: () => dialog.close() }, 'Cancel')));
  dialog.append(dialogForm);
  let pending = null;
  dialogForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!pending) return;
    confirm.disabled = true;
    setText(dialogStatus, '');
    try {
      await pending();
      dialog.close();
    } catch (error) {
      setText(dialogStatus, error.message);
    } finally {
      confirm.disabled = false;
    }
  });
  let opener = null;
  dialog.addEventListener('close', () => {
    pending = null;
    // Back to the row's button, or (its row removed) to Add trackers.
    if (opener?.isConnected) opener.focus();
    else if (toggle.isConnected) toggle.focus();
  });

  function ask(button, { title, body, value, label, work }) {
    if (!dialog.isConnected) document.body.append(dialog);
    opener = button;
    setText(heading, title);
    setText(text, body);
    field.hidden = value === null;
    input.disabled = value === null;
    input.value = value ?? '';
    setText(dialogStatus, '');
    setText(confirm, label);
    confirm.className = value === null ? 'danger' : 'primary';
    pending = work;
    dialog.showModal();
    if (value !== null) input.select();
  }

  function edit(button, url) {
    ask(button, {
      title: 'Edit tracker', body: 'Its new URL (http, https or udp://host:port), in the same place in the list:', value: url, label: 'Save',
      work: async () => {
        const next = input.value.trim();
        if (next === url) return;
        await apply({ replace: [url, next] });
        // Its row is now the new URL's: the focus goes to that row's Edit.
        opener = cells.get(next)?.firstChild ?? opener;
      },
    });
  }

  function remove(button, url) {
    ask(button, {
      title: 'Remove tracker?', body: url, value: null, label: 'Remove',
      work: async () => {
        const { name } = await apply({ remove: url });
        showMessage(`Removed ${url} from ${name}`, 'info', `trackers ${name}`);
      },
    });
  }

  // url -> the cell of its Edit and Remove buttons, kept while the row is.
  const cells = new Map();
  function actions(tr) {
    let cell = cells.get(tr.url);
    if (!cell) {
      const editButton = h('button', { type: 'button', class: 'small', 'aria-label': `Edit tracker ${tr.url}` }, 'Edit');
      const removeButton = h('button', { type: 'button', class: 'small danger', 'aria-label': `Remove tracker ${tr.url}` }, 'Remove');
      editButton.addEventListener('click', () => edit(editButton, tr.url));
      removeButton.addEventListener('click', () => remove(removeButton, tr.url));
      cell = h('span', { class: 'row tracker-actions' }, editButton, removeButton);
      cells.set(tr.url, cell);
    }
    return cell;
  }

  function keep(trackers) {
    const urls = new Set(trackers.map((tr) => tr.url));
    for (const url of [...cells.keys()]) if (!urls.has(url)) cells.delete(url);
  }

  function reset() {
    cells.clear();
    if (!form.hidden) {
      form.hidden = true;
      toggle.setAttribute('aria-expanded', 'false');
      lines.value = '';
    }
    if (dialog.open) dialog.close();
  }

  return { toggle, form, actions, keep, reset };
}
