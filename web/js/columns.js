// The columns of the torrent table and the order of the list: what each column
// shows and sorts by, which columns are shown and the sort chosen, both kept in
// localStorage. Pure but for localStorage: no DOM.

import { bytes, date, duration, percent, rate, stateLabel } from './format.js';
import { etaSeconds } from './rates.js';

const text = (value) => String(value ?? '').toLowerCase();

/** Seconds left to download, or Infinity when nothing moves (null: nothing left). */
function etaOf(t) {
  if (t.state !== 'downloading' && t.state !== 'metadata') return null;
  const s = etaSeconds(t.size - t.completed, t.downloadRate);
  return s === null || s === undefined || !Number.isFinite(s) ? Infinity : s;
}

// key, heading, sort key of a torrent, cell text, whether numeric (right-aligned).
export const COLUMNS = [
  { key: 'name', label: 'Name', sort: (t) => text(t.name), show: (t) => t.name },
  { key: 'size', label: 'Size', num: true, sort: (t) => t.size ?? 0, show: (t) => (t.size > 0 ? bytes(t.size) : '—') },
  { key: 'progress', label: 'Progress', sort: (t) => t.progress ?? 0, show: (t) => percent(t.progress) },
  { key: 'state', label: 'State', sort: (t) => stateLabel(t.state), show: (t) => (t.state === 'queued' && t.queuePosition ? `Queued #${t.queuePosition}` : stateLabel(t.state)) },
  { key: 'down', label: 'Down', num: true, sort: (t) => t.downloadRate ?? 0, show: (t) => rate(t.downloadRate ?? 0) },
  { key: 'up', label: 'Up', num: true, sort: (t) => t.uploadRate ?? 0, show: (t) => rate(t.uploadRate ?? 0) },
  { key: 'eta', label: 'ETA', num: true, sort: (t) => etaOf(t) ?? -1, show: (t) => { const s = etaOf(t); return s === null ? '' : duration(s); } },
  { key: 'ratio', label: 'Ratio', num: true, sort: (t) => t.ratio ?? 0, show: (t) => (Number.isFinite(t.ratio) ? t.ratio.toFixed(2) : '—') },
  { key: 'peers', label: 'Peers', num: true, sort: (t) => t.peers ?? 0, show: (t) => String(t.peers ?? 0) },
  { key: 'category', label: 'Category', sort: (t) => text(t.category), show: (t) => t.category ?? '' },
  { key: 'tags', label: 'Tags', sort: (t) => text((t.tags ?? []).join(', ')), show: (t) => (t.tags ?? []).join(', ') },
  { key: 'added', label: 'Added', sort: (t) => t.addedAt ?? '', show: (t) => date(t.addedAt) },
  { key: 'savePath', label: 'Save path', sort: (t) => text(t.savePath), show: (t) => t.savePath || 'download folder' },
];

export const BY_KEY = new Map(COLUMNS.map((c) => [c.key, c]));
const STORE = 'torrent-list';
const DEFAULT = { sort: 'added', desc: false, hidden: ['savePath'] };

function load() {
  try {
    const saved = JSON.parse(localStorage.getItem(STORE) ?? 'null');
    if (saved && BY_KEY.has(saved.sort)) {
      return { sort: saved.sort, desc: Boolean(saved.desc), hidden: Array.isArray(saved.hidden) ? saved.hidden.filter((k) => k !== 'name') : [] };
    }
  } catch { /* a broken entry: the defaults */ }
  return { ...DEFAULT, hidden: [...DEFAULT.hidden] };
}

const prefs = load();

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

/** The columns shown, in their order. */
export function shownColumns() {
  return COLUMNS.filter((c) => !prefs.hidden.includes(c.key));
}

/** Shows or hides column `key` (the name always shows) and remembers it. */
export function showColumn(key, shown) {
  if (key === 'name') return;
  prefs.hidden = prefs.hidden.filter((k) => k !== key);
  if (!shown) prefs.hidden.push(key);
  save();
}

/**
 * `torrents` sorted by the chosen column: a new array. Ties keep the order of
 * adding, then of info hash, whichever the direction, so the order is stable.
 */
export function sortTorrents(torrents, { key, desc } = sortOrder()) {
  const column = BY_KEY.get(key) ?? BY_KEY.get('added');
  const dir = desc ? -1 : 1;
  const keyed = torrents.map((t) => ({ k: column.sort(t), a: t.addedAt ?? '', h: t.infoHash, t }));
  keyed.sort((x, y) => {
    if (x.k < y.k) return -dir;
    if (x.k > y.k) return dir;
    if (x.a !== y.a) return x.a < y.a ? -1 : 1;
    return x.h < y.h ? -1 : x.h > y.h ? 1 : 0;
  });
  return keyed.map((x) => x.t);
}
