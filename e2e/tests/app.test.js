// Browser tests of the UI as an app of the browser: the web app manifest and its
// icons; magnet links from other sites (this page registered as the handler of
// magnet: links, and a page opened with ?magnet=… asking before it adds); and
// the opt-in notifications of finished downloads, with a stub of
// window.Notification (headless Chromium shows none) recording what the page
// made while a real torrent downloads from a loopback seeder and finishes.
// Torrents entering the error state get a toast.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { freePort, makeTorrent, seed, startServer, stop, stopAll, waitFor, writePayload } from '../lib/swarm.js';
import { startTracker, waitForListener } from '../lib/tracker.js';
import { handlerUrl, parseMagnet } from '../../web/js/magnet-link.js';

const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run',
];
const KIB = 1024;
const MIB = 1024 * KIB;

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ct-e2e-app-'));
const downloads = path.join(root, 'server', 'downloads');
let browser;
let server;
let tracker;
let seederPort;
// A torrent a seeder of 127.0.0.2 has whole.
let finale;
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

const torrents = async () => (await api('GET', 'api/v1/torrents')).body;
const torrent = async (hash) => (await api('GET', `api/v1/torrents/${hash}`)).body;

/**
 * A window.Notification that shows nothing and records what the page made in
 * window.notes; its permission starts as `permission` and requestPermission()
 * grants it (kept for the tab, as a browser would keep it).
 */
function notificationStub(permission) {
  const KEY = 'stub-notification-permission';
  window.notes = [];
  window.permissionAsked = 0;
  class StubNotification {
    static get permission() {
      return sessionStorage.getItem(KEY) ?? permission;
    }

    static async requestPermission() {
      window.permissionAsked += 1;
      sessionStorage.setItem(KEY, 'granted');
      return 'granted';
    }

    constructor(title, options = {}) {
      window.notes.push({ title, tag: options.tag });
    }

    addEventListener() {}

    close() {}
  }
  window.Notification = StubNotification;
}

/** A page of its own context (so its own localStorage), set up by `init` scripts. */
async function openPage(...init) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  for (const [script, arg] of init) await context.addInitScript(script, arg);
  const page = await context.newPage();
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
  page.on('pageerror', (e) => consoleErrors.push(String(e)));
  return page;
}

/** Opens the settings at their "This browser" section (a tab of its own on wide screens). */
async function openSettings(page) {
  await page.locator('#settings-toggle').click();
  const tab = page.getByRole('tab', { name: 'This browser' });
  if (await tab.count()) await tab.click();
  await page.locator('#browser-prefs').waitFor();
}

/** The page's URL as the page has it now (after history.replaceState). */
const href = (page) => page.evaluate(() => window.location.href);
/** Waits until the page's URL is `url` (a dialog's close event comes a moment after it closes). */
const urlBecomes = (page, url) => waitFor(`the URL to be ${url}`, 5000, async () => (await href(page)) === url);

/** The PNG's width and height, from its IHDR chunk. */
function pngSize(buffer) {
  assert.equal(buffer.subarray(1, 4).toString(), 'PNG');
  return [buffer.readUInt32BE(16), buffer.readUInt32BE(20)];
}

before(async () => {
  seederPort = await freePort('127.0.0.2');
  tracker = await startTracker({ port: await freePort(), peers: () => [['127.0.0.2', seederPort]], interval: 5 });
  const seedDir = path.join(root, 'seed');
  writePayload(seedDir, [['finale/part 1.bin', 2 * MIB + 7], ['finale/part 2.bin', MIB]]);
  finale = makeTorrent(path.join(seedDir, 'finale'), path.join(root, 'finale.torrent'));
  // Throttled, so that the page sees it download before it finishes.
  seed({ torrent: finale.path, dataDir: seedDir, ip: '127.0.0.2', port: seederPort, limit: '512K' });
  await waitForListener('127.0.0.2', seederPort);
  server = await startServer({
    dir: path.join(root, 'server'), port: await freePort(), incomingPort: await freePort(), log: path.join(root, 'server.log'),
  });
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
});

after(async () => {
  await browser?.close();
  if (server) await stop(server.child);
  await stopAll();
  await tracker?.close();
  if (!process.env.KEEP_E2E) fs.rmSync(root, { recursive: true, force: true });
});

describe('install as an app', () => {
  test('the page links the manifest and a theme colour, by relative URLs; Chromium finds it installable', { timeout: 30000 }, async () => {
    const page = await openPage();
    try {
      await page.goto(server.url);
      assert.equal(await page.locator('link[rel="manifest"]').getAttribute('href'), 'manifest.webmanifest');
      assert.match(await page.locator('meta[name="theme-color"]').getAttribute('content'), /^#[0-9a-f]{6}$/i);
      const touch = await page.locator('link[rel="apple-touch-icon"]').getAttribute('href');
      assert.ok(!touch.startsWith('/'), touch);
      assert.equal((await fetch(new URL(touch, server.url))).status, 200);
      // Chromium reads the manifest without a complaint and finds nothing that
      // stops an install, but for the test's own throwaway profile.
      const cdp = await page.context().newCDPSession(page);
      const manifest = await waitFor('the manifest', 10000, async () => {
        const answer = await cdp.send('Page.getAppManifest');
        return answer.url ? answer : null;
      });
      assert.equal(manifest.url, `${server.url}manifest.webmanifest`);
      assert.deepEqual(manifest.errors, []);
      const { installabilityErrors } = await cdp.send('Page.getInstallabilityErrors');
      assert.deepEqual(installabilityErrors.map((e) => e.errorId).filter((id) => id !== 'in-incognito'), []);
    } finally {
      await page.context().close();
    }
  });

  test('the manifest is served as application/manifest+json, without a login, with PNG icons of 192 and 512 px', { timeout: 30000 }, async () => {
    const res = await fetch(new URL('manifest.webmanifest', server.url));
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type'), /^application\/manifest\+json/);
    const manifest = await res.json();
    assert.equal(manifest.start_url, './');
    assert.equal(manifest.scope, './');
    assert.equal(manifest.display, 'standalone');
    assert.deepEqual(manifest.protocol_handlers, [{ protocol: 'magnet', url: './?magnet=%s' }]);
    const sizes = new Set();
    for (const icon of manifest.icons) {
      assert.ok(!icon.src.startsWith('/'), `${icon.src} is not relative`);
      const file = await fetch(new URL(icon.src, new URL('manifest.webmanifest', server.url)));
      assert.equal(file.status, 200, icon.src);
      assert.equal(file.headers.get('content-type'), icon.type, icon.src);
      if (icon.type !== 'image/png') continue;
      const [w, h] = pngSize(Buffer.from(await file.arrayBuffer()));
      assert.equal(`${w}x${h}`, icon.sizes, icon.src);
      if (icon.purpose === 'any') sizes.add(icon.sizes);
    }
    assert.deepEqual([...sizes].sort(), ['192x192', '512x512']);
    assert.ok(manifest.icons.some((icon) => icon.purpose === 'maskable'));
  });
});

describe('magnet links from other sites', () => {
  const hash = randomBytes(20).toString('hex');
  const trackerA = 'udp://tracker.example.org:6969/announce';
  const trackerB = 'http://127.0.0.1:9/announce';
  const magnet = `magnet:?xt=urn:btih:${hash}&dn=${encodeURIComponent('Big Buck Bunny')}`
    + `&tr=${encodeURIComponent(trackerA)}&tr=${encodeURIComponent(trackerB)}`;
  const opened = (link) => `${server.url}?magnet=${encodeURIComponent(link)}`;

  test('a magnet link is read as the server reads it', () => {
    const ok = parseMagnet(magnet);
    assert.deepEqual(ok, { hash, name: 'Big Buck Bunny', trackers: [trackerA, trackerB] });
    // Base32 info hashes, and no name or trackers.
    assert.deepEqual(parseMagnet('magnet:?xt=urn:btih:AAAQEAYEAUDAOCAJBIFQYDIOB4IBCEQT'),
      { hash: '000102030405060708090a0b0c0d0e0f10111213', name: '', trackers: [] });
    assert.match(parseMagnet('https://example.org/x.torrent').error, /not a magnet link/);
    assert.match(parseMagnet('magnet:?dn=x').error, /no info hash/);
    assert.match(parseMagnet('magnet:?xt=urn:btih:1234').error, /neither 40 hex digits nor 32 base32/);
    assert.match(parseMagnet(`magnet:?xt=urn:btmh:1220${'ab'.repeat(32)}`).error, /v2/);
    assert.match(parseMagnet(`magnet:?xt=urn:btih:${hash}&tr=ftp%3A%2F%2Fx%2F`).error, /not http, https or udp/);
    assert.equal(handlerUrl({ origin: 'https://box.example', pathname: '/torrents/' }), 'https://box.example/torrents/?magnet=%s');
  });

  test('the settings offer to open magnet links with this page, registering ?magnet=%s of this page', { timeout: 30000 }, async () => {
    const page = await openPage([() => {
      window.registered = [];
      Navigator.prototype.registerProtocolHandler = function register(scheme, url) {
        window.registered.push([scheme, url]);
      };
    }]);
    try {
      await page.goto(server.url);
      await openSettings(page);
      const button = page.getByRole('button', { name: 'Open magnet links with this page' });
      await button.click();
      assert.deepEqual(await page.evaluate(() => window.registered), [['magnet', `${server.url}?magnet=%s`]]);
      assert.match(await page.locator('#magnet-handler-status').textContent(), /confirm in its prompt/);
    } finally {
      await page.context().close();
    }
  });

  test('without registerProtocolHandler the offer is not made', { timeout: 30000 }, async () => {
    const page = await openPage([() => { delete Navigator.prototype.registerProtocolHandler; }]);
    try {
      await page.goto(server.url);
      await openSettings(page);
      assert.equal(await page.locator('#magnet-handler').count(), 0);
    } finally {
      await page.context().close();
    }
  });

  test('opened with ?magnet=, the page shows the link and adds it when asked, in the category chosen', { timeout: 30000 }, async () => {
    const page = await openPage();
    try {
      await page.goto(`${opened(magnet)}#view=x`);
      const dialog = page.getByRole('dialog', { name: 'Add this magnet link?' });
      await dialog.waitFor();
      assert.equal(await dialog.locator('.magnet-fields .name').textContent(), 'Big Buck Bunny');
      assert.equal(await dialog.locator('#magnet-hash').textContent(), hash);
      assert.deepEqual(await dialog.locator('.magnet-trackers li').allTextContents(), [trackerA, trackerB]);
      // Nothing is added before the user says so.
      assert.equal((await torrents()).some((t) => t.infoHash === hash), false);
      await dialog.getByLabel('Category').fill('films');
      await dialog.getByRole('button', { name: 'Add torrent' }).click();
      await dialog.waitFor({ state: 'hidden' });
      const added = await waitFor('the torrent on the server', 10000, async () => (await torrents()).find((t) => t.infoHash === hash));
      assert.equal(added.name, 'Big Buck Bunny');
      assert.equal(added.category, 'films');
      assert.deepEqual(added.trackerHosts.sort(), ['127.0.0.1', 'tracker.example.org']);
      await page.locator('#toasts .toast', { hasText: 'Added Big Buck Bunny' }).waitFor({ timeout: 10000 });
      // The magnet left the URL (the hash stayed): a reload does not ask again.
      await urlBecomes(page, `${server.url}#view=x`);
      await page.reload();
      await page.locator('#conn[data-state="live"]').waitFor({ timeout: 10000 });
      assert.equal(await page.locator('dialog[open]').count(), 0);
      // Opened again with it: the server says it is there already.
      await page.goto(opened(magnet));
      await page.getByRole('button', { name: 'Add torrent' }).click();
      await page.locator('#toasts .toast', { hasText: 'Already there: Big Buck Bunny' }).waitFor({ timeout: 10000 });
      assert.equal((await torrents()).filter((t) => t.infoHash === hash).length, 1);
    } finally {
      await page.context().close();
    }
  });

  test('Cancel (or Escape) adds nothing and takes the magnet out of the URL', { timeout: 30000 }, async () => {
    const other = randomBytes(20).toString('hex');
    const page = await openPage();
    try {
      const before = (await torrents()).length;
      await page.goto(opened(`magnet:?xt=urn:btih:${other}&dn=unwanted`));
      const dialog = page.getByRole('dialog', { name: 'Add this magnet link?' });
      await dialog.getByRole('button', { name: 'Cancel' }).click();
      await dialog.waitFor({ state: 'hidden' });
      await urlBecomes(page, server.url);
      await page.goto(opened(`magnet:?xt=urn:btih:${other}&dn=unwanted`));
      await dialog.waitFor();
      await page.keyboard.press('Escape');
      await dialog.waitFor({ state: 'hidden' });
      await urlBecomes(page, server.url);
      await new Promise((r) => setTimeout(r, 500));
      assert.equal((await torrents()).length, before);
    } finally {
      await page.context().close();
    }
  });

  test('what the server refuses is said in the dialog, which stays open', { timeout: 30000 }, async () => {
    const page = await openPage();
    try {
      const before = (await torrents()).length;
      await page.goto(opened(`magnet:?xt=urn:btih:${randomBytes(20).toString('hex')}&dn=hinted&x.pe=nonsense`));
      const dialog = page.getByRole('dialog', { name: 'Add this magnet link?' });
      await dialog.getByRole('button', { name: 'Add torrent' }).click();
      await dialog.locator('#magnet-status', { hasText: /^Not added: .*x\.pe/ }).waitFor({ timeout: 10000 });
      assert.equal(await dialog.isVisible(), true);
      assert.match(await href(page), /\?magnet=/);
      await dialog.getByRole('button', { name: 'Cancel' }).click();
      await urlBecomes(page, server.url);
      assert.equal((await torrents()).length, before);
    } finally {
      await page.context().close();
    }
  });

  test('an invalid magnet link is refused with a clear message; nothing is added', { timeout: 30000 }, async () => {
    const page = await openPage();
    try {
      const before = (await torrents()).length;
      await page.goto(opened('magnet:?xt=urn:btih:12345&dn=broken'));
      const dialog = page.getByRole('dialog', { name: 'This magnet link cannot be added' });
      await dialog.waitFor();
      assert.match(await dialog.locator('#magnet-error').textContent(), /info hash is neither 40 hex digits nor 32 base32 characters/);
      assert.equal(await dialog.getByRole('button', { name: 'Add torrent' }).count(), 0);
      await dialog.getByRole('button', { name: 'Close' }).click();
      await dialog.waitFor({ state: 'hidden' });
      await urlBecomes(page, server.url);
      await page.goto(opened('javascript:alert(1)'));
      await page.getByRole('dialog', { name: 'This magnet link cannot be added' }).waitFor();
      assert.match(await page.locator('#magnet-error').textContent(), /not a magnet link/);
      assert.equal((await torrents()).length, before);
    } finally {
      await page.context().close();
    }
  });
});

describe('notifications of finished downloads', () => {
  test('unsupported, or blocked, the option is disabled and says why', { timeout: 30000 }, async () => {
    const none = await openPage([() => { delete window.Notification; }]);
    try {
      await none.goto(server.url);
      await openSettings(none);
      const box = none.getByRole('checkbox', { name: 'Notify me when a download finishes' });
      assert.equal(await box.isDisabled(), true);
      assert.equal(await none.locator('#notify-status').textContent(), 'This browser cannot show notifications.');
    } finally {
      await none.context().close();
    }
    const denied = await openPage([notificationStub, 'denied']);
    try {
      await denied.goto(server.url);
      await openSettings(denied);
      const box = denied.getByRole('checkbox', { name: 'Notify me when a download finishes' });
      assert.equal(await box.isDisabled(), true);
      assert.match(await denied.locator('#notify-status').textContent(), /blocked for this site/);
      // The reason is the checkbox's description.
      assert.equal(await box.getAttribute('aria-describedby'), 'notify-status');
    } finally {
      await denied.context().close();
    }
  });

  test('ticked, it asks for permission; a real download finishing shows "Finished: <name>", once; data already on disk does not', { timeout: 120000 }, async () => {
    const page = await openPage([notificationStub, 'default']);
    try {
      await page.goto(server.url);
      await page.locator('#conn[data-state="live"]').waitFor({ timeout: 10000 });
      await openSettings(page);
      const box = page.getByRole('checkbox', { name: 'Notify me when a download finishes' });
      assert.equal(await box.isChecked(), false);
      await box.check();
      await waitFor('the permission to be asked', 5000, () => page.evaluate(() => window.permissionAsked === 1));
      assert.equal(await box.isChecked(), true);
      assert.match(await page.locator('#notify-status').textContent(), /^On:/);
      assert.equal(await page.evaluate(() => localStorage.getItem('cloud-torrent.notify-finished')), '1');
      // Kept after a reload (the permission stays granted).
      await page.reload();
      await openSettings(page);
      assert.equal(await box.isChecked(), true);

      // Data already in the download folder: checked, then seeding, nothing downloaded.
      writePayload(downloads, [['already here.bin', 600 * KIB]]);
      const here = makeTorrent(path.join(downloads, 'already here.bin'), path.join(root, 'here.torrent'));
      const res = await fetch(new URL('api/v1/torrents', server.url), {
        method: 'POST', headers: { 'content-type': 'application/x-bittorrent' }, body: here.bytes,
      });
      assert.equal(res.status, 201);
      await waitFor('the data on disk to seed', 20000, async () => (await torrent(here.hash)).state === 'seeding');

      // A real download from the throttled seeder.
      const added = await api('POST', 'api/v1/torrents', {
        magnet: `magnet:?xt=urn:btih:${finale.hash}&dn=finale&tr=${encodeURIComponent(tracker.url('/finale/announce'))}`,
      });
      assert.equal(added.status, 201, JSON.stringify(added.body));
      const row = page.locator(`#torrent-rows tr.torrent-row[data-hash="${finale.hash}"], li.torrent[data-hash="${finale.hash}"]`);
      await row.first().waitFor({ timeout: 10000 });
      await waitFor('the download to start', 60000, async () => (await torrent(finale.hash)).completed > 0);
      assert.deepEqual(await page.evaluate(() => window.notes), []);
      await waitFor('the download to finish', 90000, async () => ['seeding', 'completed'].includes((await torrent(finale.hash)).state));
      await waitFor('the notification', 10000, () => page.evaluate(() => window.notes.length > 0));
      await new Promise((r) => setTimeout(r, 1500));
      assert.deepEqual(await page.evaluate(() => window.notes), [{ title: 'Finished: finale', tag: `finished ${finale.hash}` }]);

      // Unticked: no more notifications, and it is forgotten.
      await box.uncheck();
      assert.equal(await page.evaluate(() => localStorage.getItem('cloud-torrent.notify-finished')), null);
    } finally {
      await page.context().close();
    }
  });

  test('torrents entering the error state get an error toast, one for them all', { timeout: 60000 }, async () => {
    writePayload(downloads, [['breaks/a.bin', 300 * KIB]]);
    const breaks = makeTorrent(path.join(downloads, 'breaks'), path.join(root, 'breaks.torrent'));
    const res = await fetch(new URL('api/v1/torrents', server.url), {
      method: 'POST', headers: { 'content-type': 'application/x-bittorrent' }, body: breaks.bytes,
    });
    assert.equal(res.status, 201);
    await waitFor('it to seed', 20000, async () => (await torrent(breaks.hash)).state === 'seeding');
    const page = await openPage();
    try {
      await page.goto(server.url);
      await page.locator('#conn[data-state="live"]').waitFor({ timeout: 10000 });
      // A file where its folder belongs, then a check: it cannot write its files.
      fs.rmSync(path.join(downloads, 'breaks'), { recursive: true });
      fs.writeFileSync(path.join(downloads, 'breaks'), 'in the way');
      assert.equal((await api('POST', `api/v1/torrents/${breaks.hash}/recheck`)).status < 300, true);
      await waitFor('the error state', 20000, async () => (await torrent(breaks.hash)).state === 'error');
      const toast = page.locator('#toasts .toast[data-kind="error"]', { hasText: 'breaks: ' });
      await toast.waitFor({ timeout: 10000 });
      assert.match(await toast.textContent(), /file where a folder belongs/);
      // More of them: one toast for all, naming them. (Magnets without trackers fail
      // here at once: no DHT, nowhere to find peers.)
      for (const name of ['lost one', 'lost two']) {
        const added = await api('POST', 'api/v1/torrents', { magnet: `magnet:?xt=urn:btih:${randomBytes(20).toString('hex')}&dn=${encodeURIComponent(name)}` });
        assert.equal(added.status, 201);
      }
      await page.locator('#toasts .toast[data-kind="error"]', { hasText: '3 torrents stopped on an error: breaks, lost one, lost two' })
        .waitFor({ timeout: 15000 });
      assert.equal(await page.locator('#toasts .toast[data-kind="error"]').count(), 1);
      // Not for torrents that were in error before the page opened.
      await page.reload();
      await page.locator('#conn[data-state="live"]').waitFor({ timeout: 10000 });
      await new Promise((r) => setTimeout(r, 1000));
      assert.equal(await page.locator('#toasts .toast[data-kind="error"]').count(), 0);
    } finally {
      await page.context().close();
    }
  });

  test('no unexpected errors in the console', () => {
    // The magnet the server refused (400) is logged by the browser.
    assert.deepEqual(consoleErrors.filter((e) => !/status of 400/.test(e)), []);
  });
});
