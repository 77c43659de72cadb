// Search: the provider picker, the results table (name linking to the result's
// page, size, seeders, leechers, provider, Add), "Load more" for the next page,
// and the errors of the providers that failed.

import { api, request } from './api.js';
import { h, setText } from './dom.js';
import { bytes } from './format.js';
import { showMessage } from './toast.js';
import { announceAdded } from './torrents.js';

const PROVIDER_KEY = 'cloud-torrent.search-provider';

/**
 * `text` when it is an absolute http(s) URL, else null: only those become links
 * (a provider could send `javascript:` or `data:` URLs).
 */
export function safeHttpUrl(text) {
  if (typeof text !== 'string') return null;
  let url;
  try {
    url = new URL(text);
  } catch {
    return null;
  }
  return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null;
}

/** What tells results apart: the info hash, else the provider and the result's links. */
export function resultKey(result) {
  if (typeof result.infohash === 'string' && result.infohash !== '') {
    return `hash:${result.infohash.toLowerCase()}`;
  }
  const link = result.item ?? result.torrent ?? result.magnet ?? result.url ?? result.name ?? '';
  return `${result.provider ?? ''}:${link}`;
}

/** The search under way: its query, provider ('' = all), last page and the results shown. */
const current = { query: '', provider: '', page: 0, seen: new Set(), serial: 0 };
/** Provider id → name, once loaded. */
let providerNames = new Map();

function storedProvider() {
  try {
    return localStorage.getItem(PROVIDER_KEY) ?? '';
  } catch {
    return '';
  }
}

function storeProvider(id) {
  try {
    if (id) localStorage.setItem(PROVIDER_KEY, id);
    else localStorage.removeItem(PROVIDER_KEY);
  } catch { /* private mode */ }
}

/** Fills the provider picker from the server; hidden when there are no providers. */
async function loadProviders() {
  const picker = document.getElementById('search-provider');
  let list = [];
  try {
    list = (await api('GET', 'api/v1/search/providers')) ?? [];
  } catch {
    list = [];
  }
  providerNames = new Map(list.map((p) => [p.id, p.name || p.id]));
  picker.replaceChildren(
    h('option', { value: '' }, 'All providers'),
    ...list.map((p) => h('option', { value: p.id }, p.name || p.id)));
  const remembered = storedProvider();
  picker.value = providerNames.has(remembered) ? remembered : '';
  picker.hidden = list.length === 0;
}

async function addResult(result, button) {
  button.disabled = true;
  try {
    const answer = await request('POST', 'api/v1/search/add', result);
    setText(button, 'Added');
    announceAdded(answer, result.name);
  } catch (error) {
    showMessage(`${result.name}: ${error.message}`, 'error', `added ${result.name}`);
    button.disabled = false;
  }
}

function count(value) {
  return typeof value === 'number' ? String(value) : '';
}

function resultRow(result) {
  const href = safeHttpUrl(result.url);
  const text = result.name ?? '';
  const name = href
    ? h('a', { class: 'name', href, target: '_blank', rel: 'noopener noreferrer' }, text)
    : h('span', { class: 'name' }, text);
  const add = h('button', { type: 'button', class: 'small primary add', 'aria-label': `Add ${text}` }, 'Add');
  add.addEventListener('click', () => addResult(result, add));
  const size = typeof result.size === 'number' ? bytes(result.size) : (result.sizeText ?? '');
  return h('tr', { class: 'result' },
    h('td', { class: 'name-cell' }, name),
    h('td', { class: 'num size', 'data-label': 'Size' }, size),
    h('td', { class: 'num seeders', 'data-label': 'Seeders' }, count(result.seeders)),
    h('td', { class: 'num leechers', 'data-label': 'Leechers' }, count(result.leechers)),
    h('td', { class: 'provider' }, providerNames.get(result.provider) ?? result.provider ?? ''),
    h('td', { class: 'add-cell' }, add));
}

function searchUrl(query, provider, page) {
  let url = `api/v1/search?query=${encodeURIComponent(query)}`;
  if (provider) url += `&provider=${encodeURIComponent(provider)}`;
  if (page > 1) url += `&page=${page}`;
  return url;
}

function describe(query, provider) {
  const where = provider ? ` in ${providerNames.get(provider) ?? provider}` : '';
  return `“${query}”${where}`;
}

/**
 * Shows one page of answers: appends the results not shown yet and replaces the
 * errors. Returns how many results were new.
 */
function showPage(answer) {
  const errors = document.getElementById('search-errors');
  const rows = document.getElementById('search-results');
  errors.replaceChildren(...(answer?.errors ?? []).map((e) => h('li', { class: 'error' },
    `${e.name || providerNames.get(e.provider) || e.provider}: ${e.error}`)));
  const fresh = [];
  for (const result of answer?.results ?? []) {
    const key = resultKey(result);
    if (current.seen.has(key)) continue;
    current.seen.add(key);
    fresh.push(result);
  }
  rows.append(...fresh.map(resultRow));
  document.getElementById('search-table').hidden = current.seen.size === 0;
  setText(document.getElementById('search-count'), `(${current.seen.size})`);
  return fresh.length;
}

/** Runs a search with the picked provider: the first page of results. */
export async function search(query) {
  const serial = ++current.serial;
  const provider = document.getElementById('search-provider').value;
  Object.assign(current, { query, provider, page: 1, seen: new Set() });
  const status = document.getElementById('search-status');
  const more = document.getElementById('search-more');
  document.getElementById('search').hidden = false;
  setText(status, `Searching for ${describe(query, provider)}…`);
  setText(document.getElementById('search-count'), '');
  document.getElementById('search-errors').replaceChildren();
  document.getElementById('search-results').replaceChildren();
  document.getElementById('search-table').hidden = true;
  more.hidden = true;
  try {
    const answer = await api('GET', searchUrl(query, provider, 1));
    if (serial !== current.serial) return;
    const added = showPage(answer);
    setText(status, added ? `Results for ${describe(query, provider)}` : `Nothing found for ${describe(query, provider)}.`);
    more.hidden = added === 0;
  } catch (error) {
    if (serial !== current.serial) return;
    setText(status, error.message);
  }
}

/** Asks for the next page of the current search and appends what is new. */
async function loadMore() {
  const serial = current.serial;
  const more = document.getElementById('search-more');
  const status = document.getElementById('search-status');
  const page = current.page + 1;
  more.disabled = true;
  setText(more, 'Loading…');
  try {
    const answer = await api('GET', searchUrl(current.query, current.provider, page));
    if (serial !== current.serial) return;
    current.page = page;
    const added = showPage(answer);
    if (added === 0) {
      more.hidden = true;
      setText(status, `No more results for ${describe(current.query, current.provider)}.`);
    }
  } catch (error) {
    if (serial !== current.serial) return;
    showMessage(error.message);
  } finally {
    more.disabled = false;
    setText(more, 'Load more');
  }
}

/** Wires the provider picker, "Load more" and closing the results. */
export function setupSearch() {
  const picker = document.getElementById('search-provider');
  picker.addEventListener('change', () => {
    storeProvider(picker.value);
    // Showing results: search again in what was picked.
    if (!document.getElementById('search').hidden && current.query) search(current.query);
  });
  document.getElementById('search-more').addEventListener('click', loadMore);
  document.getElementById('search-close').addEventListener('click', () => {
    current.serial += 1;
    current.query = '';
    document.getElementById('search').hidden = true;
  });
  loadProviders();
}
