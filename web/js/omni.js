// The omni bar: a magnet link or a .torrent URL is added, other text is a search.
// .torrent files are added from the picker or by dropping them anywhere. The
// category and tags beside it go with every torrent added these ways.

import { api } from './api.js';
import { setText, showMessage } from './dom.js';
import { parseTags, tagSuggestions } from './organise.js';
import { search, setupSearch } from './search.js';

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

/** The category and tags chosen beside the omni bar: `{category?, tags?}`. */
function addOptions() {
  const options = {};
  const category = document.getElementById('add-category').value.trim();
  if (category) options.category = category;
  const tags = parseTags(document.getElementById('add-tags').value);
  if (tags.length) options.tags = tags;
  return options;
}

/** The query string of a raw .torrent upload for `options` (tags comma-separated). */
export function addQuery(options) {
  const query = new URLSearchParams();
  if (options.category) query.set('category', options.category);
  if (options.tags?.length) query.set('tags', options.tags.join(','));
  const text = query.toString();
  return text ? `?${text}` : '';
}

async function addFiles(files) {
  const query = addQuery(addOptions());
  for (const file of files) {
    try {
      const bytes = await file.arrayBuffer();
      await api('POST', `api/v1/torrents${query}`, bytes, 'application/x-bittorrent');
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
      const source = kind === 'magnet' ? { magnet: text } : { url: text };
      await api('POST', 'api/v1/torrents', { ...source, ...addOptions() });
      input.value = '';
      update();
    } catch (error) {
      showMessage(error.message);
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
