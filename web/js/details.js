// The details pane of one torrent: beside the list on wide screens, full screen on
// phones. It opens from a card's Details button or from the URL hash
// (#details=<infoHash>; the hash's other parts are kept), so reload and Back work.
// Its tabs follow the live state while open; what the state lacks (peers,
// trackers, pieces) is polled only while its tab shows, and never once closed.

import { setAttr, setText } from './dom.js';
import { generalTab } from './details-general.js';
import { piecesTab, speedTab } from './details-charts.js';
import { filesTab } from './file-tree.js';
import { peersTab, trackersTab } from './peers-trackers.js';

const PARAM = 'details=';
const TABS = ['general', 'files', 'peers', 'trackers', 'pieces', 'speed'];

const pane = () => document.getElementById('details');
let torrents = null;
// The open pane: { hash, tab, opener }; null when closed.
let current = null;
// A torrent the URL asks for before the state that has it arrived.
let wanted = null;
// Whether this page added the history entry of the open pane (then closing goes Back).
let pushed = false;
// Bumped whenever what is shown changes: a poll of an older view drops its answer.
let generation = 0;
let pollTimer = null;
let views = null;

function hashParts() {
  return window.location.hash.replace(/^#/, '').split('&').filter(Boolean);
}

/** The info hash the URL's hash asks to show, or null. */
function hashTorrent() {
  const part = hashParts().find((p) => p.startsWith(PARAM));
  if (!part) return null;
  try {
    return decodeURIComponent(part.slice(PARAM.length)).toLowerCase() || null;
  } catch {
    return null;
  }
}

/** This page's URL with `hash` as the torrent shown (none: null), the hash's other parts kept. */
function urlWith(hash) {
  const parts = hashParts().filter((p) => !p.startsWith(PARAM));
  if (hash) parts.push(`${PARAM}${encodeURIComponent(hash)}`);
  const { pathname, search } = window.location;
  return parts.length > 0 ? `${pathname}${search}#${parts.join('&')}` : `${pathname}${search}`;
}

function detailsButton(hash) {
  return document.querySelector(`li.torrent[data-hash="${CSS.escape(hash)}"] button.details-open`);
}

function markOpener(hash, open) {
  const button = hash && detailsButton(hash);
  if (button) setAttr(button, 'aria-expanded', String(open));
}

function stopPolling() {
  generation += 1;
  clearTimeout(pollTimer);
  pollTimer = null;
}

/** Polls what the visible tab needs, now and then every so often, while it stays visible. */
function startPolling() {
  stopPolling();
  const view = views[current.tab];
  if (!view.poll) return;
  const mine = generation;
  const hash = current.hash;
  const live = () => mine === generation;
  const tick = async () => {
    pollTimer = null;
    if (!document.hidden) {
      try {
        await view.poll(hash, live);
      } catch { /* the tab shows what went wrong */ }
    }
    if (live()) pollTimer = setTimeout(tick, view.every);
  };
  tick();
}

function torrent() {
  return current && torrents ? torrents[current.hash] ?? null : null;
}

function showTab(tab, focus = false) {
  current.tab = tab;
  for (const button of document.querySelectorAll('#details-tabs [role="tab"]')) {
    const selected = button.dataset.tab === tab;
    setAttr(button, 'aria-selected', String(selected));
    button.tabIndex = selected ? 0 : -1;
    if (selected && focus) button.focus();
    document.getElementById(button.getAttribute('aria-controls')).hidden = !selected;
  }
  const t = torrent();
  if (t) views[tab].render?.(t);
  startPolling();
}

function renderOpen(t) {
  setText(document.getElementById('details-name'), t.name);
  views[current.tab].render?.(t);
}

function openPane(hash, opener, fromUrl) {
  const t = torrents?.[hash];
  if (!t) return;
  wanted = null;
  const switching = current !== null;
  if (current && current.hash !== hash) {
    markOpener(current.hash, false);
    for (const view of Object.values(views)) view.reset?.();
  }
  current = { hash, tab: current?.tab ?? 'general', opener: opener ?? detailsButton(hash) };
  if (!fromUrl && hashTorrent() !== hash) {
    if (switching) {
      window.history.replaceState(window.history.state, '', urlWith(hash));
    } else {
      window.history.pushState({ details: hash }, '', urlWith(hash));
      pushed = true;
    }
  }
  pane().hidden = false;
  document.body.classList.add('details-open');
  markOpener(hash, true);
  setText(document.getElementById('details-name'), t.name);
  showTab(current.tab, true);
}

function closePane({ fromUrl = false, restoreFocus = true } = {}) {
  if (!current) return;
  const { hash, opener } = current;
  const hadFocus = pane().contains(document.activeElement);
  stopPolling();
  for (const view of Object.values(views)) view.reset?.();
  current = null;
  pane().hidden = true;
  document.body.classList.remove('details-open');
  markOpener(hash, false);
  if (!fromUrl && hashTorrent() === hash) {
    if (pushed && window.history.state?.details === hash) window.history.back();
    else window.history.replaceState(window.history.state, '', urlWith(null));
  }
  pushed = false;
  if (restoreFocus || hadFocus) {
    // A table row is given to another torrent once this one scrolls away: its
    // button is the opener no more.
    const owner = opener?.closest('[data-hash]');
    const back = opener?.isConnected && (!owner || owner.dataset.hash === hash) ? opener : detailsButton(hash);
    if (back && !back.closest('[hidden]')) back.focus();
    else if (hadFocus) document.getElementById('main').focus();
  }
}

/** Opens the pane for torrent `hash`; focus goes back to `opener` when it closes. */
export function openDetails(hash, opener) {
  openPane(hash, opener, false);
}

/** Follows the URL after Back, Forward or an edited hash. */
function followUrl() {
  const hash = hashTorrent();
  if (hash === (current?.hash ?? null)) return;
  if (!hash) {
    closePane({ fromUrl: true });
  } else if (torrents?.[hash]) {
    openPane(hash, null, true);
  } else {
    closePane({ fromUrl: true, restoreFocus: false });
    wanted = hash;
  }
}

/** Keeps the open pane in step with the live state (`touched`: the hashes a patch changed). */
export function renderDetails(state, touched) {
  torrents = state.torrents ?? {};
  if (wanted) {
    if (torrents[wanted]) {
      openPane(wanted, null, true);
    } else {
      // Not one of ours (any more): forget it.
      wanted = null;
      window.history.replaceState(window.history.state, '', urlWith(null));
    }
    return;
  }
  if (!current) return;
  const t = torrents[current.hash];
  if (!t) {
    closePane({ restoreFocus: false });
    return;
  }
  if (touched === null || touched.has(current.hash)) renderOpen(t);
}

function onTabKey(event) {
  const tabs = [...document.querySelectorAll('#details-tabs [role="tab"]')];
  const at = tabs.indexOf(document.activeElement);
  if (at < 0) return;
  const moves = {
    ArrowRight: (at + 1) % tabs.length,
    ArrowLeft: (at - 1 + tabs.length) % tabs.length,
    Home: 0,
    End: tabs.length - 1,
  };
  if (!(event.key in moves)) return;
  event.preventDefault();
  showTab(tabs[moves[event.key]].dataset.tab, true);
}

/** Wires the pane's tabs, close button and keys, and reads the URL's hash. */
export function setupDetails() {
  const context = { torrent, refresh: () => { if (current) startPolling(); } };
  views = {
    general: generalTab(document.getElementById('panel-general'), context),
    files: filesTab(document.getElementById('panel-files'), context),
    peers: peersTab(document.getElementById('panel-peers'), context),
    trackers: trackersTab(document.getElementById('panel-trackers'), context),
    pieces: piecesTab(document.getElementById('panel-pieces'), context),
    speed: speedTab(document.getElementById('panel-speed'), context),
  };
  for (const button of document.querySelectorAll('#details-tabs [role="tab"]')) {
    if (!TABS.includes(button.dataset.tab)) continue;
    button.addEventListener('click', () => { if (current) showTab(button.dataset.tab); });
  }
  document.getElementById('details-tabs').addEventListener('keydown', onTabKey);
  document.getElementById('details-close').addEventListener('click', () => closePane());
  document.addEventListener('keydown', (event) => {
    if (event.key !== 'Escape' || !current || event.defaultPrevented) return;
    // Escape belongs to the pane when the focus is in it or nowhere in particular.
    const target = event.target;
    if (target !== document.body && !pane().contains(target)) return;
    if (document.querySelector('dialog[open]')) return;
    event.preventDefault();
    closePane();
  });
  window.addEventListener('popstate', followUrl);
  window.addEventListener('hashchange', followUrl);
  wanted = hashTorrent();
}
