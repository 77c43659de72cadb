// The header of the torrent table and its column menu: a click on a heading
// sorts; dragging a heading moves its column (the menu's move buttons do it from
// the keyboard); dragging the edge of a heading resizes its column (arrow keys on
// that edge too; a double click gives back its width); the menu shows and hides
// columns. What is chosen is kept by columns.js; the rows are table.js's.

import { h, setAttr, setText } from './dom.js';
import {
  MIN_WIDTH, MAX_WIDTH, WIDTHS, columnWidth, moveColumn, orderedColumns, placeColumn, resetColumns,
  setColumnWidth, setSort, showColumn, shownColumns, sortOrder,
} from './columns.js';

// The width of the selection column, and the least left for the name (px).
const SELECT_WIDTH = 34;
const NAME_ROOM = 260;
// How far the pointer moves before a press on a heading becomes a drag (px).
const DRAG_START = 6;
// A step of the arrow keys on a column's edge (px); with Shift, a bigger one.
const KEY_STEP = 10;
const BIG_STEP = 50;

let handlers = {};
// A drag just ended: the click that follows it does not sort.
let swallowClick = false;

const head = () => document.getElementById('torrent-head');
const table = () => document.getElementById('torrent-table');

/** The table's least width: every column's width and room for the name. */
function fitTable() {
  const least = shownColumns().reduce((sum, c) => sum + (columnWidth(c.key) ?? 0), SELECT_WIDTH + NAME_ROOM);
  table().style.minWidth = `${least}px`;
}

function resizeHandle(c, th) {
  const handle = h('span', {
    class: 'col-resize', role: 'separator', tabindex: '0', 'aria-orientation': 'vertical',
    'aria-label': `Width of the ${c.label} column`, 'aria-valuemin': String(MIN_WIDTH), 'aria-valuemax': String(MAX_WIDTH),
    'aria-valuenow': String(columnWidth(c.key)), title: 'Drag to resize; double-click for the usual width',
  });
  const apply = (px, keep) => {
    const width = keep ? setColumnWidth(c.key, px) : Math.round(Math.min(MAX_WIDTH, Math.max(MIN_WIDTH, px)));
    th.style.width = `${width}px`;
    setAttr(handle, 'aria-valuenow', String(width));
    fitTable();
  };
  handle.addEventListener('pointerdown', (event) => {
    if (event.button !== 0) return;
    event.preventDefault();
    event.stopPropagation();
    const startX = event.clientX;
    const startWidth = th.getBoundingClientRect().width;
    let width = startWidth;
    th.classList.add('resizing');
    const move = (e) => {
      width = startWidth + e.clientX - startX;
      apply(width, false);
    };
    const end = () => {
      window.removeEventListener('pointermove', move);
      window.removeEventListener('pointerup', end);
      window.removeEventListener('pointercancel', end);
      th.classList.remove('resizing');
      apply(width, true);
    };
    window.addEventListener('pointermove', move);
    window.addEventListener('pointerup', end);
    window.addEventListener('pointercancel', end);
  });
  // Not a click on the heading's button beneath.
  handle.addEventListener('click', (event) => event.stopPropagation());
  handle.addEventListener('dblclick', () => apply(WIDTHS[c.key], true));
  handle.addEventListener('keydown', (event) => {
    const step = event.shiftKey ? BIG_STEP : KEY_STEP;
    const moves = { ArrowLeft: -step, ArrowRight: step };
    if (!(event.key in moves)) return;
    event.preventDefault();
    apply(columnWidth(c.key) + moves[event.key], true);
  });
  return handle;
}

/** Where a column dropped at `x` goes: `{th, before}`, the heading it lands on and on which side. */
function dropTarget(x) {
  const cells = [...head().querySelectorAll('th[data-key]')];
  for (const th of cells) {
    const box = th.getBoundingClientRect();
    if (x < box.right || th === cells.at(-1)) return { th, before: x < box.left + box.width / 2 };
  }
  return null;
}

function markDrop(target) {
  for (const th of head().querySelectorAll('th.drop-before, th.drop-after')) th.classList.remove('drop-before', 'drop-after');
  if (target) target.th.classList.add(target.before ? 'drop-before' : 'drop-after');
}

/** A press on heading `th` of column `key`: a drag moves the column where it is dropped. */
function startDrag(th, key, event) {
  if (event.button !== 0 || event.pointerType === 'touch') return;
  const startX = event.clientX;
  let dragging = false;
  let target = null;
  const move = (e) => {
    if (!dragging && Math.abs(e.clientX - startX) < DRAG_START) return;
    if (!dragging) {
      dragging = true;
      th.classList.add('dragging');
    }
    target = dropTarget(e.clientX);
    markDrop(target);
  };
  const end = (e) => {
    window.removeEventListener('pointermove', move);
    window.removeEventListener('pointerup', end);
    window.removeEventListener('pointercancel', end);
    if (!dragging) return;
    th.classList.remove('dragging');
    markDrop(null);
    swallowClick = true;
    setTimeout(() => { swallowClick = false; }, 0);
    if (e.type !== 'pointerup' || !target || target.th === th) return;
    const onto = target.th.dataset.key;
    if (target.before) {
      placeColumn(key, onto);
    } else {
      const order = orderedColumns().map((c) => c.key).filter((k) => k !== key);
      placeColumn(key, order[order.indexOf(onto) + 1] ?? null);
    }
    changed();
  };
  window.addEventListener('pointermove', move);
  window.addEventListener('pointerup', end);
  window.addEventListener('pointercancel', end);
}

function headCells() {
  const { key: sortKey, desc } = sortOrder();
  const all = h('input', { type: 'checkbox', id: 'select-all', 'aria-label': 'Select all the torrents shown' });
  all.addEventListener('change', () => handlers.onSelectAll(all.checked));
  const cells = [h('th', { scope: 'col', class: 'col-select' }, all)];
  for (const c of shownColumns()) {
    const sorted = c.key === sortKey;
    const button = h('button', { type: 'button', class: 'sort', 'data-key': c.key, title: c.title }, c.label,
      h('span', { class: 'sort-mark', 'aria-hidden': 'true' }, sorted ? (desc ? ' ▼' : ' ▲') : ''));
    button.addEventListener('click', () => {
      const now = sortOrder();
      setSort(c.key, now.key === c.key ? !now.desc : false);
      markSort();
      handlers.onSort();
    });
    const th = h('th', {
      scope: 'col', class: `col-${c.key}${c.num ? ' num' : ''}`, 'data-key': c.key,
      'aria-sort': sorted ? (desc ? 'descending' : 'ascending') : null,
    }, button);
    const width = columnWidth(c.key);
    if (width !== undefined) {
      th.style.width = `${width}px`;
      th.append(resizeHandle(c, th));
    }
    th.addEventListener('pointerdown', (event) => startDrag(th, c.key, event));
    cells.push(th);
  }
  return cells;
}

/**
 * Shows the sort chosen on the headings there are (rather than building them
 * again: the button clicked keeps the focus, and the table its layout).
 */
function markSort() {
  const { key: sortKey, desc } = sortOrder();
  for (const th of head().querySelectorAll('th[data-key]')) {
    const sorted = th.dataset.key === sortKey;
    setAttr(th, 'aria-sort', sorted ? (desc ? 'descending' : 'ascending') : null);
    const mark = th.querySelector('.sort-mark');
    if (mark) setText(mark, sorted ? (desc ? ' ▼' : ' ▲') : '');
  }
}

/** Builds the header from the columns chosen. */
export function renderHead() {
  head().replaceChildren(...headCells());
  fitTable();
}

/** After a change of the columns: the header, the menu and the rows again. */
function changed(focus) {
  renderHead();
  renderColumnMenu();
  handlers.onColumns();
  if (focus) document.querySelector(`#columns-menu ${focus}`)?.focus();
}

function menuRow(c, shown, index, count) {
  const box = h('input', { type: 'checkbox', name: c.key });
  box.checked = shown;
  box.disabled = c.key === 'name';
  box.addEventListener('change', () => {
    showColumn(c.key, box.checked);
    changed(`input[name="${c.key}"]`);
  });
  const mover = (step, text, label) => {
    const button = h('button', {
      type: 'button', class: 'small move', 'data-key': c.key, 'data-step': String(step),
      'aria-label': `Move ${c.label} ${label}`, title: `Move ${label}`,
    }, text);
    button.disabled = step < 0 ? index === 0 : index === count - 1;
    button.addEventListener('click', () => {
      if (!moveColumn(c.key, step)) return;
      const self = `button.move[data-key="${c.key}"][data-step="${step}"]`;
      const other = `button.move[data-key="${c.key}"][data-step="${-step}"]`;
      changed(self);
      if (document.querySelector(self)?.disabled) document.querySelector(other)?.focus();
    });
    return button;
  };
  return h('div', { class: 'column-row' }, h('label', { class: 'check' }, box, ` ${c.label}`),
    mover(-1, '←', 'left'), mover(1, '→', 'right'));
}

function renderColumnMenu() {
  const menu = document.getElementById('columns-menu');
  const shown = new Set(shownColumns().map((c) => c.key));
  const all = orderedColumns();
  const reset = h('button', { type: 'button', class: 'small', id: 'columns-reset' }, 'Reset columns');
  reset.addEventListener('click', () => {
    resetColumns();
    changed('#columns-reset');
  });
  // A column shown moves among those shown; a hidden one among all.
  const shownKeys = [...shown];
  const allKeys = all.map((c) => c.key);
  const rows = all.map((c) => {
    const among = shown.has(c.key) ? shownKeys : allKeys;
    return menuRow(c, shown.has(c.key), among.indexOf(c.key), among.length);
  });
  menu.replaceChildren(
    h('p', { class: 'hint' }, 'Columns shown, in their order (drag a heading to move it, its edge to resize it)'),
    ...rows,
    reset,
  );
}

/**
 * Wires the header and the menu: `onSelectAll(checked)`, `onSort()` after a sort,
 * `onColumns()` after the columns changed (shown, order or reset).
 */
export function setupTableHead(given) {
  handlers = given;
  renderHead();
  renderColumnMenu();
  // The click that ends a drag is no sort.
  head().addEventListener('click', (event) => {
    if (!swallowClick) return;
    swallowClick = false;
    event.stopPropagation();
    event.preventDefault();
  }, true);
}
