// Toasts: the answers to what the user did, pinned to a corner of the viewport so
// they show wherever the page is scrolled. Errors stay until dismissed; other
// messages fade after a few seconds. One toast per message: a repeat moves it to
// the end and counts it, and a message about the same subject replaces the
// earlier one. Those saying the server cannot be reached go once it is back.

import { UNREACHABLE } from './api.js';
import { h, setText } from './dom.js';

// How long a message other than an error stays (ms), and its fade-out.
const LINGER = 5000;
const FADE = 400;
// At most this many toasts on screen: the oldest go first, errors last.
const MOST = 6;

// subject -> { el, text, count, timer }
const toasts = new Map();

function stack() {
  return document.getElementById('toasts');
}

function drop(subject) {
  const toast = toasts.get(subject);
  if (!toast) return;
  clearTimeout(toast.timer);
  toasts.delete(subject);
  toast.el.remove();
}

function fadeLater(subject, toast) {
  clearTimeout(toast.timer);
  toast.el.classList.remove('fading');
  toast.timer = setTimeout(() => {
    toast.el.classList.add('fading');
    toast.timer = setTimeout(() => drop(subject), FADE);
  }, LINGER);
}

function create(subject, kind) {
  const toast = { count: 0, textValue: null };
  toast.text = h('span', { class: 'toast-text' });
  toast.repeat = h('span', { class: 'toast-count', hidden: true });
  toast.close = h('button', {
    type: 'button', class: 'toast-close', 'aria-label': 'Dismiss', onclick: () => drop(subject),
  }, '×');
  toast.el = h('div', { class: 'toast', role: kind === 'error' ? 'alert' : 'status' },
    toast.text, toast.repeat, toast.close);
  if (kind !== 'error') {
    // Kept while the pointer or the focus is on it, to read or dismiss it.
    const hold = () => { clearTimeout(toast.timer); toast.el.classList.remove('fading'); };
    const release = () => { if (toasts.get(subject) === toast) fadeLater(subject, toast); };
    toast.el.addEventListener('mouseenter', hold);
    toast.el.addEventListener('mouseleave', release);
    toast.el.addEventListener('focusin', hold);
    toast.el.addEventListener('focusout', release);
  }
  return toast;
}

function trim() {
  const ordered = [...toasts.entries()];
  let extra = ordered.length - MOST;
  for (const pass of ['info', 'error']) {
    for (const [subject, toast] of ordered) {
      if (extra <= 0) return;
      if ((toast.el.dataset.kind === 'error') === (pass === 'error')) {
        drop(subject);
        extra -= 1;
      }
    }
  }
}

/**
 * Shows `text` as an error, or as `kind` ('info') when given. `subject` (the text
 * by default) names what it is about: a later message on the same subject
 * replaces it, whatever its kind.
 */
export function showMessage(text, kind = 'error', subject = text) {
  const value = String(text);
  let toast = toasts.get(subject);
  if (toast && toast.el.dataset.kind !== kind) {
    drop(subject);
    toast = undefined;
  }
  if (!toast) toast = create(subject, kind);
  toast.count = toast.textValue === value ? toast.count + 1 : 1;
  toast.textValue = value;
  setText(toast.text, value);
  toast.repeat.hidden = toast.count < 2;
  setText(toast.repeat, `×${toast.count}`);
  toast.el.dataset.kind = kind;
  if (value.includes(UNREACHABLE)) toast.el.dataset.unreachable = '';
  else delete toast.el.dataset.unreachable;
  // Newest last, next to the corner.
  toasts.delete(subject);
  toasts.set(subject, toast);
  stack().append(toast.el);
  if (kind === 'error') clearTimeout(toast.timer);
  else fadeLater(subject, toast);
  trim();
}

/** Removes the messages saying the server cannot be reached (it answers again). */
export function clearUnreachable() {
  for (const [subject, toast] of [...toasts]) {
    if ('unreachable' in toast.el.dataset) drop(subject);
  }
}
