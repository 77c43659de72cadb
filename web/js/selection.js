// The torrents selected in the list, by info hash: one by a click, one more or
// less by ctrl/cmd-click or a checkbox, a range by shift-click, or all those the
// filters show. The anchor is where a range starts; the cursor is where the arrow
// keys move from (the other end of a range Shift extends). Listeners hear of each
// change. No DOM.

const selected = new Set();
let anchor = null;
let cursor = null;
const listeners = new Set();

function changed() {
  for (const fn of listeners) fn();
}

/** Calls `fn()` after each change of the selection. */
export function onSelection(fn) {
  listeners.add(fn);
}

/** The selected info hashes, in `order` (the list as shown) when given. */
export function selectedHashes(order) {
  if (!order) return [...selected];
  return order.filter((hash) => selected.has(hash));
}

export function isSelected(hash) {
  return selected.has(hash);
}

export function selectionSize() {
  return selected.size;
}

/** Where a range starts. */
export function anchorHash() {
  return anchor;
}

/** The row the arrow keys move from: the last one clicked or moved to. */
export function cursorHash() {
  return cursor ?? anchor;
}

/** Selects from the anchor to `hash` among `order` (Shift with an arrow); `hash` becomes the cursor. */
export function extendSelection(hash, order) {
  if (!anchor || !order.includes(anchor)) anchor = hash;
  const from = order.indexOf(anchor);
  const to = order.indexOf(hash);
  selected.clear();
  for (let i = Math.min(from, to); i <= Math.max(from, to); i += 1) selected.add(order[i]);
  cursor = hash;
  changed();
}

/**
 * A click on `hash` among `order` (the hashes shown): `toggle` (ctrl/cmd)
 * adds or removes it, `range` (shift) selects from the anchor to it, otherwise
 * it alone is selected.
 */
export function clickSelect(hash, { toggle = false, range = false } = {}, order = []) {
  if (range && anchor && order.includes(anchor)) {
    const from = order.indexOf(anchor);
    const to = order.indexOf(hash);
    if (!toggle) selected.clear();
    for (let i = Math.min(from, to); i <= Math.max(from, to); i += 1) selected.add(order[i]);
    cursor = hash;
  } else if (toggle) {
    if (selected.has(hash)) selected.delete(hash);
    else selected.add(hash);
    anchor = hash;
    cursor = hash;
  } else {
    selected.clear();
    selected.add(hash);
    anchor = hash;
    cursor = hash;
  }
  changed();
}

/** Selects exactly `hashes`. */
export function selectAll(hashes) {
  selected.clear();
  for (const hash of hashes) selected.add(hash);
  changed();
}

export function clearSelection() {
  if (selected.size === 0) return;
  selected.clear();
  changed();
}

/** Keeps only the hashes in `shown` (a Set): what the filters hide is not acted on. */
export function pruneSelection(shown) {
  let dropped = false;
  for (const hash of selected) {
    if (!shown.has(hash)) {
      selected.delete(hash);
      dropped = true;
    }
  }
  if (anchor && !shown.has(anchor)) anchor = null;
  if (cursor && !shown.has(cursor)) cursor = null;
  if (dropped) changed();
}
