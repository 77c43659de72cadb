// The filters above the torrent list: by state, category, tag and tracker host,
// each option with how many torrents it holds, and a text that the name or info
// hash holds. The state filter offers groups rather than raw states (downloading
// takes those fetching metadata; completed, whatever is complete; active, what
// transfers now). The choice is kept in the URL's hash
// (#state=seeding&category=tv&tracker=host&q=show; the hash's other parts are
// left alone), so a filtered view can be bookmarked and Back undoes a choice.

import { h, setText } from './dom.js';
import { knownCategories } from './organise.js';

// Option values: '' is "All"; NONE is "no category" or "no tracker"; a named
// category, tag or host is its name behind '=' (so no name can be taken for NONE).
const NONE = 'none';
const named = (name) => `=${name}`;

// The state filter's options: value (kept in the URL), label, and the test of a torrent.
// Those marked `rare` are offered only while a torrent is in them (or they are chosen).
export const STATE_FILTERS = [
  { value: 'downloading', label: 'Downloading', test: (t) => t.state === 'downloading' || t.state === 'metadata' },
  { value: 'seeding', label: 'Seeding', test: (t) => t.state === 'seeding' },
  { value: 'completed', label: 'Completed', test: (t) => t.progress >= 1 },
  { value: 'paused', label: 'Stopped', test: (t) => t.state === 'paused' },
  { value: 'queued', label: 'Queued', test: (t) => t.state === 'queued' },
  { value: 'error', label: 'Error', test: (t) => t.state === 'error' },
  { value: 'active', label: 'Active', test: (t) => t.downloadRate > 0 || t.uploadRate > 0 },
  { value: 'moving', label: 'Moving', test: (t) => t.state === 'moving', rare: true },
  { value: 'checking', label: 'Checking', test: (t) => t.state === 'checking', rare: true },
];
const STATE_TEST = new Map(STATE_FILTERS.map((f) => [f.value, f.test]));

const chosen = { state: '', category: '', tag: '', tracker: '', q: '' };
const signatures = { state: '', category: '', tag: '', tracker: '' };
const SELECTS = ['state', 'category', 'tag', 'tracker'];
const PARAMS = ['state', 'category', 'tag', 'tracker', 'q'];

/** Whether torrent `t` passes `filter` (`{state, category, tag, tracker, q}` option values). */
export function matchesFilter(t, filter) {
  if (filter.state && !(STATE_TEST.get(filter.state) ?? ((x) => x.state === filter.state))(t)) return false;
  if (filter.category === NONE && t.category) return false;
  if (filter.category?.startsWith('=') && t.category !== filter.category.slice(1)) return false;
  if (filter.tag?.startsWith('=') && !(t.tags ?? []).includes(filter.tag.slice(1))) return false;
  if (filter.tracker === NONE && (t.trackerHosts ?? []).length > 0) return false;
  if (filter.tracker?.startsWith('=') && !(t.trackerHosts ?? []).includes(filter.tracker.slice(1))) return false;
  if (filter.q) {
    const q = lowerText(filter.q);
    if (!String(t.name ?? '').toLowerCase().includes(q) && !String(t.infoHash ?? '').includes(q)) return false;
  }
  return true;
}

// The last text filtered by, in lower case: made once per text, not once per torrent.
let lowered = { text: '', lower: '' };

function lowerText(text) {
  if (lowered.text !== text) lowered = { text, lower: text.toLowerCase() };
  return lowered.lower;
}

/** Whether torrent `t` passes the filters chosen on the page. */
export function matches(t) {
  return matchesFilter(t, chosen);
}

/** Whether any filter is chosen. */
export function filtering() {
  return Boolean(chosen.state || chosen.category || chosen.tag || chosen.tracker || chosen.q);
}

function hashParts() {
  return window.location.hash.replace(/^#/, '').split('&').filter(Boolean);
}

const param = (part) => part.slice(0, Math.max(0, part.indexOf('=')));

/** The filters the URL's hash names ("category=" alone is "no category", "tracker=" "no tracker"). */
function fromUrl() {
  const found = { state: '', category: '', tag: '', tracker: '', q: '' };
  for (const part of hashParts()) {
    const key = param(part);
    if (!PARAMS.includes(key)) continue;
    let value;
    try {
      value = decodeURIComponent(part.slice(key.length + 1));
    } catch {
      continue;
    }
    if (key === 'category' || key === 'tracker') found[key] = value === '' ? NONE : named(value);
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
  if (chosen.tracker === NONE) ours.push('tracker=');
  else if (chosen.tracker) ours.push(`tracker=${encodeURIComponent(chosen.tracker.slice(1))}`);
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

/**
 * Shows `options` ([value, text]) in a select, keeping its choice: the same values
 * with new counts only change the texts (an open list stays open), others refill it.
 */
function fill(key, options) {
  const select = document.getElementById(`filter-${key}`);
  const signature = options.map(([value]) => value).join('\n');
  if (signature === signatures[key] && select.options.length === options.length) {
    options.forEach(([, text], i) => setText(select.options[i], text));
    return;
  }
  signatures[key] = signature;
  select.replaceChildren(...options.map(([value, text]) => h('option', { value }, text)));
  select.value = chosen[key];
}

const byName = (a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);
const namedOptions = (map) => [...map].sort(byName).map(([name, n]) => [named(name), `${name} (${n})`]);

// What each torrent counts for (by info hash), and the counts of them all, kept
// so that a live update recounts only the torrents it touched.
const counted = new Map();
let tally = null;
let tallyOf = null;

function newTally() {
  return {
    total: 0, uncategorised: 0, untracked: 0, categories: new Map(), tags: new Map(), hosts: new Map(),
    n: { downloading: 0, seeding: 0, completed: 0, paused: 0, queued: 0, error: 0, active: 0, moving: 0, checking: 0 },
  };
}

/** What torrent `t` counts for: its state group, completion, activity, category, tags and trackers. */
function countsOf(t) {
  let group = null;
  switch (t.state) {
    case 'metadata': case 'downloading': group = 'downloading'; break;
    case 'seeding': case 'paused': case 'queued': case 'error': case 'moving': case 'checking': group = t.state; break;
    default: break;
  }
  return {
    group,
    completed: t.progress >= 1,
    active: t.downloadRate > 0 || t.uploadRate > 0,
    category: t.category || null,
    tags: t.tags ? [...t.tags] : [],
    trackers: t.trackerHosts ? [...t.trackerHosts] : [],
  };
}

function bump(map, key, by) {
  const n = (map.get(key) ?? 0) + by;
  if (n === 0) map.delete(key);
  else map.set(key, n);
}

/** Adds (`by` 1) or takes away (-1) what one torrent counts for. */
function tallyOne(into, c, by) {
  into.total += by;
  if (c.group) into.n[c.group] += by;
  if (c.completed) into.n.completed += by;
  if (c.active) into.n.active += by;
  if (c.category) bump(into.categories, c.category, by);
  else into.uncategorised += by;
  for (let j = 0; j < c.tags.length; j += 1) bump(into.tags, c.tags[j], by);
  if (c.trackers.length === 0) into.untracked += by;
  else for (let j = 0; j < c.trackers.length; j += 1) bump(into.hosts, c.trackers[j], by);
}

/**
 * Updates the options and their counts from the torrents. With `touched` (the
 * info hashes a live update changed) and `byHash` (the torrents by info hash) only
 * those are recounted; otherwise all are.
 */
export function renderFilters(torrents, touched = null, byHash = null) {
  let fresh = !tally || touched === null || byHash === null || byHash !== tallyOf;
  if (!fresh) {
    for (const hash of touched) {
      const old = counted.get(hash);
      if (old) tallyOne(tally, old, -1);
      const t = byHash[hash];
      if (t) {
        const c = countsOf(t);
        tallyOne(tally, c, 1);
        counted.set(hash, c);
      } else {
        counted.delete(hash);
      }
    }
    fresh = tally.total !== torrents.length;
  }
  if (fresh) {
    tally = newTally();
    tallyOf = byHash;
    counted.clear();
    for (let i = 0; i < torrents.length; i += 1) {
      const c = countsOf(torrents[i]);
      tallyOne(tally, c, 1);
      counted.set(torrents[i].infoHash, c);
    }
  }
  const { uncategorised, untracked } = tally;
  const categories = new Map(tally.categories);
  const tags = new Map(tally.tags);
  const hosts = new Map(tally.hosts);
  const n = { ...tally.n };
  for (const c of knownCategories()) if (!categories.has(c.name)) categories.set(c.name, 0);
  // A chosen option stays while nothing has it, so the choice is still shown.
  for (const [key, map] of [['category', categories], ['tag', tags], ['tracker', hosts]]) {
    if (chosen[key].startsWith('=') && !map.has(chosen[key].slice(1))) map.set(chosen[key].slice(1), 0);
  }
  const all = ['', `All (${torrents.length})`];
  const stateOptions = STATE_FILTERS.filter((f) => !f.rare || n[f.value] > 0 || chosen.state === f.value)
    .map((f) => [f.value, `${f.label} (${n[f.value]})`]);
  // A state the URL names that is no group (an old bookmark): offered as it is.
  if (chosen.state && !STATE_TEST.has(chosen.state)) stateOptions.push([chosen.state, chosen.state]);
  fill('state', [all, ...stateOptions]);
  fill('category', [all, [NONE, `No category (${uncategorised})`], ...namedOptions(categories)]);
  fill('tag', [all, ...namedOptions(tags)]);
  fill('tracker', [all, [NONE, `No tracker (${untracked})`], ...namedOptions(hosts)]);
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
