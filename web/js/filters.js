// The filters above the torrent list: by state, category and tag, each option
// with how many torrents it holds, and a text that the name or info hash holds.
// The choice is kept in the URL's hash (#state=seeding&category=tv&q=show; the
// hash's other parts are left alone), so a filtered view can be bookmarked and
// Back undoes a choice.

import { h } from './dom.js';
import { stateLabel } from './format.js';
import { knownCategories } from './organise.js';

// Option values: '' is "All"; NONE is "no category"; a named category or tag is
// its name behind '=' (so no name can be taken for either).
const NONE = 'none';
const named = (name) => `=${name}`;

const chosen = { state: '', category: '', tag: '', q: '' };
const signatures = { state: '', category: '', tag: '' };
const SELECTS = ['state', 'category', 'tag'];
const PARAMS = ['state', 'category', 'tag', 'q'];

/** Whether torrent `t` passes `filter` (`{state, category, tag}` option values). */
export function matchesFilter(t, filter) {
  if (filter.state && t.state !== filter.state) return false;
  if (filter.category === NONE && t.category) return false;
  if (filter.category.startsWith('=') && t.category !== filter.category.slice(1)) return false;
  if (filter.tag.startsWith('=') && !(t.tags ?? []).includes(filter.tag.slice(1))) return false;
  if (filter.q) {
    const q = filter.q.toLowerCase();
    if (!String(t.name ?? '').toLowerCase().includes(q) && !String(t.infoHash ?? '').includes(q)) return false;
  }
  return true;
}

/** Whether torrent `t` passes the filters chosen on the page. */
export function matches(t) {
  return matchesFilter(t, chosen);
}

/** Whether any filter is chosen. */
export function filtering() {
  return Boolean(chosen.state || chosen.category || chosen.tag || chosen.q);
}

function hashParts() {
  return window.location.hash.replace(/^#/, '').split('&').filter(Boolean);
}

const param = (part) => part.slice(0, Math.max(0, part.indexOf('=')));

/** The filters the URL's hash names ("category=" alone is "no category"). */
function fromUrl() {
  const found = { state: '', category: '', tag: '', q: '' };
  for (const part of hashParts()) {
    const key = param(part);
    if (!PARAMS.includes(key)) continue;
    let value;
    try {
      value = decodeURIComponent(part.slice(key.length + 1));
    } catch {
      continue;
    }
    if (key === 'category') found.category = value === '' ? NONE : named(value);
    else if (key === 'tag') found.tag = value ? named(value) : '';
    else found[key] = value;
  }
  return found;
}

/** This page's URL with the chosen filters in its hash, its other parts kept. */
function urlWithFilters() {
  const parts = hashParts().filter((p) => !PARAMS.includes(param(p)));
  const ours = [];
  if (chosen.state) ours.push(`state=${encodeURIComponent(chosen.state)}`);
  if (chosen.category === NONE) ours.push('category=');
  else if (chosen.category) ours.push(`category=${encodeURIComponent(chosen.category.slice(1))}`);
  if (chosen.tag) ours.push(`tag=${encodeURIComponent(chosen.tag.slice(1))}`);
  if (chosen.q) ours.push(`q=${encodeURIComponent(chosen.q)}`);
  const all = [...ours, ...parts];
  const { pathname, search } = window.location;
  return all.length > 0 ? `${pathname}${search}#${all.join('&')}` : `${pathname}${search}`;
}

/** Writes the choice into the URL: a new history entry, or in place while typing. */
function writeUrl(push) {
  const url = urlWithFilters();
  const { pathname, search, hash } = window.location;
  if (url === `${pathname}${search}${hash}`) return;
  if (push) window.history.pushState(window.history.state, '', url);
  else window.history.replaceState(window.history.state, '', url);
}

/** Focuses the text filter (and selects its text). */
export function focusTextFilter() {
  const input = document.getElementById('filter-text');
  input.focus();
  input.select();
}

function count(map, key) {
  map.set(key, (map.get(key) ?? 0) + 1);
}

/** Refills a select with `options` ([value, text]) when they changed; keeps its choice. */
function fill(key, options) {
  const select = document.getElementById(`filter-${key}`);
  const signature = JSON.stringify(options);
  if (signature === signatures[key]) return;
  signatures[key] = signature;
  select.replaceChildren(...options.map(([value, text]) => h('option', { value }, text)));
  select.value = chosen[key];
}

/** Updates the options and their counts from the torrents. */
export function renderFilters(torrents) {
  const states = new Map();
  const categories = new Map();
  const tags = new Map();
  let uncategorised = 0;
  for (const t of torrents) {
    count(states, t.state);
    if (t.category) count(categories, t.category);
    else uncategorised += 1;
    for (const tag of t.tags ?? []) count(tags, tag);
  }
  for (const c of knownCategories()) if (!categories.has(c.name)) categories.set(c.name, 0);
  // A chosen option stays while nothing has it, so the choice is still shown.
  if (chosen.state && !states.has(chosen.state)) states.set(chosen.state, 0);
  if (chosen.category.startsWith('=') && !categories.has(chosen.category.slice(1))) categories.set(chosen.category.slice(1), 0);
  if (chosen.tag.startsWith('=') && !tags.has(chosen.tag.slice(1))) tags.set(chosen.tag.slice(1), 0);
  const all = ['', `All (${torrents.length})`];
  const byName = (a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);
  fill('state', [all, ...[...states].sort(byName).map(([s, n]) => [s, `${stateLabel(s)} (${n})`])]);
  fill('category', [all, [NONE, `No category (${uncategorised})`],
    ...[...categories].sort(byName).map(([name, n]) => [named(name), `${name} (${n})`])]);
  fill('tag', [all, ...[...tags].sort(byName).map(([name, n]) => [named(name), `${name} (${n})`])]);
  document.querySelector('.filters').hidden = torrents.length === 0 && !filtering();
}

/** Wires the selects and the text; `onChange()` is called after a choice. */
export function setupFilters(onChange) {
  for (const key of SELECTS) {
    const select = document.getElementById(`filter-${key}`);
    select.addEventListener('change', () => {
      chosen[key] = select.value;
      writeUrl(true);
      onChange();
    });
  }
  const input = document.getElementById('filter-text');
  // Typing replaces the URL; the first change since the field was focused adds an entry.
  let typing = false;
  input.addEventListener('focus', () => { typing = false; });
  input.addEventListener('input', () => {
    chosen.q = input.value.trim();
    writeUrl(!typing);
    typing = true;
    onChange();
  });
  input.addEventListener('keydown', (event) => {
    if (event.key === 'Escape' && input.value) {
      event.preventDefault();
      input.value = '';
      chosen.q = '';
      writeUrl(true);
      onChange();
    }
  });
  const follow = () => {
    const found = fromUrl();
    if (PARAMS.every((key) => found[key] === chosen[key])) return;
    Object.assign(chosen, found);
    for (const key of SELECTS) {
      const select = document.getElementById(`filter-${key}`);
      // An option the list lacks yet is added by the next render.
      signatures[key] = '';
      select.value = chosen[key];
    }
    if (input.value.trim() !== chosen.q) input.value = chosen.q;
    onChange();
  };
  window.addEventListener('popstate', follow);
  window.addEventListener('hashchange', follow);
  Object.assign(chosen, fromUrl());
  input.value = chosen.q;
}

/** The count shown beside the list's title: "(3)", or "(2 of 3)" while filtering. */
export function countText(shown, total) {
  if (!total) return '';
  return shown === total ? `(${total})` : `(${shown} of ${total})`;
}
