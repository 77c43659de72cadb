// Browser tests of login, logout and cross-site protection, in headless
// Chromium against the real binary: one server with a login, one without (the
// loopback default), and an "attacker" page served by a second local HTTP server
// on another 127.0.0.1 port. Being another port of the same host, that page is
// same-site: the session cookie (SameSite=Strict) is sent along, so only the
// server's Origin / Sec-Fetch-Site checks stand in the way.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { freePort, startServer, stop, stopAll, waitFor } from '../lib/swarm.js';

const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run',
];
const USER = 'tester';
const PASSWORD = 'correct horse battery';
const BASIC = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`;
const XSS_NAME = '<script>window.xssRan=1</script><img src=x onerror="window.xssRan=2"> evil';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ct-e2e-security-'));
let browser;
let context;
let page;
/** The server with a login, and its port (kept across a restart). */
let locked;
let lockedPort;
/** The server without a login (loopback). */
let open;
/** The attacker's site: http://127.0.0.1:<another port>/ */
let evil;
let evilUrl;
const consoleLines = [];

let hashSerial = 0;
/** A fresh, never used info hash. */
function newHash() {
  hashSerial += 1;
  return `${String(hashSerial).padStart(4, '0')}${'ab'.repeat(18)}`;
}

async function startLocked() {
  locked = await startServer({
    dir: path.join(root, 'locked'), port: lockedPort, incomingPort: await freePort(),
    log: path.join(root, 'locked.log'), args: ['--auth', `${USER}:${PASSWORD}`],
  });
}

/** The info hashes of a server's torrents, asked as a script would (HTTP Basic). */
async function hashes(server) {
  const res = await fetch(new URL('api/v1/torrents', server.url), { headers: { authorization: BASIC } });
  assert.equal(res.status, 200);
  return (await res.json()).map((t) => t.infoHash);
}

/** Logs in on the login page the UI sent the browser to; ends back on the UI. */
async function logIn(timeout = 10000) {
  await page.waitForURL(new URL('login', locked.url).href, { timeout });
  await page.locator('input[name="username"]').fill(USER);
  await page.locator('input[name="password"]').fill(PASSWORD);
  await page.locator('button[type="submit"]').click();
  await page.waitForURL(locked.url, { timeout: 10000 });
  await page.locator('#conn[data-state="live"]').waitFor({ timeout: 10000 });
}

async function sessionCookie() {
  const cookies = await context.cookies(locked.url);
  return cookies.find((c) => c.name === 'ct_session');
}

/**
 * On the attacker's page: submits a form (`enctype`, one field `name`=`value`) to
 * `action` into a hidden frame, as a malicious site would. Resolves to the status
 * the server answered.
 */
async function attackWithForm(action, enctype, name, value) {
  const answered = page.waitForResponse((r) => r.url() === action && r.request().method() === 'POST', { timeout: 10000 });
  await page.evaluate(({ action, enctype, name, value }) => {
    const frame = document.createElement('iframe');
    frame.name = `f${Math.random()}`;
    document.body.append(frame);
    const form = document.createElement('form');
    Object.assign(form, { method: 'post', action, enctype, target: frame.name });
    const input = document.createElement('input');
    Object.assign(input, { type: 'hidden', name, value });
    form.append(input);
    document.body.append(form);
    form.submit();
  }, { action, enctype, name, value });
  return (await answered).status();
}

before(async () => {
  evil = http.createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end('<!doctype html><title>Totally harmless</title><h1>Win a prize</h1>');
  });
  await new Promise((r) => evil.listen(0, '127.0.0.1', r));
  evilUrl = `http://127.0.0.1:${evil.address().port}/`;
  lockedPort = await freePort();
  await startLocked();
  open = await startServer({
    dir: path.join(root, 'open'), port: await freePort(), incomingPort: await freePort(),
    log: path.join(root, 'open.log'),
  });
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  context = await browser.newContext({ viewport: { width: 360, height: 740 } });
  page = await context.newPage();
  page.on('console', (m) => consoleLines.push(m.text()));
});

after(async () => {
  await browser?.close();
  if (locked) await stop(locked.child);
  if (open) await stop(open.child);
  await stopAll();
  evil?.close();
  if (!process.env.KEEP_E2E) fs.rmSync(root, { recursive: true, force: true });
});

describe('login in the UI', () => {
  test('without a login configured there is no Log out button', { timeout: 30000 }, async () => {
    const probed = page.waitForResponse((r) => r.url() === `${open.url}api/v1/config` && r.request().method() === 'HEAD');
    await page.goto(open.url);
    await page.locator('#conn[data-state="live"]').waitFor({ timeout: 10000 });
    assert.equal((await probed).status(), 200);
    assert.ok(await page.locator('#logout').isHidden());
  });

  test('the UI sends to the login page, comes back after it and shows Log out', { timeout: 30000 }, async () => {
    await page.goto(locked.url);
    await logIn();
    await page.locator('#logout').waitFor({ state: 'visible', timeout: 5000 });
    assert.ok(await sessionCookie());
  });

  test('a torrent named with markup shows as text and runs nothing', { timeout: 30000 }, async () => {
    const hash = newHash();
    const magnet = `magnet:?xt=urn:btih:${hash}&dn=${encodeURIComponent(XSS_NAME)}`;
    const res = await fetch(new URL('api/v1/torrents', locked.url), {
      method: 'POST', headers: { authorization: BASIC, 'content-type': 'application/json' }, body: JSON.stringify({ magnet }),
    });
    assert.equal(res.status, 201);
    const card = page.locator(`li.torrent[data-hash="${hash}"]`);
    await card.waitFor({ timeout: 5000 });
    assert.equal(await card.locator('.name').textContent(), XSS_NAME);
    assert.equal(await page.locator('main img, main script').count(), 0);
    assert.equal(await page.evaluate(() => window.xssRan), undefined);
  });
});

describe('cross-site attacks from another origin', () => {
  for (const which of ['locked', 'open']) {
    const server = () => (which === 'locked' ? locked : open);

    test(`${which} server: form posts (text/plain, urlencoded) add nothing`, { timeout: 60000 }, async () => {
      await page.goto(evilUrl);
      const magnet = (h) => `magnet:?xt=urn:btih:${h}&dn=x`;
      const attacks = [];
      // text/plain sends "name=value": the classic way to forge a raw body or JSON.
      let h = newHash();
      attacks.push([h, await attackWithForm(`${server().url}api/magnet`, 'text/plain', magnet(h), 'y')]);
      h = newHash();
      attacks.push([h, await attackWithForm(`${server().url}api/v1/torrents`, 'text/plain',
        `{"magnet":"${magnet(h)}&pad=`, '"}')]);
      h = newHash();
      attacks.push([h, await attackWithForm(`${server().url}api/magnet`, 'application/x-www-form-urlencoded', 'magnet', magnet(h))]);
      h = newHash();
      attacks.push([h, await attackWithForm(`${server().url}api/v1/torrents`, 'application/x-www-form-urlencoded', 'magnet', magnet(h))]);
      for (const [, status] of attacks) assert.equal(status, 403);
      const present = await hashes(server());
      for (const [hash] of attacks) assert.ok(!present.includes(hash), `a cross-site form added ${hash}`);

      // The same text/plain bodies sent by a script (no browser, so no Origin) are
      // accepted: the attacks above were refused for being cross-site, not malformed.
      h = newHash();
      const headers = { authorization: BASIC, 'content-type': 'text/plain' };
      let res = await fetch(`${server().url}api/magnet`, { method: 'POST', headers, body: `${magnet(h)}=y\r\n` });
      assert.equal(res.status, 200, await res.text());
      const h2 = newHash();
      res = await fetch(`${server().url}api/v1/torrents`, {
        method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: `{"magnet":"${magnet(h2)}&pad=="}\r\n`,
      });
      assert.equal(res.status, 201, await res.text());
      const now = await hashes(server());
      assert.ok(now.includes(h) && now.includes(h2));
    });

    test(`${which} server: fetch with credentials reads and changes nothing`, { timeout: 60000 }, async () => {
      await page.goto(evilUrl);
      const hashJson = newHash();
      const hashNoCors = newHash();
      const noCorsAnswered = page.waitForResponse((r) => r.url() === `${server().url}api/magnet`, { timeout: 10000 });
      const outcome = await page.evaluate(async ({ base, hashJson, hashNoCors }) => {
        const attempt = async (url, init) => {
          try {
            const res = await fetch(url, { credentials: 'include', ...init });
            return res.type === 'opaque' ? 'opaque' : `read ${res.status}: ${(await res.text()).slice(0, 80)}`;
          } catch (error) {
            return `rejected: ${error.name}`;
          }
        };
        return {
          read: await attempt(`${base}api/v1/torrents`),
          config: await attempt(`${base}api/v1/config`),
          json: await attempt(`${base}api/v1/torrents`, {
            method: 'POST', headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ magnet: `magnet:?xt=urn:btih:${hashJson}` }),
          }),
          noCors: await attempt(`${base}api/magnet`, {
            method: 'POST', mode: 'no-cors', body: `magnet:?xt=urn:btih:${hashNoCors}`,
          }),
        };
      }, { base: server().url, hashJson, hashNoCors });
      assert.deepEqual(outcome, {
        read: 'rejected: TypeError', config: 'rejected: TypeError', json: 'rejected: TypeError', noCors: 'opaque',
      });
      // The no-cors request did reach the server, which refused it.
      assert.equal((await noCorsAnswered).status(), 403);
      const present = await hashes(server());
      assert.ok(!present.includes(hashJson) && !present.includes(hashNoCors));
    });

    test(`${which} server: the UI and the login page cannot be framed`, { timeout: 60000 }, async () => {
      await page.goto(evilUrl);
      consoleLines.length = 0;
      const srcs = { ui: server().url, login: `${server().url}login`, health: `${server().url}healthz` };
      await page.evaluate((srcs) => Promise.all(Object.entries(srcs).map(([id, src]) => new Promise((resolve) => {
        const frame = document.createElement('iframe');
        frame.id = id;
        frame.addEventListener('load', resolve, { once: true });
        setTimeout(resolve, 5000);
        frame.src = src;
        document.body.append(frame);
      }))), srcs);
      const frameOf = async (id) => page.locator(`iframe#${id}`).elementHandle().then((e) => e.contentFrame());
      // Control: a page without frame-ancestors loads in a frame, and shows its text.
      const health = await frameOf('health');
      assert.equal(health.url(), srcs.health);
      assert.equal(await health.locator('body').textContent(), 'ok');
      for (const id of ['ui', 'login']) {
        const frame = await frameOf(id);
        assert.notEqual(frame.url(), srcs[id], `${id} was framed`);
        assert.equal(await frame.locator('#omni-input, input[name="password"]').count(), 0, `${id} was framed`);
      }
      assert.ok(consoleLines.some((l) => l.includes("frame-ancestors 'none'")), consoleLines.join('\n'));
    });
  }
});

describe('logout and expired sessions', () => {
  test('Log out ends the session; afterwards the API refuses it', { timeout: 30000 }, async () => {
    await page.goto(locked.url);
    await page.locator('#conn[data-state="live"]').waitFor({ timeout: 10000 });
    const before = await sessionCookie();
    assert.ok(before);
    await page.locator('#logout').click();
    await page.waitForURL(new URL('login', locked.url).href, { timeout: 10000 });
    assert.equal(await sessionCookie(), undefined);
    // Neither the browser nor anyone holding the old cookie gets in any more.
    const viaBrowser = await page.request.get(`${locked.url}api/v1/torrents`);
    assert.equal(viaBrowser.status(), 401);
    const withOldCookie = await fetch(`${locked.url}api/v1/torrents`, { headers: { cookie: `ct_session=${before.value}` } });
    assert.equal(withOldCookie.status, 401);
    await page.goto(locked.url);
    await page.waitForURL(new URL('login', locked.url).href);
  });

  test('a session ended elsewhere sends the UI to the login page at its next request', { timeout: 30000 }, async () => {
    await logIn();
    const cookie = await sessionCookie();
    // Logged out from another device/tab: the server ends the session, this browser keeps its cookie.
    const res = await fetch(`${locked.url}api/v1/logout`, { method: 'POST', headers: { cookie: `ct_session=${cookie.value}` } });
    assert.equal(res.status, 204);
    assert.ok(await sessionCookie());
    const hash = newHash();
    await page.locator('#omni-input').fill(`magnet:?xt=urn:btih:${hash}`);
    await page.locator('#omni-input').press('Enter');
    await page.waitForURL(new URL('login', locked.url).href, { timeout: 10000 });
    assert.ok(!(await hashes(locked)).includes(hash));
    await logIn();
  });

  test('when the live stream is refused (the server restarted, sessions gone) the UI goes to the login page', { timeout: 60000 }, async () => {
    await page.locator('#conn[data-state="live"]').waitFor();
    await page.evaluate(() => { window.stillHere = true; });
    await stop(locked.child);
    await page.locator('#conn[data-state="offline"]').waitFor({ timeout: 10000 });
    await startLocked();
    // No click: the stream's reconnection is refused and the page notices by itself.
    await logIn(30000);
    assert.equal(await page.evaluate(() => window.stillHere), undefined, 'a new page after logging in');
    await waitFor('the torrents to show', 5000, async () => (await page.locator('li.torrent').count()) > 0);
  });
});
