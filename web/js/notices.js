// The notices panel: what the server did that no request asked for (a watch-folder
// file set aside, an event program or webhook that failed), from the live state,
// newest first; warnings stand out. Dismiss hides the ones shown until a newer
// one comes (remembered per browser).

import { h, setAttr, setText } from './dom.js';
import { date } from './format.js';

const KEY = 'cloud-torrent.notices-dismissed';
// Shown until "Show all" is pressed.
const FIRST = 5;
const SOURCES = { watchFolder: 'Watch folder', eventProgram: 'Event program', webhook: 'Webhook' };

let notices = [];
let showAll = false;
let shownSignature = '';
// Notices up to this time (ms) were dismissed.
let dismissed = 0;

function storedDismissed() {
  try {
    return Number(localStorage.getItem(KEY)) || 0;
  } catch {
    return 0;
  }
}

function time(notice) {
  const t = Date.parse(notice.at);
  return Number.isNaN(t) ? 0 : t;
}

function render() {
  const fresh = notices.filter((n) => time(n) > dismissed);
  const visible = showAll ? fresh : fresh.slice(0, FIRST);
  const signature = JSON.stringify([visible.map((n) => n.id), fresh.length, showAll, notices[0]?.at]);
  if (signature === shownSignature) return;
  shownSignature = signature;
  document.getElementById('notices').hidden = fresh.length === 0;
  setText(document.getElementById('notices-count'), fresh.length ? `(${fresh.length})` : '');
  const more = document.getElementById('notices-more');
  more.hidden = fresh.length <= FIRST;
  setText(more, showAll ? 'Show fewer' : `Show all ${fresh.length}`);
  setAttr(more, 'aria-expanded', String(showAll));
  document.getElementById('notices-list').replaceChildren(...visible.map((n) => h('li', {
    class: `notice ${n.level === 'warning' ? 'warning' : 'info'}`,
    'data-level': n.level,
    'data-source': n.source,
  },
  h('span', { class: 'notice-level' }, n.level === 'warning' ? 'Warning' : 'Info'),
  h('span', { class: 'notice-meta' }, `${date(n.at)} · ${SOURCES[n.source] ?? n.source}`),
  h('span', { class: 'notice-message' }, n.message))));
}

/** Shows the notices of the live state. */
export function renderNotices(state) {
  notices = Array.isArray(state.notices) ? state.notices : [];
  render();
}

/** Wires Show all and Dismiss. */
export function setupNotices() {
  dismissed = storedDismissed();
  document.getElementById('notices-more').addEventListener('click', () => {
    showAll = !showAll;
    render();
  });
  document.getElementById('notices-dismiss').addEventListener('click', () => {
    dismissed = Math.max(dismissed, ...notices.map(time));
    try {
      localStorage.setItem(KEY, String(dismissed));
    } catch { /* private mode: dismissed for this page only */ }
    showAll = false;
    render();
  });
}
