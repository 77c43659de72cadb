// The Files tab of the details pane: the torrent's files as a folder tree with
// sizes and progress bars, a checkbox per file and a three-state one per folder
// to download or skip them, and Stream and Play for media. The tree is built
// again only when the file list itself changes (the metadata arrived), so open
// players, folds and focus survive the live updates.

import { api, torrentPath } from './api.js';
import { h, setAttr, setText } from './dom.js';
import { bytes, percent } from './format.js';
import { mediaKind, playButton } from './media.js';
import { showMessage } from './toast.js';

/** The folders and files of `files` ({index, path, …}) as a tree: {name, path, dirs: Map, files: []}. */
export function fileTree(files) {
  const root = { name: '', path: '', dirs: new Map(), files: [] };
  for (const file of files) {
    const parts = file.path.split('/');
    let node = root;
    for (const part of parts.slice(0, -1)) {
      let next = node.dirs.get(part);
      if (!next) {
        next = { name: part, path: node.path ? `${node.path}/${part}` : part, dirs: new Map(), files: [] };
        node.dirs.set(part, next);
      }
      node = next;
    }
    node.files.push({ name: parts.at(-1), file });
  }
  return root;
}

/** The indices of the files under `node`. */
function indicesUnder(node) {
  const out = node.files.map((f) => f.file.index);
  for (const dir of node.dirs.values()) out.push(...indicesUnder(dir));
  return out;
}

function progressBar() {
  const bar = h('div', { class: 'bar' });
  return { bar, el: h('div', { class: 'progress small', 'aria-hidden': 'true' }, bar) };
}

/** The Files tab in `panel`; `context.torrent()` is the torrent shown. */
export function filesTab(panel, context) {
  const note = h('p', { class: 'hint' });
  const root = h('ul', { class: 'file-tree' });
  panel.append(note, root);
  let signature = null;
  let tree = null;
  let hash = null;
  const dirRows = new Map();
  const fileRows = new Map();
  // The selection asked for and not yet answered: it wins over the live state.
  let pending = null;
  let asked = 0;

  function selection(t) {
    return pending ?? new Set(t.files.filter((f) => f.selected).map((f) => f.index));
  }

  async function choose(selected) {
    pending = selected;
    const mine = ++asked;
    const t = context.torrent();
    if (t) update(t);
    try {
      const answer = await api('PUT', torrentPath(hash, 'files'), { selected: [...selected].sort((a, b) => a - b) });
      if (mine !== asked) return;
      pending = null;
      if (answer?.infoHash === hash) update(answer);
    } catch (error) {
      if (mine !== asked) return;
      pending = null;
      showMessage(error.message);
      const now = context.torrent();
      if (now) update(now);
    }
  }

  function fileRow(entry) {
    const f = entry.file;
    const check = h('input', {
      type: 'checkbox',
      onchange: () => {
        const selected = new Set(selection(context.torrent()));
        if (check.checked) selected.add(f.index);
        else selected.delete(f.index);
        choose(selected);
      },
    });
    const bar = progressBar();
    const info = h('span', { class: 'file-info' });
    const kind = mediaKind(f.path);
    const url = torrentPath(hash, 'files', String(f.index), 'stream');
    const player = h('div', { class: 'player', hidden: true });
    const stream = kind === 'audio' || kind === 'video'
      ? h('a', { href: url, class: 'stream', target: '_blank', rel: 'noopener', 'aria-label': `Stream ${f.path}` }, 'Stream')
      : null;
    const play = playButton(f.path, url, player);
    const el = h('li', { class: 'tree-file', 'data-index': f.index },
      h('div', { class: 'tree-row' },
        h('label', { class: 'file-name', title: f.path }, check, h('span', { class: 'path' }, entry.name)),
        info,
        stream || play ? h('span', { class: 'entry-actions' }, stream, play) : null),
      bar.el,
      player);
    fileRows.set(f.index, { check, bar: bar.bar, info, el });
    return el;
  }

  function dirRow(node) {
    const check = h('input', {
      type: 'checkbox',
      onchange: () => {
        const selected = new Set(selection(context.torrent()));
        for (const index of indicesUnder(node)) {
          if (check.checked) selected.add(index);
          else selected.delete(index);
        }
        choose(selected);
      },
    });
    const children = h('ul', {});
    const fold = h('button', {
      type: 'button', class: 'fold', 'aria-expanded': 'true', 'aria-label': `Folder ${node.name}`,
      onclick: () => {
        children.hidden = !children.hidden;
        setAttr(fold, 'aria-expanded', String(!children.hidden));
      },
    }, h('span', { class: 'chevron', 'aria-hidden': 'true' }));
    const bar = progressBar();
    const info = h('span', { class: 'file-info' });
    const el = h('li', { class: 'tree-dir' },
      h('div', { class: 'tree-row' },
        fold,
        h('label', { class: 'file-name', title: node.path }, check, h('span', { class: 'path' }, node.name)),
        info),
      bar.el,
      children);
    dirRows.set(node.path, { check, bar: bar.bar, info, el, node });
    fill(children, node);
    return el;
  }

  function fill(ul, node) {
    const dirs = [...node.dirs.values()].sort((a, b) => a.name.localeCompare(b.name));
    const files = [...node.files].sort((a, b) => a.name.localeCompare(b.name));
    ul.append(...dirs.map(dirRow), ...files.map(fileRow));
  }

  function build(t) {
    for (const row of fileRows.values()) row.el.querySelector('audio, video')?.pause();
    dirRows.clear();
    fileRows.clear();
    root.replaceChildren();
    tree = fileTree(t.files);
    fill(root, tree);
  }

  /** Sets a folder's checkbox, size and progress from its files; returns its totals. */
  function updateDir(node, selected, byIndex) {
    let size = 0;
    let done = 0;
    let total = 0;
    let picked = 0;
    for (const entry of node.files) {
      const f = byIndex.get(entry.file.index);
      size += f?.size ?? 0;
      done += f?.completed ?? 0;
      total += 1;
      if (selected.has(entry.file.index)) picked += 1;
    }
    for (const dir of node.dirs.values()) {
      const sub = updateDir(dir, selected, byIndex);
      size += sub.size;
      done += sub.done;
      total += sub.total;
      picked += sub.picked;
    }
    const row = dirRows.get(node.path);
    if (row) {
      row.check.checked = picked === total && total > 0;
      row.check.indeterminate = picked > 0 && picked < total;
      const p = size > 0 ? Math.min(done / size, 1) : 1;
      row.bar.style.width = `${(p * 100).toFixed(1)}%`;
      setText(row.info, `${percent(p)} of ${bytes(size)}`);
      row.el.classList.toggle('skipped', picked === 0);
    }
    return { size, done, total, picked };
  }

  function update(t) {
    const selected = selection(t);
    const byIndex = new Map(t.files.map((f) => [f.index, f]));
    for (const [index, row] of fileRows) {
      const f = byIndex.get(index);
      if (!f) continue;
      row.check.checked = selected.has(index);
      const p = f.size > 0 ? Math.min(f.completed / f.size, 1) : 1;
      row.bar.style.width = `${(p * 100).toFixed(1)}%`;
      setText(row.info, `${percent(p)} of ${bytes(f.size)}`);
      row.el.classList.toggle('skipped', !selected.has(index));
    }
    if (tree) updateDir(tree, selected, byIndex);
  }

  function render(t) {
    hash = t.infoHash;
    const files = t.files ?? [];
    const next = files.map((f) => `${f.index}:${f.path}`).join('\n');
    if (next !== signature) {
      signature = next;
      build({ files });
    }
    if (files.length === 0) {
      setText(note, t.state === 'metadata' ? 'The file list arrives with the metadata.' : 'No files.');
    } else {
      setText(note, 'Untick a file or a folder to skip it.');
    }
    update({ ...t, files });
  }

  function reset() {
    for (const row of fileRows.values()) row.el.querySelector('audio, video')?.pause();
    signature = null;
    tree = null;
    pending = null;
    asked += 1;
    dirRows.clear();
    fileRows.clear();
    root.replaceChildren();
    setText(note, '');
  }

  return { render, reset };
}
