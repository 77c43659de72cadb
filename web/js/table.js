// The torrent table of wide screens: one row per torrent, with the columns chosen
// (the header and the column menu are table-head.js's). Only the rows in view (and
// a few more) are in the DOM: rows have a fixed height, and two spacer rows stand
// for the others, so ten thousand torrents scroll as fast as ten. Rows are keyed
// by info hash and updated in place. What a click on a row does (selection,
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

function renderRow(row, t, index) {
  row.torrent = t;
  setAttr(row.el, 'aria-rowindex', String(index + 2));
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

/** Renders the rows in view; the others are spacers. */
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
  for (const [hash, row] of rows) {
    if (!wanted.has(hash)) {
      row.el.remove();
      rows.delete(hash);
    }
  }
  const before = document.getElementById('rows-before');
  const after = document.getElementById('rows-after');
  before.style.height = `${first * ROW_HEIGHT}px`;
  after.style.height = `${(order.length - last) * ROW_HEIGHT}px`;
  before.hidden = first === 0;
  after.hidden = last === order.length;
  let previous = before;
  for (let i = first; i < last; i += 1) {
    const t = order[i];
    let row = rows.get(t.infoHash);
    if (!row) {
      row = createRow(t.infoHash);
      rows.set(t.infoHash, row);
    }
    renderRow(row, t, i);
    if (previous.nextSibling !== row.el) tbody.insertBefore(row.el, previous.nextSibling);
    previous = row.el;
  }
  if (previous.nextSibling !== after) tbody.insertBefore(after, previous.nextSibling);
  const all = document.getElementById('select-all');
  const chosen = selectionSize();
  all.checked = order.length > 0 && chosen >= order.length;
  all.indeterminate = chosen > 0 && chosen < order.length;
  setAttr(document.getElementById('torrent-table'), 'aria-rowcount', String(order.length + 1));
}

function schedule() {
  if (!frame) frame = requestAnimationFrame(paint);
}

/** Shows `torrents` (filtered and sorted) in the table, now. */
export function renderTable(torrents) {
  order = torrents;
  indexOf = null;
  paint();
}

/** Repaints the rows in view (after the selection changed). */
export function repaintTable() {
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
