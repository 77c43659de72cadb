// The torrent list: on wide screens a table (table.js), on phones (or when
// chosen) one card per torrent, keyed by info hash and updated in place, so
// expanded cards, focus and checkboxes survive updates. Both show the torrents
// the filters pass, in the order chosen (columns.js); cards are shown a page at
// a time. Rates on cards are smoothed over a few seconds, the ETA follows the
// smoothed rate, and a torrent just added is brought into view. The selection,
// the toolbar acting on it, the context menu and the keys are wired here too.

import { api, torrentPath } from './api.js';
import { askRemoveMany, longPress, openContextMenu, setupBulk } from './bulk.js';
import { COLUMNS, setSort, sortOrder } from './columns.js';
import { openDetails } from './details.js';
import { h, setAttr, setText } from './dom.js';
import { countText, filtering, matches, renderFilters, setupFilters } from './filters.js';
import { bytes, duration, percent, rate, runningSeconds, stateText } from './format.js';
import { listOrder } from './list-order.js';
import { mediaKind, playButton } from './media.js';
import { onCategories } from './organise.js';
import { drawPieceBar } from './pieces.js';
import { placementChips, placementForm, renderPlacement } from './placement.js';
import { SmoothedRate, etaSeconds } from './rates.js';
import {
  clearSelection, clickSelect, isSelected, onSelection, pruneSelection, selectAll, selectedHashes, selectionSize,
} from './selection.js';
import { setupShortcuts } from './shortcuts.js';
import { renderTable, repaintTable, revealRow, rowElement, setupTable } from './table.js';
import { showMessage } from './toast.js';

const cards = new Map();
const list = () => document.getElementById('torrents');
let lastState = null;
// The torrents the filters pass, in the order chosen, and their info hashes.
let shown = [];
let shownHashes = [];
// Cards shown at first, and added by "Show more".
const PAGE = 200;
let cardLimit = PAGE;
// The table from this width on (unless cards are chosen); cards below. Set up
// with the list, so that node can import this module.
let wide = null;
const VIEW_STORE = 'torrent-view';
// Whether the filters' counts follow the torrents and categories shown last.
let countsShown = false;
// The info hash of a torrent just added, brought into view once its card exists.
let toReveal = null;
// How long a card just added stays highlighted (ms).
const HIGHLIGHT = 4000;
// States in which a torrent transfers; the others show no rates.
const RUNNING = new Set(['downloading', 'metadata', 'seeding']);

async function run(button, work) {
  button.disabled = true;
  try {
    await work();
  } catch (error) {
    showMessage(error.message);
  } finally {
    button.disabled = false;
  }
}

function askRemove(card) {
  askRemoveMany([card.hash]);
}

async function copyMagnet(card) {
  const text = card.magnet.value;
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    card.magnet.select();
    document.execCommand?.('copy');
  }
  setText(card.copy, 'Copied');
  setTimeout(() => setText(card.copy, 'Copy'), 1500);
}

async function chooseFiles(card) {
  const selected = [...card.fileRows.values()].filter((r) => r.check.checked).map((r) => r.index);
  try {
    await api('PUT', torrentPath(card.hash, 'files'), { selected });
  } catch (error) {
    showMessage(error.message);
    renderFiles(card, card.torrent, true);
  }
}

/** PATCHes the torrent's options; shows the server's error when it refuses. */
async function patchTorrent(card, change) {
  try {
    await api('PATCH', torrentPath(card.hash), change);
  } catch (error) {
    showMessage(error.message);
  }
}

/** The seeding limits form of a card: empty follows the global setting. */
function limitsForm(card) {
  const field = (name, label, step) => h('label', {}, label,
    h('input', { name, type: 'number', min: '-1', step, placeholder: 'global' }));
  card.limits = h('form', {
    class: 'limits',
    onsubmit: (event) => {
      event.preventDefault();
      const change = {};
      for (const name of ['seedRatioLimit', 'seedTimeLimit', 'seedIdleLimit']) {
        const text = card.limits.elements[name].value.trim();
        change[name] = text === '' ? null : Number(text);
      }
      for (const name of ['downloadLimit', 'uploadLimit']) {
        const text = card.limits.elements[name].value.trim();
        change[name] = text === '' ? 0 : Math.round(Number(text) * 1024);
      }
      card.limitsDirty = false;
      run(card.limitsSave, () => patchTorrent(card, change));
    },
    oninput: () => { card.limitsDirty = true; },
  },
  h('p', { class: 'hint' }, 'Limits of this torrent (empty: only the global ones; -1: no seeding limit)'),
  h('label', {}, 'Download KiB/s', h('input', { name: 'downloadLimit', type: 'number', min: '0', step: '1', placeholder: 'global' })),
  h('label', {}, 'Upload KiB/s', h('input', { name: 'uploadLimit', type: 'number', min: '0', step: '1', placeholder: 'global' })),
  field('seedRatioLimit', 'Ratio', '0.01'),
  field('seedTimeLimit', 'Seeding minutes', '1'),
  field('seedIdleLimit', 'Idle minutes', '1'),
  card.limitsSave = h('button', { type: 'submit' }, 'Save limits'));
  return card.limits;
}

// The queue buttons: movement, its accessible name (for a torrent's name) and text.
const MOVES = [
  ['top', (name) => `Move ${name} to the top of the queue`, 'Top'],
  ['up', (name) => `Move ${name} up the queue`, 'Up'],
  ['down', (name) => `Move ${name} down the queue`, 'Down'],
  ['bottom', (name) => `Move ${name} to the bottom of the queue`, 'Bottom'],
];

function queueButtons(card) {
  card.moves = MOVES.map(([movement, , text]) => h('button', {
    type: 'button', class: `queue-${movement}`,
    onclick: (event) => run(event.currentTarget, () => api('POST', torrentPath(card.hash, 'queue'), { move: movement })),
  }, text));
  card.queue = h('div', { class: 'queue row', role: 'group', 'aria-label': 'Place in the queue', hidden: true },
    h('span', { class: 'hint' }, 'Queue:'), ...card.moves);
  return card.queue;
}

/** Names the card's buttons after its torrent, so that each is told apart from the other cards'. */
function nameButtons(card, name) {
  if (card.labelledAs === name) return;
  card.labelledAs = name;
  setAttr(card.expand, 'aria-label', `Show the files and magnet link of ${name}`);
  setAttr(card.check, 'aria-label', `Select ${name}`);
  setAttr(card.start, 'aria-label', `Start ${name}`);
  setAttr(card.stop, 'aria-label', `Stop ${name}`);
  setAttr(card.remove, 'aria-label', `Remove ${name}`);
  setAttr(card.open, 'aria-label', `Details of ${name}`);
  setAttr(card.copy, 'aria-label', `Copy the magnet link of ${name}`);
  setAttr(card.magnet, 'aria-label', `Magnet link of ${name}`);
  setAttr(card.playlist, 'aria-label', `Playlist (.m3u) of ${name}`);
  setAttr(card.torrentFile, 'aria-label', `The .torrent file of ${name}`);
  setAttr(card.limitsSave, 'aria-label', `Save limits of ${name}`);
  setAttr(card.place.save, 'aria-label', `Save the category, tags and save path of ${name}`);
  card.moves.forEach((button, i) => setAttr(button, 'aria-label', MOVES[i][1](name)));
}

/** Shows the smoothed rates and the ETA they give. */
function renderRates(card, now) {
  const t = card.torrent;
  const down = card.downRate.value(now);
  setText(card.down, `↓ ${rate(down)}`);
  setText(card.up, `↑ ${rate(card.upRate.value(now))}`);
  let eta = '';
  if (t.state === 'metadata') eta = `ETA ${duration(null)}`;
  else if (t.state === 'downloading') eta = `ETA ${duration(etaSeconds(t.size - t.completed, down))}`;
  setText(card.eta, eta);
}

/** Brings the card or row of a torrent just added into view and highlights it for a moment. */
function reveal(hash) {
  toReveal = null;
  if (!shownHashes.includes(hash)) return;
  let el;
  if (tableShown()) {
    revealRow(hash);
    el = rowElement(hash);
  } else {
    el = cards.get(hash)?.el;
    if (!el?.isConnected) return;
    const still = window.matchMedia('(prefers-reduced-motion: reduce)').matches;
    el.scrollIntoView({ block: 'center', behavior: still ? 'auto' : 'smooth' });
  }
  if (!el) return;
  el.classList.add('just-added');
  setTimeout(() => el.classList.remove('just-added'), HIGHLIGHT);
}

/**
 * Says that a torrent was added ("Added …", or "Already there: …" when the
 * server had it: 200 rather than 201) and brings it into view. `answer` is
 * `{status, body}` of the request that added it; `fallback` names it when the
 * answer does not; `subject` is that of the message (see showMessage).
 */
export function announceAdded(answer, fallback, subject = `added ${fallback}`) {
  const torrent = answer?.body ?? {};
  const name = torrent.name || fallback;
  const text = answer?.status === 200 ? `Already there: ${name}` : `Added ${name}`;
  const hidden = Boolean(torrent.infoHash) && !matches(torrent);
  showMessage(hidden ? `${text} (hidden by the filters)` : text, 'info', subject);
  if (!torrent.infoHash) return;
  toReveal = torrent.infoHash;
  if (lastState?.torrents?.[toReveal]) reveal(toReveal);
}

function createCard(hash) {
  const card = { hash, fileRows: new Map() };
  card.name = h('span', { class: 'name' });
  card.expand = h('button', {
    type: 'button', class: 'expand', 'aria-expanded': 'false', onclick: () => toggle(card),
  }, h('span', { class: 'chevron', 'aria-hidden': 'true' }));
  card.badge = h('span', { class: 'badge' });
  card.bar = h('div', { class: 'bar' });
  card.progress = h('div', { class: 'progress', role: 'progressbar', 'aria-valuemin': '0', 'aria-valuemax': '100' }, card.bar);
  card.pct = h('span', { class: 'pct' });
  card.size = h('span', { class: 'size' });
  card.down = h('span', { class: 'down', title: 'Download rate' });
  card.up = h('span', { class: 'up', title: 'Upload rate' });
  card.peers = h('span', { class: 'peers' });
  card.eta = h('span', { class: 'eta' });
  card.downRate = new SmoothedRate();
  card.upRate = new SmoothedRate();
  card.error = h('p', { class: 'error', hidden: true });
  card.start = h('button', { type: 'button', class: 'start', onclick: () => run(card.start, () => api('POST', torrentPath(hash, 'start'))) }, 'Start');
  card.stop = h('button', { type: 'button', class: 'stop', onclick: () => run(card.stop, () => api('POST', torrentPath(hash, 'stop'))) }, 'Stop');
  card.remove = h('button', { type: 'button', class: 'remove danger', onclick: () => askRemove(card) }, 'Remove');
  card.open = h('button', {
    type: 'button', class: 'details-open', 'aria-controls': 'details', 'aria-expanded': 'false',
    onclick: () => openDetails(hash, card.open),
  }, 'Details');
  card.magnet = h('input', { type: 'text', class: 'magnet', readonly: true, 'aria-label': 'Magnet link' });
  card.copy = h('button', { type: 'button', class: 'copy', onclick: () => copyMagnet(card) }, 'Copy');
  // Its .torrent, announcing to its trackers as they are now (none before the metadata).
  card.torrentFile = h('a', { href: torrentPath(hash, 'torrent'), class: 'torrent-file', download: '', hidden: true }, '.torrent');
  card.files = h('ul', { class: 'files' });
  card.filesNote = h('p', { class: 'hint' });
  // Absolute stream URLs in the playlist: players cannot resolve relative ones, and
  // `base` keeps the sub-path a reverse proxy serves this page under.
  const base = new URL('.', window.location.href).href;
  card.playlist = h('a', {
    href: `${torrentPath(hash, 'playlist.m3u')}?base=${encodeURIComponent(base)}`,
    class: 'playlist', download: '', hidden: true,
  }, 'Playlist (.m3u)');
  card.force = h('input', {
    type: 'checkbox', class: 'force',
    onchange: () => patchTorrent(card, { forceStart: card.force.checked }),
  });
  card.sequential = h('input', {
    type: 'checkbox', class: 'sequential',
    onchange: () => patchTorrent(card, { sequential: card.sequential.checked }),
  });
  card.edges = h('input', {
    type: 'checkbox', class: 'edges',
    onchange: () => patchTorrent(card, { firstLastPiecesFirst: card.edges.checked }),
  });
  card.counters = h('p', { class: 'counters hint' });
  card.pieces = h('canvas', { class: 'pieces', height: '10', role: 'img', 'aria-label': 'Pieces held', hidden: true });
  card.details = h('div', { class: 'details', hidden: true },
    h('div', { class: 'magnet-row' }, card.magnet, card.copy, card.torrentFile),
    card.pieces,
    card.counters,
    placementForm(card),
    h('label', { class: 'check' }, card.force, ' Force start (ignore the queue and seeding limits)'),
    h('label', { class: 'check' }, card.sequential, ' Download in order (for previews while it downloads)'),
    h('label', { class: 'check' }, card.edges, ' First and last pieces of each file first'),
    queueButtons(card),
    limitsForm(card),
    h('p', { class: 'torrent-links' }, card.playlist),
    card.filesNote,
    card.files);
  card.check = h('input', {
    type: 'checkbox', class: 'select',
    onchange: () => clickSelect(hash, { toggle: true }, shownHashes),
  });
  card.el = h('li', { class: 'torrent', 'data-hash': hash },
    h('div', { class: 'head' }, h('label', { class: 'select-box' }, card.check), card.expand, card.name, placementChips(card), card.badge),
    card.progress,
    h('div', { class: 'meta' }, card.pct, card.size, card.down, card.up, card.peers, card.eta),
    card.error,
    h('div', { class: 'actions' }, card.start, card.stop, card.remove, card.open),
    card.details);
  return card;
}

function toggle(card) {
  const open = card.details.hidden;
  card.details.hidden = !open;
  setAttr(card.expand, 'aria-expanded', String(open));
  if (open) {
    renderFiles(card, card.torrent, true);
    drawPieces(card);
    card.piecesTimer = setInterval(() => drawPieces(card), 2000);
  } else {
    clearInterval(card.piecesTimer);
  }
}

/** Draws which pieces the torrent holds: each column is as dark as the share of its pieces held. */
async function drawPieces(card) {
  if (card.details.hidden || !card.el.isConnected) {
    clearInterval(card.piecesTimer);
    return;
  }
  let pieces;
  try {
    pieces = await api('GET', torrentPath(card.hash, 'pieces'));
  } catch {
    card.pieces.hidden = true; // no metadata yet, or checking
    return;
  }
  card.pieces.hidden = false;
  drawPieceBar(card.pieces, pieces);
}

function renderOptions(card, t) {
  setText(card.counters, `Downloaded ${bytes(t.downloaded)} · uploaded ${bytes(t.uploaded)} · ratio ${t.ratio.toFixed(2)}`
    + ` · seeding ${duration(runningSeconds(t.seedingTime, t.seedingSince))}`
    + ` · active ${duration(runningSeconds(t.activeTime, t.activeSince))}`);
  if (document.activeElement !== card.force) card.force.checked = t.forceStart;
  if (document.activeElement !== card.sequential) card.sequential.checked = t.sequential;
  if (document.activeElement !== card.edges) card.edges.checked = t.firstLastPiecesFirst;
  card.queue.hidden = t.queuePosition === null || t.queuePosition === undefined;
  if (!card.limitsDirty) {
    for (const name of ['seedRatioLimit', 'seedTimeLimit', 'seedIdleLimit']) {
      const input = card.limits.elements[name];
      if (document.activeElement !== input) input.value = t[name] ?? '';
    }
    for (const name of ['downloadLimit', 'uploadLimit']) {
      const input = card.limits.elements[name];
      if (document.activeElement !== input) input.value = t[name] ? String(t[name] / 1024) : '';
    }
  }
}

function renderFiles(card, t, force = false) {
  if (card.details.hidden && !force) return;
  if (t.files.length === 0) {
    setText(card.filesNote, t.state === 'metadata' ? 'The file list arrives with the metadata.' : 'No files.');
  } else {
    setText(card.filesNote, 'Untick a file to skip it.');
  }
  const seen = new Set();
  for (const f of t.files) {
    seen.add(f.index);
    let row = card.fileRows.get(f.index);
    if (!row) {
      row = { index: f.index };
      row.check = h('input', { type: 'checkbox', onchange: () => chooseFiles(card) });
      row.path = h('span', { class: 'path' });
      row.label = h('label', { class: 'file-name' }, row.check, row.path);
      row.bar = h('div', { class: 'bar' });
      row.progress = h('div', { class: 'progress small' }, row.bar);
      row.info = h('span', { class: 'file-info' });
      const streamUrl = torrentPath(card.hash, 'files', String(f.index), 'stream');
      row.stream = h('a', { href: streamUrl, class: 'stream', target: '_blank', rel: 'noopener' }, 'Stream');
      row.player = h('div', { class: 'player', hidden: true });
      row.actions = h('span', { class: 'entry-actions' }, row.stream, playButton(f.path, streamUrl, row.player));
      row.el = h('li', { class: 'file', 'data-index': f.index }, row.label, row.progress, row.info, row.actions, row.player);
      card.fileRows.set(f.index, row);
      card.files.append(row.el);
    }
    if (row.check.checked !== f.selected && document.activeElement !== row.check) row.check.checked = f.selected;
    else if (force) row.check.checked = f.selected;
    setText(row.path, f.path);
    const p = f.size > 0 ? Math.min(f.completed / f.size, 1) : 1;
    row.bar.style.width = `${(p * 100).toFixed(1)}%`;
    setText(row.info, `${percent(p)} of ${bytes(f.size)}`);
    row.el.classList.toggle('skipped', !f.selected);
  }
  for (const [index, row] of card.fileRows) {
    if (!seen.has(index)) {
      row.el.remove();
      card.fileRows.delete(index);
    }
  }
}

function renderCard(card, t) {
  card.torrent = t;
  card.stale = false;
  setText(card.name, t.name);
  setAttr(card.name, 'title', t.name);
  nameButtons(card, t.name);
  setText(card.badge, stateText(t) + (t.seedLimitReached ? ' (seeding limit)' : ''));
  card.el.dataset.state = t.state;
  const pct = percent(t.progress);
  card.bar.style.width = pct;
  setAttr(card.progress, 'aria-valuenow', (t.progress * 100).toFixed(1));
  setAttr(card.progress, 'aria-label', `${t.name}: ${pct}`);
  setText(card.pct, pct);
  setText(card.size, t.size > 0 ? `${bytes(t.completed)} of ${bytes(t.size)}` : '—');
  const now = performance.now();
  for (const [smoothed, value] of [[card.downRate, t.downloadRate], [card.upRate, t.uploadRate]]) {
    if (RUNNING.has(t.state)) smoothed.add(now, value);
    else smoothed.reset();
  }
  renderRates(card, now);
  setText(card.peers, `${t.peers} peer${t.peers === 1 ? '' : 's'}`);
  card.error.hidden = !t.error;
  setText(card.error, t.error ?? '');
  const running = t.state !== 'paused' && t.state !== 'error' && t.state !== 'completed';
  card.start.hidden = running;
  card.stop.hidden = !running;
  // A torrent whose data is moving cannot be removed meanwhile.
  card.remove.disabled = t.state === 'moving';
  if (card.magnet.value !== t.magnet) card.magnet.value = t.magnet;
  card.torrentFile.hidden = t.state === 'metadata' || t.files.length === 0;
  // Offered only for torrents with something to play.
  card.playlist.hidden = !t.files.some((f) => f.selected && ['audio', 'video'].includes(mediaKind(f.path)));
  renderOptions(card, t);
  renderPlacement(card, t);
  renderFiles(card, t);
}

/** Whether the list shows as a table: on a wide screen, unless cards are chosen. */
function tableShown() {
  let chosen = 'table';
  try {
    chosen = localStorage.getItem(VIEW_STORE) ?? 'table';
  } catch { /* storage refused: the default */ }
  return Boolean(wide?.matches) && chosen !== 'cards';
}

/** Shows the cards of the first `cardLimit` torrents shown, in order. */
function renderCards(touched) {
  const ul = list();
  const limit = Math.max(cardLimit, shownHashes.indexOf(toReveal) + 1);
  const page = shown.slice(0, limit);
  let previous = null;
  for (const t of page) {
    let card = cards.get(t.infoHash);
    const isNew = !card;
    if (isNew) {
      card = createCard(t.infoHash);
      cards.set(t.infoHash, card);
    }
    if (isNew || card.stale || touched === null || touched.has(t.infoHash)) renderCard(card, t);
    markSelected(card);
    const expected = previous ? previous.nextSibling : ul.firstChild;
    if (expected !== card.el) ul.insertBefore(card.el, expected);
    previous = card.el;
  }
  // The cards past the page, or filtered out, leave the list (kept for later).
  while (previous ? previous.nextSibling : ul.firstChild) (previous ? previous.nextSibling : ul.firstChild).remove();
  const rest = shown.length - page.length;
  const more = document.getElementById('cards-more');
  more.hidden = rest <= 0;
  setText(more, `Show ${Math.min(PAGE, rest)} more (${rest} not shown)`);
}

function markSelected(card) {
  const selected = isSelected(card.hash);
  if (card.check.checked !== selected) card.check.checked = selected;
  card.el.classList.toggle('selected', selected);
}

// The torrents of the state last rendered, as an array, and each one's place in it.
let listed = null;
let listedOf = null;
let listedIndex = new Map();
// All of them in the order chosen (filtered or not), and the torrent map it follows.
const ordered = listOrder();
let orderedOf = null;

/**
 * The torrents of `all` (Object.values of ten thousand is slow): kept from the
 * last render, with only those `touched` (added, removed or replaced) looked at.
 */
function torrentList(all, touched) {
  if (touched === null || listedOf !== all || !listed) {
    listed = Object.values(all);
    listedOf = all;
    listedIndex = new Map(listed.map((t, i) => [t.infoHash, i]));
    return listed;
  }
  let removed = false;
  for (const hash of touched) {
    const t = all[hash];
    const at = listedIndex.get(hash);
    if (t === undefined) {
      if (at !== undefined) removed = true;
    } else if (at === undefined) {
      listedIndex.set(hash, listed.length);
      listed.push(t);
    } else {
      listed[at] = t;
    }
  }
  if (removed) {
    listed = listed.filter((t) => all[t.infoHash] === t);
    listedIndex = new Map(listed.map((t, i) => [t.infoHash, i]));
  }
  return listed;
}

/** Renders the torrents of `state`; `touched` (a Set of hashes) limits the work. */
export function renderTorrents(state, touched) {
  lastState = state;
  const all = state.torrents ?? {};
  const torrents = torrentList(all, touched);
  // Sorted afresh when anything may have changed or the sort did; else only the
  // torrents touched move. The filters then pick from that order.
  const order = sortOrder();
  if (touched === null || orderedOf !== all || !ordered.sortedAs(order)) {
    ordered.sort(torrents, order);
    orderedOf = all;
  } else {
    ordered.update(touched, (hash) => all[hash]);
  }
  ({ torrents: shown, hashes: shownHashes } = ordered.pick(filtering() ? matches : null));
  if (selectionSize() > 0) pruneSelection(new Set(shownHashes));
  for (const [hash, card] of cards) {
    if (!all[hash]) {
      card.el.remove();
      clearInterval(card.piecesTimer);
      cards.delete(hash);
    } else if (touched === null || touched.has(hash)) {
      card.stale = true;
    }
  }
  const table = tableShown();
  const tableHidden = !table || torrents.length === 0;
  document.getElementById('torrent-table-wrap').hidden = tableHidden;
  // The table takes the width of wider screens (main.wide in app.css). A class set
  // here, not `body:has(#torrent-table-wrap:not([hidden])) main` in the CSS: the
  // browser checks such a :has() again at any change anywhere in the page (a new
  // rate in the header, say), a walk of the whole DOM each time.
  const main = document.getElementById('main');
  if (main.classList.contains('wide') === tableHidden) main.classList.toggle('wide', !tableHidden);
  list().hidden = table;
  document.getElementById('sort-label').hidden = table;
  document.getElementById('columns-button').hidden = !table;
  if (table) {
    if (list().firstChild) list().replaceChildren();
    document.getElementById('cards-more').hidden = true;
    renderTable(shown, touched);
  } else {
    renderCards(touched);
  }
  // The counts of the filters change only with the torrents, not with the choice.
  if (touched === null || touched.size > 0 || !countsShown) renderFilters(torrents, touched, all);
  countsShown = true;
  document.getElementById('torrents-loading').hidden = true;
  document.getElementById('empty').hidden = torrents.length > 0;
  document.getElementById('no-match').hidden = torrents.length === 0 || shown.length > 0;
  setText(document.getElementById('torrent-count'), countText(shown.length, torrents.length));
  if (toReveal && all[toReveal]) reveal(toReveal);
}

function rerender() {
  if (lastState) renderTorrents(lastState, new Set());
}

/** Shows the sort chosen in the sort select (of the cards), filled the first time. */
function fillSort() {
  const select = document.getElementById('sort');
  if (select.options.length !== COLUMNS.length * 2) {
    select.replaceChildren(...COLUMNS.flatMap((c) => [
      h('option', { value: `${c.key}:asc` }, `${c.label} ↑`),
      h('option', { value: `${c.key}:desc` }, `${c.label} ↓`),
    ]));
  }
  const { key, desc } = sortOrder();
  select.value = `${key}:${desc ? 'desc' : 'asc'}`;
}

/** Opens the context menu for `hash`: the selection when it holds it, else it alone. */
function contextFor(hash, x, y) {
  if (!isSelected(hash)) clickSelect(hash, {}, shownHashes);
  openContextMenu(selectedHashes(shownHashes), x, y);
}

/** Wires the filters, the sort, the view, the table, the selection, the toolbar and the keys. */
export function setupTorrents() {
  setupFilters(() => {
    cardLimit = PAGE;
    rerender();
  });
  // The category filter lists every category, even those no torrent is in.
  onCategories(() => {
    countsShown = false;
    rerender();
  });
  fillSort();
  document.getElementById('sort').addEventListener('change', (event) => {
    const [key, dir] = event.target.value.split(':');
    setSort(key, dir === 'desc');
    rerender();
  });
  const view = document.getElementById('list-view');
  try {
    view.value = localStorage.getItem(VIEW_STORE) === 'cards' ? 'cards' : 'table';
  } catch { /* storage refused */ }
  view.addEventListener('change', () => {
    try {
      localStorage.setItem(VIEW_STORE, view.value);
    } catch { /* storage refused: no change of view */ }
    if (lastState) renderTorrents(lastState, null);
  });
  wide = window.matchMedia('(min-width: 900px)');
  wide.addEventListener('change', () => {
    if (lastState) renderTorrents(lastState, null);
  });
  document.getElementById('cards-more').addEventListener('click', () => {
    cardLimit += PAGE;
    rerender();
  });
  setupTable({
    onRowClick: (hash, event) => clickSelect(hash, { toggle: event.ctrlKey || event.metaKey, range: event.shiftKey }, shownHashes),
    onCheck: (hash) => clickSelect(hash, { toggle: true }, shownHashes),
    onOpen: (hash, opener) => openDetails(hash, opener),
    onContext: contextFor,
    onSelectAll: (checked) => (checked ? selectAll(shownHashes) : clearSelection()),
    // The heading clicked stays (and keeps the focus): only its mark changed.
    onSort: () => {
      fillSort();
      if (lastState) renderTorrents(lastState, new Set());
    },
  });
  onSelection(() => {
    if (tableShown()) repaintTable();
    else for (const card of cards.values()) if (card.el.isConnected) markSelected(card);
  });
  const ul = list();
  ul.addEventListener('contextmenu', (event) => {
    const li = event.target.closest('li.torrent');
    // Fields and links keep the browser's own menu.
    if (!li || event.target.closest('input, textarea, a[href], .details')) return;
    event.preventDefault();
    contextFor(li.dataset.hash, event.clientX, event.clientY);
  });
  longPress(ul, (x, y, target) => {
    const li = target.closest?.('li.torrent');
    if (li && !target.closest('input, textarea, a[href], .details')) contextFor(li.dataset.hash, x, y);
  });
  longPress(document.getElementById('torrent-rows'), (x, y, target) => {
    const tr = target.closest?.('tr.torrent-row');
    if (tr) contextFor(tr.dataset.hash, x, y);
  });
  setupBulk({ torrent: (hash) => lastState?.torrents?.[hash] ?? null, order: () => shownHashes });
  const revealOne = (hash) => {
    if (tableShown()) revealRow(hash);
    else cards.get(hash)?.el.scrollIntoView({ block: 'nearest' });
  };
  setupShortcuts({
    order: () => shownHashes,
    reveal: revealOne,
    open: (hash) => openDetails(hash, tableShown() ? rowElement(hash)?.querySelector('button.row-name') : cards.get(hash)?.open),
    // Beside the row (or card), which is brought into view first.
    menu: (hash) => {
      revealOne(hash);
      const el = tableShown() ? rowElement(hash) : cards.get(hash)?.el;
      const box = el?.getBoundingClientRect();
      contextFor(hash, box ? box.left + 24 : 24, box ? Math.min(box.bottom, box.top + 40) : 24);
    },
  });
  // Smoothed rates slide on between updates (a stalled transfer sends none).
  setInterval(() => {
    const now = performance.now();
    for (const card of cards.values()) if (card.torrent && card.el.isConnected) renderRates(card, now);
  }, 1000);
}
