// Magnet links from other sites. This page can be the browser's handler for
// magnet: links (registerProtocolHandler, offered in the settings' "This browser"
// section where the browser has it, and declared in the app manifest for the
// installed app); the browser then opens it as ?magnet=<the link>. Such a page
// asks before adding anything: a dialog shows the link's name, info hash and
// trackers, with a category to choose, and Add or Cancel. Either way the magnet
// leaves the URL, so a reload does not ask again.

import { h, setText } from './dom.js';
import { addSource, infoHashHex } from './omni.js';

const PARAM = 'magnet';
const TRACKER_SCHEMES = ['http:', 'https:', 'udp:'];

/**
 * What the magnet link `text` names: `{hash, name, trackers}`, or `{error}` saying
 * why this server would refuse it (as the server checks it: a v1 info hash, http,
 * https or udp trackers).
 */
export function parseMagnet(text) {
  const link = String(text ?? '').trim();
  if (!/^magnet:\?/i.test(link)) return { error: 'It is not a magnet link: those start with "magnet:?".' };
  const params = new URLSearchParams(link.slice(link.indexOf('?') + 1));
  const topics = params.getAll('xt');
  const btih = topics.find((xt) => xt.startsWith('urn:btih:'));
  if (!btih) {
    return {
      error: topics.some((xt) => xt.startsWith('urn:btmh:'))
        ? 'It names a BitTorrent v2 torrent only (urn:btmh); this server adds v1 torrents (urn:btih).'
        : 'It has no info hash (xt=urn:btih:…).',
    };
  }
  const hash = infoHashHex(btih.slice('urn:btih:'.length));
  if (!hash) return { error: 'Its info hash is neither 40 hex digits nor 32 base32 characters.' };
  const trackers = [];
  for (const tr of params.getAll('tr')) {
    let url;
    try {
      url = new URL(tr);
    } catch {
      return { error: `Its tracker "${tr}" is not a URL.` };
    }
    if (!TRACKER_SCHEMES.includes(url.protocol)) return { error: `Its tracker "${tr}" is not http, https or udp.` };
    if (!trackers.includes(tr)) trackers.push(tr);
  }
  return { hash, name: params.get('dn')?.trim() ?? '', trackers };
}

/** The URL template for registerProtocolHandler: this page with ?magnet=%s. */
export function handlerUrl(location) {
  return `${location.origin}${location.pathname}?${PARAM}=%s`;
}

/** Takes the magnet out of this page's URL (the rest of the query and the hash are kept). */
function forgetMagnet() {
  const url = new URL(window.location.href);
  if (!url.searchParams.has(PARAM)) return;
  url.searchParams.delete(PARAM);
  window.history.replaceState(window.history.state, '', url);
}

function field(label, value) {
  return [h('dt', {}, label), h('dd', {}, value)];
}

/** The dialog asking whether to add `link`, or saying why it cannot be added. */
function confirmDialog(link) {
  const magnet = parseMagnet(link);
  const dialog = h('dialog', { id: 'magnet-dialog', class: 'magnet-dialog', 'aria-labelledby': 'magnet-h' });
  const form = h('form', { method: 'dialog' });
  const status = h('p', { id: 'magnet-status', class: 'error', role: 'alert' });
  const cancel = h('button', { type: 'button', id: 'magnet-cancel', onclick: () => dialog.close('cancel') },
    magnet.error ? 'Close' : 'Cancel');
  if (magnet.error) {
    form.append(
      h('h2', { id: 'magnet-h' }, 'This magnet link cannot be added'),
      h('p', { id: 'magnet-error' }, magnet.error),
      h('p', { class: 'magnet-link' }, link),
      h('div', { class: 'row' }, cancel),
    );
  } else {
    const name = magnet.name ? h('span', { class: 'name' }, magnet.name) : 'none given: the torrent names itself';
    const trackers = magnet.trackers.length > 0
      ? h('ul', { class: 'magnet-trackers' }, ...magnet.trackers.map((tr) => h('li', {}, tr)))
      : 'none: peers come from the DHT and peer exchange';
    const category = h('input', { id: 'magnet-category', type: 'text', list: 'category-list', spellcheck: 'false', placeholder: 'none' });
    const add = h('button', { type: 'submit', class: 'primary', id: 'magnet-add', autofocus: true }, 'Add torrent');
    form.append(
      h('h2', { id: 'magnet-h' }, 'Add this magnet link?'),
      h('p', { class: 'hint' }, 'A link opened this page to add a torrent. Add it only if you meant to.'),
      h('dl', { class: 'fields magnet-fields' },
        ...field('Name', name),
        ...field('Info hash', h('code', { id: 'magnet-hash' }, magnet.hash)),
        ...field(`Trackers (${magnet.trackers.length})`, trackers)),
      h('label', { class: 'magnet-category' }, 'Category ', category),
      status,
      h('div', { class: 'row' }, add, cancel),
    );
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      add.disabled = true;
      setText(status, '');
      const options = category.value.trim() ? { category: category.value.trim() } : {};
      try {
        await addSource({ magnet: link }, options, magnet.name || magnet.hash, `added ${magnet.hash}`);
        dialog.close('add');
      } catch (error) {
        setText(status, `Not added: ${error.message}`);
      } finally {
        add.disabled = false;
      }
    });
  }
  dialog.append(form);
  dialog.addEventListener('close', () => {
    forgetMagnet();
    dialog.remove();
  });
  return dialog;
}

/** Asks about the magnet this page was opened with (?magnet=…), if any. */
export function setupMagnetLink() {
  const link = new URLSearchParams(window.location.search).get(PARAM);
  if (link === null) return;
  const dialog = confirmDialog(link);
  document.body.append(dialog);
  dialog.showModal();
}

/**
 * The settings' control making this page the browser's handler for magnet:
 * links, or null where the browser cannot (no registerProtocolHandler, which
 * also needs a secure page: HTTPS or localhost).
 */
export function magnetHandlerControl() {
  if (typeof navigator.registerProtocolHandler !== 'function') return null;
  const status = h('p', { class: 'hint', id: 'magnet-handler-status', 'aria-live': 'polite' },
    'Magnet links on other sites then open here, and this page asks before adding them.');
  const button = h('button', { type: 'button', id: 'magnet-handler' }, 'Open magnet links with this page');
  button.addEventListener('click', () => {
    try {
      navigator.registerProtocolHandler('magnet', handlerUrl(window.location));
      setText(status, 'Asked the browser: confirm in its prompt (by the address bar). It can be undone in the browser\'s site settings.');
    } catch (error) {
      setText(status, `The browser refused: ${error.message}`);
    }
  });
  return h('div', { class: 'browser-pref' }, button, status);
}
