// The filters above the torrent list: by state, category and tag, each option
// with how many torrents it holds. The choice lasts until the page is closed.

import { h } from './dom.js';
import { stateLabel } from './format.js';
import { knownCategories } from './organise.js';

// Option values: '' is "All"; NONE is "no category"; a named category or tag is
// its name behind '=' (so no name can be taken for either).
const NONE = 'none';
const named = (name) => `=${name}`;

const chosen = { state: '', category: '', tag: '' };
const signatures = { state: '', category: '', tag: '' };

/** Whether torrent `t` passes `filter` (`{state, category, tag}` option values). */
export function matchesFilter(t, filter) {
  if (filter.state && t.state !== filter.state) return false;
  if (filter.category === NONE && t.category) return false;
  if (filter.category.startsWith('=') && t.category !== filter.category.slice(1)) return false;
  if (filter.tag.startsWith('=') && !(t.tags ?? []).includes(filter.tag.slice(1))) return false;
  return true;
}

/** Whether torrent `t` passes the filters chosen on the page. */
export function matches(t) {
  return matchesFilter(t, chosen);
}

/** Whether any filter is chosen. */
export function filtering() {
  return Boolean(chosen.state || chosen.category || chosen.tag);
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

/** Wires the selects; `onChange()` is called after a choice. */
export function setupFilters(onChange) {
  for (const key of Object.keys(chosen)) {
    const select = document.getElementById(`filter-${key}`);
    select.addEventListener('change', () => {
      chosen[key] = select.value;
      onChange();
    });
  }
}

/** The count shown beside the list's title: "(3)", or "(2 of 3)" while filtering. */
export function countText(shown, total) {
  if (!total) return '';
  return shown === total ? `(${total})` : `(${shown} of ${total})`;
}
