// Browser tests of the web UI: headless Chromium driven by playwright-core against
// the real cloud-torrent binary and a loopback swarm (aria2c seeders, opentracker).
// The tests run in order and share one server, as a user's session would.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import {
  freePort, makeTorrent, seed, startServer, stop, stopAll, tracker, waitFor, waitForSeeder, writePayload,
} from '../lib/swarm.js';

const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run',
];
const XSS_NAME = '<img src=x onerror=alert(1)>';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ct-e2e-'));
const log = path.join(root, 'server.log');
let browser;
let page;
let server;
let serverPort;
let incomingPort;
let movie;
let album;
let xss;
const dialogs = [];
const consoleErrors = [];

async function startOurServer() {
  server = await startServer({ dir: path.join(root, 'server'), port: serverPort, incomingPort, log });
}

function card(hash) {
  return page.locator(`li.torrent[data-hash="${hash}"]`);
}

async function api(pathname) {
  const res = await fetch(new URL(pathname, server.url), { signal: AbortSignal.timeout(5000) });
  return res.json();
}

/** Drops `bytes` as a file named `name` on the page, as a user dragging it from a file manager. */
async function dropFile(name, bytes) {
  const transfer = await page.evaluateHandle(({ name, b64 }) => {
    const data = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const dt = new DataTransfer();
    dt.items.add(new File([data], name, { type: 'application/x-bittorrent' }));
    return dt;
  }, { name, b64: Buffer.from(bytes).toString('base64') });
  await page.dispatchEvent('main', 'dragenter', { dataTransfer: transfer });
  await page.dispatchEvent('main', 'drop', { dataTransfer: transfer });
}

/** Shows a section of the settings panel by its tab. */
function settingsSection(name) {
  return page.locator('#settings-nav').getByRole('tab', { name }).click();
}

async function noHorizontalScroll(p) {
  return p.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth);
}

before(async () => {
  // Payloads and torrents.
  const seedA = path.join(root, 'seed-a');
  const seedB = path.join(root, 'seed-b');
  const seedX = path.join(root, 'seed-x');
  writePayload(seedA, [['movie.bin', 6 * 1024 * 1024 + 123]]);
  writePayload(seedB, [['album/small.txt', 300 * 1024], ['album/big.bin', 8 * 1024 * 1024 + 7]]);
  writePayload(seedX, [[XSS_NAME, 100 * 1024]]);
  const trackerPort = await freePort();
  const announce = `http://127.0.0.1:${trackerPort}/announce`;
  movie = makeTorrent(path.join(seedA, 'movie.bin'), path.join(root, 'movie.torrent'));
  album = makeTorrent(path.join(seedB, 'album'), path.join(root, 'album.torrent'), { announce });
  xss = makeTorrent(path.join(seedX, XSS_NAME), path.join(root, 'xss.torrent'));

  // The swarm: a seeder found through a magnet's x.pe, one through the tracker.
  movie.seederPort = await freePort('127.0.0.2');
  seed({ torrent: movie.path, dataDir: seedA, ip: '127.0.0.2', port: movie.seederPort, limit: '1536K' });
  tracker({ dir: root, port: trackerPort, hashes: [album.hash] });
  seed({ torrent: album.path, dataDir: seedB, ip: '127.0.0.3', port: await freePort('127.0.0.3'), limit: '1M' });
  await waitForSeeder(trackerPort, album.hash);

  serverPort = await freePort();
  incomingPort = await freePort();
  await startOurServer();

  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  await context.addInitScript(() => localStorage.setItem('torrent-view', 'cards'));
  page = await context.newPage();
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    d.dismiss().catch(() => {});
  });
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
  page.on('pageerror', (e) => consoleErrors.push(String(e)));
  await page.goto(server.url);
  await page.evaluate(() => { window.loadedOnce = true; });
});

after(async () => {
  await browser?.close();
  if (server) await stop(server.child);
  await stopAll();
  if (!process.env.KEEP_E2E) fs.rmSync(root, { recursive: true, force: true });
});

describe('web UI', () => {
  test('the page connects and shows the live state', { timeout: 60000 }, async () => {
    await page.locator('#conn[data-state="live"]').waitFor();
    assert.equal(await page.title(), 'Cloud Torrent');
    await page.locator('#stats', { hasText: 'CPU' }).waitFor();
    await page.locator('#empty').waitFor();
  });

  test('a magnet pasted into the omni bar appears and rises to 100% without a reload', { timeout: 90000 }, async () => {
    const magnet = `magnet:?xt=urn:btih:${movie.hash}&dn=movie.bin&x.pe=127.0.0.2:${movie.seederPort}`;
    await page.locator('#omni-input').fill(magnet);
    assert.equal(await page.locator('#omni-go').textContent(), 'Add magnet');
    await page.locator('#omni-input').press('Enter');
    const c = card(movie.hash);
    await c.waitFor({ timeout: 5000 });
    const seen = new Set();
    await waitFor('the progress to reach 100%', 80000, async () => {
      const pct = await c.locator('.pct').textContent();
      seen.add(pct);
      return pct === '100%';
    });
    const between = [...seen].filter((p) => p !== '0%' && p !== '100%');
    assert.ok(between.length > 0, `progress should rise step by step, saw ${[...seen]}`);
    await c.locator('.badge', { hasText: 'Seeding' }).waitFor();
    assert.equal(await c.locator('.name').textContent(), 'movie.bin');
    assert.equal(await page.evaluate(() => window.loadedOnce), true, 'the page was reloaded');
  });

  test('settings change live and are saved to the config file', { timeout: 60000 }, async () => {
    await page.locator('#settings-toggle').click();
    const form = page.locator('#settings-form');
    await settingsSection('Downloads');
    await form.locator('input[name="autoStart"]').uncheck();
    await settingsSection('Connection');
    await form.locator('input[name="incomingPort"]').fill('51413');
    await form.locator('button[type="submit"]').click();
    await page.locator('#settings-status', { hasText: 'Saved.' }).waitFor();
    await page.locator('#settings-status', { hasText: 'Restart the server to apply: incoming peer port' }).waitFor();
    const config = await api('api/v1/config');
    assert.equal(config.autoStart, false);
    assert.deepEqual(config.pendingRestart, ['incomingPort']);
    const file = fs.readFileSync(path.join(root, 'server', 'cloud-torrent.toml'), 'utf8');
    assert.match(file, /autoStart = false/);
    // Undo the port change (the restart test reuses the port) and close the panel.
    await form.locator('input[name="incomingPort"]').fill(String(incomingPort));
    await form.locator('button[type="submit"]').click();
    await waitFor('the port change to be undone', 5000, async () => (await api('api/v1/config')).pendingRestart.length === 0);
    await page.locator('#settings-cancel').click();
    // The movie kept seeding through both changes.
    assert.equal((await api(`api/v1/torrents/${movie.hash}`)).state, 'seeding');
  });

  test('the header shows the total rates and toggles the alternative speed limits', { timeout: 30000 }, async () => {
    await page.locator('#rates', { hasText: '↓' }).waitFor();
    const toggle = page.locator('#alt-speed');
    assert.equal(await toggle.getAttribute('aria-pressed'), 'false');
    assert.match(await toggle.getAttribute('title'), /100 KiB\/s/);
    await toggle.click();
    await page.locator('#alt-speed[aria-pressed="true"]').waitFor();
    let stats = await api('api/v1/stats');
    assert.equal(stats.altSpeed, true);
    assert.equal(stats.downloadLimit, 100 * 1024);
    await toggle.click();
    await page.locator('#alt-speed[aria-pressed="false"]').waitFor();
    stats = await api('api/v1/stats');
    assert.equal(stats.altSpeed, false);
    assert.equal(stats.downloadLimit, 0);
  });

  test('speed, schedule, seeding and queue settings are saved from the panel', { timeout: 30000 }, async () => {
    await page.locator('#settings-toggle').click();
    const form = page.locator('#settings-form');
    await settingsSection('Speed');
    await form.locator('input[name="downloadLimit"]').fill('500');
    await form.locator('input[name="altUploadLimit"]').fill('20');
    await form.locator('input[name="scheduleEnabled"]').check();
    await form.locator('input[name="scheduleFrom"]').fill('01:30');
    await form.locator('input[name="scheduleTo"]').fill('02:45');
    for (const day of ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun']) {
      await form.locator(`input[name="day-${day}"]`).setChecked(day === 'sat' || day === 'sun');
    }
    await settingsSection('Seeding');
    await form.locator('input[name="seedRatioLimit"]').fill('2.5');
    await form.locator('input[name="seedIdleLimit"]').fill('90');
    await form.locator('select[name="seedLimitAction"]').selectOption('remove');
    await settingsSection('Queue');
    await form.locator('input[name="queueing"]').check();
    await form.locator('input[name="maxActiveDownloads"]').fill('2');
    await form.locator('button[type="submit"]').click();
    await page.locator('#settings-status', { hasText: 'Saved.' }).waitFor();
    const config = await api('api/v1/config');
    assert.equal(config.downloadLimit, 500 * 1024);
    assert.equal(config.altUploadLimit, 20 * 1024);
    assert.deepEqual(config.altSpeedSchedule, { enabled: true, from: '01:30', to: '02:45', days: ['sat', 'sun'] });
    assert.equal(config.seedRatioLimit, 2.5);
    assert.equal(config.seedIdleLimit, 90);
    assert.equal(config.seedTimeLimit, null);
    assert.equal(config.seedLimitAction, 'remove');
    assert.equal(config.queueing, true);
    assert.equal(config.maxActiveDownloads, 2);
    const file = fs.readFileSync(path.join(root, 'server', 'cloud-torrent.toml'), 'utf8');
    assert.match(file, /downloadLimit = 512000/);
    assert.match(file, /altSpeedSchedule = \{/);
    // Back as it was (empty: no limit), so that the other tests see the defaults.
    await settingsSection('Speed');
    await form.locator('input[name="downloadLimit"]').fill('0');
    await form.locator('input[name="altUploadLimit"]').fill('100');
    await form.locator('input[name="scheduleEnabled"]').uncheck();
    await settingsSection('Seeding');
    await form.locator('input[name="seedRatioLimit"]').fill('');
    await form.locator('input[name="seedIdleLimit"]').fill('');
    await form.locator('select[name="seedLimitAction"]').selectOption('stop');
    await settingsSection('Queue');
    await form.locator('input[name="queueing"]').uncheck();
    await form.locator('button[type="submit"]').click();
    await waitFor('the settings to be undone', 5000, async () => {
      const c = await api('api/v1/config');
      return c.downloadLimit === 0 && c.seedRatioLimit === null && !c.queueing && !c.altSpeedSchedule.enabled;
    });
    await page.locator('#settings-cancel').click();
  });

  test("a torrent's details set its seeding limits and force start, and move it in the queue", { timeout: 60000 }, async () => {
    const c = card(movie.hash);
    await c.locator('button.expand').click();
    await c.locator('.counters', { hasText: 'ratio' }).waitFor();
    // The pieces bar: every piece of a seeding torrent is held.
    const bar = c.locator('canvas.pieces');
    await bar.waitFor();
    await waitFor('the pieces bar', 5000, async () => (await bar.getAttribute('data-count')) !== null);
    assert.equal(await bar.getAttribute('data-held'), await bar.getAttribute('data-count'));
    assert.ok(Number(await bar.getAttribute('data-count')) > 0);
    await c.locator('input[name="seedRatioLimit"]').fill('-1');
    await c.locator('input[name="seedTimeLimit"]').fill('600');
    await c.locator('.limits input[name="uploadLimit"]').fill('50');
    await c.locator('.limits button[type="submit"]').click();
    await waitFor('the limits to be saved', 10000, async () => {
      const t = await api(`api/v1/torrents/${movie.hash}`);
      return t.seedRatioLimit === -1 && t.seedTimeLimit === 600 && t.seedIdleLimit === null
        && t.uploadLimit === 50 * 1024 && t.downloadLimit === 0;
    });
    await c.locator('.badge', { hasText: 'Seeding' }).waitFor();
    await c.locator('input.force').check();
    await waitFor('the force start', 5000, async () => (await api(`api/v1/torrents/${movie.hash}`)).forceStart === true);
    await c.locator('input.force').uncheck();
    await waitFor('the force start to end', 5000, async () => (await api(`api/v1/torrents/${movie.hash}`)).forceStart === false);
    await c.locator('input.sequential').check();
    await waitFor('sequential to be on', 5000, async () => (await api(`api/v1/torrents/${movie.hash}`)).sequential === true);
    await c.locator('input.sequential').uncheck();
    await waitFor('sequential to be off', 5000, async () => (await api(`api/v1/torrents/${movie.hash}`)).sequential === false);
    await c.locator('input.edges').check();
    await waitFor('first and last pieces first', 5000, async () => (await api(`api/v1/torrents/${movie.hash}`)).firstLastPiecesFirst === true);
    await c.locator('input.edges').uncheck();
    await waitFor('first and last pieces first to be off', 5000, async () => (await api(`api/v1/torrents/${movie.hash}`)).firstLastPiecesFirst === false);
    // A seeding torrent has no place in the queue.
    assert.equal(await c.locator('.queue').isHidden(), true);
    await c.locator('button.expand').click();

    // Two downloads nobody seeds, with no slot for either: queued, and reordered
    // with the buttons.
    const patch = (body) => fetch(new URL('api/v1/config', server.url), {
      method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
    });
    assert.equal((await patch({ queueing: true, maxActiveDownloads: 0 })).status, 200);
    const hashes = [];
    for (const name of ['queued-one', 'queued-two']) {
      const dir = path.join(root, `seed-${name}`);
      writePayload(dir, [[`${name}.bin`, 64 * 1024 + 1]]);
      const t = makeTorrent(path.join(dir, `${name}.bin`), path.join(root, `${name}.torrent`));
      // autoStart is off since the settings test: ask for a started torrent.
      const res = await fetch(new URL('api/v1/torrents?paused=false', server.url), {
        method: 'POST', headers: { 'content-type': 'application/x-bittorrent' }, body: t.bytes,
      });
      assert.equal(res.status, 201);
      hashes.push(t.hash);
    }
    const [one, two] = hashes;
    await card(one).locator('.badge', { hasText: 'Queued #1' }).waitFor();
    await card(two).locator('.badge', { hasText: 'Queued #2' }).waitFor();
    await card(two).locator('button.expand').click();
    await card(two).locator('button.queue-top').click();
    await card(two).locator('.badge', { hasText: 'Queued #1' }).waitFor();
    await card(one).locator('.badge', { hasText: 'Queued #2' }).waitFor();
    assert.equal((await api(`api/v1/torrents/${two}`)).queuePosition, 1);
    assert.equal((await patch({ queueing: false, maxActiveDownloads: 3 })).status, 200);
    for (const hash of hashes) {
      const res = await fetch(new URL(`api/v1/torrents/${hash}?deleteFiles=true`, server.url), { method: 'DELETE' });
      assert.equal(res.status, 204);
      await card(hash).waitFor({ state: 'detached', timeout: 5000 });
    }
    assert.deepEqual(consoleErrors, []);
  });

  test('a dropped .torrent is added, and an unticked file is not downloaded', { timeout: 90000 }, async () => {
    await dropFile('album.torrent', album.bytes);
    const c = card(album.hash);
    await c.waitFor({ timeout: 5000 });
    // autoStart is off now: it waits, stopped, with its file list known.
    await c.locator('.badge', { hasText: 'Stopped' }).waitFor();
    await c.locator('button.expand').click();
    const big = c.locator('li.file', { hasText: 'big.bin' });
    await big.locator('input[type="checkbox"]').uncheck();
    await waitFor('the selection to reach the server', 5000, async () => {
      const t = await api(`api/v1/torrents/${album.hash}`);
      return t.files.find((f) => f.path.endsWith('big.bin')).selected === false;
    });
    await c.locator('button.start').click();
    await c.locator('.badge', { hasText: 'Seeding' }).waitFor({ timeout: 80000 });
    assert.equal(await c.locator('.pct').textContent(), '100%');
    assert.equal(await c.locator('li.file', { hasText: 'small.txt' }).locator('.file-info').textContent(), '100% of 300 KiB');
    const bigInfo = await big.locator('.file-info').textContent();
    assert.ok(!bigInfo.startsWith('100%'), `big.bin should not be downloaded: ${bigInfo}`);
    const t = await api(`api/v1/torrents/${album.hash}`);
    const bigFile = t.files.find((f) => f.path.endsWith('big.bin'));
    assert.ok(bigFile.completed < bigFile.size / 4, `big.bin got ${bigFile.completed} bytes`);
  });

  test(`a torrent named ${XSS_NAME} shows as text and no dialog opens`, { timeout: 60000 }, async () => {
    await page.locator('#file-input').setInputFiles(xss.path);
    const c = card(xss.hash);
    await c.waitFor({ timeout: 5000 });
    assert.equal(await c.locator('.name').textContent(), XSS_NAME);
    await c.locator('button.expand').click();
    await c.locator('li.file .path').first().waitFor();
    assert.equal(await page.locator('main img').count(), 0);
    await new Promise((r) => setTimeout(r, 1000));
    assert.deepEqual(dialogs, []);
    await c.locator('button.expand').click();
  });

  test('a 360x740 phone screen has no horizontal scroll', { timeout: 60000 }, async () => {
    const phone = await browser.newPage({ viewport: { width: 360, height: 740 }, deviceScaleFactor: 2, isMobile: true });
    try {
      await phone.goto(server.url);
      await phone.locator(`li.torrent[data-hash="${album.hash}"] button.expand`).click();
      await phone.locator(`li.torrent[data-hash="${xss.hash}"] button.expand`).click();
      assert.ok(await noHorizontalScroll(phone), 'horizontal scroll with expanded torrents');
      await phone.locator('#settings-toggle').click();
      assert.ok(await noHorizontalScroll(phone), 'horizontal scroll with the settings open');
      await phone.locator('#settings-cancel').click();
    } finally {
      await phone.close();
    }
  });

  test('stop, start and remove work from the buttons', { timeout: 60000 }, async () => {
    const c = card(movie.hash);
    await c.locator('button.stop').click();
    await c.locator('.badge', { hasText: 'Stopped' }).waitFor();
    assert.equal((await api(`api/v1/torrents/${movie.hash}`)).state, 'paused');
    await c.locator('button.start').click();
    await c.locator('.badge', { hasText: 'Seeding' }).waitFor();
    await c.locator('button.remove').click();
    const dialog = page.locator('#remove-dialog');
    await dialog.waitFor();
    assert.equal(await dialog.locator('#remove-name').textContent(), 'movie.bin');
    await dialog.locator('#remove-data').check();
    await dialog.locator('#remove-confirm').click();
    await c.waitFor({ state: 'detached', timeout: 5000 });
    const res = await fetch(new URL(`api/v1/torrents/${movie.hash}`, server.url));
    assert.equal(res.status, 404);
    await waitFor('the data to be deleted', 5000, () => !fs.existsSync(path.join(root, 'server', 'downloads', 'movie.bin')));
    assert.deepEqual(consoleErrors, []);
  });

  test('the UI shows the server going away and recovers when it is back', { timeout: 60000 }, async () => {
    await stop(server.child);
    await page.locator('#conn[data-state="offline"]').waitFor({ timeout: 10000 });
    await startOurServer();
    await page.locator('#conn[data-state="live"]').waitFor({ timeout: 60000 });
    await card(album.hash).waitFor();
    // Live updates flow again: a change made elsewhere shows up without a reload.
    const res = await fetch(new URL(`api/v1/torrents/${xss.hash}`, server.url), { method: 'DELETE' });
    assert.equal(res.status, 204);
    await card(xss.hash).waitFor({ state: 'detached', timeout: 5000 });
    assert.equal(await page.evaluate(() => window.loadedOnce), true, 'the page was reloaded');
  });
});
