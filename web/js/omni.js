// The omni bar: a magnet link or a .torrent URL is added, other text is a search.
// .torrent files are added from the picker or by dropping them anywhere.

import { api } from './api.js';
import { h, setText, showMessage } from './dom.js';
import { bytes } from './format.js';

/** What the text in the omni bar is: 'magnet', 'url', 'search' or 'empty'. */
export function omniKind(text) {
  const t = text.trim();
  if (t === '') return 'empty';
  if (/^magnet:\?/i.test(t)) return 'magnet';
  if (/^https?:\/\/\S+$/i.test(t)) return 'url';
  return 'search';
}

const LABELS = { magnet: 'Add magnet', url: 'Add URL', search: 'Search', empty: 'Add' };
const HINTS = {
  magnet: 'Press Enter to add this magnet link.',
  url: 'The server will download this .torrent file and add it.',
  search: 'Press Enter to search the configured providers.',
  empty: 'Tip: drop .torrent files anywhere on this page.',
};

let providerNames = null;
let searchSerial = 0;

async function providers() {
  if (providerNames) return providerNames;
  try {
    const list = await api('GET', 'api/v1/search/providers');
    providerNames = new Map(list.map((p) => [p.id, p.name || p.id]));
  } catch {
    return new Map();
  }
  return providerNames;
}

async function addResult(result, button) {
  button.disabled = true;
  try {
    const torrent = await api('POST', 'api/v1/search/add', result);
    setText(button, 'Added');
    showMessage(`Added ${torrent?.name ?? result.name}`, 'info');
  } catch (error) {
    showMessage(`${result.name}: ${error.message}`);
    button.disabled = false;
  }
}

function resultRow(result, names) {
  const add = h('button', { type: 'button', class: 'small primary add' }, 'Add');
  add.addEventListener('click', () => addResult(result, add));
  const size = typeof result.size === 'number' ? bytes(result.size) : (result.sizeText ?? '');
  const seeders = typeof result.seeders === 'number' ? `${result.seeders} seeder${result.seeders === 1 ? '' : 's'}` : '';
  const leechers = typeof result.leechers === 'number' ? `${result.leechers} leecher${result.leechers === 1 ? '' : 's'}` : '';
  const meta = h('span', { class: 'meta' },
    size && h('span', { class: 'size' }, size),
    seeders && h('span', { class: 'seeders' }, seeders),
    leechers && h('span', { class: 'leechers' }, leechers),
    h('span', { class: 'provider' }, names.get(result.provider) ?? result.provider ?? ''));
  return h('li', { class: 'result' },
    h('div', { class: 'result-main' }, h('span', { class: 'name' }, result.name ?? ''), meta),
    add);
}

/** Runs a search and shows its results and its providers' errors. */
export async function search(query) {
  const serial = ++searchSerial;
  const panel = document.getElementById('search');
  const status = document.getElementById('search-status');
  const errors = document.getElementById('search-errors');
  const results = document.getElementById('search-results');
  panel.hidden = false;
  setText(status, `Searching for “${query}”…`);
  setText(document.getElementById('search-count'), '');
  errors.replaceChildren();
  results.replaceChildren();
  try {
    const [answer, names] = await Promise.all([
      api('GET', `api/v1/search?query=${encodeURIComponent(query)}`), providers()]);
    if (serial !== searchSerial) return;
    const list = answer?.results ?? [];
    errors.replaceChildren(...(answer?.errors ?? []).map((e) => h('li', { class: 'error' },
      `${e.name || e.provider}: ${e.error}`)));
    results.replaceChildren(...list.map((r) => resultRow(r, names)));
    setText(document.getElementById('search-count'), `(${list.length})`);
    setText(status, list.length ? `Results for “${query}”` : `Nothing found for “${query}”.`);
  } catch (error) {
    if (serial !== searchSerial) return;
    setText(status, error.message);
  }
}

async function addFiles(files) {
  for (const file of files) {
    try {
      const bytes = await file.arrayBuffer();
      await api('POST', 'api/v1/torrents', bytes, 'application/x-bittorrent');
      showMessage(`Added ${file.name}`, 'info');
    } catch (error) {
      showMessage(`${file.name}: ${error.message}`);
    }
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
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const text = input.value.trim();
    const kind = omniKind(text);
    if (kind === 'empty') {
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
      await api('POST', 'api/v1/torrents', kind === 'magnet' ? { magnet: text } : { url: text });
      input.value = '';
      update();
    } catch (error) {
      showMessage(error.message);
    } finally {
      go.disabled = false;
    }
  });

  document.getElementById('search-close').addEventListener('click', () => {
    searchSerial += 1;
    document.getElementById('search').hidden = true;
  });

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
