// The dialog that asks for the download and upload limits of selected torrents,
// in KiB/s: filled with their limits when they all share them, an empty field
// leaves that limit as each torrent has it, 0 removes a torrent's own limit (the
// global limits still apply).

import { setText } from './dom.js';

const KIB = 1024;

/** The value shared by every torrent for `key` (bytes/s), or null when they differ. */
function shared(torrents, key) {
  const values = new Set(torrents.map((t) => t?.[key] ?? 0));
  return values.size === 1 ? [...values][0] : null;
}

/** A field's limit in bytes/s: undefined when empty (unchanged), null when invalid. */
function read(input) {
  const text = input.value.trim();
  if (text === '') return undefined;
  const kib = Number(text);
  if (!Number.isFinite(kib) || kib < 0) return null;
  return Math.round(kib * KIB);
}

/**
 * Asks for the limits of `torrents` (their live state); `title` heads the dialog.
 * Resolves to the PATCH body (`{downloadLimit?, uploadLimit?}`, bytes/s), or null
 * when cancelled or nothing is to change.
 */
export function askLimits(title, torrents) {
  const dialog = document.getElementById('limits-dialog');
  const down = document.getElementById('limits-down');
  const up = document.getElementById('limits-up');
  const status = document.getElementById('limits-status');
  setText(document.getElementById('limits-h'), title);
  setText(status, '');
  for (const [input, key] of [[down, 'downloadLimit'], [up, 'uploadLimit']]) {
    const value = shared(torrents, key);
    input.value = value === null ? '' : String(Math.round((value / KIB) * 100) / 100);
    input.placeholder = value === null ? 'they differ: unchanged' : 'unchanged';
  }
  dialog.returnValue = '';
  const form = dialog.querySelector('form');
  // Refuses to close on a value that is no limit, and says why.
  form.onsubmit = (event) => {
    if (event.submitter?.value !== 'ok') return;
    if (read(down) === null || read(up) === null) {
      event.preventDefault();
      setText(status, 'A limit is a number of KiB/s, 0 or more.');
    }
  };
  return new Promise((resolve) => {
    dialog.onclose = () => {
      if (dialog.returnValue !== 'ok') return resolve(null);
      const change = {};
      const downLimit = read(down);
      const upLimit = read(up);
      if (downLimit !== undefined) change.downloadLimit = downLimit;
      if (upLimit !== undefined) change.uploadLimit = upLimit;
      return resolve(Object.keys(change).length > 0 ? change : null);
    };
    dialog.showModal();
  });
}
