// Browser tests of how the web UI behaves for its user: the downloads tree kept
// while it updates, smoothed rates, toasts, adding torrents, the loading state,
// settings fixed on the command line, keyboard and screen-reader use, phones,
// contrast, media the browser cannot play and deleting a torrent's data. Against
// the real binary, with no swarm: the torrents are made from data already in the
// download folder, or are magnets nobody seeds.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { freePort, makeTorrent, startServer, stop, stopAll, waitFor, writePayload } from '../lib/swarm.js';
import { SmoothedRate, etaSeconds } from '../../web/js/rates.js';
import { infoHashHex, omniKind } from '../../web/js/omni.js';

const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run',
];
const TITLE = 'UX test';
const MIB = 1024 * 1024;

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ct-e2e-ux-'));
const downloads = path.join(root, 'server', 'downloads');
let browser;
let page;
let server;
let serverPort;
let incomingPort;
let keep;
// When the page first got the live state (ms since the epoch).
let connectedAt;
const dialogs = [];
const consoleErrors = [];

/** A few seconds of WebM video, recorded from a canvas by the browser itself. */
async function recordVideo(seconds) {
  const recorder = await browser.newPage();
  try {
    const b64 = await recorder.evaluate(async (ms) => {
      const canvas = document.createElement('canvas');
      canvas.width = 64;
      canvas.height = 48;
      const ctx = canvas.getContext('2d');
      const rec = new MediaRecorder(canvas.captureStream(10), { mimeType: 'video/webm' });
      const chunks = [];
      rec.ondataavailable = (e) => chunks.push(e.data);
      let i = 0;
      const paint = setInterval(() => {
        ctx.fillStyle = `hsl(${(i += 20) % 360} 80% 50%)`;
        ctx.fillRect(0, 0, 64, 48);
      }, 50);
      rec.start();
      await new Promise((r) => setTimeout(r, ms));
      await new Promise((r) => { rec.onstop = r; rec.stop(); });
      clearInterval(paint);
      const bytes = new Uint8Array(await new Blob(chunks).arrayBuffer());
      let text = '';
      for (const b of bytes) text += String.fromCharCode(b);
      return btoa(text);
    }, seconds * 1000);
    return Buffer.from(b64, 'base64');
  } finally {
    await recorder.close();
  }
}

function card(hash) {
  return page.locator(`li.torrent[data-hash="${hash}"]`);
}

function treeEntry(name) {
  return page.locator('#downloads li.file').filter({ has: page.locator(`> a.path:text-is("${name}")`) });
}

function treeDir(name) {
  return page.locator('#downloads li.dir').filter({ has: page.locator(`> details > summary .path:text-is("${name}")`) });
}

function toast(text, kind) {
  return page.locator(kind ? `#toasts .toast[data-kind="${kind}"]` : '#toasts .toast', { hasText: text });
}

async function apiCall(method, pathname, body) {
  const init = { method, signal: AbortSignal.timeout(10000), headers: {} };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers['content-type'] = 'application/json';
  }
  const res = await fetch(new URL(pathname, server.url), init);
  return { status: res.status, body: res.status === 204 ? null : await res.json() };
}

/** A magnet of a torrent nobody seeds: it stays waiting for its metadata. */
function unseeded(name) {
  const hash = randomBytes(20).toString('hex');
  return { hash, magnet: `magnet:?xt=urn:btih:${hash}&dn=${encodeURIComponent(name)}` };
}

/** The whole live state, as the first event of api/v1/events gives it. */
async function liveState() {
  const controller = new AbortController();
  const res = await fetch(new URL('api/v1/events', server.url), { signal: controller.signal });
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) throw new Error('the event stream ended');
      text += decoder.decode(value, { stream: true });
      const end = text.indexOf('\n\n');
      if (end >= 0) {
        const lines = text.slice(0, end).split('\n');
        assert.ok(lines.includes('event: state'), text.slice(0, 200));
        return JSON.parse(lines.filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trimStart()).join('\n'));
      }
    }
  } finally {
    controller.abort();
  }
}

async function startOurServer() {
  server = await startServer({
    dir: path.join(root, 'server'), port: serverPort, incomingPort, log: path.join(root, 'server.log'), args: ['--title', TITLE],
  });
}

/** The WCAG contrast ratio of two CSS colours given as rgb()/rgba() (opaque). */
function contrast(a, b) {
  const luminance = (css) => {
    const [r, g, bl] = css.match(/[\d.]+/g).slice(0, 3).map(Number).map((c) => {
      const s = c / 255;
      return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * bl;
  };
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

before(async () => {
  writePayload(downloads, [
    ['keep.bin', 200 * 1024], ['show/notes.txt', 2000], ['broken.mp4', 50 * 1024],
  ]);
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  fs.writeFileSync(path.join(downloads, 'show', 'clip.webm'), await recordVideo(3));
  serverPort = await freePort();
  incomingPort = await freePort();
  await startOurServer();
  keep = makeTorrent(path.join(downloads, 'keep.bin'), path.join(root, 'keep.torrent'));
  const res = await fetch(new URL('api/v1/torrents', server.url), {
    method: 'POST', headers: { 'content-type': 'application/x-bittorrent' }, body: keep.bytes,
  });
  assert.equal(res.status, 201);
  await waitFor('keep.bin to seed', 20000, async () => (await apiCall('GET', `api/v1/torrents/${keep.hash}`)).body.state === 'seeding');
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await page.addInitScript(() => localStorage.setItem('torrent-view', 'cards'));
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    d.dismiss().catch(() => {});
  });
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
  page.on('pageerror', (e) => consoleErrors.push(String(e)));
  await page.goto(server.url);
  await page.locator('#conn[data-state="live"]').waitFor({ timeout: 10000 });
  connectedAt = Date.now();
});

after(async () => {
  await browser?.close();
  if (server) await stop(server.child);
  await stopAll();
  if (!process.env.KEEP_E2E) fs.rmSync(root, { recursive: true, force: true });
});

describe('web UI for its user', () => {
  test('until the first state arrives the torrent list says it is loading, not that it is empty', { timeout: 30000 }, async () => {
    const other = await browser.newPage();
    await other.addInitScript(() => localStorage.setItem('torrent-view', 'cards'));
    try {
      let release;
      const held = new Promise((r) => { release = r; });
      await other.route('**/api/v1/events**', async (route) => {
        await held;
        await route.continue();
      });
      await other.goto(server.url);
      await other.locator('#torrents-loading', { hasText: 'Loading' }).waitFor();
      await new Promise((r) => setTimeout(r, 500));
      assert.equal(await other.locator('#empty').isVisible(), false);
      assert.equal(await other.locator('#torrents-loading').isVisible(), true);
      release();
      await other.locator(`li.torrent[data-hash="${keep.hash}"]`).waitFor();
      assert.equal(await other.locator('#torrents-loading').isVisible(), false);
      assert.equal(await other.locator('#empty').isVisible(), false);
    } finally {
      await other.close();
    }
  });

  test('the downloads tree keeps an open folder and a playing video when the folder changes', { timeout: 60000 }, async () => {
    const show = treeDir('show');
    await show.locator('> details > summary').click();
    const clip = show.locator('li.file').filter({ has: page.locator('> a.path:text-is("clip.webm")') });
    await clip.locator('button.play').click();
    const video = await clip.locator('.player video').elementHandle();
    await waitFor('the video to play', 10000, () => video.evaluate((v) => v.currentTime > 0.2));
    // The clip is short: it plays on until the folder has changed.
    await video.evaluate((v) => { v.loop = true; });
    // The server notices changes in the folder against a first look it takes a
    // few seconds (statsInterval) after a page connects.
    await new Promise((r) => setTimeout(r, Math.max(0, connectedAt + 6000 - Date.now())));
    // The folder changes: a new file appears beside the video, and one at the top.
    fs.writeFileSync(path.join(downloads, 'show', 'later.txt'), 'x');
    fs.writeFileSync(path.join(downloads, 'fresh.bin'), randomBytes(1000));
    await treeEntry('fresh.bin').waitFor({ timeout: 20000 });
    await show.locator('li.file', { hasText: 'later.txt' }).waitFor({ timeout: 5000 });
    assert.equal(await show.locator('> details').evaluate((d) => d.open), true, 'the folder closed');
    assert.equal(await video.evaluate((v) => v.isConnected), true, 'the video was taken out of the page');
    assert.ok(await clip.locator('.player video').evaluate((v, old) => v === old, video), 'the video was replaced');
    assert.equal(await clip.locator('button.play').textContent(), 'Close');
    assert.equal(await video.evaluate((v) => v.paused), false, 'the video stopped');
    await clip.locator('button.play').click();
  });

  test('rates are smoothed in the unit: a sample at 0 between busy ones does not drop to 0', () => {
    const r = new SmoothedRate(5000);
    const shown = [];
    for (let i = 0; i < 20; i++) {
      r.add(i * 500, i % 2 ? 0 : 1000);
      shown.push(r.value(i * 500));
    }
    assert.ok(shown.every((v) => v > 400 && v <= 1000), shown.join(' '));
    assert.equal(Math.round(r.value(9500 + 5000)), 0, 'a transfer that stopped decays to 0');
    assert.equal(etaSeconds(1000, 100), 10);
    assert.equal(etaSeconds(1000, 0), null);
    assert.equal(etaSeconds(0, 0), 0);
  });

  test('a flickering per-torrent rate shows neither 0 B/s nor an ETA of ∞', { timeout: 60000 }, async () => {
    // The page gets a scripted live state: a torrent whose reported rate
    // alternates between 2 MiB/s and 0 every 400 ms, as a steady transfer sampled
    // at the wrong moments does.
    const state = await liveState();
    const hash = 'f'.repeat(40);
    const template = state.torrents[keep.hash];
    state.torrents[hash] = {
      ...template, infoHash: hash, name: 'flicker.bin', state: 'downloading', progress: 0.25,
      size: 400 * MIB, completed: 100 * MIB, downloadRate: 2 * MIB, uploadRate: 0, eta: 150, files: [],
      magnet: `magnet:?xt=urn:btih:${hash}`,
    };
    const other = await browser.newPage();
    await other.addInitScript(() => localStorage.setItem('torrent-view', 'cards'));
    try {
      await other.addInitScript(({ initial, hash }) => {
        window.EventSource = class extends EventTarget {
          constructor() {
            super();
            setTimeout(() => {
              this.dispatchEvent(new Event('open'));
              let version = 1;
              this.dispatchEvent(new MessageEvent('state', { data: JSON.stringify(initial), lastEventId: String(version) }));
              let busy = true;
              let completed = initial.torrents[hash].completed;
              this.timer = setInterval(() => {
                busy = !busy;
                version += 1;
                completed += busy ? 1677722 : 0;
                const at = `/torrents/${hash}`;
                const ops = [
                  { op: 'replace', path: `${at}/downloadRate`, value: busy ? 2097152 : 0 },
                  { op: 'replace', path: `${at}/completed`, value: completed },
                  { op: 'replace', path: `${at}/eta`, value: busy ? 140 : null },
                ];
                this.dispatchEvent(new MessageEvent('patch', { data: JSON.stringify(ops), lastEventId: String(version) }));
              }, 400);
            }, 0);
          }

          close() {
            clearInterval(this.timer);
          }
        };
      }, { initial: state, hash });
      await other.goto(server.url);
      const c = other.locator(`li.torrent[data-hash="${hash}"]`);
      await c.waitFor();
      const seen = [];
      for (let i = 0; i < 40; i++) {
        seen.push([await c.locator('.down').textContent(), await c.locator('.eta').textContent()]);
        await new Promise((r) => setTimeout(r, 120));
      }
      const zero = seen.filter(([down, eta]) => down === '↓ 0 B/s' || eta.includes('∞'));
      assert.deepEqual(zero, [], `flicker: ${JSON.stringify(seen)}`);
      assert.ok(seen.some(([down]) => /↓ (5\d\d KiB|\d\.\d+ MiB)\/s/.test(down)), JSON.stringify(seen));
    } finally {
      await other.close();
    }
  });

  test('messages are toasts pinned to the viewport; an error stays until dismissed and is not repeated', { timeout: 60000 }, async () => {
    await page.setViewportSize({ width: 1280, height: 500 });
    await page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
    const bad = 'magnet:?xt=urn:btih:nothash';
    const omni = page.locator('#omni-input');
    await omni.fill(bad);
    await omni.press('Enter');
    // The bar's error (magnets nobody can resolve here, without DHT, get a toast of their own).
    const error = page.locator('#toasts .toast[data-kind="error"]', { hasText: 'btih info hash' });
    await error.waitFor({ timeout: 5000 });
    // Seen wherever the page is scrolled.
    await page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
    const box = await error.boundingBox();
    assert.ok(box.y >= 0 && box.y + box.height <= 500, `the error is off screen: ${JSON.stringify(box)}`);
    assert.equal(await page.locator('#toasts').evaluate((el) => getComputedStyle(el).position), 'fixed');
    assert.equal(await error.getAttribute('role'), 'alert');
    // The same failure again: still one toast, which counts it.
    await omni.press('Enter');
    await error.locator('.toast-count', { hasText: '×2' }).waitFor({ timeout: 5000 });
    assert.equal(await error.count(), 1);
    await new Promise((r) => setTimeout(r, 6000));
    assert.equal(await error.isVisible(), true, 'the error went away by itself');
    // A later success in the bar replaces it, then fades by itself.
    const newcomer = unseeded('toast-success');
    await omni.fill(newcomer.magnet);
    await omni.press('Enter');
    const success = toast('Added toast-success', 'info');
    await success.waitFor({ timeout: 5000 });
    assert.equal(await error.count(), 0);
    await success.waitFor({ state: 'detached', timeout: 10000 });
    // An error stays until its close button is pressed.
    await omni.fill(bad);
    await omni.press('Enter');
    await error.waitFor();
    await error.getByRole('button', { name: 'Dismiss' }).click();
    await error.waitFor({ state: 'detached' });
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  test('"The server cannot be reached" goes away when the connection is back', { timeout: 90000 }, async () => {
    await stop(server.child);
    await page.locator('#conn[data-state="offline"]').waitFor({ timeout: 10000 });
    await page.locator('#omni-input').fill(unseeded('offline').magnet);
    await page.locator('#omni-input').press('Enter');
    const unreachable = toast('The server cannot be reached', 'error');
    await unreachable.waitFor({ timeout: 5000 });
    await startOurServer();
    await page.locator('#conn[data-state="live"]').waitFor({ timeout: 60000 });
    await unreachable.waitFor({ state: 'detached', timeout: 5000 });
    await page.locator('#omni-input').fill('');
    connectedAt = Date.now();
  });

  test('a batch of uploads reports each file', { timeout: 60000 }, async () => {
    const dir = path.join(root, 'batch');
    writePayload(dir, [['batch-one.bin', 3000]]);
    const one = makeTorrent(path.join(dir, 'batch-one.bin'), path.join(root, 'batch-one.torrent'));
    const junk = path.join(root, 'junk.torrent');
    fs.writeFileSync(junk, 'not a torrent');
    await page.locator('#file-input').setInputFiles([one.path, keep.path, junk]);
    await toast('Added batch-one.bin', 'info').waitFor({ timeout: 10000 });
    await toast('Already there: keep.bin', 'info').waitFor({ timeout: 10000 });
    await toast('junk.torrent:', 'error').waitFor({ timeout: 10000 });
    await toast('3 .torrent files: 1 added, 1 already there, 1 failed', 'info').waitFor({ timeout: 10000 });
    await card(one.hash).waitFor();
    await toast('junk.torrent:', 'error').getByRole('button', { name: 'Dismiss' }).click();
    await toast('junk.torrent:').waitFor({ state: 'detached' });
  });

  test('a torrent added from the omni bar is announced and brought into view', { timeout: 60000 }, async () => {
    // Enough torrents for the list to run below the fold.
    for (let i = 0; i < 12; i++) {
      const { status } = await apiCall('POST', 'api/v1/torrents', { magnet: unseeded(`filler ${i}`).magnet });
      assert.equal(status, 201);
    }
    await page.setViewportSize({ width: 1280, height: 600 });
    await page.evaluate(() => window.scrollTo(0, 0));
    const newcomer = unseeded('newcomer');
    await page.locator('#omni-input').fill(newcomer.magnet);
    await page.locator('#omni-input').press('Enter');
    await toast('Added newcomer', 'info').waitFor({ timeout: 5000 });
    const c = card(newcomer.hash);
    await waitFor('the new torrent to come into view', 5000, async () => {
      const box = await c.boundingBox();
      return box && box.y >= 0 && box.y + box.height <= 600;
    });
    assert.ok(await page.evaluate(() => window.scrollY) > 0, 'the page did not scroll');
    assert.equal(await c.evaluate((el) => el.classList.contains('just-added')), true);
    // The same magnet again: the server has it.
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.locator('#omni-input').fill(newcomer.magnet);
    await page.locator('#omni-input').press('Enter');
    await toast('Already there: newcomer', 'info').waitFor({ timeout: 5000 });
    await waitFor('the torrent to come into view again', 5000, async () => {
      const box = await c.boundingBox();
      return box && box.y >= 0 && box.y + box.height <= 600;
    });
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  test('a bare info hash, hex or base32, is added as a magnet rather than searched for', { timeout: 60000 }, async () => {
    const hex = randomBytes(20);
    assert.equal(omniKind(hex.toString('hex')), 'hash');
    const omni = page.locator('#omni-input');
    await omni.fill(hex.toString('hex').toUpperCase());
    assert.equal(await page.locator('#omni-go').textContent(), 'Add info hash');
    await omni.press('Enter');
    await card(hex.toString('hex')).waitFor({ timeout: 5000 });
    assert.equal(await page.locator('#search').isVisible(), false);

    // RFC 4648 base32 of 20 bytes: 32 characters.
    const other = randomBytes(20);
    let bits = '';
    for (const b of other) bits += b.toString(2).padStart(8, '0');
    const base32 = bits.match(/.{5}/g).map((v) => 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'[parseInt(v, 2)]).join('');
    assert.equal(infoHashHex(base32), other.toString('hex'));
    await omni.fill(base32);
    assert.equal(await page.locator('#omni-go').textContent(), 'Add info hash');
    await omni.press('Enter');
    await card(other.toString('hex')).waitFor({ timeout: 5000 });
    assert.equal(await page.locator('#search').isVisible(), false);
    assert.equal(omniKind('ubuntu 22.04 iso'), 'search');
  });

  test('a setting fixed by a command-line flag is disabled, and says why in text', { timeout: 30000 }, async () => {
    assert.equal(await page.title(), TITLE);
    await page.locator('#settings-toggle').click();
    const form = page.locator('#settings-form');
    const title = form.locator('input[name="title"]');
    assert.equal(await title.isDisabled(), true);
    const noteId = await title.getAttribute('aria-describedby');
    assert.ok(noteId, 'the field does not point to its reason');
    const note = page.locator(`#${noteId}`);
    assert.equal(await note.isVisible(), true);
    assert.match(await note.textContent(), /command-line flag/);
    // Beside the field: right below it.
    const [fieldBox, noteBox] = [await title.boundingBox(), await note.boundingBox()];
    assert.ok(noteBox.y >= fieldBox.y && noteBox.y - (fieldBox.y + fieldBox.height) < 30, JSON.stringify([fieldBox, noteBox]));
    // The others stay editable, with no such note.
    const seeding = form.locator('input[name="seeding"]');
    assert.equal(await seeding.isDisabled(), false);
    assert.equal(await seeding.getAttribute('aria-describedby'), null);
    assert.equal(await form.locator('.fixed-note:visible').count(), 1);
    await page.locator('#settings-cancel').click();
  });

  test('the keyboard: a skip link first, the connection pill reachable, never the hidden file input', { timeout: 60000 }, async () => {
    await page.goto(server.url);
    await page.locator('#conn[data-state="live"]').waitFor({ timeout: 10000 });
    const visited = [];
    for (let i = 0; i < 20; i++) {
      await page.keyboard.press('Tab');
      visited.push(await page.evaluate(() => {
        const el = document.activeElement;
        const r = el.getBoundingClientRect();
        return {
          id: el.id, tag: el.tagName, class: el.className, visible: r.width > 2 && r.height > 2 && r.bottom > 0 && r.top < innerHeight,
        };
      }));
    }
    assert.equal(visited[0].class, 'skip-link', 'the skip link does not come first');
    assert.ok(visited.some((v) => v.id === 'conn'), JSON.stringify(visited));
    assert.ok(visited.some((v) => v.id === 'upload-label'), 'the upload button cannot be reached');
    assert.ok(!visited.some((v) => v.id === 'file-input'), 'focus landed on the hidden file input');
    const invisible = visited.filter((v) => !v.visible);
    assert.deepEqual(invisible, [], 'focus landed on something not on screen');

    const skip = page.locator('a.skip-link');
    await skip.focus();
    assert.match(await skip.textContent(), /Skip to the main content/);
    await page.keyboard.press('Enter');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'main');
  });

  test("a torrent's buttons are named after it for screen readers", { timeout: 30000 }, async () => {
    await card(keep.hash).waitFor();
    for (const name of ['Stop keep.bin', 'Remove keep.bin', 'Show the files and magnet link of keep.bin']) {
      assert.equal(await page.getByRole('button', { name, exact: true }).count(), 1, name);
    }
    assert.equal(await page.getByRole('button', { name: 'Stop', exact: true }).count(), 0);
    assert.equal(await page.getByRole('button', { name: 'Remove', exact: true }).count(), 0);
    assert.equal(await page.getByRole('button', { name: 'Play broken.mp4', exact: true }).count(), 1);
  });

  test('on a 360 px phone every tap target is at least 24 px', { timeout: 60000 }, async () => {
    const phone = await browser.newPage({ viewport: { width: 360, height: 740 }, deviceScaleFactor: 2, isMobile: true });
    try {
      await phone.goto(server.url);
      await phone.locator(`li.torrent[data-hash="${keep.hash}"] button.expand`).click();
      await phone.locator('#downloads li.dir details').evaluateAll((ds) => ds.forEach((d) => { d.open = true; }));
      await phone.locator(`li.torrent[data-hash="${keep.hash}"] li.file`).first().waitFor();
      const small = await phone.evaluate(() => {
        const found = [];
        const targets = document.querySelectorAll('a[href], button, select, input:not([type="hidden"]), summary, label[tabindex]');
        for (const el of targets) {
          if (el.closest('.visually-hidden') || !el.checkVisibility()) continue;
          // A checkbox is tapped through its label.
          const target = el.matches('input[type="checkbox"], input[type="radio"]') && el.closest('label') ? el.closest('label') : el;
          const r = target.getBoundingClientRect();
          if (r.width < 24 || r.height < 24) {
            found.push(`${el.tagName.toLowerCase()}.${el.className} "${(el.textContent || el.getAttribute('aria-label') || el.name || '').trim().slice(0, 30)}" ${Math.round(r.width)}x${Math.round(r.height)}`);
          }
        }
        return found;
      });
      assert.deepEqual(small, []);
      assert.ok(await phone.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth));
    } finally {
      await phone.close();
    }
  });

  test('the light theme\'s "Seeding" badge reaches 4.5:1 contrast', { timeout: 30000 }, async () => {
    await page.locator('#theme').selectOption('light');
    try {
      const badge = card(keep.hash).locator('.badge', { hasText: 'Seeding' });
      await badge.waitFor({ timeout: 10000 });
      const [fg, bg] = await badge.evaluate((el) => {
        const style = getComputedStyle(el);
        return [style.color, style.backgroundColor];
      });
      assert.ok(!/rgba\(.*, 0\)/.test(bg), `the badge has no background of its own: ${bg}`);
      const ratio = contrast(fg, bg);
      assert.ok(ratio >= 4.5, `contrast ${ratio.toFixed(2)} of ${fg} on ${bg}`);
    } finally {
      await page.locator('#theme').selectOption('system');
    }
  });

  test('media the browser cannot play says so and offers Download and the address for another player', { timeout: 30000 }, async () => {
    const row = treeEntry('broken.mp4');
    await row.locator('button.play').click();
    const failure = row.locator('.media-error');
    await failure.waitFor({ timeout: 10000 });
    assert.match(await failure.textContent(), /This browser cannot play broken\.mp4/);
    assert.equal(await row.locator('.player video').isVisible(), false);
    const download = failure.getByRole('link', { name: 'Download' });
    assert.equal(await download.getAttribute('href'), 'download/broken.mp4');
    const address = failure.locator('input.stream-url');
    assert.equal(await address.inputValue(), new URL('download/broken.mp4', server.url).href);
    assert.match(await failure.textContent(), /external player/);
    await row.locator('button.play').click();
    await failure.waitFor({ state: 'detached' });
  });

  test('deleting a torrent\'s data from Downloads says first that the torrent goes too', { timeout: 60000 }, async () => {
    // A file no torrent uses: the plain question.
    dialogs.length = 0;
    await treeEntry('fresh.bin').locator('button.delete').click();
    await waitFor('the confirmation', 5000, () => dialogs.length === 1);
    assert.equal(dialogs[0], 'Delete fresh.bin?');
    // keep.bin is the torrent's whole data: the question says the torrent goes.
    await treeEntry('keep.bin').locator('button.delete').click();
    await waitFor('the confirmation', 5000, () => dialogs.length === 2);
    assert.equal(dialogs[1], 'Delete keep.bin? This also removes the torrent “keep.bin” from the torrent list.');
    await new Promise((r) => setTimeout(r, 300));
    assert.ok(fs.existsSync(path.join(downloads, 'keep.bin')));
    assert.equal((await apiCall('GET', `api/v1/torrents/${keep.hash}`)).status, 200);
    // Accepted: both go, and the message says so.
    page.removeAllListeners('dialog');
    page.once('dialog', (d) => d.accept());
    await treeEntry('keep.bin').locator('button.delete').click();
    await toast('Deleted keep.bin and removed the torrent “keep.bin”', 'info').waitFor({ timeout: 10000 });
    await card(keep.hash).waitFor({ state: 'detached', timeout: 10000 });
    assert.ok(!fs.existsSync(path.join(downloads, 'keep.bin')));
    const unexpected = consoleErrors.filter((e) => !/status of (400|404|409)|ERR_INTERNET_DISCONNECTED|Failed to load resource/.test(e));
    assert.deepEqual(unexpected, []);
  });
});
