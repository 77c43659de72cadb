// Browser tests of dormant torrents as a user meets them: a server started with
// `dormantAfter = 1` holds a seeding torrent whose data is on disk and that has no
// peer, so it goes dormant a second later. Its card still says Seeding, its details
// pane says it is dormant, and the Connection section of the settings shows the two
// settings, which take effect after a restart (and do: turned off, the torrent is
// back in the engine after the restart, the pane no longer saying it is dormant).

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

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ct-e2e-dormant-'));
const serverDir = path.join(root, 'server');
const DORMANT = /\(dormant: out of the engine until a peer comes\)/;
let browser;
let page;
let server;
let ports;
let album;
const errors = [];

async function api(pathname, init = {}) {
  const res = await fetch(new URL(pathname, server.url), { signal: AbortSignal.timeout(10000), ...init });
  return { status: res.status, body: res.status === 204 ? null : await res.json() };
}

async function torrent() {
  return (await api(`api/v1/torrents/${album.hash}`)).body;
}

async function start() {
  server = await startServer({
    dir: serverDir, port: ports.http, incomingPort: ports.peers, log: path.join(root, 'server.log'),
    args: ['--disable-dht'],
  });
  await page.goto(server.url);
  await page.locator('#conn[data-state="live"]').waitFor({ timeout: 10000 });
}

const card = () => page.locator(`li.torrent[data-hash="${album.hash}"]`);
const pane = () => page.locator('#details');
const stateField = () => pane().locator('#panel-general dt:text-is("State") + dd');
const tab = (name) => page.locator('#settings-nav').getByRole('tab', { name });
const form = () => page.locator('#settings-form');
const setting = (name) => form().locator(`[name="${name}"]`);

before(async () => {
  ports = { http: await freePort(), peers: await freePort(), dormant: await freePort() };
  fs.mkdirSync(serverDir, { recursive: true });
  fs.writeFileSync(path.join(serverDir, 'cloud-torrent.toml'), `dormantAfter = 1\ndormantPort = ${ports.dormant}\n`);
  // The data is in the download folder already: added, the torrent seeds at once.
  const downloads = path.join(serverDir, 'downloads');
  writePayload(downloads, [['album/01 intro.flac', 300 * 1024 + 7], ['album/02 song.flac', 700 * 1024]]);
  album = makeTorrent(path.join(downloads, 'album'), path.join(root, 'album.torrent'));

  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  await context.addInitScript(() => {
    if (location.protocol === 'http:') localStorage.setItem('torrent-view', 'cards');
  });
  page = await context.newPage();
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await start();
  const added = await api('api/v1/torrents', {
    method: 'POST', headers: { 'content-type': 'application/x-bittorrent' }, body: album.bytes,
  });
  assert.equal(added.status, 201, JSON.stringify(added.body));
});

after(async () => {
  await browser?.close();
  if (server) await stop(server.child);
  await stopAll();
  if (!process.env.KEEP_E2E) fs.rmSync(root, { recursive: true, force: true });
});

describe('dormant torrents', () => {
  test('a seed with no peer goes dormant: its card still says Seeding, its details say dormant', { timeout: 30000 }, async () => {
    await waitFor('the torrent to go dormant', 15000, async () => (await torrent()).dormant === true);
    const t = await torrent();
    assert.equal(t.state, 'seeding');
    assert.equal(t.progress, 1);
    await card().waitFor();
    assert.match(await card().textContent(), /Seeding/);
    assert.doesNotMatch(await card().textContent(), /dormant/i);
    await card().getByRole('button', { name: 'Details of album', exact: true }).click();
    await pane().locator('#panel-general').waitFor();
    await waitFor('the pane to say dormant', 5000, async () => DORMANT.test(await stateField().textContent()));
    assert.match(await stateField().textContent(), /^Seeding/);
    // Its pieces are all there, read from what it kept.
    const pieces = (await api(`api/v1/torrents/${album.hash}/pieces`)).body;
    assert.equal(pieces.count, 4);
    await pane().locator('#details-close').click();
  });

  test('the Connection section shows both settings; turned off, the torrent is awake after a restart', { timeout: 60000 }, async () => {
    await page.locator('#settings-toggle').click();
    await tab('Connection').click();
    assert.equal(await setting('dormantAfter').inputValue(), '1');
    assert.equal(await setting('dormantPort').inputValue(), String(ports.dormant));
    assert.equal(await setting('dormantAfter').isDisabled(), false);
    await setting('dormantAfter').fill('0');
    await form().locator('button[type="submit"]').click();
    await page.locator('#settings-status', { hasText: 'Restart the server to apply: dormant after' }).waitFor();
    assert.match(fs.readFileSync(path.join(serverDir, 'cloud-torrent.toml'), 'utf8'), /dormantAfter = 0/);
    // Until the restart it stays dormant.
    assert.equal((await torrent()).dormant, true);
    await page.locator('#settings-cancel').click();

    // The page is left first: while the server is down, its reconnecting would be errors.
    await page.goto('about:blank');
    await stop(server.child);
    await start();
    await waitFor('the torrent to seed awake', 15000, async () => {
      const t = await torrent();
      return t.state === 'seeding' && t.dormant === false;
    });
    await card().getByRole('button', { name: 'Details of album', exact: true }).click();
    await pane().locator('#panel-general').waitFor();
    await waitFor('the pane to say Seeding', 5000, async () => /^Seeding/.test(await stateField().textContent()));
    // Several seconds with no peer: it stays awake now.
    await new Promise((resolve) => setTimeout(resolve, 2500));
    assert.equal((await torrent()).dormant, false);
    assert.doesNotMatch(await stateField().textContent(), DORMANT);
  });

  test('nothing went wrong in the page', () => {
    assert.deepEqual(errors, []);
  });
});
