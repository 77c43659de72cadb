// The categories and tags the UI knows: the categories from api/v1/categories
// (loaded at start, when a torrent names one not known yet, and after a change),
// the tags of the torrents in the live state; and the suggestions offered where
// they are typed (the category datalist, a datalist per tags input).

import { api } from './api.js';
import { h } from './dom.js';

let categories = [];
let tags = [];
let loading = null;
let again = false;
const listeners = new Set();

/** The categories, by name: `[{name, savePath, seedRatioLimit, seedTimeLimit, seedIdleLimit}]`. */
export function knownCategories() {
  return categories;
}

/** Every tag of the torrents, sorted. */
export function knownTags() {
  return tags;
}

/** Calls `fn(categories)` whenever the list of categories is loaded again. */
export function onCategories(fn) {
  listeners.add(fn);
}

/** "a, b ,,c" -> ["a", "b", "c"]: the tags of a comma-separated text, each once. */
export function parseTags(text) {
  const seen = new Set();
  for (const part of String(text ?? '').split(',')) {
    const tag = part.trim();
    if (tag) seen.add(tag);
  }
  return [...seen];
}

/** Whether two tag lists hold the same tags, in any order. */
export function sameTags(a, b) {
  const x = [...new Set(a ?? [])].sort();
  const y = [...new Set(b ?? [])].sort();
  return x.length === y.length && x.every((tag, i) => tag === y[i]);
}

function fillCategoryList() {
  const list = document.getElementById('category-list');
  if (!list) return;
  list.replaceChildren(...categories.map((c) => h('option', { value: c.name })));
}

/** Loads the categories again (once more after the current load when asked meanwhile). */
export async function loadCategories() {
  if (loading) {
    again = true;
    return loading;
  }
  loading = (async () => {
    do {
      again = false;
      try {
        const list = await api('GET', 'api/v1/categories');
        categories = Array.isArray(list) ? list : [];
      } catch {
        // Kept as they were: the server is away, and the live state reconnects.
      }
    } while (again);
    fillCategoryList();
    for (const fn of listeners) fn(categories);
  })();
  try {
    await loading;
  } finally {
    loading = null;
  }
}

// What each torrent (by info hash) was counted for, `{tags, category}`, how many
// torrents hold each tag and name each category, and the torrent map counted:
// a live update looks only at the torrents it touched.
const countedAs = new Map();
const tagCounts = new Map();
const categoryCounts = new Map();
let countedFrom = null;

function bump(map, key, by) {
  const n = (map.get(key) ?? 0) + by;
  if (n === 0) map.delete(key);
  else map.set(key, n);
}

/** Counts (`by` 1) or no longer counts (-1) what a torrent holds. */
function countOne(record, by) {
  for (const tag of record.tags) bump(tagCounts, tag, by);
  if (record.category) bump(categoryCounts, record.category, by);
}

/**
 * Keeps the tags from the live state, and reloads the categories when a torrent
 * names a new one. `touched` (the info hashes a live update changed; null: any)
 * limits the work to those torrents.
 */
export function renderOrganise(state, touched = null) {
  const all = state.torrents ?? {};
  const fresh = touched === null || all !== countedFrom;
  if (fresh) {
    countedAs.clear();
    tagCounts.clear();
    categoryCounts.clear();
    countedFrom = all;
  }
  let changed = fresh;
  for (const hash of fresh ? Object.keys(all) : touched) {
    const t = all[hash];
    const before = countedAs.get(hash);
    const now = t ? { tags: [...new Set(t.tags ?? [])], category: t.category || null } : null;
    if (before && now && before.category === now.category && sameTags(before.tags, now.tags)) continue;
    if (before) countOne(before, -1);
    if (now) countOne(now, 1);
    if (now) countedAs.set(hash, now);
    else countedAs.delete(hash);
    changed = true;
  }
  if (changed) tags = [...tagCounts.keys()].sort();
  const names = new Set(categories.map((c) => c.name));
  for (const name of categoryCounts.keys()) {
    if (!names.has(name)) {
      loadCategories();
      break;
    }
  }
}

let datalistSerial = 0;

/**
 * Suggests the known tags in a comma-separated `input`: its own datalist offers
 * the text typed so far followed by each tag it does not hold yet. Returns the
 * datalist, for the caller to place beside the input.
 */
export function tagSuggestions(input) {
  datalistSerial += 1;
  const list = h('datalist', { id: `tag-list-${datalistSerial}` });
  input.setAttribute('list', list.id);
  const refresh = () => {
    const text = input.value;
    const cut = text.lastIndexOf(',');
    const prefix = cut < 0 ? '' : `${text.slice(0, cut + 1).trimEnd()} `;
    const held = new Set(parseTags(text.slice(0, cut + 1)));
    list.replaceChildren(...tags.filter((tag) => !held.has(tag)).map((tag) => h('option', { value: `${prefix}${tag}` })));
  };
  input.addEventListener('focus', refresh);
  input.addEventListener('input', refresh);
  return list;
}
