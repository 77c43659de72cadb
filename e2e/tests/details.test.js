// Browser tests of a torrent's details pane: opened from its card beside the list
// (full screen on a phone), its tabs showing the real data of a torrent that is
// downloading from a throttled loopback seeder, found through a loopback HTTP
// tracker of the test's own that counts announces and scrapes; the URL hash, Back,
// Escape and focus; and the graph of the total rates in the header. With a few
// more torrents around it, it is also where the README's screenshots are taken
// (written to docs/screenshots when UPDATE_SCREENSHOTS is set).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { freePort, makeTorrent, seed, startServer, stop, stopAll, waitFor, writePayload } from '../lib/swarm.js';
import { bytes } from '../../web/js/format.js';
import { rateScale } from '../../web/js/graph.js';

const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run',
];
const KIB = 1024;
const MIB = 1024 * KIB;
// What the tracker says it counts for the torrent.
const SCRAPED = { complete: 3, incomplete: 2, downloaded: 7 };

// With UPDATE_SCREENSHOTS set, the pictures of the README are written to
// docs/screenshots; otherwise to the test's temporary folder.
const SHOTS = process.env.UPDATE_SCREENSHOTS
  ? path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../docs/screenshots')
  : null;

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ct-e2e-details-'));
let browser;
let context;
let page;
let server;
let show;
let magnet;
let seederPort;
let trackerServer;
let announceUrl;
const requests = { announce: 0, scrape: 0 };
const consoleErrors = [];

/** Bencodes numbers, strings, Buffers, lists and dicts (keys sorted). */
function bencode(value) {
  if (typeof value === 'number') return Buffer.from(`i${value}e`);
  if (typeof value === 'string' || Buffer.isBuffer(value)) {
    const b = Buffer.from(value);
    return Buffer.concat([Buffer.from(`${b.length}:`), b]);
  }
  if (Array.isArray(value)) return Buffer.concat([Buffer.from('l'), ...value.map(bencode), Buffer.from('e')]);
  const keys = Object.keys(value).sort();
  return Buffer.concat([Buffer.from('d'), ...keys.flatMap((k) => [bencode(k), bencode(value[k])]), Buffer.from('e')]);
}

/**
 * An HTTP tracker on 127.0.0.1: /announce answers the seeder as the one peer (and
 * asks to be told again only in half an hour), /scrape answers SCRAPED; both count.
 */
function startTracker(port) {
  const srv = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    let body;
    if (url.pathname === '/announce') {
      requests.announce += 1;
      const peer = Buffer.from([127, 0, 0, 2, seederPort >> 8, seederPort & 0xff]);
      body = bencode({ complete: SCRAPED.complete, incomplete: SCRAPED.incomplete, interval: 1800, peers: peer });
    } else if (url.pathname === '/scrape') {
      requests.scrape += 1;
      const hash = Buffer.from(show.hash, 'hex').toString('latin1');
      body = Buffer.concat([
        Buffer.from('d5:filesd20:'), Buffer.from(hash, 'latin1'), bencode(SCRAPED), Buffer.from('ee'),
      ]);
    } else {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain' }).end(body);
  });
  return new Promise((resolve) => srv.listen(port, '127.0.0.1', () => resolve(srv)));
}

async function api(pathname, init = {}) {
  const res = await fetch(new URL(pathname, server.url), { signal: AbortSignal.timeout(10000), ...init });
  return { status: res.status, body: res.status === 204 ? null : await res.json() };
}

async function torrent() {
  return (await api(`api/v1/torrents/${show.hash}`)).body;
}

function card(p = page) {
  return p.locator(`li.torrent[data-hash="${show.hash}"]`);
}

function pane(p = page) {
  return p.locator('#details');
}

/** The text of a General field, by its label. */
function field(label) {
  return pane().locator(`#panel-general dt:text-is("${label}") + dd`);
}

async function openTab(name) {
  await pane().getByRole('tab', { name, exact: true }).click();
  await pane().locator(`#panel-${name.toLowerCase()}`).waitFor();
}

/** Opens the pane from the card, on the General tab. */
async function openPane(p = page) {
  await p.getByRole('button', { name: 'Details of show', exact: true }).click();
  await pane(p).waitFor();
  if (p === page) await openTab('General');
}

/** Saves a picture of page `p` as `<name>.png` (see SHOTS) and checks that it holds something. */
async function screenshot(p, name) {
  const dir = SHOTS ?? root;
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${name}.png`);
  await p.screenshot({ path: file });
  assert.ok(fs.statSync(file).size > 10000, `${file} is nearly empty`);
}

/**
 * A collection around the downloading torrent, for the screenshots: torrents whose
 * data is already in their category's folder (they seed, or stay stopped), with
 * tags, and a magnet nobody seeds (it waits for its metadata). Resolves to their
 * info hashes by name.
 */
async function addCollection() {
  const downloads = path.join(root, 'server', 'downloads');
  const seeds = [
    ['field-recordings-vol-2', 'music', ['flac'], false,
      [['side a.flac', 7 * MIB + 3], ['side b.flac', 6 * MIB + 5], ['cover.jpg', 180 * KIB]]],
    ['lecture-videos-week-07', 'courses', ['video', 'to watch'], false,
      [['01 introduction.mp4', 5 * MIB + 1], ['02 exercises.mp4', 4 * MIB + 9], ['slides.pdf', 900 * KIB]]],
    ['gutenberg-classics-epub', 'books', ['epub'], false, [['collection.zip', 3 * MIB + 17]]],
    ['city-map-tiles-2024', 'maps', [], true, [['tiles.mbtiles', 4 * MIB + 7]]],
  ];
  const found = {};
  for (const [name, category, tags, paused, files] of seeds) {
    const folder = path.join(downloads, category);
    writePayload(path.join(folder, name), files);
    const t = makeTorrent(path.join(folder, name), path.join(root, `${name}.torrent`));
    const query = new URLSearchParams({ category, paused: String(paused) });
    if (tags.length > 0) query.set('tags', tags.join(','));
    const res = await api(`api/v1/torrents?${query}`, {
      method: 'POST', headers: { 'content-type': 'application/x-bittorrent' }, body: t.bytes,
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    found[name] = t.hash;
  }
  // Its tracker is a closed port: it keeps asking (without a tracker, and with no
  // DHT, it would stop on an error).
  const waiting = 'b0c5e2a8d4f1036b9e7a5c2d8f4e1a3b6c9d0e27';
  const tr = encodeURIComponent(`http://127.0.0.1:${await freePort()}/announce`);
  const res = await api('api/v1/torrents', {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ magnet: `magnet:?xt=urn:btih:${waiting}&dn=linux-distro-24.04-desktop-amd64.iso&tr=${tr}`, category: 'linux' }),
  });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  found['linux-distro-24.04-desktop-amd64.iso'] = waiting;
  await waitFor('the collection to seed', 30000, async () => {
    const states = await Promise.all(seeds.filter((s) => !s[3]).map(async ([name]) => (await api(`api/v1/torrents/${found[name]}`)).body.state));
    return states.every((s) => s === 'seeding') && (await api(`api/v1/torrents/${waiting}`)).body.state === 'metadata';
  });
  return found;
}

before(async () => {
  const seedDir = path.join(root, 'seed');
  writePayload(seedDir, [
    ['show/season 1/episode 1.mp4', 6 * MIB + 11],
    ['show/season 1/episode 2.mkv', 3 * MIB + 5],
    ['show/extras/notes.txt', 40 * KIB],
    ['show/big.bin', 30 * MIB + 3],
  ]);
  const trackerPort = await freePort();
  announceUrl = `http://127.0.0.1:${trackerPort}/announce`;
  show = makeTorrent(path.join(seedDir, 'show'), path.join(root, 'show.torrent'));
  seederPort = await freePort('127.0.0.2');
  // Throttled, so that it is still downloading while the tabs are looked at.
  seed({ torrent: show.path, dataDir: seedDir, ip: '127.0.0.2', port: seederPort, limit: '256K' });
  trackerServer = await startTracker(trackerPort);
  magnet = `magnet:?xt=urn:btih:${show.hash}&dn=show&tr=${encodeURIComponent(announceUrl)}`;

  server = await startServer({
    dir: path.join(root, 'server'), port: await freePort(), incomingPort: await freePort(), log: path.join(root, 'server.log'),
  });
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(server.url).origin });
  await context.addInitScript(() => localStorage.setItem('torrent-view', 'cards'));
  page = await context.newPage();
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
  page.on('pageerror', (e) => consoleErrors.push(String(e)));
  await page.goto(server.url);
  await page.locator('#conn[data-state="live"]').waitFor({ timeout: 10000 });

  const added = await api('api/v1/torrents', {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ magnet }),
  });
  assert.equal(added.status, 201, JSON.stringify(added.body));
  await card().waitFor({ timeout: 10000 });
  await waitFor('the download to start', 60000, async () => (await torrent()).completed > 0);
});

after(async () => {
  await browser?.close();
  if (server) await stop(server.child);
  await stopAll();
  trackerServer?.close();
  if (!process.env.KEEP_E2E) fs.rmSync(root, { recursive: true, force: true });
});

describe('details pane', () => {
  test('the Details button opens a pane beside the list, named after the torrent, with focus in it', { timeout: 30000 }, async () => {
    const button = card().getByRole('button', { name: 'Details of show', exact: true });
    assert.equal(await button.textContent(), 'Details');
    await button.click();
    await pane().waitFor();
    assert.equal(await pane().locator('#details-name').textContent(), 'show');
    assert.equal(await button.getAttribute('aria-expanded'), 'true');
    assert.equal(await page.evaluate(() => document.getElementById('details').contains(document.activeElement)), true);
    // Beside the list: the card stays visible to its left, not covered.
    const [cardBox, paneBox] = [await card().boundingBox(), await pane().boundingBox()];
    assert.ok(cardBox.x + cardBox.width <= paneBox.x + 1, JSON.stringify({ cardBox, paneBox }));
    assert.ok(paneBox.width >= 380 && paneBox.height === 900, JSON.stringify(paneBox));
    assert.equal(await card().isVisible(), true);
    assert.equal(new URL(page.url()).hash, `#details=${show.hash}`);
  });

  test('General shows the torrent\'s own data; Copy copies its magnet link', { timeout: 30000 }, async () => {
    await openTab('General');
    const t = await torrent();
    assert.equal(await field('Info hash').textContent(), show.hash);
    assert.equal(await field('Save path').textContent(), 'the download folder');
    assert.equal(await field('Content path').textContent(), 'show');
    assert.equal(await field('Category').textContent(), 'None');
    assert.equal(await field('Completed').textContent(), 'Not yet');
    assert.match(await field('State').textContent(), /Downloading/);
    assert.equal(await field('Size').textContent(), `${bytes(t.size)} selected`);
    // Its metadata came from peers: no comment or maker to show, and not private.
    assert.equal(t.private, false);
    assert.equal(await field('Private').textContent(), 'No');
    assert.equal(await pane().locator('#panel-general dt:text-is("Created by")').isVisible(), false);
    const pieces = (await api(`api/v1/torrents/${show.hash}/pieces`)).body;
    assert.equal(await field('Pieces').textContent(), `${pieces.count} × 256 KiB`);
    assert.equal(pieces.count, Math.ceil((39 * MIB + 40 * KIB + 19) / (256 * KIB)));
    // Live: the downloaded bytes grow as the state says.
    const first = await field('Downloaded').textContent();
    await waitFor('Downloaded to grow', 15000, async () => (await field('Downloaded').textContent()) !== first);
    // Fields the torrent has not: no row (it has no error).
    assert.equal(await pane().locator('#panel-general dt:text-is("Error")').isVisible(), false);
    const input = pane().getByRole('textbox', { name: 'Magnet link' });
    assert.equal(await input.inputValue(), t.magnet);
    await pane().getByRole('button', { name: 'Copy the magnet link' }).click();
    await pane().getByRole('button', { name: 'Copy the magnet link' }).filter({ hasText: 'Copied' }).waitFor();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), t.magnet);
  });

  test('the tabs are a tablist the arrow keys move through', { timeout: 30000 }, async () => {
    const tabs = pane().getByRole('tab');
    assert.deepEqual(await tabs.allTextContents(), ['General', 'Files', 'Peers', 'Trackers', 'Pieces', 'Speed']);
    await pane().getByRole('tab', { name: 'General' }).focus();
    await page.keyboard.press('ArrowRight');
    const selected = () => pane().locator('[role="tab"][aria-selected="true"]').textContent();
    assert.equal(await selected(), 'Files');
    assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Files');
    assert.equal(await pane().locator('#panel-files').isVisible(), true);
    assert.equal(await pane().locator('#panel-general').isVisible(), false);
    await page.keyboard.press('ArrowLeft');
    assert.equal(await selected(), 'General');
    await page.keyboard.press('ArrowLeft');
    assert.equal(await selected(), 'Speed');
    await page.keyboard.press('Home');
    assert.equal(await selected(), 'General');
    await page.keyboard.press('End');
    assert.equal(await selected(), 'Speed');
    // Only the selected tab is in the tab order.
    assert.equal(await pane().locator('[role="tab"][tabindex="0"]').count(), 1);
  });

  test('Files is a folder tree whose checkboxes choose the files on the server', { timeout: 60000 }, async () => {
    await openTab('Files');
    const panel = pane().locator('#panel-files');
    const index = async (name) => (await torrent()).files.find((f) => f.path.endsWith(name)).index;
    const selectedOnServer = async (name) => (await torrent()).files.find((f) => f.path.endsWith(name)).selected;
    const fileRow = (name) => panel.locator('li.tree-file').filter({ has: page.locator(`.path:text-is("${name}")`) });
    const dirRow = (name) => panel.locator('li.tree-dir').filter({ has: page.locator(`> .tree-row .path:text-is("${name}")`) });
    // Nested: the episodes inside "season 1" inside "show".
    await fileRow('episode 1.mp4').waitFor();
    assert.equal(await dirRow('season 1').locator('li.tree-file').count(), 2);
    assert.equal(await dirRow('show').locator('li.tree-file').count(), 4);
    assert.match(await fileRow('episode 1.mp4').locator('.file-info').textContent(), /of 6\.00 MiB$/);
    assert.match(await dirRow('season 1').locator('> .tree-row .file-info').textContent(), /of 9\.00 MiB$/);

    // Unticking a file skips it on the server; its folder, holding nothing else, is unticked too.
    const notes = panel.getByRole('checkbox', { name: 'notes.txt', exact: true });
    assert.equal(await notes.isChecked(), true);
    await notes.uncheck();
    await waitFor('notes.txt to be skipped on the server', 10000, async () => (await selectedOnServer('notes.txt')) === false);
    assert.equal(await panel.getByRole('checkbox', { name: 'extras', exact: true }).isChecked(), false);
    // The other files stay chosen; the top folder is now partly chosen.
    assert.equal(await selectedOnServer('episode 1.mp4'), true);
    const top = panel.getByRole('checkbox', { name: 'show', exact: true });
    assert.equal(await top.evaluate((el) => el.indeterminate), true);

    // A folder's checkbox chooses all its files at once.
    await panel.getByRole('checkbox', { name: 'season 1', exact: true }).uncheck();
    await waitFor('season 1 to be skipped', 10000, async () => !(await selectedOnServer('episode 1.mp4')) && !(await selectedOnServer('episode 2.mkv')));
    await top.click();
    await waitFor('everything to be chosen again', 10000, async () => (await torrent()).files.every((f) => f.selected));
    assert.equal(await top.isChecked(), true);
    assert.equal(await top.evaluate((el) => el.indeterminate), false);
    assert.equal(await notes.isChecked(), true);

    // Media can be streamed and played; other files cannot.
    const episode = fileRow('episode 1.mp4');
    const i = await index('episode 1.mp4');
    assert.equal(await episode.getByRole('link', { name: 'Stream show/season 1/episode 1.mp4' }).getAttribute('href'),
      `api/v1/torrents/${show.hash}/files/${i}/stream`);
    assert.equal(await episode.getByRole('button', { name: 'Play show/season 1/episode 1.mp4' }).count(), 1);
    assert.equal(await fileRow('big.bin').locator('.entry-actions').count(), 0);
  });

  test('Peers lists the seeder with what came from it, updated live', { timeout: 60000 }, async () => {
    await openTab('Peers');
    const row = pane().locator('#panel-peers tbody tr').filter({ has: page.locator(`td:text-is("127.0.0.2:${seederPort}")`) });
    await row.waitFor({ timeout: 15000 });
    const downloaded = row.locator('td[data-label="Downloaded"]');
    await waitFor('bytes from the seeder', 15000, async () => !['0 B', ''].includes(await downloaded.textContent()));
    const before = await downloaded.textContent();
    await waitFor('the downloaded bytes to grow', 15000, async () => (await downloaded.textContent()) !== before);
    await waitFor('a download rate', 15000, async () => (await row.locator('td[data-label="Down"]').textContent()) !== '0 B/s');
    assert.match(await row.locator('td[data-label="Client"]').textContent(), /aria2/i);
    // We dialled it, over TCP (aria2 has no uTP): neither flag.
    assert.equal(await row.locator('td[data-label="Flags"]').textContent(), '—');
    assert.match(await pane().locator('#panel-peers').textContent(), /1 peer connected/);
  });

  test('Pieces draws the verified pieces on a canvas, live', { timeout: 60000 }, async () => {
    await openTab('Pieces');
    const canvas = pane().locator('#panel-pieces canvas');
    const status = pane().locator('#panel-pieces .pieces-status');
    await canvas.waitFor();
    const held = async () => Number((await status.textContent()).match(/^(\d+) of/)?.[1]);
    const haveCount = async () => {
      const p = (await api(`api/v1/torrents/${show.hash}/pieces`)).body;
      const bits = Buffer.from(p.have, 'base64');
      let n = 0;
      for (let i = 0; i < p.count; i++) if (bits[i >> 3] & (0x80 >> (i & 7))) n++;
      return { n, count: p.count };
    };
    const { n: low, count } = await haveCount();
    await waitFor('the status', 10000, async () => (await held()) >= low);
    const shown = await held();
    const { n: high } = await haveCount();
    assert.ok(low <= shown && shown <= high, `${low} <= ${shown} <= ${high}`);
    assert.match(await status.textContent(), new RegExp(` of ${count} pieces verified \\(256 KiB each\\)$`));
    // Painted columns where pieces are held, and blank ones where they are not yet.
    const painted = await canvas.evaluate((el) => {
      const { data } = el.getContext('2d').getImageData(0, 0, el.width, 1);
      let on = 0;
      for (let x = 0; x < el.width; x++) if (data[x * 4 + 3] > 0) on++;
      return { on, width: el.width };
    });
    assert.ok(painted.on > 0, 'nothing drawn');
    assert.ok(painted.on < painted.width, 'all drawn while pieces are missing');
    // Redrawn as pieces arrive.
    await waitFor('more pieces to be drawn', 20000, async () => (await held()) > shown);
  });

  test('Speed graphs this torrent\'s rates with labelled axes', { timeout: 30000 }, async () => {
    await openTab('Speed');
    const panel = pane().locator('#panel-speed');
    const line = () => panel.evaluate((el) => el.querySelector('path.line.down')?.getAttribute('d') ?? '');
    const points = async () => (await line()).match(/[ML]/g)?.length ?? 0;
    await waitFor('a few samples', 10000, async () => (await points()) >= 3);
    const before = await points();
    await waitFor('a new sample', 5000, async () => (await points()) > before);
    const legend = await panel.locator('.legend-down').textContent();
    assert.match(legend, /^↓ \d[\d.]* (B|KiB|MiB)\/s \(peak \d[\d.]* (KiB|MiB)\/s\)$/);
    const rateTicks = await panel.locator('text.rate-tick').allTextContents();
    assert.equal(rateTicks[0], '0 B/s', rateTicks.join());
    assert.ok(rateTicks.every((t) => /\/s$/.test(t)), rateTicks.join());
    assert.ok(rateTicks.length >= 3, rateTicks.join());
    const timeTicks = await panel.locator('text.time-tick').allTextContents();
    assert.equal(timeTicks[0], 'now', timeTicks.join());
    assert.equal(timeTicks.at(-1), '10 min ago', timeTicks.join());
    // The download line is above the axis somewhere: the torrent is downloading.
    const d = await line();
    const ys = d.match(/[ML][\d.]+ [\d.]+/g).map((p) => Number(p.split(' ')[1]));
    assert.ok(Math.min(...ys) < Math.max(...ys), `a flat line: ${d}`);
  });

  test('Trackers shows the magnet\'s tracker as working with its counts; Reannounce announces again', { timeout: 60000 }, async () => {
    const scrapesBefore = requests.scrape;
    await openTab('Trackers');
    const row = pane().locator('#panel-trackers tbody tr').filter({ has: page.locator(`td:text-is("${announceUrl}")`) });
    await row.waitFor({ timeout: 15000 });
    assert.equal(await row.locator('.tracker-status').textContent(), 'Working');
    assert.equal(await row.locator('td[data-label="Seeders"]').textContent(), '3');
    assert.equal(await row.locator('td[data-label="Leechers"]').textContent(), '2');
    assert.equal(await row.locator('td[data-label="Downloaded"]').textContent(), '7');
    assert.equal(await row.locator('td[data-label="Tier"]').textContent(), '0');
    assert.notEqual(await row.locator('td[data-label="Last scrape"]').textContent(), '—');
    assert.ok(requests.scrape > scrapesBefore || requests.scrape > 0);

    const announcesBefore = requests.announce;
    assert.ok(announcesBefore >= 1, 'the torrent never announced');
    await pane().getByRole('button', { name: 'Reannounce' }).click();
    await page.locator('#toasts .toast', { hasText: 'Announced show to its trackers again' }).waitFor({ timeout: 10000 });
    await waitFor('a new announce', 15000, () => requests.announce > announcesBefore);
  });

  test('screenshots: the table, a filtered selection, the details pane and a phone, light and dark', { timeout: 120000 }, async () => {
    const collection = await addCollection();
    const tagged = await api(`api/v1/torrents/${show.hash}`, {
      method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ tags: ['hd'] }),
    });
    assert.equal(tagged.status, 200, JSON.stringify(tagged.body));
    const all = Object.keys(collection).length + 1;
    /**
     * Pictures of `p` in the light and the dark scheme (or `schemes`). `ready()`, if
     * given, waits for what makes a picture look right (a rate caught above 0), only
     * when the pictures are kept, and not as a condition: the rate the live state
     * pushes each second can read 0 for a while, as the seeder sends in bursts.
     */
    const take = async (p, name, ready, schemes = ['light', 'dark']) => {
      for (const scheme of schemes) {
        await p.emulateMedia({ colorScheme: scheme });
        if (SHOTS && ready) await ready().catch(() => {});
        await screenshot(p, `${name}-${scheme}`);
      }
    };
    const watch = (p) => {
      p.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
      p.on('pageerror', (e) => consoleErrors.push(String(e)));
    };
    // The footer's CPU figure is the machine's, sent every 5 s: adding the torrents
    // (hashing their data) keeps it high for a moment. Not waited for long.
    const settled = (p) => waitFor('the CPU to settle', 6000, async () => {
      const cpu = (await p.locator('#stats').textContent()).match(/CPU (\d+)%/);
      return cpu && Number(cpu[1]) < 50;
    }).catch(() => {});

    // A wide screen as a user first sees it: the table (no view chosen), the system's theme.
    const wide = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    try {
      const p = await wide.newPage();
      watch(p);
      await p.goto(server.url);
      await p.locator('#conn[data-state="live"]').waitFor({ timeout: 10000 });
      const rows = p.locator('#torrent-rows tr.torrent-row');
      const rowOf = (name) => rows.filter({ has: p.locator(`button.row-name:text-is("${name}")`) });
      await rows.nth(all - 1).waitFor({ timeout: 10000 });
      await p.locator('#stats', { hasText: 'CPU' }).waitFor();
      // The download is caught moving: a rate in its row.
      const moving = () => waitFor('a download rate', 5000, async () => (await rowOf('show').locator('td.col-down').textContent()) !== '0 B/s');
      await take(p, 'desktop', async () => {
        await settled(p);
        await moving();
      });

      // Filtered by state (kept in the URL), three rows selected: the toolbar shows.
      await p.locator('#filter-state').selectOption('completed');
      assert.equal(new URL(p.url()).hash, '#state=completed');
      await rowOf('field-recordings-vol-2').locator('td.col-size').click();
      await rowOf('gutenberg-classics-epub').locator('td.col-size').click({ modifiers: ['Shift'] });
      await p.locator('#bulk-count', { hasText: '3 selected' }).waitFor();
      await p.mouse.move(1, 1);
      await take(p, 'list-filtered');
      await p.locator('#bulk button[data-action="clear"]').click();
      await p.locator('#filter-state').selectOption('');

      // The details pane of the download beside the table: General in the light
      // scheme, Peers (the seeder, sending) in the dark one.
      await rowOf('show').locator('button.row-name').click();
      await pane(p).waitFor();
      await pane(p).locator('#panel-general dt:text-is("Pieces") + dd', { hasText: '×' }).waitFor({ timeout: 10000 });
      await p.mouse.move(1, 1);
      await take(p, 'details', moving, ['light']);
      await pane(p).getByRole('tab', { name: 'Peers', exact: true }).click();
      const peer = pane(p).locator('#panel-peers tbody tr').first();
      await peer.waitFor({ timeout: 15000 });
      await take(p, 'details', async () => {
        await moving().catch(() => {});
        await waitFor('the peer to send', 5000, async () => (await peer.locator('td[data-label="Down"]').textContent()) !== '0 B/s');
      }, ['dark']);
    } finally {
      await wide.close();
    }

    // A phone: the cards, scrolled to the list.
    const narrow = await browser.newContext({ viewport: { width: 360, height: 740 }, deviceScaleFactor: 2, isMobile: true });
    try {
      const p = await narrow.newPage();
      watch(p);
      await p.goto(server.url);
      await p.locator('#conn[data-state="live"]').waitFor({ timeout: 10000 });
      const cards = p.locator('li.torrent');
      await cards.nth(all - 1).waitFor({ timeout: 10000 });
      await cards.first().evaluate((el) => window.scrollTo(0, el.getBoundingClientRect().top + window.scrollY - 8));
      await take(p, 'phone', () => waitFor('a download rate', 5000, async () => !/↓ 0 B\/s/.test(await cards.first().locator('.down').textContent())));
    } finally {
      await narrow.close();
    }
  });

  test('the rate axis counts in round steps of B/s, KiB/s and MiB/s', () => {
    assert.deepEqual(rateScale(0), { top: 1024, step: 256 });
    assert.deepEqual(rateScale(700 * KIB), { top: 800 * KIB, step: 200 * KIB });
    assert.deepEqual(rateScale(1010 * KIB), { top: MIB, step: MIB / 4 });
    assert.deepEqual(rateScale(3.2 * MIB), { top: 4 * MIB, step: MIB });
    assert.deepEqual(rateScale(9 * MIB), { top: 10 * MIB, step: 2 * MIB });
  });

  test('the header\'s total rates open a graph of them', { timeout: 30000 }, async () => {
    await page.locator('#rates').click();
    const pop = page.locator('#rates-pop');
    await pop.waitFor();
    await waitFor('samples of the totals', 10000, async () => pop.evaluate((el) => Boolean(el.querySelector('path.line.down')?.getAttribute('d'))));
    assert.match(await pop.locator('.legend-down').textContent(), /^↓ /);
    assert.equal(await pop.locator('text.time-tick').first().textContent(), 'now');
    await page.keyboard.press('Escape');
    await pop.waitFor({ state: 'hidden' });
    // The pane stayed open.
    assert.equal(await pane().isVisible(), true);
  });

  test('a reload opens the pane again from the URL; Escape closes it and gives focus back', { timeout: 60000 }, async () => {
    await page.reload();
    await pane().waitFor({ timeout: 10000 });
    assert.equal(await pane().locator('#details-name').textContent(), 'show');
    assert.equal(await field('Info hash').textContent(), show.hash);
    await page.keyboard.press('Escape');
    await pane().waitFor({ state: 'hidden' });
    assert.equal(await page.evaluate(() => document.activeElement.getAttribute('aria-label')), 'Details of show');
    assert.equal(new URL(page.url()).hash, '');
  });

  test('Back closes the pane and Forward opens it; other parts of the hash are kept', { timeout: 60000 }, async () => {
    await page.goto(`${server.url}#view=compact`);
    await card().waitFor();
    await openPane();
    assert.equal(new URL(page.url()).hash, `#view=compact&details=${show.hash}`);
    await page.goBack();
    await pane().waitFor({ state: 'hidden' });
    assert.equal(new URL(page.url()).hash, '#view=compact');
    await page.goForward();
    await pane().waitFor();
    await pane().locator('#details-close').click();
    await pane().waitFor({ state: 'hidden' });
    assert.equal(new URL(page.url()).hash, '#view=compact');
    assert.equal(await page.evaluate(() => document.activeElement.getAttribute('aria-label')), 'Details of show');
  });

  test('closed, the pane asks the server nothing more', { timeout: 30000 }, async () => {
    const asked = [];
    const listen = (req) => { if (/\/(peers|pieces|trackers)$/.test(new URL(req.url()).pathname)) asked.push(req.url()); };
    page.on('request', listen);
    try {
      await openPane();
      await openTab('Peers');
      await waitFor('the peers to be asked for', 5000, () => asked.length > 0);
      await page.keyboard.press('Escape');
      await pane().waitFor({ state: 'hidden' });
      const count = asked.length;
      await new Promise((r) => setTimeout(r, 4500));
      assert.equal(asked.length, count, asked.join('\n'));
    } finally {
      page.off('request', listen);
    }
  });

  test('on a 360 px phone the pane fills the screen', { timeout: 60000 }, async () => {
    const phone = await browser.newPage({ viewport: { width: 360, height: 740 }, deviceScaleFactor: 2, isMobile: true });
    try {
      await phone.goto(server.url);
      await openPane(phone);
      const box = await pane(phone).boundingBox();
      assert.deepEqual(box, { x: 0, y: 0, width: 360, height: 740 });
      assert.ok(await phone.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth));
      // The six tabs fit across the screen; the panels do not scroll sideways.
      for (const tab of await pane(phone).getByRole('tab').all()) {
        const r = await tab.boundingBox();
        assert.ok(r.x >= 0 && r.x + r.width <= 360, `${await tab.textContent()} is off screen: ${JSON.stringify(r)}`);
      }
      for (const name of ['Files', 'Peers', 'Trackers']) {
        await pane(phone).getByRole('tab', { name, exact: true }).click();
        const panel = pane(phone).locator(`#panel-${name.toLowerCase()}`);
        await panel.waitFor();
        const width = await panel.evaluate((el) => el.scrollWidth <= el.clientWidth);
        assert.ok(width, `${name} scrolls sideways`);
      }
      const small = await phone.evaluate(() => {
        const found = [];
        for (const el of document.querySelectorAll('#details a[href], #details button, #details input')) {
          if (!el.checkVisibility()) continue;
          const target = el.matches('input[type="checkbox"]') && el.closest('label') ? el.closest('label') : el;
          const r = target.getBoundingClientRect();
          if (r.width < 24 || r.height < 24) found.push(`${el.tagName} ${el.textContent || el.getAttribute('aria-label')} ${r.width}x${r.height}`);
        }
        return found;
      });
      assert.deepEqual(small, []);
      await phone.keyboard.press('Escape');
      await pane(phone).waitFor({ state: 'hidden' });
    } finally {
      await phone.close();
    }
  });

  test('no unexpected errors in the console', () => {
    const unexpected = consoleErrors.filter((e) => !/status of 409|Failed to load resource: the server responded with a status of 409/.test(e));
    assert.deepEqual(unexpected, []);
  });
});
