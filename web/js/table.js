// The torrent table of wide screens: one row per torrent, with the columns chosen
// (the header and the column menu are table-head.js's). Only the rows in view (and
// a few more) are in the DOM: rows have a fixed height, and two spacer rows stand
// for the others, so ten thousand torrents scroll as fast as ten. Rows are keyed
// by info hash and updated in place; a row scrolled or sorted out of view is given
// to a torrent coming in, rather than made anew. What a click on a row does (selection,
// details, context menu) is handed to the callbacks given to setupTable.

import { h, setAttr, setText } from './dom.js';
import { percent } from './format.js';
import { shownColumns } from './columns.js';
import { isSelected, selectionSize } from './selection.js';
import { setupTableHead } from './table-head.js';

// The height of a row in CSS pixels: the same as `.torrent-table tbody tr` in app.css.
export const ROW_HEIGHT = 34;
// Rows rendered above and below those in view.
const OVERSCAN = 8;

let order = [];
let indexOf = null;
const rows = new Map();
let columns = [];
let handlers = {};
let frame = 0;

const wrap = () => document.getElementById('torrent-table-wrap');
const body = () => document.getElementById('torrent-rows');

/** The columns changed: rows are made again with them. */
function columnsChanged() {
  columns = shownColumns();
  for (const row of rows.values()) row.el.remove();
  rows.clear();
  paint();
}

function createRow(hash) {
  const row = { hash, cells: new Map() };
  row.check = h('input', { type: 'checkbox', class: 'row-check' });
  const cells = [h('td', { class: 'col-select' }, row.check)];
  for (const c of columns) {
    let cell;
    if (c.key === 'name') {
      row.name = h('button', { type: 'button', class: 'row-name', 'aria-controls': 'details' });
      cell = h('td', { class: 'col-name' }, row.name);
    } else if (c.key === 'progress') {
      row.bar = h('div', { class: 'bar' });
      row.pct = h('span', { class: 'pct' });
      cell = h('td', { class: 'col-progress' }, h('div', { class: 'progress small', 'aria-hidden': 'true' }, row.bar), row.pct);
    } else {
      cell = h('td', { class: `col-${c.key}${c.num ? ' num' : ''}` });
    }
    row.cells.set(c.key, cell);
    cells.push(cell);
  }
  row.el = h('tr', { class: 'torrent-row', 'data-hash': hash }, ...cells);
  return row;
}

/**
 * Shows torrent `t`, at `index` in the list, in `row`. Only its place is looked at
 * when the row shows that torrent already, up to date (`row.drawn`).
 */
function renderRow(row, t, index) {
  setAttr(row.el, 'aria-rowindex', String(index + 2));
  if (row.drawn && row.torrent === t) return;
  row.torrent = t;
  row.drawn = true;
  row.el.dataset.state = t.state;
  const selected = isSelected(t.infoHash);
  row.el.classList.toggle('selected', selected);
  setAttr(row.el, 'aria-selected', String(selected));
  if (row.check.checked !== selected) row.check.checked = selected;
  if (row.labelledAs !== t.name) {
    row.labelledAs = t.name;
    setAttr(row.check, 'aria-label', `Select ${t.name}`);
  }
  for (const c of columns) {
    if (c.key === 'name') {
      setText(row.name, t.name);
      setAttr(row.name, 'title', t.name);
    } else if (c.key === 'progress') {
      const pct = percent(t.progress);
      if (row.bar.style.width !== pct) row.bar.style.width = pct;
      setText(row.pct, pct);
    } else {
      const value = c.show(t);
      const cell = row.cells.get(c.key);
      setText(cell, value);
      if (c.key === 'savePath' || c.key === 'tags' || c.key === 'category') setAttr(cell, 'title', value || null);
    }
  }
}

/**
 * The positions (in `seq`) of a longest increasing run of `seq`, a list of
 * numbers with -1 for "none": the rows that can stay where they are.
 */
function longestRun(seq) {
  const tails = [];
  const prev = new Array(seq.length).fill(-1);
  for (let i = 0; i < seq.length; i += 1) {
    if (seq[i] < 0) continue;
    let lo = 0;
    let hi = tails.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (seq[tails[mid]] < seq[i]) lo = mid + 1;
      else hi = mid;
    }
    if (lo > 0) prev[i] = tails[lo - 1];
    tails[lo] = i;
  }
  const keep = new Set();
  for (let i = tails.length ? tails[tails.length - 1] : -1; i >= 0; i = prev[i]) keep.add(i);
  return keep;
}

/**
 * Renders the rows in view; the others are spacers. Rows stay keyed by info hash
 * (a row and its focus follow a torrent); the rows of torrents leaving the view
 * are given to those coming in, where they are, and as few rows as can be are
 * moved: a row put elsewhere in the DOM has its style worked out anew, which
 * costs more than new text in it.
 */
function paint() {
  frame = 0;
  const scroller = wrap();
  const tbody = body();
  if (!scroller || scroller.hidden) return;
  const head = document.getElementById('torrent-head').offsetHeight;
  const top = Math.max(0, scroller.scrollTop - head);
  const first = Math.max(0, Math.floor(top / ROW_HEIGHT) - OVERSCAN);
  const visible = Math.ceil((scroller.clientHeight || window.innerHeight) / ROW_HEIGHT) + 2 * OVERSCAN;
  const last = Math.min(order.length, first + visible);
  const wanted = new Set();
  for (let i = first; i < last; i += 1) wanted.add(order[i].infoHash);
  // The rows of torrents gone from view, in the order they are in the DOM; one
  // holding the focus goes, so that the focus does not pass to another torrent.
  const spare = [];
  const focused = document.activeElement;
  for (const [hash, row] of rows) {
    if (wanted.has(hash)) continue;
    rows.delete(hash);
    if (row.el.contains(focused)) row.el.remove();
    else spare.push(row);
  }
  const place = new Map([...tbody.children].map((el, i) => [el, i]));
  spare.sort((a, b) => place.get(a.el) - place.get(b.el));
  const before = document.getElementById('rows-before');
  const after = document.getElementById('rows-after');
  before.style.height = `${first * ROW_HEIGHT}px`;
  after.style.height = `${(order.length - last) * ROW_HEIGHT}px`;
  before.hidden = first === 0;
  after.hidden = last === order.length;
  const inView = [];
  let given = 0;
  for (let i = first; i < last; i += 1) {
    const t = order[i];
    let row = rows.get(t.infoHash);
    if (!row && given < spare.length) {
      row = spare[given];
      given += 1;
      row.hash = t.infoHash;
      row.el.dataset.hash = t.infoHash;
      row.el.classList.remove('just-added');
    } else if (!row) {
      row = createRow(t.infoHash);
    }
    rows.set(t.infoHash, row);
    renderRow(row, t, i);
    inView.push(row);
  }
  for (let i = given; i < spare.length; i += 1) spare[i].el.remove();
  // The longest run of rows already in order stays; each other row is put just
  // before the one after it, from the last up (the rows still to be put come first).
  const stay = longestRun(inView.map((row) => place.get(row.el) ?? -1));
  let next = after;
  for (let i = inView.length - 1; i >= 0; i -= 1) {
    const { el } = inView[i];
    if (!stay.has(i) && el.nextSibling !== next) tbody.insertBefore(el, next);
    next = el;
  }
  if (before.nextSibling !== next) tbody.insertBefore(before, next);
  const all = document.getElementById('select-all');
  const chosen = selectionSize();
  all.checked = order.length > 0 && chosen >= order.length;
  all.indeterminate = chosen > 0 && chosen < order.length;
  setAttr(document.getElementById('torrent-table'), 'aria-rowcount', String(order.length + 1));
}

function schedule() {
  if (!frame) frame = requestAnimationFrame(paint);
}

/** Marks the rows of `touched` (info hashes; null: all rows) as to be drawn again. */
function outdate(touched) {
  if (touched === null) {
    for (const row of rows.values()) row.drawn = false;
  } else {
    for (const hash of touched) {
      const row = rows.get(hash);
      if (row) row.drawn = false;
    }
  }
}

/**
 * Shows `torrents` (filtered and sorted) in the table, now. `touched` (info
 * hashes; null: any) are the torrents changed since the last call: the other
 * rows in view only move.
 */
export function renderTable(torrents, touched = null) {
  order = torrents;
  indexOf = null;
  outdate(touched);
  paint();
}

/** Repaints the rows in view (after the selection changed). */
export function repaintTable() {
  outdate(null);
  paint();
}

/** Scrolls the table so that the row of `hash` is in view. */
export function revealRow(hash) {
  if (!indexOf) indexOf = new Map(order.map((t, i) => [t.infoHash, i]));
  const i = indexOf.get(hash);
  const scroller = wrap();
  if (i === undefined || !scroller) return;
  const head = document.getElementById('torrent-head').offsetHeight;
  const rowTop = head + i * ROW_HEIGHT;
  if (rowTop - head < scroller.scrollTop) scroller.scrollTop = rowTop - head;
  else if (rowTop + ROW_HEIGHT > scroller.scrollTop + scroller.clientHeight) scroller.scrollTop = rowTop + ROW_HEIGHT - scroller.clientHeight;
  paint();
}

/** The rendered row element of `hash`, if in view. */
export function rowElement(hash) {
  return rows.get(hash)?.el ?? null;
}

/**
 * Wires the table. `onRowClick(hash, event)`, `onOpen(hash, opener)`,
 * `onContext(hash, x, y)`, `onSelectAll(checked)`, `onSort()`,
 * `onCheck(hash)` are called on what the user does.
 */
export function setupTable(given) {
  handlers = given;
  columns = shownColumns();
  setupTableHead({
    onSelectAll: (checked) => handlers.onSelectAll(checked),
    onSort: () => handlers.onSort(),
    onColumns: columnsChanged,
  });
  wrap().addEventListener('scroll', schedule, { passive: true });
  window.addEventListener('resize', schedule);
  const tbody = body();
  tbody.addEventListener('click', (event) => {
    const tr = event.target.closest('tr.torrent-row');
    if (!tr) return;
    const hash = tr.dataset.hash;
    if (event.target.matches('input.row-check')) {
      handlers.onCheck(hash);
      return;
    }
    handlers.onRowClick(hash, event);
    if (event.target.closest('button.row-name')) handlers.onOpen(hash, event.target.closest('button.row-name'));
  });
  // A shift-click selects a range, not the text between.
  tbody.addEventListener('mousedown', (event) => {
    if (event.shiftKey && event.target.closest('tr.torrent-row')) event.preventDefault();
  });
  tbody.addEventListener('contextmenu', (event) => {
    const tr = event.target.closest('tr.torrent-row');
    if (!tr) return;
    event.preventDefault();
    handlers.onContext(tr.dataset.hash, event.clientX, event.clientY);
  });
}
