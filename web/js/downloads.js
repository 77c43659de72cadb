// The downloads panel: the download folder as a tree, reloaded only when the
// server says the folder changed (state.downloads.version).

import { api, downloadUrl } from './api.js';
import { h, showMessage } from './dom.js';
import { bytes, date } from './format.js';
import { playButton } from './media.js';

let shownVersion = null;
let loading = false;
let wanted = null;

async function remove(entry, button) {
  const what = entry.isDir ? `the folder ${entry.path} and everything in it` : entry.path;
  if (!window.confirm(`Delete ${what}?`)) return;
  button.disabled = true;
  try {
    await api('DELETE', downloadUrl(entry.path));
    showMessage(`Deleted ${entry.path}`, 'info');
    // The live state announces the change; reload at once anyway.
    if (!loading) load(wanted);
  } catch (error) {
    showMessage(`Cannot delete ${entry.path}: ${error.message}`);
    button.disabled = false;
  }
}

function deleteButton(entry) {
  const button = h('button', { type: 'button', class: 'small danger delete', 'aria-label': `Delete ${entry.path}` }, 'Delete');
  button.addEventListener('click', () => remove(entry, button));
  return button;
}

function node(entry) {
  const info = h('span', { class: 'file-info' }, `${bytes(entry.size)} · ${date(entry.modified)}`);
  if (entry.isDir) {
    const children = entry.children === null || entry.children === undefined
      ? h('p', { class: 'hint' }, 'Not listed (too many entries).')
      : h('ul', {}, ...entry.children.map(node));
    const zip = h('a', { href: downloadUrl(entry.path), class: 'zip', download: `${entry.name}.zip` }, 'Zip');
    return h('li', { class: 'dir' },
      h('details', {},
        h('summary', {}, h('span', { class: 'path' }, entry.name), ' ', info,
          h('span', { class: 'entry-actions' }, zip, deleteButton(entry))),
        children));
  }
  const url = downloadUrl(entry.path);
  const link = h('a', { href: url, class: 'path' }, entry.name);
  const save = h('a', { href: `${url}?download`, class: 'save', download: entry.name }, 'Download');
  const player = h('div', { class: 'player', hidden: true });
  const actions = h('span', { class: 'entry-actions' }, save, playButton(entry.name, url, player), deleteButton(entry));
  return h('li', { class: entry.downloading ? 'file downloading' : 'file' }, link, ' ', info, actions, player);
}

async function load(version) {
  loading = true;
  const box = document.getElementById('downloads');
  try {
    const listing = await api('GET', 'api/v1/downloads');
    const entries = listing.entries ?? [];
    const parts = entries.length
      ? [h('ul', { class: 'root' }, ...entries.map(node))]
      : [h('p', { class: 'empty' }, 'The download folder is empty.')];
    if (listing.truncated) parts.push(h('p', { class: 'hint' }, `Only the first ${listing.limit} entries are listed.`));
    box.replaceChildren(...parts);
    shownVersion = version;
  } catch (error) {
    const text = error.status === 404 ? 'File browsing is not available on this server yet.' : `Cannot list the downloads: ${error.message}`;
    box.replaceChildren(h('p', { class: 'hint' }, text));
    shownVersion = version;
  } finally {
    loading = false;
  }
  if (wanted !== null && wanted !== shownVersion) load(wanted);
}

/** Reloads the tree when the folder's version changed. */
export function renderDownloads(state) {
  const version = state.downloads?.version ?? 0;
  wanted = version;
  if (version !== shownVersion && !loading) load(version);
}
