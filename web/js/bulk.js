// Acting on several torrents at once: the toolbar above the list that shows while
// torrents are selected, the context menu of a row or card (right-click, a long
// press on touch screens, or the menu key / Shift+F10) and the dialogs they ask
// through (removal, a category, a tag, limits). Each action runs on every
// torrent, a few at a time, then one toast sums it up and another names those
// that failed and why. The menu is a keyboard menu: arrows, Home, End, Enter,
// Escape, and the focus goes back where it was when it closes.

import { api, torrentPath } from './api.js';
import { h, setText } from './dom.js';
import { rate } from './format.js';
import { askLimits } from './limits-dialog.js';
import { clearSelection, onSelection, selectedHashes, selectionSize } from './selection.js';
import { showMessage } from './toast.js';

// Requests sent at once.
const PARALLEL = 4;
// How long a touch is held to open the context menu (ms).
const LONG_PRESS = 550;

let torrentOf = () => null;
let shownOrder = () => [];
let menuHashes = [];
// What had the focus when the menu opened: it gets it back when the menu closes.
let menuOpener = null;

const plural = (n) => `${n} torrent${n === 1 ? '' : 's'}`;

/** Whether a torrent in state `state` transfers or waits to (Stop applies to it). */
export function isRunning(state) {
  return state !== 'paused' && state !== 'error' && state !== 'completed';
}

function nameOf(hash) {
  return torrentOf(hash)?.name || hash;
}

/** "a, b and 3 more". */
function names(hashes, most = 5) {
  const shown = hashes.slice(0, most).map(nameOf);
  const rest = hashes.length - shown.length;
  return rest > 0 ? `${shown.join(', ')} and ${rest} more` : shown.join(', ');
}

/** Runs `work(hash)` on each hash, PARALLEL at a time; resolves to the failures `[hash, message]`. */
async function each(hashes, work) {
  const failures = [];
  let next = 0;
  const worker = async () => {
    while (next < hashes.length) {
      const hash = hashes[next];
      next += 1;
      try {
        await work(hash);
      } catch (error) {
        failures.push([hash, error.message]);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL, hashes.length) }, worker));
  return failures;
}

/** Runs `work` on `hashes` and reports: `done(n)` says what was done to n torrents, `failed` what could not be. */
async function report(hashes, work, done, failed) {
  if (hashes.length === 0) return;
  const failures = await each(hashes, work);
  const ok = hashes.length - failures.length;
  if (ok > 0) showMessage(done(ok), 'info', 'bulk');
  if (failures.length > 0) {
    const why = failures.slice(0, 5).map(([hash, message]) => `${nameOf(hash)} (${message})`).join('; ');
    const more = failures.length > 5 ? ` and ${failures.length - 5} more` : '';
    showMessage(`Could not ${failed} ${plural(failures.length)}: ${why}${more}`);
  }
}

const post = (what, body) => (hash) => api('POST', torrentPath(hash, what), body);

/** Asks for one text in the bulk dialog; resolves to it, or null when cancelled. */
function ask(title, label, { list } = {}) {
  const dialog = document.getElementById('bulk-dialog');
  const input = document.getElementById('bulk-input');
  setText(document.getElementById('bulk-h'), title);
  setText(document.getElementById('bulk-label'), label);
  input.value = '';
  if (list) input.setAttribute('list', list);
  else input.removeAttribute('list');
  dialog.returnValue = '';
  return new Promise((resolve) => {
    dialog.onclose = () => resolve(dialog.returnValue === 'ok' ? input.value.trim() : null);
    dialog.showModal();
  });
}

/** Asks once whether to remove `hashes` (and their data), then removes them. */
export function askRemoveMany(hashes) {
  if (hashes.length === 0) return;
  const dialog = document.getElementById('remove-dialog');
  setText(document.getElementById('remove-h'), hashes.length === 1 ? 'Remove torrent?' : `Remove ${plural(hashes.length)}?`);
  setText(document.getElementById('remove-name'), names(hashes));
  document.getElementById('remove-data').checked = false;
  dialog.returnValue = '';
  dialog.onclose = () => {
    if (dialog.returnValue !== 'remove') return;
    const deleteFiles = document.getElementById('remove-data').checked;
    report(hashes, (hash) => api('DELETE', `${torrentPath(hash)}?deleteFiles=${deleteFiles}`),
      (n) => (deleteFiles ? `Removed ${plural(n)} and ${n === 1 ? 'its' : 'their'} data` : `Removed ${plural(n)}`), 'remove');
  };
  dialog.showModal();
}

const ACTIONS = {
  start: (hashes) => report(hashes, post('start'), (n) => `Started ${plural(n)}`, 'start'),
  stop: (hashes) => report(hashes, post('stop'), (n) => `Stopped ${plural(n)}`, 'stop'),
  recheck: (hashes) => report(hashes, post('recheck'), (n) => `Rechecking ${plural(n)}`, 'recheck'),
  forceStart: (hashes) => report(hashes, (hash) => api('PATCH', torrentPath(hash), { forceStart: true }),
    (n) => `Force-started ${plural(n)}`, 'force-start'),
  limits: async (hashes) => {
    const change = await askLimits(`Limits of ${plural(hashes.length)}`, hashes.map(torrentOf));
    if (!change) return;
    const said = [['↓', change.downloadLimit], ['↑', change.uploadLimit]].filter(([, v]) => v !== undefined)
      .map(([arrow, v]) => `${arrow} ${v ? rate(v) : 'no limit of its own'}`).join(', ');
    await report(hashes, (hash) => api('PATCH', torrentPath(hash), change),
      (n) => `Set the limits of ${plural(n)}: ${said}`, 'set the limits of');
  },
  // Moved one by one: to the top last first, so that they keep their order there.
  top: (hashes) => report([...hashes].reverse(), post('queue', { move: 'top' }), (n) => `Moved ${plural(n)} to the top of the queue`, 'move'),
  bottom: (hashes) => report(hashes, post('queue', { move: 'bottom' }), (n) => `Moved ${plural(n)} to the bottom of the queue`, 'move'),
  category: async (hashes) => {
    const name = await ask(`Category of ${plural(hashes.length)}`, 'Category (empty: none)', { list: 'category-list' });
    if (name === null) return;
    await report(hashes, (hash) => api('PATCH', torrentPath(hash), { category: name || null }),
      (n) => (name ? `Put ${plural(n)} in ${name}` : `Took ${plural(n)} out of their category`), 'change the category of');
  },
  addTags: async (hashes) => {
    const tag = await ask(`Tag ${plural(hashes.length)}`, 'Tag to add');
    if (!tag) return;
    const lacking = hashes.filter((hash) => !(torrentOf(hash)?.tags ?? []).includes(tag));
    if (lacking.length === 0) showMessage(`All of them have the tag ${tag}`, 'info', 'bulk');
    await report(lacking, (hash) => api('PATCH', torrentPath(hash), { tags: [...(torrentOf(hash)?.tags ?? []), tag] }),
      (n) => `Tagged ${plural(n)} ${tag}`, 'tag');
  },
  removeTags: async (hashes) => {
    const tag = await ask(`Untag ${plural(hashes.length)}`, 'Tag to remove');
    if (!tag) return;
    const having = hashes.filter((hash) => (torrentOf(hash)?.tags ?? []).includes(tag));
    if (having.length === 0) showMessage(`None of them has the tag ${tag}`, 'info', 'bulk');
    await report(having, (hash) => api('PATCH', torrentPath(hash), { tags: torrentOf(hash).tags.filter((x) => x !== tag) }),
      (n) => `Removed the tag ${tag} from ${plural(n)}`, 'untag');
  },
  remove: (hashes) => askRemoveMany(hashes),
};

/** Runs action `name` (a key of ACTIONS) on `hashes`. */
export function runAction(name, hashes) {
  return ACTIONS[name]?.(hashes);
}

/** Stops the torrents when all of them run, otherwise starts those that do not. */
export function toggleRunning(hashes) {
  const torrents = hashes.map(torrentOf).filter(Boolean);
  if (torrents.length === 0) return undefined;
  if (torrents.every((t) => isRunning(t.state))) return ACTIONS.stop(hashes);
  return ACTIONS.start(torrents.filter((t) => !isRunning(t.state)).map((t) => t.infoHash));
}

function renderToolbar() {
  const bar = document.getElementById('bulk');
  const n = selectionSize();
  bar.hidden = n === 0;
  setText(document.getElementById('bulk-count'), `${n} selected`);
}

/** Opens the context menu at (x, y) for `hashes`. */
export function openContextMenu(hashes, x, y) {
  const menu = document.getElementById('context-menu');
  menuHashes = hashes;
  if (!menu.contains(document.activeElement)) menuOpener = document.activeElement;
  setText(document.getElementById('context-title'), hashes.length === 1 ? nameOf(hashes[0]) : `${plural(hashes.length)} selected`);
  const one = hashes.length === 1 ? torrentOf(hashes[0]) : null;
  menu.querySelector('[data-action="start"]').hidden = Boolean(one && isRunning(one.state));
  menu.querySelector('[data-action="stop"]').hidden = Boolean(one && !isRunning(one.state));
  if (!menu.matches(':popover-open')) menu.showPopover();
  const room = document.documentElement.clientWidth - menu.offsetWidth - 4;
  const below = window.innerHeight - menu.offsetHeight - 4;
  menu.style.left = `${Math.max(4, Math.min(x, room))}px`;
  menu.style.top = `${Math.max(4, Math.min(y, below))}px`;
  menu.querySelector('[role="menuitem"]:not([hidden])')?.focus();
}

/** Closes the menu; the focus goes back to what had it before, when it was in the menu. */
function closeMenu() {
  const menu = document.getElementById('context-menu');
  if (!menu.matches(':popover-open')) return;
  const focusWasInMenu = menu.contains(document.activeElement);
  menu.hidePopover();
  if (focusWasInMenu && menuOpener?.isConnected) menuOpener.focus();
}

function menuKeys(event) {
  if (event.key === 'Tab') {
    event.preventDefault();
    closeMenu();
    return;
  }
  const items = [...document.querySelectorAll('#context-menu [role="menuitem"]:not([hidden])')];
  const at = items.indexOf(document.activeElement);
  const moves = { ArrowDown: at + 1, ArrowUp: at - 1, Home: 0, End: items.length - 1 };
  if (!(event.key in moves)) return;
  event.preventDefault();
  items[(moves[event.key] + items.length) % items.length]?.focus();
}

/** Calls `fn(x, y)` when `el` is touched and held; the click that follows is swallowed. */
export function longPress(el, fn) {
  let timer = null;
  let start = null;
  let fired = false;
  const cancel = () => { clearTimeout(timer); timer = null; };
  el.addEventListener('pointerdown', (event) => {
    if (event.pointerType !== 'touch') return;
    fired = false;
    start = [event.clientX, event.clientY];
    const target = event.target;
    timer = setTimeout(() => {
      timer = null;
      fired = true;
      fn(start[0], start[1], target);
    }, LONG_PRESS);
  });
  el.addEventListener('pointermove', (event) => {
    if (timer && start && Math.hypot(event.clientX - start[0], event.clientY - start[1]) > 10) cancel();
  });
  el.addEventListener('pointerup', cancel);
  el.addEventListener('pointercancel', cancel);
  el.addEventListener('click', (event) => {
    if (!fired) return;
    fired = false;
    event.preventDefault();
    event.stopPropagation();
  }, true);
}

/**
 * Wires the toolbar and the menu. `torrent(hash)` gives a torrent of the live
 * state; `order()` the info hashes shown, in their order.
 */
export function setupBulk({ torrent, order }) {
  torrentOf = torrent;
  shownOrder = order;
  document.getElementById('bulk').addEventListener('click', (event) => {
    const button = event.target.closest('button[data-action]');
    if (!button) return;
    if (button.dataset.action === 'clear') clearSelection();
    else runAction(button.dataset.action, selectedHashes(shownOrder()));
  });
  const menu = document.getElementById('context-menu');
  menu.append(...menuItems());
  menu.addEventListener('click', (event) => {
    const item = event.target.closest('[data-action]');
    if (!item) return;
    closeMenu();
    runAction(item.dataset.action, menuHashes);
  });
  menu.addEventListener('keydown', menuKeys);
  // Closed by a press elsewhere, Escape, scrolling or leaving the page. (It opens
  // on the press of a right button, so a light-dismissing popover would close on
  // that button's release.)
  const close = () => { if (menu.matches(':popover-open')) menu.hidePopover(); };
  document.addEventListener('pointerdown', (event) => { if (!menu.contains(event.target)) close(); }, true);
  document.addEventListener('keydown', (event) => {
    if (event.key === 'Escape' && menu.matches(':popover-open')) {
      event.preventDefault();
      closeMenu();
    }
  });
  document.addEventListener('scroll', close, true);
  window.addEventListener('blur', close);
  onSelection(renderToolbar);
  renderToolbar();
}

/** The items of the context menu: the toolbar's actions. */
function menuItems() {
  const item = (action, text, cls) => h('button', { type: 'button', role: 'menuitem', 'data-action': action, class: cls }, text);
  return [
    item('start', 'Start'), item('stop', 'Stop'), item('forceStart', 'Force start'), item('recheck', 'Recheck'),
    item('top', 'Queue top'), item('bottom', 'Queue bottom'), item('limits', 'Set limits…'),
    item('category', 'Set category…'), item('addTags', 'Add tag…'), item('removeTags', 'Remove tag…'),
    item('remove', 'Remove…', 'danger'),
  ];
}
