// Browser tests of the list for real collections: the state filter's groups with
// their live counts and the tracker filter, kept in the URL; columns moved and
// resized (by pointer and by keyboard) and remembered; force start and limits
// for the selection, from the toolbar and the context menu, checked on the
// server; the keys that extend the selection, focus the add field and open the
// context menu; the header's free space and its graph of the total rates.
// Against the real binary with no swarm (torrents made from data already in the
// download folder seed, magnets nobody seeds wait for metadata), and, where
// states no such torrent reaches are needed, a state crafted and fed to the page.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { freePort, makeTorrent, startServer, stop, stopAll, waitFor, writePayload } from '../lib/swarm.js';

const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run',
];

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ct-e2e-collection-'));
const downloads = path.join(root, 'server', 'downloads');
let browser;
let page;
let server;
const errors = [];
// name -> info hash
const hashes = {};

async function apiCall(method, pathname, body) {
  const init = { method, signal: AbortSignal.timeout(10000), headers: {} };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers['content-type'] = 'application/json';
  }
  const res = await fetch(new URL(pathname, server.url), init);
  return { status: res.status, body: res.status === 204 ? null : await res.json() };
}

const torrentOf = async (name) => (await apiCall('GET', `api/v1/torrents/${hashes[name]}`)).body;

/** The names in the table's rows, top to bottom. */
function rowNames(p = page) {
  return p.locator('#torrent-rows tr.torrent-row button.row-name').allTextContents();
}

function row(name, p = page) {
  return p.locator('#torrent-rows tr.torrent-row').filter({ has: p.locator('button.row-name', { hasText: name }) });
}

function toast(text, kind) {
  return page.locator(kind ? `#toasts .toast[data-kind="${kind}"]` : '#toasts .toast', { hasText: text });
}

async function selectedNames() {
  return (await page.locator('#torrent-rows tr.torrent-row.selected button.row-name').allTextContents()).sort();
}

const options = (p, id) => p.locator(`#${id} option`).allTextContents();
/** The keys of the table's columns, left to right. */
const headKeys = (p = page) => p.locator('#torrent-head th[data-key]').evaluateAll((ths) => ths.map((th) => th.dataset.key));
const widthOf = (key, p = page) => p.locator(`#torrent-head th.col-${key}`).evaluate((th) => Math.round(th.getBoundingClientRect().width));

/** Seeds: files already in the download folder, announced to `tracker` when given. */
async function addSeeding(name, size, tracker) {
  writePayload(downloads, [[name, size]]);
  const t = makeTorrent(path.join(downloads, name), path.join(root, `${name}.torrent`), tracker ? { announce: tracker } : {});
  const res = await fetch(new URL('api/v1/torrents', server.url), {
    method: 'POST', headers: { 'content-type': 'application/x-bittorrent' }, body: t.bytes,
  });
  assert.equal(res.status, 201);
  hashes[name] = t.hash;
}

async function addMagnet(name, trackers, options = {}) {
  const hash = randomBytes(20).toString('hex');
  const tr = trackers.map((t) => `&tr=${encodeURIComponent(t)}`).join('');
  const res = await apiCall('POST', 'api/v1/torrents', { magnet: `magnet:?xt=urn:btih:${hash}&dn=${encodeURIComponent(name)}${tr}`, ...options });
  assert.equal(res.status, 201);
  hashes[name] = hash;
}

async function openPage(viewport = { width: 1280, height: 900 }) {
  const p = await browser.newPage({ viewport });
  p.on('pageerror', (e) => errors.push(String(e)));
  p.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  return p;
}

/** The first state the real server sends (a template for crafted ones). */
async function firstState() {
  const controller = new AbortController();
  const res = await fetch(new URL('api/v1/events', server.url), { signal: controller.signal });
  const reader = res.body.getReader();
  let text = '';
  for (;;) {
    const { value } = await reader.read();
    text += Buffer.from(value).toString();
    const end = text.indexOf('\n\n');
    if (end >= 0) {
      controller.abort();
      return JSON.parse(text.slice(0, end).split('\n').filter((l) => l.startsWith('data:')).map((l) => l.slice(5)).join(''));
    }
  }
}

/** A page fed `state` once for its live stream (which then stays away, so nothing replaces it). */
async function pageWithState(state) {
  const p = await openPage();
  let served = false;
  await p.route('**/api/v1/events**', async (route) => {
    if (served) return route.abort();
    served = true;
    return route.fulfill({ status: 200, headers: { 'content-type': 'text/event-stream' }, body: `event: state\nid: 1\ndata: ${JSON.stringify(state)}\n\n` });
  });
  await p.goto(server.url);
  await p.locator('#torrent-rows tr.torrent-row').first().waitFor({ timeout: 10000 });
  return p;
}

/** A state with torrents of every kind the state filter groups. */
async function craftedState() {
  const first = await firstState();
  const template = Object.values(first.torrents)[0];
  const kinds = [
    // name, state, progress, down, up, tracker hosts
    ['getting metadata', 'metadata', 0, 0, 0, []],
    ['downloading fast', 'downloading', 0.5, 4000, 0, ['a.test']],
    ['seeding idle', 'seeding', 1, 0, 0, ['a.test', 'b.test']],
    ['seeding busy', 'seeding', 1, 0, 900, ['b.test']],
    ['stopped done', 'paused', 1, 0, 0, ['b.test']],
    ['stopped half', 'paused', 0.3, 0, 0, []],
    ['finished', 'completed', 1, 0, 0, ['a.test']],
    ['waiting', 'queued', 0.2, 0, 0, []],
    ['broken', 'error', 0.1, 0, 0, []],
    ['on the move', 'moving', 1, 0, 0, ['b.test']],
    ['read again', 'checking', 1, 0, 0, ['a.test']],
  ];
  const torrents = {};
  kinds.forEach(([name, state, progress, down, up, hosts], i) => {
    const infoHash = (i + 1).toString(16).padStart(40, '0');
    torrents[infoHash] = {
      ...template, infoHash, name, state, progress, downloadRate: down, uploadRate: up, trackerHosts: hosts,
      size: 1024 * 1024, completed: Math.round(progress * 1024 * 1024), category: null, tags: [], files: [],
      error: state === 'error' ? 'disk full' : null, checkProgress: state === 'checking' ? 0.4 : null, addedAt: new Date(Date.UTC(2024, 0, 1) + i * 60000).toISOString(),
    };
  });
  return {
    ...first, torrents,
    stats: { ...first.stats, downloadRate: 12 * 1024 * 1024, uploadRate: 3 * 1024 * 1024, diskFree: 3 * 1024 ** 3, diskTotal: 100 * 1024 ** 3 },
  };
}

before(async () => {
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  server = await startServer({
    dir: path.join(root, 'server'), port: await freePort(), incomingPort: await freePort(), log: path.join(root, 'server.log'),
  });
  await addSeeding('alpha.bin', 300 * 1024, 'http://tracker-one.test:6969/announce');
  await addSeeding('bravo.bin', 100 * 1024);
  await addSeeding('charlie.bin', 200 * 1024, 'http://tracker-two.test/announce');
  await addMagnet('delta show', ['http://tracker-two.test/announce', 'udp://tracker-one.test:80']);
  await addMagnet('echo show', [], { paused: true });
  for (const name of ['alpha.bin', 'bravo.bin', 'charlie.bin']) {
    await waitFor(`${name} to seed`, 20000, async () => (await torrentOf(name)).state === 'seeding');
  }
  page = await openPage();
  await page.goto(server.url);
  await page.locator('#torrent-rows tr.torrent-row').nth(4).waitFor({ timeout: 10000 });
});

after(async () => {
  await browser?.close();
  if (server) await stop(server.child);
  await stopAll();
  if (!process.env.KEEP_E2E) fs.rmSync(root, { recursive: true, force: true });
});

describe('the list of a real collection', () => {
  test('the state filter offers each group with its count, and the tracker filter each host', { timeout: 30000 }, async () => {
    await waitFor('the state counts', 5000, async () => JSON.stringify(await options(page, 'filter-state')) === JSON.stringify([
      'All (5)', 'Downloading (1)', 'Seeding (3)', 'Completed (3)', 'Stopped (1)', 'Queued (0)', 'Error (0)', 'Active (0)',
    ]));
    assert.deepEqual(await options(page, 'filter-tracker'), ['All (5)', 'No tracker (2)', 'tracker-one.test (2)', 'tracker-two.test (2)']);
    // A magnet waiting for its metadata is downloading.
    await page.locator('#filter-state').selectOption({ label: 'Downloading (1)' });
    assert.deepEqual(await rowNames(), ['delta show']);
    assert.match(page.url(), /#state=downloading$/);
    await page.locator('#filter-state').selectOption({ label: 'Completed (3)' });
    assert.deepEqual(await rowNames(), ['alpha.bin', 'bravo.bin', 'charlie.bin']);
    await page.locator('#filter-tracker').selectOption({ label: 'tracker-two.test (2)' });
    assert.deepEqual(await rowNames(), ['charlie.bin']);
    assert.match(page.url(), /#state=completed&tracker=tracker-two\.test$/);
    assert.equal(await page.locator('#torrent-count').textContent(), '(1 of 5)');
    // A reload keeps both.
    await page.reload();
    await page.locator('#torrent-rows tr.torrent-row').first().waitFor();
    assert.deepEqual(await rowNames(), ['charlie.bin']);
    assert.equal(await page.locator('#filter-tracker').inputValue(), '=tracker-two.test');
    // Back undoes the tracker, then the state.
    await page.goBack();
    await waitFor('Back to drop the tracker', 3000, async () => (await rowNames()).length === 3);
    assert.equal(await page.locator('#filter-tracker').inputValue(), '');
    await page.goBack();
    await waitFor('Back to drop the completed filter', 3000, async () => JSON.stringify(await rowNames()) === '["delta show"]');
    // "No tracker" is "tracker=" in the URL; with the text filter too.
    await page.goto(`${server.url}#tracker=&q=show`);
    await page.locator('#torrent-rows tr.torrent-row').first().waitFor();
    assert.deepEqual(await rowNames(), ['echo show']);
    assert.equal(await page.locator('#filter-tracker').inputValue(), 'none');
    await page.locator('#filter-tracker').selectOption({ label: 'tracker-one.test (2)' });
    assert.deepEqual(await rowNames(), ['delta show']);
    assert.match(page.url(), /#tracker=tracker-one\.test&q=show$/);
    await page.goto(server.url);
    await page.locator('#torrent-rows tr.torrent-row').nth(4).waitFor();
  });

  test('active, completed whatever the state, and moving only when a torrent moves, counted live', { timeout: 30000 }, async () => {
    const state = await craftedState();
    const p = await pageWithState(state);
    try {
      assert.deepEqual(await options(p, 'filter-state'), [
        'All (11)', 'Downloading (2)', 'Seeding (2)', 'Completed (6)', 'Stopped (2)', 'Queued (1)', 'Error (1)', 'Active (2)', 'Moving (1)',
        'Checking (1)',
      ]);
      assert.deepEqual(await options(p, 'filter-tracker'), ['All (11)', 'No tracker (4)', 'a.test (4)', 'b.test (4)']);
      // A torrent whose data is read again says how far the check is.
      await p.locator('#filter-state').selectOption({ label: 'Checking (1)' });
      assert.deepEqual(await rowNames(p), ['read again']);
      assert.equal(await row('read again', p).locator('td.col-state').textContent(), 'Checking 40%');
      await p.locator('#filter-state').selectOption({ label: 'Active (2)' });
      assert.deepEqual(await rowNames(p), ['downloading fast', 'seeding busy']);
      await p.locator('#filter-state').selectOption({ label: 'Completed (6)' });
      assert.deepEqual(await rowNames(p), ['seeding idle', 'seeding busy', 'stopped done', 'finished', 'on the move', 'read again']);
      await p.locator('#filter-tracker').selectOption({ label: 'b.test (4)' });
      assert.deepEqual(await rowNames(p), ['seeding idle', 'seeding busy', 'stopped done', 'on the move']);
      await p.locator('#filter-tracker').selectOption({ label: 'No tracker (4)' });
      await p.locator('#no-match').waitFor();
      // A torrent starts to upload: the active count follows, the list too.
      await p.locator('#filter-tracker').selectOption({ label: 'All (11)' });
      await p.locator('#filter-state').selectOption({ label: 'Active (2)' });
      const after = await p.evaluate(async (s) => {
        const { renderTorrents } = await import('./js/torrents.js');
        const t = Object.values(s.torrents).find((x) => x.name === 'stopped half');
        t.state = 'seeding';
        t.uploadRate = 100;
        const moving = Object.values(s.torrents).find((x) => x.name === 'on the move');
        moving.state = 'seeding';
        renderTorrents(s, new Set([t.infoHash, moving.infoHash]));
        return [...document.querySelectorAll('#filter-state option')].map((o) => o.textContent);
      }, state);
      assert.deepEqual(after, [
        'All (11)', 'Downloading (2)', 'Seeding (4)', 'Completed (6)', 'Stopped (1)', 'Queued (1)', 'Error (1)', 'Active (3)',
        'Checking (1)',
      ]);
      assert.deepEqual(await rowNames(p), ['downloading fast', 'seeding busy', 'stopped half']);
      assert.equal(await p.locator('#filter-state').inputValue(), 'active');
    } finally {
      await p.close();
    }
  });

  test('a heading dragged moves its column, its edge dragged resizes it, both remembered after a reload', { timeout: 30000 }, async () => {
    const shown = ['name', 'size', 'progress', 'state', 'down', 'up', 'eta', 'ratio', 'peers', 'category', 'tags', 'added'];
    assert.deepEqual(await headKeys(), shown);
    // Size dropped on the right half of State: after it.
    const state = page.locator('#torrent-head th.col-state');
    const box = await state.boundingBox();
    await page.locator('#torrent-head th.col-size button.sort').dragTo(state, { targetPosition: { x: box.width - 8, y: box.height / 2 } });
    assert.deepEqual(await headKeys(), ['name', 'progress', 'state', 'size', 'down', 'up', 'eta', 'ratio', 'peers', 'category', 'tags', 'added']);
    // The drag was no sort.
    assert.equal(await page.locator('#torrent-head th.col-size').getAttribute('aria-sort'), null);
    // The rows' cells follow.
    assert.deepEqual(await row('alpha.bin').locator('td').evaluateAll((tds) => tds.slice(1, 5).map((td) => td.className.split(' ')[0])),
      ['col-name', 'col-progress', 'col-state', 'col-size']);
    // Added dropped on the left half of Name: first.
    const name = await page.locator('#torrent-head th.col-name').boundingBox();
    await page.locator('#torrent-head th.col-added button.sort').dragTo(page.locator('#torrent-head th.col-name'), { targetPosition: { x: 10, y: name.height / 2 } });
    assert.deepEqual((await headKeys()).slice(0, 3), ['added', 'name', 'progress']);

    // State's edge dragged 80 px to the right; Tags' far to the left stops at the least width.
    const before = await widthOf('state');
    const edge = await page.locator('#torrent-head th.col-state .col-resize').boundingBox();
    await page.mouse.move(edge.x + edge.width / 2, edge.y + edge.height / 2);
    await page.mouse.down();
    await page.mouse.move(edge.x + edge.width / 2 + 40, edge.y + edge.height / 2);
    await page.mouse.move(edge.x + edge.width / 2 + 80, edge.y + edge.height / 2);
    await page.mouse.up();
    assert.ok(Math.abs(await widthOf('state') - (before + 80)) <= 2, `${before} -> ${await widthOf('state')}`);
    assert.equal(await page.locator('#torrent-head th.col-state').getAttribute('aria-sort'), null, 'the resize was no sort');
    // (The table is now wider than the page: scrolled to it.)
    await page.locator('#torrent-head th.col-tags .col-resize').scrollIntoViewIfNeeded();
    const tags = await page.locator('#torrent-head th.col-tags .col-resize').boundingBox();
    await page.mouse.move(tags.x + 4, tags.y + 10);
    await page.mouse.down();
    await page.mouse.move(tags.x - 400, tags.y + 10);
    await page.mouse.up();
    assert.equal(await widthOf('tags'), 48);
    // The rows' cells are as wide as their heading.
    assert.equal(await row('alpha.bin').locator('td.col-state').evaluate((td) => Math.round(td.getBoundingClientRect().width)), before + 80);

    await page.reload();
    await page.locator('#torrent-rows tr.torrent-row').nth(4).waitFor();
    assert.deepEqual(await headKeys(), ['added', 'name', 'progress', 'state', 'size', 'down', 'up', 'eta', 'ratio', 'peers', 'category', 'tags']);
    assert.ok(Math.abs(await widthOf('state') - (before + 80)) <= 2);
    assert.equal(await widthOf('tags'), 48);
    // The edge takes arrow keys too, and names its width.
    const handle = page.locator('#torrent-head th.col-tags .col-resize');
    await handle.focus();
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('Shift+ArrowRight');
    assert.equal(await widthOf('tags'), 108);
    assert.equal(await handle.getAttribute('aria-valuenow'), '108');
    assert.equal(await handle.getAttribute('role'), 'separator');
  });

  test('the column menu moves columns from the keyboard, and resets them', { timeout: 30000 }, async () => {
    await page.locator('#columns-button').click();
    const menu = page.locator('#columns-menu');
    await menu.waitFor();
    // The menu lists the columns in their order.
    assert.deepEqual((await menu.locator('.column-row label').allTextContents()).slice(0, 3).map((t) => t.trim()), ['Added', 'Name', 'Progress']);
    const left = menu.getByRole('button', { name: 'Move Peers left' });
    await left.focus();
    await page.keyboard.press('Enter');
    // The focus stays on the button, for the next press.
    assert.equal(await page.evaluate(() => document.activeElement.getAttribute('aria-label')), 'Move Peers left');
    await page.keyboard.press('Enter');
    assert.deepEqual((await headKeys()).slice(5, 10), ['down', 'up', 'peers', 'eta', 'ratio']);
    // The first column cannot go further left.
    assert.equal(await menu.getByRole('button', { name: 'Move Added left' }).isDisabled(), true);
    await menu.getByRole('button', { name: 'Move Added right' }).click();
    assert.deepEqual((await headKeys()).slice(0, 2), ['name', 'added']);
    await page.keyboard.press('Escape');
    await page.reload();
    await page.locator('#torrent-rows tr.torrent-row').nth(4).waitFor();
    assert.deepEqual(await headKeys(), ['name', 'added', 'progress', 'state', 'size', 'down', 'up', 'peers', 'eta', 'ratio', 'category', 'tags']);
    await page.locator('#columns-button').click();
    await page.locator('#columns-reset').click();
    await page.keyboard.press('Escape');
    assert.deepEqual(await headKeys(), ['name', 'size', 'progress', 'state', 'down', 'up', 'eta', 'ratio', 'peers', 'category', 'tags', 'added']);
    assert.equal(await widthOf('tags'), 100);
    // Peers are what the torrent JSON counts: connected peers.
    assert.equal(await page.locator('#torrent-head th.col-peers').textContent(), 'Peers');
  });

  test('force start and limits, from the toolbar and the context menu, change the torrents on the server', { timeout: 60000 }, async () => {
    await row('alpha.bin').locator('td.col-size').click();
    await row('bravo.bin').locator('td.col-size').click({ modifiers: ['Shift'] });
    assert.deepEqual(await selectedNames(), ['alpha.bin', 'bravo.bin']);
    await page.locator('#bulk button[data-action="forceStart"]').click();
    await toast('Force-started 2 torrents', 'info').waitFor();
    assert.equal((await torrentOf('alpha.bin')).forceStart, true);
    assert.equal((await torrentOf('bravo.bin')).forceStart, true);
    assert.equal((await torrentOf('charlie.bin')).forceStart, false);

    await page.locator('#bulk button[data-action="limits"]').click();
    const dialog = page.locator('#limits-dialog');
    await dialog.waitFor();
    assert.equal(await page.locator('#limits-h').textContent(), 'Limits of 2 torrents');
    // Neither has a limit of its own yet.
    assert.equal(await page.locator('#limits-down').inputValue(), '0');
    await page.locator('#limits-down').fill('100');
    await page.locator('#limits-up').fill('50');
    await page.locator('#limits-ok').click();
    await toast('Set the limits of 2 torrents: ↓ 100 KiB/s, ↑ 50.0 KiB/s', 'info').waitFor();
    for (const name of ['alpha.bin', 'bravo.bin']) {
      const t = await torrentOf(name);
      assert.deepEqual([t.downloadLimit, t.uploadLimit], [100 * 1024, 50 * 1024], name);
    }
    assert.equal((await torrentOf('charlie.bin')).downloadLimit, 0);

    // The menu of the selection: the dialog shows the limits they share; an empty field is left alone.
    await row('bravo.bin').locator('td.col-size').click({ button: 'right' });
    const menu = page.locator('#context-menu');
    await menu.getByRole('menuitem', { name: 'Set limits…' }).click();
    await dialog.waitFor();
    assert.equal(await page.locator('#limits-down').inputValue(), '100');
    assert.equal(await page.locator('#limits-up').inputValue(), '50');
    await page.locator('#limits-down').fill('');
    await page.locator('#limits-up').fill('0');
    await page.locator('#limits-ok').click();
    await toast('Set the limits of 2 torrents: ↑ no limit of its own', 'info').waitFor();
    const alpha = await torrentOf('alpha.bin');
    assert.deepEqual([alpha.downloadLimit, alpha.uploadLimit], [100 * 1024, 0]);
    // Cancel changes nothing.
    await row('alpha.bin').locator('td.col-size').click({ button: 'right' });
    await menu.getByRole('menuitem', { name: 'Set limits…' }).click();
    await page.locator('#limits-down').fill('7');
    await page.locator('#limits-cancel').click();
    assert.equal((await torrentOf('alpha.bin')).downloadLimit, 100 * 1024);

    // A stopped magnet force-started from its menu runs.
    assert.equal((await torrentOf('echo show')).state, 'paused');
    await row('echo show').locator('td.col-size').click({ button: 'right' });
    assert.equal(await menu.locator('#context-title').textContent(), 'echo show');
    await menu.getByRole('menuitem', { name: 'Force start' }).click();
    await toast('Force-started 1 torrent', 'info').waitFor();
    await waitFor('echo to run', 10000, async () => {
      const t = await torrentOf('echo show');
      return t.forceStart && t.state !== 'paused';
    });
    // Back as they were, for the tests below.
    for (const name of ['alpha.bin', 'bravo.bin', 'echo show']) {
      await apiCall('PATCH', `api/v1/torrents/${hashes[name]}`, { forceStart: false, downloadLimit: 0, uploadLimit: 0 });
    }
  });

  test('keys: Shift with the arrows extends the selection, a focuses the add field', { timeout: 30000 }, async () => {
    await row('alpha.bin').locator('td.col-size').click();
    await page.locator('body').click({ position: { x: 5, y: 5 } });
    await page.keyboard.press('ArrowDown');
    assert.deepEqual(await selectedNames(), ['bravo.bin']);
    await page.keyboard.press('Shift+ArrowDown');
    await page.keyboard.press('Shift+ArrowDown');
    assert.deepEqual(await selectedNames(), ['bravo.bin', 'charlie.bin', 'delta show']);
    assert.equal(await page.locator('#bulk-count').textContent(), '3 selected');
    // Back up past the anchor: the range turns round it.
    await page.keyboard.press('Shift+ArrowUp');
    await page.keyboard.press('Shift+ArrowUp');
    await page.keyboard.press('Shift+ArrowUp');
    assert.deepEqual(await selectedNames(), ['alpha.bin', 'bravo.bin']);
    // A plain arrow moves on from where the range ended.
    await page.keyboard.press('ArrowDown');
    assert.deepEqual(await selectedNames(), ['bravo.bin']);
    await page.keyboard.press('a');
    assert.equal(await page.evaluate(() => document.activeElement.id), 'omni-input');
    assert.equal(await page.locator('#omni-input').inputValue(), '', 'the key is not typed');
    await page.locator('body').click({ position: { x: 5, y: 5 } });
  });

  test('the menu key and Shift+F10 open the context menu, whose items the arrows, Enter and Escape reach', { timeout: 60000 }, async () => {
    const menu = page.locator('#context-menu');
    // Of the selection (bravo), with the focus on the page.
    await page.keyboard.press('ContextMenu');
    await menu.waitFor();
    assert.equal(await menu.getAttribute('role'), 'menu');
    assert.equal(await menu.locator('#context-title').textContent(), 'bravo.bin');
    const focused = () => page.evaluate(() => `${document.activeElement.getAttribute('role')}:${document.activeElement.textContent}`);
    // Bravo runs: Stop is the first item shown.
    assert.equal(await focused(), 'menuitem:Stop');
    await page.keyboard.press('ArrowDown');
    assert.equal(await focused(), 'menuitem:Force start');
    await page.keyboard.press('End');
    assert.equal(await focused(), 'menuitem:Remove…');
    await page.keyboard.press('ArrowDown');
    assert.equal(await focused(), 'menuitem:Stop', 'the arrows wrap round');
    await page.keyboard.press('Escape');
    await menu.waitFor({ state: 'hidden' });
    assert.equal((await torrentOf('bravo.bin')).state, 'seeding');

    // Of the row whose name has the focus (not in the selection: it alone).
    await row('charlie.bin').locator('button.row-name').focus();
    await page.keyboard.press('Shift+F10');
    await menu.waitFor();
    assert.equal(await menu.locator('#context-title').textContent(), 'charlie.bin');
    assert.deepEqual(await selectedNames(), ['charlie.bin']);
    // Beside the row.
    const [menuBox, rowBox] = [await menu.boundingBox(), await row('charlie.bin').boundingBox()];
    assert.ok(Math.abs(menuBox.y - (rowBox.y + rowBox.height)) < 40, JSON.stringify([menuBox, rowBox]));
    assert.equal(await focused(), 'menuitem:Stop');
    await page.keyboard.press('Enter');
    await toast('Stopped 1 torrent', 'info').waitFor();
    await waitFor('charlie to stop', 5000, async () => (await torrentOf('charlie.bin')).state === 'paused');
    await menu.waitFor({ state: 'hidden' });
    // The focus went back to the row.
    assert.equal(await page.evaluate(() => document.activeElement.textContent), 'charlie.bin');
    // Again from the row, now stopped: Start first.
    await page.waitForFunction(() => document.querySelector('#torrent-rows tr.selected')?.dataset.state === 'paused');
    await page.keyboard.press('ContextMenu');
    await menu.waitFor();
    assert.equal(await focused(), 'menuitem:Start');
    await page.keyboard.press('Enter');
    await toast('Started 1 torrent', 'info').waitFor();
    await waitFor('charlie to seed', 20000, async () => (await torrentOf('charlie.bin')).state === 'seeding');

    // The list of keys names the new ones.
    await page.locator('body').click({ position: { x: 5, y: 5 } });
    await page.keyboard.press('?');
    const help = page.locator('#shortcuts-dialog');
    await help.waitFor();
    const text = await help.textContent();
    for (const said of ['Extend the selection', 'Add: focus the field', 'Shift+F10', 'Open the menu of the focused row']) {
      assert.ok(text.includes(said), said);
    }
    await page.keyboard.press('Escape');
    await help.waitFor({ state: 'hidden' });
  });

  test('the header shows the total rates, the alternative speed, the free space and a graph of the rates', { timeout: 60000 }, async () => {
    const p = await pageWithState(await craftedState());
    try {
      await p.locator('#rates', { hasText: '↓ 12.0 MiB/s ↑ 3.00 MiB/s' }).waitFor();
      assert.equal(await p.locator('.top #alt-speed').isVisible(), true);
      const free = p.locator('.top #header-free');
      assert.equal(await free.textContent(), '3.00 GiB free');
      // Little room left stands out.
      assert.match(await free.getAttribute('class'), /\blow\b/);
      await p.locator('#rates').click();
      const pop = p.locator('#rates-pop');
      await pop.waitFor();
      // A line of a few samples (one a second) at the rates.
      await waitFor('a few samples', 15000, async () => (await pop.locator('path.line.down').getAttribute('d') ?? '').split('L').length >= 4);
      assert.equal(await pop.locator('.legend-down').textContent(), '↓ 12.0 MiB/s (peak 12.0 MiB/s)');
      assert.equal(await pop.locator('.legend-up').textContent(), '↑ 3.00 MiB/s (peak 3.00 MiB/s)');
      const line = await pop.locator('path.line.down').boundingBox();
      const chart = await pop.locator('svg.graph').boundingBox();
      assert.ok(line.width > 0 && line.y < chart.y + chart.height / 2, 'the line is drawn high, not along 0');
      await p.keyboard.press('Escape');
      await pop.waitFor({ state: 'hidden' });
    } finally {
      await p.close();
    }
  });

  test('nothing went wrong in the pages', () => {
    // The stream cut on purpose for the crafted states is expected.
    assert.deepEqual(errors.filter((e) => !e.includes('net::ERR_FAILED')), []);
  });
});
