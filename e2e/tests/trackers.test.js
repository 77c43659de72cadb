// Browser tests of editing a torrent's trackers in the details' Trackers tab:
// Add trackers, a row's Edit and Remove, and the server's refusals, against the
// real binary with a torrent downloading from a throttled loopback seeder that
// a loopback HTTP tracker of the test's own points to. Each change is checked on
// the server (GET …/trackers, trackerHosts), the new trackers are seen to be
// announced to, and the torrent goes on downloading, then seeding.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { freePort, makeTorrent, seed, startServer, stop, stopAll, waitFor, writePayload } from '../lib/swarm.js';
import { startTracker, waitForListener } from '../lib/tracker.js';
import { changedTrackers, trackerLines } from '../../web/js/tracker-edit.js';

const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run',
];
const MIB = 1024 * 1024;

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ct-e2e-trackers-'));
let browser;
let page;
let server;
let tracker;
let show;
// A UDP port where no tracker answers.
let udpPort;
const consoleErrors = [];

async function api(method, pathname, body) {
  const init = { method, signal: AbortSignal.timeout(10000), headers: {} };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers['content-type'] = 'application/json';
  }
  const res = await fetch(new URL(pathname, server.url), init);
  return { status: res.status, body: res.status === 204 ? null : await res.json() };
}

const torrent = async () => (await api('GET', `api/v1/torrents/${show.hash}`)).body;
/** The torrent's tracker URLs on the server, in tier order. */
const serverTrackers = async () => (await api('GET', `api/v1/torrents/${show.hash}/trackers`)).body
  .sort((a, b) => a.tier - b.tier).map((tr) => tr.url);

const panel = () => page.locator('#panel-trackers');
/** The URLs in the tab's table, top to bottom. */
const shownUrls = () => panel().locator('tbody tr td.url').allTextContents();
const toast = (text) => page.locator('#toasts .toast', { hasText: text });
const announced = (pathname) => tracker.announces.get(pathname) ?? 0;

before(async () => {
  const seedDir = path.join(root, 'seed');
  writePayload(seedDir, [['show/one.bin', 4 * MIB + 3], ['show/two.bin', 2 * MIB]]);
  show = makeTorrent(path.join(seedDir, 'show'), path.join(root, 'show.torrent'));
  const seederPort = await freePort('127.0.0.2');
  // Throttled, so that it is still downloading while the trackers are edited.
  seed({ torrent: show.path, dataDir: seedDir, ip: '127.0.0.2', port: seederPort, limit: '256K' });
  tracker = await startTracker({ port: await freePort(), peers: () => [['127.0.0.2', seederPort]], interval: 5 });
  udpPort = await freePort();
  await waitForListener('127.0.0.2', seederPort);

  server = await startServer({
    dir: path.join(root, 'server'), port: await freePort(), incomingPort: await freePort(), log: path.join(root, 'server.log'),
  });
  const added = await api('POST', 'api/v1/torrents', {
    magnet: `magnet:?xt=urn:btih:${show.hash}&dn=show&tr=${encodeURIComponent(tracker.url('/a/announce'))}`,
  });
  assert.equal(added.status, 201, JSON.stringify(added.body));
  await waitFor('the download to start', 60000, async () => (await torrent()).completed > 0);

  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
  page.on('pageerror', (e) => consoleErrors.push(String(e)));
  await page.goto(`${server.url}#details=${show.hash}`);
  await page.locator('#details').waitFor({ timeout: 10000 });
  await page.getByRole('tab', { name: 'Trackers', exact: true }).click();
  await panel().locator('tbody tr').first().waitFor({ timeout: 10000 });
});

after(async () => {
  await browser?.close();
  if (server) await stop(server.child);
  await stopAll();
  await tracker?.close();
  if (!process.env.KEEP_E2E) fs.rmSync(root, { recursive: true, force: true });
});

describe('editing the trackers', () => {
  test('the new list is computed from the old one', () => {
    assert.deepEqual(trackerLines(' http://a/announce\n\nudp://b:1/x  http://a/announce\r\n'), ['http://a/announce', 'udp://b:1/x']);
    const urls = ['http://a/', 'http://b/', 'http://c/'];
    assert.deepEqual(changedTrackers(urls, { add: ['http://d/', 'http://a/'] }), ['http://a/', 'http://b/', 'http://c/', 'http://d/']);
    assert.deepEqual(changedTrackers(urls, { replace: ['http://b/', 'http://x/'] }), ['http://a/', 'http://x/', 'http://c/']);
    assert.deepEqual(changedTrackers(urls, { replace: ['http://b/', 'http://c/'] }), ['http://a/', 'http://c/']);
    assert.deepEqual(changedTrackers(urls, { remove: 'http://a/' }), ['http://b/', 'http://c/']);
  });

  test('Add trackers appends the URLs given one per line; the torrent announces to them', { timeout: 60000 }, async () => {
    assert.deepEqual(await shownUrls(), [tracker.url('/a/announce')]);
    const toggle = panel().getByRole('button', { name: 'Add trackers' });
    await toggle.click();
    assert.equal(await toggle.getAttribute('aria-expanded'), 'true');
    const udp = `udp://127.0.0.1:${udpPort}/announce`;
    const lines = panel().getByLabel('Tracker URLs to add, one per line');
    assert.equal(await page.evaluate(() => document.activeElement.tagName), 'TEXTAREA');
    // The one already there is not added twice.
    await lines.fill(`${tracker.url('/b/announce')}\n\n${udp}\n${tracker.url('/a/announce')}\n`);
    await panel().getByRole('button', { name: 'Add these trackers' }).click();
    await toast('Added 2 trackers to show').waitFor({ timeout: 10000 });
    const expected = [tracker.url('/a/announce'), tracker.url('/b/announce'), udp];
    assert.deepEqual(await serverTrackers(), expected);
    // Shown at once, in tier order; the form closed.
    assert.deepEqual(await shownUrls(), expected);
    assert.deepEqual(await panel().locator('tbody td[data-label="Tier"]').allTextContents(), ['0', '1', '2']);
    assert.equal(await panel().locator('#trackers-add').isVisible(), false);
    assert.equal(await toggle.getAttribute('aria-expanded'), 'false');
    await waitFor('an announce to the added tracker', 20000, () => announced('/b/announce') > 0);
    assert.deepEqual((await torrent()).trackerHosts, ['127.0.0.1']);
  });

  test('a URL the server refuses is named in the form, and nothing changes', { timeout: 30000 }, async () => {
    const before = await serverTrackers();
    await panel().getByRole('button', { name: 'Add trackers' }).click();
    await panel().getByLabel('Tracker URLs to add, one per line').fill('udp://no-port.example/announce');
    await panel().getByRole('button', { name: 'Add these trackers' }).click();
    const error = panel().locator('#trackers-add .error');
    await waitFor('the error', 10000, async () => (await error.textContent()) !== '');
    assert.match(await error.textContent(), /udp:\/\/no-port\.example\/announce.*needs a port/);
    assert.deepEqual(await serverTrackers(), before);
    await panel().locator('#trackers-add').getByRole('button', { name: 'Cancel' }).click();
    assert.equal(await panel().locator('#trackers-add').isVisible(), false);
  });

  test('Edit replaces one URL in its place; the torrent announces to the new one', { timeout: 60000 }, async () => {
    const udp = `udp://127.0.0.1:${udpPort}/announce`;
    await panel().getByRole('button', { name: `Edit tracker ${tracker.url('/b/announce')}` }).click();
    const dialog = page.getByRole('dialog', { name: 'Edit tracker' });
    await dialog.waitFor();
    const input = dialog.getByLabel('URL');
    assert.equal(await input.inputValue(), tracker.url('/b/announce'));
    // Refused: said in the dialog, which stays open.
    await input.fill('ftp://127.0.0.1/announce');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.locator('.error', { hasText: 'only http, https and udp' }).waitFor({ timeout: 10000 });
    assert.equal(await dialog.isVisible(), true);
    await input.fill(tracker.url('/c/announce'));
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.waitFor({ state: 'hidden' });
    const expected = [tracker.url('/a/announce'), tracker.url('/c/announce'), udp];
    assert.deepEqual(await serverTrackers(), expected);
    assert.deepEqual(await shownUrls(), expected);
    await waitFor('an announce to the edited tracker', 20000, () => announced('/c/announce') > 0);
    // The focus is on the Edit button of the row, now of the new URL.
    assert.equal(await page.evaluate(() => document.activeElement.getAttribute('aria-label')), `Edit tracker ${tracker.url('/c/announce')}`);
  });

  test('Remove asks first; Cancel keeps the tracker, Remove drops it', { timeout: 60000 }, async () => {
    const udp = `udp://127.0.0.1:${udpPort}/announce`;
    const remove = panel().getByRole('button', { name: `Remove tracker ${udp}` });
    await remove.click();
    const dialog = page.getByRole('dialog', { name: 'Remove tracker?' });
    await dialog.waitFor();
    assert.equal(await dialog.locator('.tracker-dialog-text').textContent(), udp);
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden' });
    assert.equal((await serverTrackers()).length, 3);
    assert.equal(await page.evaluate(() => document.activeElement.getAttribute('aria-label')), `Remove tracker ${udp}`);

    await remove.click();
    await dialog.getByRole('button', { name: 'Remove', exact: true }).click();
    await dialog.waitFor({ state: 'hidden' });
    await toast(`Removed ${udp} from show`).waitFor({ timeout: 10000 });
    assert.deepEqual(await serverTrackers(), [tracker.url('/a/announce'), tracker.url('/c/announce')]);
    assert.deepEqual(await shownUrls(), [tracker.url('/a/announce'), tracker.url('/c/announce')]);
    // Its row gone, the focus is on Add trackers.
    assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Add trackers');

    // The first one, the one the magnet named.
    await panel().getByRole('button', { name: `Remove tracker ${tracker.url('/a/announce')}` }).click();
    await dialog.getByRole('button', { name: 'Remove', exact: true }).click();
    await dialog.waitFor({ state: 'hidden' });
    assert.deepEqual(await serverTrackers(), [tracker.url('/c/announce')]);
    assert.deepEqual(await panel().locator('tbody td[data-label="Tier"]').allTextContents(), ['0']);
  });

  test('after the edits the torrent goes on downloading, finishes and seeds; a seeding torrent can be edited too', { timeout: 120000 }, async () => {
    const before = (await torrent()).completed;
    await waitFor('more data', 20000, async () => (await torrent()).completed > before);
    await waitFor('the download to finish', 90000, async () => (await torrent()).state === 'seeding');
    await panel().getByRole('button', { name: 'Add trackers' }).click();
    await panel().getByLabel('Tracker URLs to add, one per line').fill(tracker.url('/d/announce'));
    await panel().getByRole('button', { name: 'Add these trackers' }).click();
    await toast('Added 1 tracker to show').waitFor({ timeout: 10000 });
    assert.deepEqual(await serverTrackers(), [tracker.url('/c/announce'), tracker.url('/d/announce')]);
    await waitFor('an announce to it', 20000, () => announced('/d/announce') > 0);
    await new Promise((r) => setTimeout(r, 1000));
    const t = await torrent();
    assert.equal(t.state, 'seeding');
    assert.equal(t.progress, 1);
  });

  test('an edit made elsewhere shows when the torrent\'s tracker hosts change', { timeout: 30000 }, async () => {
    const udp = `udp://127.0.0.1:${udpPort}/announce`;
    const elsewhere = `udp://localhost:${udpPort}/announce`;
    const res = await api('PUT', `api/v1/torrents/${show.hash}/trackers`, { urls: [tracker.url('/c/announce'), elsewhere] });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    await waitFor('the new list in the tab', 10000, async () => (await shownUrls()).includes(elsewhere));
    assert.deepEqual((await torrent()).trackerHosts.sort(), ['127.0.0.1', 'localhost']);
    assert.ok(!(await shownUrls()).includes(udp));
  });

  test('no unexpected errors in the console', () => {
    // The refused changes (400) are logged by the browser.
    const unexpected = consoleErrors.filter((e) => !/status of 400/.test(e));
    assert.deepEqual(unexpected, []);
  });
});
