// What the live state tells without being asked: a torrent that finishes
// downloading while this page is open shows a system notification "Finished:
// <name>" (opt-in per browser, kept in localStorage, with the browser's
// permission), and one that enters the error state gets an error toast (one
// toast for them all, so that many failing at once do not push every other
// message away). Finished means: seen unfinished, then seeding, completed or at
// 100 %, with data received in between (a check of data already on disk does
// not count). The settings' control for the notifications is made here too.

import { h, setText } from './dom.js';
import { bytes } from './format.js';
import { showMessage } from './toast.js';

const KEY = 'cloud-torrent.notify-finished';
const DONE = new Set(['seeding', 'completed']);

// info hash -> { state, finished, from: the bytes received when seen unfinished }
let seen = null;
// The torrents that entered the error state while this page is open and are
// still in it: info hash -> { name, text: "name: why" }.
const failing = new Map();
// Names listed in the toast of several errors.
const NAMED = 3;

function wanted() {
  try {
    return localStorage.getItem(KEY) === '1';
  } catch {
    return false;
  }
}

function store(on) {
  try {
    if (on) localStorage.setItem(KEY, '1');
    else localStorage.removeItem(KEY);
  } catch { /* private mode: not kept */ }
}

/** Why notifications cannot be shown here, or '' when they can (given permission). */
function blocked() {
  if (typeof window.Notification !== 'function') return 'This browser cannot show notifications.';
  if (!window.isSecureContext) return 'Notifications need this page over HTTPS (or on localhost).';
  if (window.Notification.permission === 'denied') {
    return 'Notifications are blocked for this site: allow them in the browser\'s site settings, then tick this again.';
  }
  return '';
}

function notifyFinished(t) {
  if (!wanted() || blocked() || window.Notification.permission !== 'granted') return;
  const title = `Finished: ${t.name}`;
  try {
    const note = new window.Notification(title, { tag: `finished ${t.infoHash}`, body: bytes(t.size), icon: 'icons/icon-192.png' });
    note.addEventListener?.('click', () => {
      window.focus();
      note.close();
    });
  } catch {
    // Where pages may not make notifications themselves (Chrome on Android).
    showMessage(title, 'info', `finished ${t.infoHash}`);
  }
}

/** The toast of the torrents in `failing`: one error, or how many with their names. */
function showFailing() {
  const errors = [...failing.values()];
  if (errors.length === 0) return;
  const more = errors.length > NAMED ? ` and ${errors.length - NAMED} more` : '';
  const text = errors.length === 1 ? errors[0].text
    : `${errors.length} torrents stopped on an error: ${errors.slice(0, NAMED).map((e) => e.name).join(', ')}${more}`;
  showMessage(text, 'error', 'torrent errors');
}

/** Notes `t` (null: gone) as it is now; returns whether it just entered the error state. */
function look(hash, t, quiet) {
  const before = seen.get(hash);
  if (!t || t.state !== 'error') failing.delete(hash);
  if (!t) {
    seen.delete(hash);
    return false;
  }
  const finished = DONE.has(t.state) || t.progress >= 1;
  const received = t.downloaded ?? 0;
  const now = { state: t.state, finished, from: finished ? null : (before && !before.finished ? before.from : received) };
  seen.set(hash, now);
  if (quiet) return false;
  if (before && !before.finished && finished && received > before.from) notifyFinished(t);
  if (t.state !== 'error' || before?.state === 'error') return false;
  failing.set(hash, { name: t.name, text: `${t.name}: ${t.error || 'it stopped on an error'}` });
  return true;
}

/** Follows the live state (`touched`: the info hashes a patch changed; null: all). */
export function renderNotify(state, touched) {
  const torrents = state.torrents ?? {};
  // The first state is what was there before this page: nothing new in it.
  const quiet = seen === null;
  if (quiet) seen = new Map();
  let failed = false;
  if (touched === null) {
    for (const hash of [...seen.keys()]) if (!torrents[hash]) look(hash, null, quiet);
    for (const [hash, t] of Object.entries(torrents)) failed = look(hash, t, quiet) || failed;
  } else {
    for (const hash of touched) failed = look(hash, torrents[hash], quiet) || failed;
  }
  if (failed) showFailing();
}

/** The settings' checkbox turning the notifications on in this browser, with why it cannot be. */
export function notifyControl() {
  const box = h('input', { type: 'checkbox', id: 'notify-finished', 'aria-describedby': 'notify-status' });
  const status = h('p', { class: 'hint', id: 'notify-status', 'aria-live': 'polite' });
  const refresh = () => {
    const why = blocked();
    box.disabled = Boolean(why);
    box.checked = !why && wanted() && window.Notification.permission === 'granted';
    setText(status, why || (box.checked
      ? 'On: a notification shows when a download finishes while this page is open.'
      : 'The browser asks for permission when this is ticked.'));
  };
  box.addEventListener('change', async () => {
    if (!box.checked) {
      store(false);
      refresh();
      return;
    }
    box.disabled = true;
    let permission = window.Notification.permission;
    try {
      if (permission === 'default') permission = await window.Notification.requestPermission();
    } catch { /* treated as refused */ }
    store(permission === 'granted');
    refresh();
    if (permission === 'default') setText(status, 'Not turned on: the browser\'s question was dismissed.');
  });
  // Permission can change in the browser's settings while the page is open.
  document.addEventListener('visibilitychange', refresh);
  navigator.permissions?.query({ name: 'notifications' })
    .then((answer) => answer.addEventListener('change', refresh))
    .catch(() => {});
  refresh();
  return h('div', { class: 'browser-pref' },
    h('label', { class: 'check' }, box, ' Notify me when a download finishes'), status);
}
