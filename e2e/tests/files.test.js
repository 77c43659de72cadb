// Browser tests of the files UI: the downloads tree's Download, Delete, Zip and
// View, and a torrent's Stream link and playlist, against the real binary (no swarm:
// the torrent is made from data already in the download folder, so it seeds at once).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { freePort, makeTorrent, startServer, stop, stopAll, waitFor, writePayload } from '../lib/swarm.js';

const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run',
];
// A 1x1 PNG.
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ct-e2e-files-'));
const downloads = path.join(root, 'server', 'downloads');
let browser;
let page;
let server;
const consoleErrors = [];

function entry(name) {
  return page.locator('#downloads li.file').filter({ has: page.locator(`> a.path:text-is("${name}")`) });
}

async function fetchFromPage(href) {
  return fetch(new URL(href, page.url()), { signal: AbortSignal.timeout(5000) });
}

before(async () => {
  writePayload(downloads, [
    ['hello world.bin', 70000], ['remove me.bin', 1000],
    ['pack/a.bin', 5000], ['pack/inner/b.bin', 3000], ['album/one.bin', 300 * 1024], ['album/song.mp3', 2000], ['album/two.bin', 1000],
  ]);
  fs.writeFileSync(path.join(downloads, 'dot.png'), PNG);
  server = await startServer({
    dir: path.join(root, 'server'), port: await freePort(), incomingPort: await freePort(), log: path.join(root, 'server.log'),
  });
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.addInitScript(() => localStorage.setItem('torrent-view', 'cards'));
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
  page.on('pageerror', (e) => consoleErrors.push(String(e)));
  await page.goto(server.url);
  await page.locator('#conn[data-state="live"]').waitFor({ timeout: 10000 });
});

after(async () => {
  await browser?.close();
  if (server) await stop(server.child);
  await stopAll();
  if (!process.env.KEEP_E2E) fs.rmSync(root, { recursive: true, force: true });
});

describe('files UI', () => {
  test('a file\'s Download link is relative and fetches its exact bytes', { timeout: 60000 }, async () => {
    const link = entry('hello world.bin').locator('a.save');
    await link.waitFor({ timeout: 5000 });
    const href = await link.getAttribute('href');
    assert.equal(href, 'download/hello%20world.bin?download');
    const res = await fetchFromPage(href);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-disposition') ?? '', /attachment/);
    assert.ok(Buffer.from(await res.arrayBuffer()).equals(fs.readFileSync(path.join(downloads, 'hello world.bin'))));
  });

  test('a folder\'s Zip link answers a zip', { timeout: 60000 }, async () => {
    const dir = page.locator('#downloads li.dir').filter({ has: page.locator('> details > summary .path:text-is("pack")') });
    const href = await dir.locator('> details > summary a.zip').getAttribute('href');
    assert.equal(href, 'download/pack');
    const res = await fetchFromPage(href);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/zip');
    const body = Buffer.from(await res.arrayBuffer());
    assert.equal(body.subarray(0, 2).toString(), 'PK');
  });

  test('an image opens inline with View', { timeout: 60000 }, async () => {
    const row = entry('dot.png');
    await row.locator('button.play', { hasText: 'View' }).click();
    const img = row.locator('.player img');
    await img.waitFor();
    assert.equal(await img.getAttribute('src'), 'download/dot.png');
    await waitFor('the image to load', 5000, () => img.evaluate((el) => el.complete && el.naturalWidth === 1));
    await row.locator('button.play', { hasText: 'Close' }).click();
    await img.waitFor({ state: 'detached' });
  });

  test('Delete asks first, then removes the file and the tree updates', { timeout: 60000 }, async () => {
    const file = path.join(downloads, 'remove me.bin');
    const messages = [];
    // Cancelled: nothing happens.
    page.once('dialog', (d) => { messages.push(d.message()); d.dismiss(); });
    await entry('remove me.bin').locator('button.delete').click();
    await waitFor('the confirmation', 5000, () => messages.length === 1);
    assert.equal(messages[0], 'Delete remove me.bin?');
    await new Promise((r) => setTimeout(r, 300));
    assert.ok(fs.existsSync(file));
    // Accepted: the file goes away, and so does its row.
    page.once('dialog', (d) => { messages.push(d.message()); d.accept(); });
    await entry('remove me.bin').locator('button.delete').click();
    await entry('remove me.bin').waitFor({ state: 'detached', timeout: 5000 });
    assert.equal(messages.length, 2);
    assert.ok(!fs.existsSync(file));
    await entry('hello world.bin').waitFor();
  });

  test('a torrent\'s file has a Stream link and the torrent a playlist; its data cannot be deleted', { timeout: 60000 }, async () => {
    const album = makeTorrent(path.join(downloads, 'album'), path.join(root, 'album.torrent'));
    const res = await fetch(new URL('api/v1/torrents', server.url), {
      method: 'POST', headers: { 'content-type': 'application/x-bittorrent' }, body: album.bytes,
    });
    assert.ok(res.ok, `adding the torrent: ${res.status}`);
    const c = page.locator(`li.torrent[data-hash="${album.hash}"]`);
    await c.locator('button.expand').click();
    const stream = c.locator('li.file a.stream').first();
    await stream.waitFor({ timeout: 10000 });
    const href = await stream.getAttribute('href');
    assert.equal(href, `api/v1/torrents/${album.hash}/files/0/stream`);
    await waitFor('the torrent to seed', 10000, async () => {
      const t = await (await fetch(new URL(`api/v1/torrents/${album.hash}`, server.url))).json();
      if (t.state === 'seeding' || t.state === 'completed') return true;
      throw new Error(JSON.stringify([t.state, t.progress, t.error]));
    });
    await waitFor('the stream to answer the file', 10000, async () => {
      const r = await fetchFromPage(href);
      return r.ok && Buffer.from(await r.arrayBuffer()).equals(fs.readFileSync(path.join(downloads, 'album', 'one.bin')));
    });
    // The playlist (offered: the album has a song) lists absolute stream URLs
    // starting where the page is served from.
    const base = new URL('.', page.url()).href;
    const playlist = await c.locator('a.playlist').getAttribute('href');
    assert.equal(playlist, `api/v1/torrents/${album.hash}/playlist.m3u?base=${encodeURIComponent(base)}`);
    assert.ok(await c.locator('a.playlist').isVisible());
    const m3u = await fetchFromPage(playlist);
    assert.equal(m3u.status, 200);
    const t = await (await fetch(new URL(`api/v1/torrents/${album.hash}`, server.url))).json();
    const song = t.files.find((f) => f.path.endsWith('song.mp3'));
    assert.ok((await m3u.text()).includes(`\n${base}api/v1/torrents/${album.hash}/files/${song.index}/stream\n`));

    // Deleting the torrent's data from the tree shows the server's error.
    const dir = page.locator('#downloads li.dir').filter({ has: page.locator('> details > summary .path:text-is("album")') });
    await dir.locator('> details').evaluate((d) => { d.open = true; });
    page.once('dialog', (d) => d.accept());
    await dir.locator('li.file').filter({ hasText: 'one.bin' }).locator('button.delete').click();
    await page.locator('#toasts .toast[data-kind="error"]', { hasText: 'Cannot delete album/one.bin' }).waitFor({ timeout: 5000 });
    assert.ok(fs.existsSync(path.join(downloads, 'album', 'one.bin')));
  });

  test('without search providers, a search shows the server\'s message', { timeout: 60000 }, async () => {
    await page.locator('#omni-input').fill('ubuntu iso');
    assert.equal(await page.locator('#omni-go').textContent(), 'Search');
    await page.locator('#omni-input').press('Enter');
    await page.locator('#search').waitFor();
    const res = await fetch(new URL('api/v1/search?query=ubuntu%20iso', server.url));
    const { error } = await res.json();
    assert.ok(error);
    await page.locator('#search-status', { hasText: error }).waitFor({ timeout: 5000 });
    await page.locator('#search-close').click();
    await page.locator('#search').waitFor({ state: 'hidden' });
    await page.locator('#omni-input').fill('');
  });

  test('a 360 px screen has no horizontal scroll with the file actions', { timeout: 60000 }, async () => {
    await page.setViewportSize({ width: 360, height: 740 });
    await page.locator('#downloads li.dir details').evaluateAll((ds) => ds.forEach((d) => { d.open = true; }));
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth));
    await page.setViewportSize({ width: 1280, height: 900 });
    const unexpected = consoleErrors.filter((e) => !/status of (409|404)/.test(e));
    assert.deepEqual(unexpected, []);
  });
});
