// Keyboard shortcuts of the torrent list: / focuses the text filter, a the add
// field, the arrows move the selection (with Shift they extend it), Enter opens
// the details, space starts or stops, Delete asks to remove, the menu key or
// Shift+F10 opens the context menu of the focused row (else of the selection),
// ? lists them. None acts while typing in a field, while a dialog is open or
// when the focus is in the details pane or a menu.

import { focusTextFilter } from './filters.js';
import { clickSelect, cursorHash, extendSelection, isSelected, selectedHashes } from './selection.js';
import { askRemoveMany, toggleRunning } from './bulk.js';

function typing(target) {
  return target instanceof Element
    && (target.closest('input, textarea, select, [contenteditable=""], [contenteditable="true"]') !== null);
}

/** Whether `event` asks for a context menu: the menu key, or Shift+F10. */
function menuKey(event) {
  return event.key === 'ContextMenu' || (event.key === 'F10' && event.shiftKey);
}

/** Focuses the field that adds torrents (magnet, info hash, URL or search). */
function focusAdd() {
  const input = document.getElementById('omni-input');
  input.scrollIntoView({ block: 'nearest' });
  input.focus();
  input.select();
}

/** The row or card `target` is in, as an info hash. */
function rowOf(target) {
  return target instanceof Element ? target.closest('tr.torrent-row, li.torrent')?.dataset.hash ?? null : null;
}

/** Moves the cursor one row up or down; with `extend`, the selection follows from the anchor. */
function step(hashes, down, extend, reveal) {
  const at = hashes.indexOf(cursorHash());
  let next;
  if (at < 0) next = down ? 0 : hashes.length - 1;
  else next = Math.min(hashes.length - 1, Math.max(0, at + (down ? 1 : -1)));
  if (extend) extendSelection(hashes[next], hashes);
  else clickSelect(hashes[next], {}, hashes);
  reveal(hashes[next]);
}

/**
 * Wires the keys. `order()` gives the info hashes shown, in order; `reveal(hash)`
 * brings one into view; `open(hash)` opens its details; `menu(hash)` opens the
 * context menu of a row (of the selection when it holds it) beside the row.
 */
export function setupShortcuts({ order, reveal, open, menu }) {
  const help = document.getElementById('shortcuts-dialog');
  document.getElementById('shortcuts-button').addEventListener('click', () => help.showModal());
  document.addEventListener('keydown', (event) => {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    const target = event.target;
    if (document.querySelector('dialog[open]')) return;
    if (target instanceof Element && target.closest('#details, #context-menu, #columns-menu, .rates-pop')) return;
    // The menu key on a row's checkbox is for the row; in a text field, for the field.
    if (menuKey(event) && (!typing(target) || target.matches('input[type="checkbox"]'))) {
      const hash = rowOf(target) ?? (isSelected(cursorHash()) ? cursorHash() : selectedHashes(order())[0]);
      if (!hash || !order().includes(hash)) return;
      event.preventDefault();
      menu(hash);
      return;
    }
    if (typing(target)) return;
    // Space and Enter on a button press the button.
    const onButton = target instanceof Element && target.closest('button, a[href], summary, label');
    const key = event.key;
    if (key === '/') {
      event.preventDefault();
      focusTextFilter();
    } else if (key === 'a' && !event.shiftKey) {
      event.preventDefault();
      focusAdd();
    } else if (key === '?') {
      event.preventDefault();
      help.showModal();
    } else if (key === 'ArrowDown' || key === 'ArrowUp') {
      const hashes = order();
      if (hashes.length === 0) return;
      event.preventDefault();
      step(hashes, key === 'ArrowDown', event.shiftKey, reveal);
    } else if (key === ' ' && !onButton) {
      const hashes = selectedHashes(order());
      if (hashes.length === 0) return;
      event.preventDefault();
      toggleRunning(hashes);
    } else if (key === 'Delete') {
      const hashes = selectedHashes(order());
      if (hashes.length === 0) return;
      event.preventDefault();
      askRemoveMany(hashes);
    } else if (key === 'Enter' && !onButton) {
      const hash = cursorHash();
      if (!hash || !order().includes(hash)) return;
      event.preventDefault();
      open(hash);
    }
  });
}
