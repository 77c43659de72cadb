// The omni bar: a magnet link, a bare info hash or a .torrent URL is added, other
// text is a search. .torrent files are added from the picker or by dropping them
// anywhere. The category and tags beside it go with every torrent added these ways.

import { request } from './api.js';
import { setText } from './dom.js';
import { parseTags, tagSuggestions } from './organise.js';
import { search, setupSearch } from './search.js';
import { showMessage } from './toast.js';
import { announceAdded } from './torrents.js';

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

/**
 * The hex form of a bare BitTorrent v1 info hash (40 hex digits, or 32 base32
 * characters), or null when `text` is not one.
 */
export function infoHashHex(text) {
  const t = text.trim();
  if (/^[0-9a-f]{40}$/i.test(t)) return t.toLowerCase();
  if (!/^[a-z2-7]{32}$/i.test(t)) return null;
  let bits = '';
  for (const c of t.toLowerCase()) bits += BASE32.indexOf(c).toString(2).padStart(5, '0');
  return bits.match(/.{4}/g).map((nibble) => parseInt(nibble, 2).toString(16)).join('');
}

/** What the text in the omni bar is: 'magnet', 'hash', 'url', 'search' or 'empty'. */
export function omniKind(text) {
  const t = text.trim();
  if (t === '') return 'empty';
  if (/^magnet:\?/i.test(t)) return 'magnet';
  if (infoHashHex(t)) return 'hash';
  if (/^https?:\/\/\S+$/i.test(t)) return 'url';
  return 'search';
}

const LABELS = { magnet: 'Add magnet', hash: 'Add info hash', url: 'Add URL', search: 'Search', empty: 'Add' };
const HINTS = {
  magnet: 'Press Enter to add this magnet link.',
  hash: 'Press Enter to add the torrent with this info hash (its peers and metadata come from trackers and DHT).',
  url: 'The server will download this .torrent file and add it.',
  search: 'Press Enter to search the configured providers.',
  empty: 'Tip: drop .torrent files anywhere on this page.',
};

/** The category and tags chosen beside the omni bar: `{category?, tags?}`. */
function addOptions() {
  const options = {};
  const category = document.getElementById('add-category').value.trim();
  if (category) options.category = category;
  const tags = parseTags(document.getElementById('add-tags').value);
  if (tags.length) options.tags = tags;
  return options;
}

/**
 * Adds a magnet link or a .torrent URL: `source` is `{magnet}` or `{url}`, with the
 * `options` of addOptions(); its message names `label` (until the server names
 * the torrent) and replaces an earlier one on `subject`. Rejects with the
 * server's error.
 */
export async function addSource(source, options, label, subject) {
  announceAdded(await request('POST', 'api/v1/torrents', { ...source, ...options }), label, subject);
}

/** The query string of a raw .torrent upload for `options` (tags comma-separated). */
export function addQuery(options) {
  const query = new URLSearchParams();
  if (options.category) query.set('category', options.category);
  if (options.tags?.length) query.set('tags', options.tags.join(','));
  const text = query.toString();
  return text ? `?${text}` : '';
}

/** What came of a batch of uploads, in counts: "3 added, 1 already there, 1 failed". */
function batchSummary(counts) {
  const parts = [];
  if (counts.added) parts.push(`${counts.added} added`);
  if (counts.there) parts.push(`${counts.there} already there`);
  if (counts.failed) parts.push(`${counts.failed} failed`);
  return parts.join(', ');
}

/** Adds .torrent files one by one; each gets its own message, and a batch a summary. */
async function addFiles(files) {
  const query = addQuery(addOptions());
  const counts = { added: 0, there: 0, failed: 0 };
  for (const file of files) {
    try {
      const bytes = await file.arrayBuffer();
      const answer = await request('POST', `api/v1/torrents${query}`, bytes, 'application/x-bittorrent');
      counts[answer.status === 200 ? 'there' : 'added'] += 1;
      announceAdded(answer, file.name);
    } catch (error) {
      counts.failed += 1;
      showMessage(`${file.name}: ${error.message}`, 'error', `added ${file.name}`);
    }
  }
  if (files.length > 1) {
    // The failures have their own messages, kept until dismissed.
    showMessage(`${files.length} .torrent files: ${batchSummary(counts)}`, 'info', 'upload batch');
  }
}

function hasFiles(event) {
  return [...(event.dataTransfer?.types ?? [])].includes('Files');
}

/** Wires the omni bar, the file picker and dropping files on the page. */
export function setupOmni() {
  const form = document.getElementById('omni');
  const input = document.getElementById('omni-input');
  const go = document.getElementById('omni-go');
  const hint = document.getElementById('omni-hint');
  const update = () => {
    const kind = omniKind(input.value);
    setText(go, LABELS[kind]);
    setText(hint, HINTS[kind]);
    form.dataset.kind = kind;
  };
  input.addEventListener('input', update);
  const tags = document.getElementById('add-tags');
  tags.after(tagSuggestions(tags));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const text = input.value.trim();
    const kind = omniKind(text);
    if (kind === 'empty') {
      // Enter in the category or tags field only confirms that field.
      if (document.activeElement?.closest('.add-options')) return;
      document.getElementById('file-input').click();
      return;
    }
    if (kind === 'search') {
      go.disabled = true;
      try {
        await search(text);
      } finally {
        go.disabled = false;
      }
      return;
    }
    go.disabled = true;
    try {
      const source = kind === 'url' ? { url: text }
        : { magnet: kind === 'hash' ? `magnet:?xt=urn:btih:${infoHashHex(text)}` : text };
      // One message for the bar: a success replaces the error of an earlier try.
      await addSource(source, addOptions(), text, 'omni');
      input.value = '';
      update();
    } catch (error) {
      showMessage(error.message, 'error', 'omni');
    } finally {
      go.disabled = false;
    }
  });

  setupSearch();

  const picker = document.getElementById('file-input');
  picker.addEventListener('change', async () => {
    await addFiles([...picker.files]);
    picker.value = '';
  });
  document.getElementById('upload-label').addEventListener('keydown', (event) => {
    if (event.key === 'Enter' || event.key === ' ') {
      event.preventDefault();
      picker.click();
    }
  });

  const overlay = document.getElementById('drop');
  let depth = 0;
  document.addEventListener('dragenter', (event) => {
    if (!hasFiles(event)) return;
    depth += 1;
    overlay.hidden = false;
  });
  document.addEventListener('dragleave', () => {
    depth = Math.max(0, depth - 1);
    if (depth === 0) overlay.hidden = true;
  });
  document.addEventListener('dragover', (event) => {
    if (hasFiles(event)) event.preventDefault();
  });
  document.addEventListener('drop', (event) => {
    event.preventDefault();
    depth = 0;
    overlay.hidden = true;
    const files = [...(event.dataTransfer?.files ?? [])];
    if (files.length) addFiles(files);
  });
  update();
}
