// The General tab of the details pane: where the torrent's data is, its size and
// pieces, info hash and magnet link (with Copy), times, transfer counters,
// category, tags and errors. Only the fields the torrent's JSON has are shown.

import { api, torrentPath } from './api.js';
import { h, setText } from './dom.js';
import { bytes, date, duration, percent, runningSeconds, stateText } from './format.js';
import { copyText } from './media.js';
import { placeText } from './placement.js';

// [label, the field it needs, its text]; a field the torrent lacks (or null, for
// those marked `optional`) hides its row. The pieces and the magnet link are
// filled in apart.
const FIELDS = [
  ['State', 'state', (t) => stateText(t) + (t.dormant ? ' (dormant: out of the engine until a peer comes)' : '')
    + (t.seedLimitReached ? ' (seeding limit reached)' : '')],
  ['Error', 'error', (t) => t.error, { optional: true, error: true }],
  ['Last move failed', 'moveError', (t) => t.moveError, { optional: true, error: true }],
  ['Progress', 'progress', (t) => `${percent(t.progress)} (${bytes(t.completed)} of ${bytes(t.size)})`],
  ['Size', 'size', (t) => `${bytes(t.size)} selected`],
  ['Pieces', null, null],
  ['Save path', 'savePath', (t) => placeText(t.savePath)],
  ['Content path', 'contentPath', (t) => placeText(t.contentPath)],
  ['Info hash', 'infoHash', (t) => t.infoHash],
  ['Magnet', 'magnet', null],
  ['Added', 'addedAt', (t) => date(t.addedAt) || '—'],
  ['Completed', 'completedAt', (t) => date(t.completedAt) || 'Not yet'],
  ['Downloaded', 'downloaded', (t) => bytes(t.downloaded)],
  ['Uploaded', 'uploaded', (t) => bytes(t.uploaded)],
  ['Ratio', 'ratio', (t) => (Number.isFinite(t.ratio) ? t.ratio.toFixed(2) : '—')],
  ['Seeding time', 'seedingTime', (t) => duration(runningSeconds(t.seedingTime, t.seedingSince))],
  ['Active time', 'activeTime', (t) => duration(runningSeconds(t.activeTime, t.activeSince))],
  ['Last activity', 'lastActivity', (t) => date(t.lastActivity) || 'None yet'],
  ['Peers', 'peers', (t) => String(t.peers)],
  ['Category', 'category', (t) => t.category || 'None'],
  ['Tags', 'tags', (t) => (t.tags?.length ? t.tags.join(', ') : 'None')],
  ['Private', 'private', (t) => (t.private ? 'Yes: peers come only from its trackers' : 'No')],
  ['Comment', 'comment', (t) => t.comment, { optional: true }],
  ['Created by', 'createdBy', (t) => t.createdBy, { optional: true }],
  ['Created', 'createdAt', (t) => date(t.createdAt), { optional: true }],
];

/** The General tab in `panel`. */
export function generalTab(panel) {
  const rows = new Map();
  const list = h('dl', { class: 'fields' });
  const magnet = h('input', { type: 'text', class: 'magnet', readonly: true, spellcheck: 'false', 'aria-label': 'Magnet link' });
  const copy = h('button', { type: 'button', class: 'small copy', 'aria-label': 'Copy the magnet link', onclick: () => copyText(magnet, copy) }, 'Copy');
  const pieces = h('span', {});
  for (const [label, key, , options = {}] of FIELDS) {
    const dt = h('dt', {}, label);
    let dd;
    if (label === 'Magnet') dd = h('dd', { class: 'magnet-row' }, magnet, copy);
    else if (label === 'Pieces') dd = h('dd', {}, pieces);
    else dd = h('dd', { class: options.error ? 'error' : null });
    rows.set(label, { dt, dd, key });
    list.append(dt, dd);
  }
  panel.append(list);
  // The piece count and length of the torrent shown, once known.
  let known = null;

  function render(t) {
    for (const [label, key, text, options = {}] of FIELDS) {
      const row = rows.get(label);
      const hidden = key !== null && (!(key in t) || (options.optional && !t[key]));
      row.dt.hidden = hidden;
      row.dd.hidden = hidden;
      if (hidden || !text) continue;
      setText(row.dd, text(t));
    }
    if (typeof t.magnet === 'string' && magnet.value !== t.magnet) magnet.value = t.magnet;
    if (known?.hash !== t.infoHash) setText(pieces, 'Not known yet: they come with the metadata.');
  }

  /** Asks for the piece count and length until they are known. */
  async function poll(hash, live) {
    if (known?.hash === hash) return;
    try {
      const answer = await api('GET', torrentPath(hash, 'pieces'));
      if (!live()) return;
      known = { hash, text: `${answer.count} × ${bytes(answer.pieceLength)}` };
      setText(pieces, known.text);
    } catch (error) {
      if (live() && error.status !== 409) setText(pieces, `Not known: ${error.message}`);
    }
  }

  function reset() {
    known = null;
    setText(pieces, '');
  }

  return { render, poll, reset, every: 2000 };
}
