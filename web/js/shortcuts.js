// Keyboard shortcuts of the torrent list: / focuses the text filter, the arrows
// move the selection, Enter opens the details, space starts or stops, Delete asks
// to remove, ? lists them. None acts while typing in a field, while a dialog is
// open or when the focus is in the details pane.

import { focusTextFilter } from './filters.js';
import { anchorHash, clickSelect, selectedHashes } from './selection.js';
import { askRemoveMany, toggleRunning } from './bulk.js';

function typing(target) {
  return target instanceof Element
    && (target.closest('input, textarea, select, [contenteditable=""], [contenteditable="true"]') !== null);
}

/**
 * Wires the keys. `order()` gives the info hashes shown, in order; `reveal(hash)`
 * brings one into view; `open(hash)` opens its details.
 */
export function setupShortcuts({ order, reveal, open }) {
  const help = document.getElementById('shortcuts-dialog');
  document.getElementById('shortcuts-button').addEventListener('click', () => help.showModal());
  document.addEventListener('keydown', (event) => {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    const target = event.target;
    if (typing(target) || document.querySelector('dialog[open]')) return;
    if (target instanceof Element && target.closest('#details, #context-menu, #columns-menu, .rates-pop')) return;
    // Space and Enter on a button press the button.
    const onButton = target instanceof Element && target.closest('button, a[href], summary, label');
    const key = event.key;
    if (key === '/') {
      event.preventDefault();
      focusTextFilter();
    } else if (key === '?') {
      event.preventDefault();
      help.showModal();
    } else if (key === 'ArrowDown' || key === 'ArrowUp') {
      const hashes = order();
      if (hashes.length === 0) return;
      event.preventDefault();
      const at = hashes.indexOf(anchorHash());
      let next;
      if (at < 0) next = key === 'ArrowDown' ? 0 : hashes.length - 1;
      else next = Math.min(hashes.length - 1, Math.max(0, at + (key === 'ArrowDown' ? 1 : -1)));
      clickSelect(hashes[next], {}, hashes);
      reveal(hashes[next]);
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
      const hash = anchorHash();
      if (!hash || !order().includes(hash)) return;
      event.preventDefault();
      open(hash);
    }
  });
}
