// The downloads panel: the download folder as a tree, fetched again when the
// server says the folder changed (state.downloads.version) and updated in place,
// one row per path, so open folders, the scroll position and players stay.

import { api, downloadUrl } from './api.js';
import { h, setText } from './dom.js';
import { bytes, date } from './format.js';
import { playButton } from './media.js';
import { showMessage } from './toast.js';

let shownVersion = null;
let loading = false;
let wanted = null;
let torrents = {};
// path -> the row showing it: { entry, el, info, ... }
const rows = new Map();
// What the panel shows, made once: the tree, and the notes about it.
let parts = null;

/**
 * The torrents the server removes with `path` when it is deleted: those whose
 * data starts with it (the first part of their files' paths). Deleting only part
 * of a torrent's data is refused instead.
 */
export function torrentsDeletedWith(path, all) {
  return Object.values(all ?? {}).filter((t) => {
    const first = t.files?.[0]?.path;
    return typeof first === 'string' && first.split('/')[0] === path;
  });
}

function quoted(list) {
  return list.map((t) => `“${t.name}”`).join(', ');
}

/** What the confirmation of deleting `entry` says, naming the torrents removed with it. */
export function deleteQuestion(entry, removed) {
  const what = entry.isDir ? `the folder ${entry.path} and everything in it` : entry.path;
  if (removed.length === 0) return `Delete ${what}?`;
  const them = removed.length === 1 ? `the torrent ${quoted(removed)}` : `the torrents ${quoted(removed)}`;
  return `Delete ${what}? This also removes ${them} from the torrent list.`;
}

async function remove(entry, button) {
  const removed = torrentsDeletedWith(entry.path, torrents);
  if (!window.confirm(deleteQuestion(entry, removed))) return;
  button.disabled = true;
  const subject = `delete ${entry.path}`;
  try {
    await api('DELETE', downloadUrl(entry.path));
    const also = removed.length ? ` and removed ${removed.length === 1 ? 'the torrent' : 'the torrents'} ${quoted(removed)}` : '';
    showMessage(`Deleted ${entry.path}${also}`, 'info', subject);
    // The live state announces the change; reload at once anyway.
    if (!loading) load(wanted);
  } catch (error) {
    showMessage(`Cannot delete ${entry.path}: ${error.message}`, 'error', subject);
    button.disabled = false;
  }
}

function createRow(entry) {
  const row = { isDir: entry.isDir, entry };
  row.info = h('span', { class: 'file-info' });
  row.delete = h('button', {
    type: 'button', class: 'small danger delete', 'aria-label': `Delete ${entry.path}`,
    onclick: () => remove(row.entry, row.delete),
  }, 'Delete');
  const url = downloadUrl(entry.path);
  if (entry.isDir) {
    const zip = h('a', { href: url, class: 'zip', download: `${entry.name}.zip`, 'aria-label': `Zip of ${entry.name}` }, 'Zip');
    row.list = h('ul', {});
    row.unlisted = h('p', { class: 'hint', hidden: true }, 'Not listed (too many entries).');
    row.details = h('details', {},
      h('summary', {}, h('span', { class: 'path' }, entry.name), ' ', row.info,
        h('span', { class: 'entry-actions' }, zip, row.delete)),
      row.unlisted, row.list);
    row.el = h('li', { class: 'dir', 'data-path': entry.path }, row.details);
  } else {
    const link = h('a', { href: url, class: 'path' }, entry.name);
    const save = h('a', { href: `${url}?download`, class: 'save', download: entry.name, 'aria-label': `Download ${entry.name}` }, 'Download');
    const player = h('div', { class: 'player', hidden: true });
    const actions = h('span', { class: 'entry-actions' }, save, playButton(entry.name, url, player), row.delete);
    row.el = h('li', { class: 'file', 'data-path': entry.path }, link, ' ', row.info, actions, player);
  }
  return row;
}

function updateRow(row, entry) {
  row.entry = entry;
  setText(row.info, `${bytes(entry.size)} · ${date(entry.modified)}`);
  if (entry.isDir) {
    const listed = Array.isArray(entry.children);
    row.unlisted.hidden = listed;
    row.list.hidden = !listed;
    if (listed) reconcile(row.list, entry.children);
  } else {
    row.el.classList.toggle('downloading', Boolean(entry.downloading));
  }
}

/**
 * Makes `ul` show `entries` in order: rows of paths still there are kept (gone
 * ones are removed first, so that the others are not moved: moving an element
 * stops a player in it), new ones are inserted where they belong.
 */
function reconcile(ul, entries) {
  const here = new Map(entries.map((e) => [e.path, e]));
  for (const el of [...ul.children]) {
    const entry = here.get(el.dataset.path);
    const row = rows.get(el.dataset.path);
    if (!entry || row?.el !== el || row.isDir !== entry.isDir) el.remove();
  }
  let previous = null;
  for (const entry of entries) {
    let row = rows.get(entry.path);
    if (!row || row.isDir !== entry.isDir) {
      row = createRow(entry);
      rows.set(entry.path, row);
    }
    updateRow(row, entry);
    const expected = previous ? previous.nextSibling : ul.firstChild;
    if (expected !== row.el) ul.insertBefore(row.el, expected);
    previous = row.el;
  }
}

/** Forgets the rows no longer in the tree. */
function sweep() {
  for (const [path, row] of rows) {
    if (!row.el.isConnected) rows.delete(path);
  }
}

/** Makes `box` hold exactly `nodes`, in order, without moving those already in place. */
function place(box, nodes) {
  for (const el of [...box.children]) if (!nodes.includes(el)) el.remove();
  let previous = null;
  for (const node of nodes) {
    const expected = previous ? previous.nextSibling : box.firstChild;
    if (expected !== node) box.insertBefore(node, expected);
    previous = node;
  }
}

async function load(version) {
  loading = true;
  const box = document.getElementById('downloads');
  parts ??= {
    tree: h('ul', { class: 'root' }),
    empty: h('p', { class: 'empty' }, 'The download folder is empty.'),
    truncated: h('p', { class: 'hint' }),
    error: h('p', { class: 'hint' }),
  };
  try {
    const listing = await api('GET', 'api/v1/downloads');
    const entries = listing.entries ?? [];
    reconcile(parts.tree, entries);
    setText(parts.truncated, `Only the first ${listing.limit} entries are listed.`);
    place(box, [entries.length ? parts.tree : parts.empty, ...(listing.truncated ? [parts.truncated] : [])]);
    sweep();
  } catch (error) {
    setText(parts.error, error.status === 404
      ? 'File browsing is not available on this server yet.'
      : `Cannot list the downloads: ${error.message}`);
    // What was listed before stays below.
    place(box, parts.tree.isConnected ? [parts.error, parts.tree] : [parts.error]);
  } finally {
    shownVersion = version;
    loading = false;
  }
  if (wanted !== null && wanted !== shownVersion) load(wanted);
}

/** Reloads the tree when the folder's version changed. */
export function renderDownloads(state) {
  torrents = state.torrents ?? {};
  const version = state.downloads?.version ?? 0;
  wanted = version;
  if (version !== shownVersion && !loading) load(version);
}
