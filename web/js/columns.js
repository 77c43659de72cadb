// The columns of the torrent table and the order of the list: what each column
// shows and sorts by, and what this browser chose: the columns shown, their order
// and widths, and the sort, kept in localStorage. Pure but for localStorage: no DOM.

import { bytes, date, duration, percent, rate, stateLabel, stateText } from './format.js';
import { etaSeconds } from './rates.js';

const text = (value) => String(value ?? '').toLowerCase();

/** Seconds left to download, or Infinity when nothing moves (null: nothing left). */
function etaOf(t) {
  if (t.state !== 'downloading' && t.state !== 'metadata') return null;
  const s = etaSeconds(t.size - t.completed, t.downloadRate);
  return s === null || s === undefined || !Number.isFinite(s) ? Infinity : s;
}

// key, heading, its tooltip (if any), sort key of a torrent, cell text, whether numeric (right-aligned).
export const COLUMNS = [
  { key: 'name', label: 'Name', sort: (t) => text(t.name), show: (t) => t.name },
  { key: 'size', label: 'Size', num: true, sort: (t) => t.size ?? 0, show: (t) => (t.size > 0 ? bytes(t.size) : '—') },
  { key: 'progress', label: 'Progress', sort: (t) => t.progress ?? 0, show: (t) => percent(t.progress) },
  { key: 'state', label: 'State', sort: (t) => stateLabel(t.state), show: stateText },
  { key: 'down', label: 'Down', num: true, sort: (t) => t.downloadRate ?? 0, show: (t) => rate(t.downloadRate ?? 0) },
  { key: 'up', label: 'Up', num: true, sort: (t) => t.uploadRate ?? 0, show: (t) => rate(t.uploadRate ?? 0) },
  { key: 'eta', label: 'ETA', num: true, sort: (t) => etaOf(t) ?? -1, show: (t) => { const s = etaOf(t); return s === null ? '' : duration(s); } },
  { key: 'ratio', label: 'Ratio', num: true, sort: (t) => t.ratio ?? 0, show: (t) => (Number.isFinite(t.ratio) ? t.ratio.toFixed(2) : '—') },
  // Connected peers: the torrent JSON does not tell seeds from leechers.
  {
    key: 'peers', label: 'Peers', title: 'Connected peers, seeds and leechers together', num: true,
    sort: (t) => t.peers ?? 0, show: (t) => String(t.peers ?? 0),
  },
  { key: 'category', label: 'Category', sort: (t) => text(t.category), show: (t) => t.category ?? '' },
  { key: 'tags', label: 'Tags', sort: (t) => text((t.tags ?? []).join(', ')), show: (t) => (t.tags ?? []).join(', ') },
  { key: 'added', label: 'Added', sort: (t) => t.addedAt ?? '', show: (t) => date(t.addedAt) },
  { key: 'savePath', label: 'Save path', sort: (t) => text(t.savePath), show: (t) => t.savePath || 'download folder' },
];

export const BY_KEY = new Map(COLUMNS.map((c) => [c.key, c]));
const STORE = 'torrent-list';
const DEFAULT_HIDDEN = ['savePath'];
// The width of each column (px) unless resized; the name takes the rest.
export const WIDTHS = {
  size: 90, progress: 120, state: 110, down: 90, up: 90, eta: 64, ratio: 64,
  peers: 64, category: 100, tags: 100, added: 150, savePath: 160,
};
// The least width a column is resized to (px), and the most.
export const MIN_WIDTH = 48;
export const MAX_WIDTH = 800;

const clampWidth = (px) => Math.round(Math.min(MAX_WIDTH, Math.max(MIN_WIDTH, px)));

function defaults() {
  return { sort: 'added', desc: false, hidden: [...DEFAULT_HIDDEN], order: COLUMNS.map((c) => c.key), widths: {} };
}

/** The saved order, known keys only, with the columns it lacks (newer ones) where they are by default. */
function readOrder(saved) {
  const order = Array.isArray(saved) ? saved.filter((k, i) => BY_KEY.has(k) && saved.indexOf(k) === i) : [];
  COLUMNS.forEach((c, i) => {
    if (order.includes(c.key)) return;
    order.splice(Math.min(i, order.length), 0, c.key);
  });
  return order;
}

function load() {
  const prefs = defaults();
  try {
    const saved = JSON.parse(localStorage.getItem(STORE) ?? 'null');
    if (saved && BY_KEY.has(saved.sort)) {
      prefs.sort = saved.sort;
      prefs.desc = Boolean(saved.desc);
      prefs.hidden = Array.isArray(saved.hidden) ? saved.hidden.filter((k) => k !== 'name') : [];
      prefs.order = readOrder(saved.order);
      for (const [key, px] of Object.entries(saved.widths ?? {})) {
        if (key in WIDTHS && Number.isFinite(px)) prefs.widths[key] = clampWidth(px);
      }
    }
  } catch { /* a broken entry: the defaults */ }
  return prefs;
}

let prefs = load();

function save() {
  try {
    localStorage.setItem(STORE, JSON.stringify(prefs));
  } catch { /* storage full or refused: the choice lasts for this page */ }
}

/** The sort chosen: `{key, desc}`. */
export function sortOrder() {
  return { key: prefs.sort, desc: prefs.desc };
}

/** Sorts by `key` (descending when `desc`) and remembers it. */
export function setSort(key, desc) {
  if (!BY_KEY.has(key)) return;
  prefs.sort = key;
  prefs.desc = Boolean(desc);
  save();
}

/** Every column, in the order chosen. */
export function orderedColumns() {
  return prefs.order.map((k) => BY_KEY.get(k));
}

/** The columns shown, in the order chosen. */
export function shownColumns() {
  return orderedColumns().filter((c) => !prefs.hidden.includes(c.key));
}

/** Shows or hides column `key` (the name always shows) and remembers it. */
export function showColumn(key, shown) {
  if (key === 'name') return;
  prefs.hidden = prefs.hidden.filter((k) => k !== key);
  if (!shown) prefs.hidden.push(key);
  save();
}

/** Puts column `key` just before column `before` (null: last) and remembers it. */
export function placeColumn(key, before) {
  if (!BY_KEY.has(key) || key === before) return;
  const order = prefs.order.filter((k) => k !== key);
  const at = before === null ? order.length : order.indexOf(before);
  if (at < 0) return;
  order.splice(at, 0, key);
  prefs.order = order;
  save();
}

/**
 * Moves column `key` one place left (-1) or right (+1) among the columns shown
 * (among all of them when it is hidden); false when it is at that end already.
 */
export function moveColumn(key, step) {
  const hidden = prefs.hidden.includes(key);
  const around = (hidden ? orderedColumns() : shownColumns()).map((c) => c.key);
  const at = around.indexOf(key);
  const to = at + step;
  if (at < 0 || to < 0 || to >= around.length) return false;
  if (step < 0) placeColumn(key, around[to]);
  else placeColumn(key, around[to + 1] ?? null);
  return true;
}

/** The width of column `key` in px (undefined for the name, which takes the rest). */
export function columnWidth(key) {
  return prefs.widths[key] ?? WIDTHS[key];
}

/** Sets the width of column `key` (within MIN_WIDTH and MAX_WIDTH) and remembers it; returns it. */
export function setColumnWidth(key, px) {
  if (!(key in WIDTHS)) return undefined;
  const width = clampWidth(px);
  if (width === WIDTHS[key]) delete prefs.widths[key];
  else prefs.widths[key] = width;
  save();
  return width;
}

/** Back to the columns, order and widths of a first visit (the sort is kept). */
export function resetColumns() {
  const { sort, desc } = prefs;
  prefs = { ...defaults(), sort, desc };
  save();
}

/**
 * The sort entry of torrent `t` for `column`: its sort key `k`, computed once
 * (not in each comparison), the tie-breakers (time added `a`, info hash `h`) and
 * the torrent `t`.
 */
export function sortEntry(column, t) {
  return { k: column.sort(t), a: t.addedAt ?? '', h: t.infoHash, t };
}

/**
 * The comparison of two sort entries: by key (reversed when `dir` is -1), then
 * by time added, then by info hash, whichever the direction. Info hashes differ,
 * so no two entries tie: any correct sort (or merge) gives the same order.
 */
export function compareEntries(x, y, dir) {
  if (x.k < y.k) return -dir;
  if (x.k > y.k) return dir;
  if (x.a !== y.a) return x.a < y.a ? -1 : 1;
  return x.h < y.h ? -1 : x.h > y.h ? 1 : 0;
}

/** The column the list is sorted by for sort key `key` (the time added if unknown). */
export function sortColumn(key) {
  return BY_KEY.get(key) ?? BY_KEY.get('added');
}

/**
 * `torrents` sorted by the chosen column: a new array. Ties keep the order of
 * adding, then of info hash, whichever the direction, so the order is stable.
 */
export function sortTorrents(torrents, { key, desc } = sortOrder()) {
  const column = sortColumn(key);
  const dir = desc ? -1 : 1;
  const keyed = torrents.map((t) => sortEntry(column, t));
  keyed.sort((x, y) => compareEntries(x, y, dir));
  return keyed.map((x) => x.t);
}
