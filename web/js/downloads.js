// The downloads panel: the download folder as a tree, reloaded only when the
// server says the folder changed (state.downloads.version).

import { api, downloadUrl } from './api.js';
import { h } from './dom.js';
import { bytes, date } from './format.js';

let shownVersion = null;
let loading = false;
let wanted = null;

function node(entry) {
  const info = h('span', { class: 'file-info' }, `${bytes(entry.size)} · ${date(entry.modified)}`);
  if (entry.isDir) {
    const children = entry.children === null || entry.children === undefined
      ? h('p', { class: 'hint' }, 'Not listed (too many entries).')
      : h('ul', {}, ...entry.children.map(node));
    return h('li', { class: 'dir' },
      h('details', {}, h('summary', {}, h('span', { class: 'path' }, entry.name), ' ', info), children));
  }
  const link = h('a', { href: downloadUrl(entry.path), class: 'path' }, entry.name);
  return h('li', { class: entry.downloading ? 'file downloading' : 'file' }, link, ' ', info);
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
