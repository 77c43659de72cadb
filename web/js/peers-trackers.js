// The Peers and Trackers tabs of the details pane: tables of what the server says
// about the torrent's connections and trackers, polled while the tab shows, with
// rows kept by key so that they update in place. Trackers has Reannounce, and
// the editing of the list (tracker-edit.js).

import { api, torrentPath } from './api.js';
import { h, setText } from './dom.js';
import { bytes, date, rate } from './format.js';
import { showMessage } from './toast.js';
import { trackerEditor } from './tracker-edit.js';

const RUNNING = new Set(['downloading', 'metadata', 'seeding']);

/**
 * A table whose rows are kept by `key(item)`: `columns` are [heading, text(item),
 * class?]; `update(items)` adds, changes and removes rows in place.
 */
function keyedTable(label, columns, key) {
  const body = h('tbody', {});
  const table = h('table', { class: 'details-table', 'aria-label': label },
    h('thead', {}, h('tr', {}, ...columns.map(([heading, , cls]) => h('th', { scope: 'col', class: cls }, heading)))),
    body);
  const rows = new Map();
  function update(items) {
    const seen = new Set();
    let previous = null;
    for (const item of items) {
      const k = key(item);
      seen.add(k);
      let row = rows.get(k);
      if (!row) {
        row = { cells: columns.map(([heading, , cls]) => h('td', { class: cls, 'data-label': heading })) };
        row.el = h('tr', {}, ...row.cells);
        rows.set(k, row);
      }
      columns.forEach(([, text], i) => {
        const value = text(item);
        if (value instanceof Node) {
          if (row.cells[i].firstChild !== value) row.cells[i].replaceChildren(value);
        } else {
          setText(row.cells[i], value);
        }
      });
      const expected = previous ? previous.nextSibling : body.firstChild;
      if (expected !== row.el) body.insertBefore(row.el, expected);
      previous = row.el;
    }
    for (const [k, row] of rows) {
      if (!seen.has(k)) {
        row.el.remove();
        rows.delete(k);
      }
    }
    table.hidden = items.length === 0;
  }
  function clear() {
    rows.clear();
    body.replaceChildren();
    table.hidden = true;
  }
  clear();
  return { el: h('div', { class: 'table-scroll' }, table), update, clear };
}

const FLAGS = [['incoming', 'I'], ['utp', 'T']];

/** The Peers tab in `panel`; `context.torrent()` is the torrent shown. */
export function peersTab(panel, context) {
  const status = h('p', { class: 'hint', 'aria-live': 'polite' });
  const table = keyedTable('Peers', [
    ['Address', (p) => p.address],
    ['Client', (p) => p.client || '—'],
    ['Flags', (p) => FLAGS.filter(([field]) => p[field]).map(([, flag]) => flag).join(' ') || '—'],
    ['Down', (p) => rate(p.downloadRate), 'num'],
    ['Up', (p) => rate(p.uploadRate), 'num'],
    ['Downloaded', (p) => bytes(p.downloaded), 'num'],
    ['Uploaded', (p) => bytes(p.uploaded), 'num'],
  ], (p) => p.address);
  const legend = h('p', { class: 'hint' }, 'Flags: I, the peer connected to us; T, over uTP. Rates are measured between two looks, every 2 s.');
  panel.append(status, table.el, legend);

  async function poll(hash, live) {
    if (!table.el.querySelector('tr td')) setText(status, 'Loading the peers…');
    let peers;
    try {
      peers = await api('GET', torrentPath(hash, 'peers'));
    } catch (error) {
      if (live()) setText(status, `The peers could not be loaded: ${error.message}`);
      return;
    }
    if (!live()) return;
    table.update(peers);
    if (peers.length > 0) setText(status, `${peers.length} peer${peers.length === 1 ? '' : 's'} connected`);
    else if (RUNNING.has(context.torrent()?.state)) setText(status, 'No peers connected.');
    else setText(status, 'No peers: the torrent is not running.');
  }

  function reset() {
    table.clear();
    setText(status, '');
  }

  return { poll, reset, every: 2000 };
}

const STATUS = { working: 'Working', notWorking: 'Not working', unknown: 'Unknown' };
const count = (n) => (n === null || n === undefined ? '—' : String(n));

/** The Trackers tab in `panel`; `context.torrent()` is the torrent shown. */
export function trackersTab(panel, context) {
  const status = h('p', { class: 'hint', 'aria-live': 'polite' });
  const reannounce = h('button', { type: 'button', class: 'reannounce' }, 'Reannounce');
  const editor = trackerEditor(context, (trackers) => show(trackers));
  const table = keyedTable('Trackers', [
    ['URL', (tr) => tr.url, 'url'],
    // Beside the URL, in view without scrolling the table sideways.
    ['Actions', (tr) => editor.actions(tr), 'actions'],
    ['Tier', (tr) => String(tr.tier), 'num'],
    ['Status', (tr) => {
      const label = h('span', { class: 'tracker-status', 'data-status': tr.status }, STATUS[tr.status] ?? String(tr.status));
      return tr.message ? h('span', {}, label, h('span', { class: 'tracker-message' }, tr.message)) : label;
    }],
    ['Seeders', (tr) => count(tr.seeders), 'num'],
    ['Leechers', (tr) => count(tr.leechers), 'num'],
    ['Downloaded', (tr) => count(tr.downloaded), 'num'],
    ['Last scrape', (tr) => date(tr.scrapedAt) || '—'],
  ], (tr) => `${tr.tier} ${tr.url}`);
  panel.append(h('div', { class: 'row tab-actions' }, reannounce, editor.toggle), editor.form, status, table.el);
  // The tracker hosts of the torrent last shown: when they change (an edit
  // elsewhere), the list is asked for again.
  let hosts = null;

  reannounce.addEventListener('click', async () => {
    const t = context.torrent();
    if (!t) return;
    reannounce.disabled = true;
    try {
      await api('POST', torrentPath(t.infoHash, 'reannounce'));
      const running = RUNNING.has(t.state);
      showMessage(running ? `Announced ${t.name} to its trackers again` : `${t.name} announces when it starts`, 'info', `reannounce ${t.infoHash}`);
      context.refresh();
    } catch (error) {
      showMessage(error.message);
    } finally {
      reannounce.disabled = false;
    }
  });

  async function poll(hash, live) {
    if (!table.el.querySelector('tr td')) setText(status, 'Asking the trackers…');
    let trackers;
    try {
      trackers = await api('GET', torrentPath(hash, 'trackers'));
    } catch (error) {
      if (live()) setText(status, `The trackers could not be loaded: ${error.message}`);
      return;
    }
    if (!live()) return;
    show(trackers);
  }

  function show(trackers) {
    editor.keep(trackers);
    table.update(trackers);
    setText(status, trackers.length > 0
      ? `${trackers.length} tracker${trackers.length === 1 ? '' : 's'}; asked again every 30 s while this tab shows.`
      : 'No trackers: this torrent finds peers through the DHT, peer exchange or the peers its magnet names.');
  }

  function render(t) {
    const now = (t.trackerHosts ?? []).join(' ');
    if (hosts !== null && now !== hosts) context.refresh();
    hosts = now;
  }

  function reset() {
    table.clear();
    editor.reset();
    hosts = null;
    setText(status, '');
  }

  return { poll, render, reset, every: 30000 };
}
