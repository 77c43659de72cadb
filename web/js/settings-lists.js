// The list settings of the settings panel: watch folders and webhooks. Each is a
// list of rows, read into the array PATCHed with the rest of the form; the
// webhooks also show their last result (api/v1/webhooks) and have a Test button.

import { api } from './api.js';
import { h, setText } from './dom.js';
import { date } from './format.js';
import { parseTags, tagSuggestions } from './organise.js';

const EVENTS = [
  ['added', 'Added'], ['finished', 'Finished'], ['seedingDone', 'Seeding done'], ['removed', 'Removed'], ['error', 'Error'],
];
const FORMATS = [['json', 'JSON'], ['discord', 'Discord'], ['ntfy', 'ntfy'], ['gotify', 'Gotify']];

/** A watch folder as the config shows it, every optional key left out when empty. */
export function normalWatchFolder(w) {
  const out = { path: String(w.path ?? '').trim() };
  if (w.category) out.category = w.category;
  if (w.savePath) out.savePath = w.savePath;
  if (w.tags?.length) out.tags = [...w.tags];
  out.paused = Boolean(w.paused);
  out.recursive = Boolean(w.recursive);
  return out;
}

/** A webhook with every key present: events in a fixed order, headers by name. */
export function normalWebhook(w) {
  const events = EVENTS.map(([e]) => e).filter((e) => (w.events ?? []).includes(e));
  const headers = Object.fromEntries(Object.entries(w.headers ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return { url: String(w.url ?? '').trim(), events, headers, format: w.format || 'json' };
}

/** "Name: value" lines -> {Name: value}; throws on a line without a name and a colon. */
export function parseHeaders(text) {
  const headers = {};
  String(text ?? '').split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    const colon = line.indexOf(':');
    const name = colon < 0 ? '' : line.slice(0, colon).trim();
    if (!name) throw new Error(`Webhook headers, line ${i + 1}: write each header as Name: value`);
    headers[name] = line.slice(colon + 1).trim();
  });
  return headers;
}

function headersText(headers) {
  return Object.entries(headers ?? {}).map(([name, value]) => `${name}: ${value}`).join('\n');
}

// What each list shows now (normalized JSON), so the live state rebuilds the rows
// only when the saved value changed.
const shown = { watchFolders: null, webhooks: null };
let onEdit = () => {};
let saved = () => null;
let statuses = [];

/** A list was edited: `where` is in the section edited. */
function edited(where) {
  onEdit(where);
}

function removeButton(li, what) {
  return h('button', {
    type: 'button', class: 'small danger remove-row', 'aria-label': `Remove this ${what}`,
    onclick: () => {
      const list = li.parentElement;
      li.remove();
      edited(list);
      showWebhookStatus();
    },
  }, 'Remove');
}

function watchRow(w) {
  const tags = h('input', { type: 'text', 'data-field': 'tags', spellcheck: 'false', placeholder: 'comma-separated', value: (w.tags ?? []).join(', ') });
  const li = h('li', { class: 'list-row watch-row' },
    h('label', {}, 'Folder (absolute path)', h('input', { type: 'text', 'data-field': 'path', spellcheck: 'false', required: true, value: w.path ?? '' })),
    h('label', {}, 'Category', h('input', { type: 'text', 'data-field': 'category', list: 'category-list', spellcheck: 'false', placeholder: 'none', value: w.category ?? '' })),
    h('label', {}, 'Save path', h('input', { type: 'text', 'data-field': 'savePath', spellcheck: 'false', placeholder: "the category's folder, or the download folder", value: w.savePath ?? '' })),
    h('label', {}, 'Tags', tags, tagSuggestions(tags)),
    h('div', { class: 'row' },
      h('label', { class: 'check' }, h('input', { type: 'checkbox', 'data-field': 'paused', checked: Boolean(w.paused) }), ' Add them stopped'),
      h('label', { class: 'check' }, h('input', { type: 'checkbox', 'data-field': 'recursive', checked: Boolean(w.recursive) }), ' Look in sub-folders too')));
  li.append(removeButton(li, 'watch folder'));
  return li;
}

function readWatchRow(li) {
  const field = (name) => li.querySelector(`[data-field="${name}"]`);
  return normalWatchFolder({
    path: field('path').value,
    category: field('category').value.trim(),
    savePath: field('savePath').value.trim(),
    tags: parseTags(field('tags').value),
    paused: field('paused').checked,
    recursive: field('recursive').checked,
  });
}

function webhookRow(w) {
  const li = h('li', { class: 'list-row webhook-row' });
  const format = h('select', { 'data-field': 'format' }, ...FORMATS.map(([value, text]) => h('option', { value }, text)));
  format.value = w.format || 'json';
  const events = h('div', { class: 'row events', role: 'group', 'aria-label': 'Events (none ticked: all)' },
    h('span', { class: 'hint' }, 'Events:'),
    ...EVENTS.map(([value, text]) => h('label', { class: 'check' },
      h('input', { type: 'checkbox', 'data-event': value, checked: (w.events ?? []).includes(value) }), ` ${text}`)));
  const headers = h('textarea', { 'data-field': 'headers', rows: '2', spellcheck: 'false', placeholder: 'Authorization: Bearer …' });
  headers.value = headersText(w.headers);
  const last = h('p', { class: 'hint webhook-last' });
  const result = h('p', { class: 'webhook-test', role: 'status' });
  const test = h('button', {
    type: 'button', class: 'small webhook-test-button', 'aria-label': 'Send a test to this webhook',
    onclick: () => testWebhook(li, test, result),
  }, 'Test');
  li.append(
    h('label', {}, 'URL', h('input', { type: 'text', inputmode: 'url', 'data-field': 'url', spellcheck: 'false', required: true, placeholder: 'https://…', value: w.url ?? '' })),
    h('label', {}, 'Format', format),
    events,
    h('label', {}, 'Headers (one per line, Name: value)', headers),
    h('div', { class: 'row' }, test, removeButton(li, 'webhook')),
    last, result);
  return li;
}

function readWebhookRow(li) {
  return normalWebhook({
    url: li.querySelector('[data-field="url"]').value,
    format: li.querySelector('[data-field="format"]').value,
    events: [...li.querySelectorAll('[data-event]')].filter((c) => c.checked).map((c) => c.dataset.event),
    headers: parseHeaders(li.querySelector('[data-field="headers"]').value),
  });
}

function rows(id) {
  return [...document.getElementById(id).children];
}

/** The lists as edited: `{watchFolders, webhooks}`; throws when a header line is malformed. */
function readLists() {
  return {
    watchFolders: rows('watch-list').map(readWatchRow),
    webhooks: rows('webhook-list').map(readWebhookRow),
  };
}

function savedLists(config) {
  return {
    watchFolders: (config?.watchFolders ?? []).map(normalWatchFolder),
    webhooks: (config?.webhooks ?? []).map(normalWebhook),
  };
}

/** The list settings that differ from `config`, to PATCH; throws when one cannot be read. */
export function listChanges(config) {
  const edited = readLists();
  const before = savedLists(config);
  const change = {};
  for (const key of ['watchFolders', 'webhooks']) {
    if (document.getElementById(key === 'watchFolders' ? 'watch-folders' : 'webhooks').disabled) continue;
    if (JSON.stringify(edited[key]) !== JSON.stringify(before[key])) change[key] = edited[key];
  }
  return change;
}

function webhooksEdited() {
  try {
    return JSON.stringify(readLists().webhooks) !== JSON.stringify(savedLists(saved()).webhooks);
  } catch {
    return true;
  }
}

async function testWebhook(li, button, result) {
  const index = rows('webhook-list').indexOf(li);
  result.className = 'webhook-test';
  if (webhooksEdited()) {
    setText(result, 'Save the settings first: Test sends to the saved webhook.');
    return;
  }
  button.disabled = true;
  setText(result, 'Sending a test…');
  try {
    const answer = await api('POST', `api/v1/webhooks/${index}/test`);
    result.classList.add('ok');
    setText(result, `Test sent: the server answered ${answer?.status}.`);
  } catch (error) {
    result.classList.add('error');
    setText(result, `Test failed: ${error.message}`);
  } finally {
    button.disabled = false;
  }
  loadWebhookStatus();
}

function statusText(s) {
  if (!s || !s.lastAttemptAt) return 'Not sent yet.';
  const outcome = s.lastError ? s.lastError : `the server answered ${s.lastStatus}`;
  const retries = s.pendingRetries ? ` · ${s.pendingRetries} waiting to be retried` : '';
  return `Last sent ${date(s.lastAttemptAt)}: ${outcome}${retries}`;
}

/** Shows each saved webhook's last result beside it. */
function showWebhookStatus() {
  const dirty = webhooksEdited();
  rows('webhook-list').forEach((li, i) => {
    setText(li.querySelector('.webhook-last'), dirty ? '' : statusText(statuses[i]));
  });
}

/** Loads the webhooks' last results (api/v1/webhooks). */
export async function loadWebhookStatus() {
  try {
    statuses = (await api('GET', 'api/v1/webhooks')) ?? [];
  } catch {
    return;
  }
  showWebhookStatus();
}

/** Rebuilds the rows from `config` when its lists differ from what is shown. */
export function fillLists(config) {
  const lists = savedLists(config);
  const fixed = config.commandLine ?? [];
  for (const [key, listId, fieldsetId, row] of [
    ['watchFolders', 'watch-list', 'watch-folders', watchRow],
    ['webhooks', 'webhook-list', 'webhooks', webhookRow],
  ]) {
    const fieldset = document.getElementById(fieldsetId);
    // Given by a flag or environment variable: the next start would undo a change.
    fieldset.disabled = fixed.includes(key);
    fieldset.title = fieldset.disabled ? 'Set on the command line or in the environment' : '';
    const text = JSON.stringify(lists[key]);
    if (text === shown[key]) continue;
    shown[key] = text;
    document.getElementById(listId).replaceChildren(...lists[key].map(row));
  }
  showWebhookStatus();
}

/** Forgets what the rows show, so the next fill rebuilds them (after Close). */
export function resetLists() {
  shown.watchFolders = null;
  shown.webhooks = null;
}

/**
 * Wires Add; `options.onEdit(where)` is called when a row is added or removed
 * (`where`: an element of the list),
 * `options.saved()` gives the saved config.
 */
export function setupLists(options) {
  onEdit = options.onEdit;
  saved = options.saved;
  document.getElementById('watch-add').addEventListener('click', () => {
    const li = watchRow({});
    document.getElementById('watch-list').append(li);
    edited(li);
    li.querySelector('input').focus();
  });
  document.getElementById('webhook-add').addEventListener('click', () => {
    const li = webhookRow({});
    document.getElementById('webhook-list').append(li);
    edited(li);
    showWebhookStatus();
    li.querySelector('input').focus();
  });
}
