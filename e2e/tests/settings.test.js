// Browser tests of the settings panel in sections: tabs on a wide screen (one
// section at a time, reached by a click or the arrow keys; the sections saved on
// their own hide the form's Save), each section saved through the same form and
// Save as before, a tab marking edits not saved yet, a setting fixed by a flag
// disabled in its section, and on a 360 px phone sections that open and close
// under their headings with no horizontal scroll. Against the real binary.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { freePort, startServer, stop, stopAll, waitFor } from '../lib/swarm.js';

const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run',
];

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ct-e2e-settings-'));
let browser;
let page;
let server;
const errors = [];

async function config() {
  const res = await fetch(new URL('api/v1/config', server.url), { signal: AbortSignal.timeout(10000) });
  return res.json();
}

async function openPage(viewport = { width: 1280, height: 900 }) {
  const p = await browser.newPage({ viewport });
  p.on('pageerror', (e) => errors.push(String(e)));
  p.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  return p;
}

const tab = (name, p = page) => p.locator('#settings-nav').getByRole('tab', { name });
const form = (p = page) => p.locator('#settings-form');
const field = (name, p = page) => form(p).locator(`[name="${name}"]`);

async function save(p = page) {
  await form(p).locator('button[type="submit"]').click();
  await p.locator('#settings-status', { hasText: 'Saved.' }).waitFor();
}

before(async () => {
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  server = await startServer({
    dir: path.join(root, 'server'), port: await freePort(), incomingPort: await freePort(), log: path.join(root, 'server.log'),
    args: ['--disable-dht', '--allow-private-urls'],
  });
  page = await openPage();
  await page.goto(server.url);
  await page.locator('#conn[data-state="live"]').waitFor({ timeout: 10000 });
});

after(async () => {
  await browser?.close();
  if (server) await stop(server.child);
  await stopAll();
  if (!process.env.KEEP_E2E) fs.rmSync(root, { recursive: true, force: true });
});

describe('the settings in sections', () => {
  test('a wide screen shows one section at a time, reached by its tab or the arrow keys', { timeout: 30000 }, async () => {
    await page.locator('#settings-toggle').click();
    const nav = page.locator('#settings-nav');
    await nav.waitFor();
    assert.equal(await nav.getAttribute('role'), 'tablist');
    const names = await nav.getByRole('tab').evaluateAll((tabs) => tabs.map((t) => t.firstChild.textContent));
    for (const name of ['General', 'Downloads', 'Connection', 'Speed', 'Seeding', 'Queue', 'Watch folders', 'RSS', 'Webhooks', 'Security', 'Categories', 'Event programs']) {
      assert.ok(names.includes(name), `no tab ${name} in ${names}`);
    }
    assert.equal(await tab('General').getAttribute('aria-selected'), 'true');
    assert.equal(await field('title').isVisible(), true);
    assert.equal(await field('downloadLimit').isVisible(), false);
    // The section shown is the tab's panel.
    const panelId = await tab('General').getAttribute('aria-controls');
    assert.equal(await page.locator(`#${panelId}`).getAttribute('role'), 'tabpanel');
    assert.equal(await page.locator(`#${panelId}`).getAttribute('aria-labelledby'), await tab('General').getAttribute('id'));

    await tab('Speed').click();
    assert.equal(await tab('Speed').getAttribute('aria-selected'), 'true');
    assert.equal(await tab('General').getAttribute('aria-selected'), 'false');
    assert.equal(await field('downloadLimit').isVisible(), true);
    assert.equal(await field('title').isVisible(), false);
    // Arrows move between tabs (and not the torrent list's selection); Home and End go to the ends.
    await page.keyboard.press('ArrowRight');
    assert.equal(await tab('Seeding').getAttribute('aria-selected'), 'true');
    assert.equal(await page.evaluate(() => document.activeElement.getAttribute('role')), 'tab');
    assert.equal(await field('seedRatioLimit').isVisible(), true);
    await page.keyboard.press('ArrowLeft');
    assert.equal(await tab('Speed').getAttribute('aria-selected'), 'true');
    await page.keyboard.press('End');
    const last = page.locator('#settings-nav [role="tab"]').last();
    assert.equal(await last.getAttribute('aria-selected'), 'true');
    await page.keyboard.press('Home');
    assert.equal(await tab('General').getAttribute('aria-selected'), 'true');
    // Only the focused tab is in the tab order.
    assert.deepEqual(await nav.getByRole('tab').evaluateAll((tabs) => [...new Set(tabs.map((t) => t.tabIndex))].sort()), [-1, 0]);

    // A section saved on its own: the form's Save and Close are not there; the × closes.
    await tab('Categories').click();
    await page.locator('#category-new').waitFor();
    assert.equal(await form().locator('button[type="submit"]').isVisible(), false);
    await page.locator('#settings-close').click();
    await page.locator('#settings').waitFor({ state: 'hidden' });
    assert.equal(await page.evaluate(() => document.activeElement.id), 'settings-toggle');
    // Opened again, on the section shown last.
    await page.locator('#settings-toggle').click();
    assert.equal(await tab('Categories').getAttribute('aria-selected'), 'true');
    await tab('Event programs').click();
    assert.match(await page.locator('#set-programs').textContent(), /cannot be changed here/);
    await tab('General').click();
    await page.locator('#settings-cancel').click();
  });

  test('each section is saved with Save as before; its tab marks edits not saved yet', { timeout: 30000 }, async () => {
    await page.locator('#settings-toggle').click();
    await tab('Queue').click();
    const mark = tab('Queue').locator('.unsaved');
    assert.equal(await mark.isVisible(), false);
    await field('slowDownloadRate').fill('5');
    await field('slowTorrentTime').fill('90');
    assert.equal(await mark.isVisible(), true);
    assert.equal(await tab('Speed').locator('.unsaved').isVisible(), false);
    // An edit elsewhere is saved with it.
    await tab('RSS').click();
    await field('rssMaxArticles').fill('50');
    assert.equal(await tab('RSS').locator('.unsaved').isVisible(), true);
    await save();
    let c = await config();
    assert.equal(c.slowDownloadRate, 5 * 1024);
    assert.equal(c.slowTorrentTime, 90);
    assert.equal(c.rssMaxArticles, 50);
    assert.equal(await mark.isVisible(), false);
    assert.equal(await tab('RSS').locator('.unsaved').isVisible(), false);
    assert.match(fs.readFileSync(path.join(root, 'server', 'cloud-torrent.toml'), 'utf8'), /rssMaxArticles = 50/);

    // One section alone, from a later visit.
    await tab('Speed').click();
    await field('uploadLimit').fill('64');
    await save();
    c = await config();
    assert.equal(c.uploadLimit, 64 * 1024);
    assert.equal(c.slowDownloadRate, 5 * 1024);

    // A setting applied after a restart says so.
    await tab('Security').click();
    assert.equal(await page.locator('#set-private-urls').textContent(), 'Allowed (allowPrivateUrls in the config file)');
    await field('compatTransmission').uncheck();
    await save();
    await page.locator('#settings-status', { hasText: "Restart the server to apply: Transmission's RPC" }).waitFor();
    assert.equal((await config()).compatTransmission, false);
    await field('compatTransmission').check();
    await field('compatQbittorrentPort').fill('0');
    await form().locator('button[type="submit"]').click();
    await waitFor('the change to be undone', 5000, async () => (await config()).pendingRestart.length === 0);

    // Closed without Save, an edit is dropped.
    await tab('Speed').click();
    await field('uploadLimit').fill('1');
    await page.locator('#settings-cancel').click();
    await page.locator('#settings-toggle').click();
    assert.equal(await field('uploadLimit').inputValue(), '64');
    assert.equal(await tab('Speed').locator('.unsaved').isVisible(), false);
    assert.equal((await config()).uploadLimit, 64 * 1024);
    await field('uploadLimit').fill('0');
    await save();
    await page.locator('#settings-cancel').click();
  });

  test('a setting given by a flag is disabled in its section, with the reason beside it', { timeout: 30000 }, async () => {
    await page.locator('#settings-toggle').click();
    await tab('Connection').click();
    const dht = field('dht');
    assert.equal(await dht.isDisabled(), true);
    const note = page.locator(`#${await dht.getAttribute('aria-describedby')}`);
    assert.equal(await note.isVisible(), true);
    assert.match(await note.textContent(), /command-line flag/);
    assert.equal(await field('incomingPort').isDisabled(), false);
    // Saving the others leaves it alone.
    await field('upload').uncheck();
    await save();
    assert.equal((await config()).upload, false);
    await field('upload').check();
    await form().locator('button[type="submit"]').click();
    await waitFor('upload back on', 5000, async () => (await config()).upload === true);
    await page.locator('#settings-cancel').click();
  });

  test('on a 360 px phone the sections open and close under their headings, with no horizontal scroll', { timeout: 30000 }, async () => {
    const phone = await openPage({ width: 360, height: 740 });
    try {
      await phone.goto(server.url);
      await phone.locator('#conn[data-state="live"]').waitFor({ timeout: 10000 });
      await phone.locator('#settings-toggle').click();
      assert.equal(await phone.locator('#settings-nav').isVisible(), false);
      const heading = (name) => phone.locator('#settings button.settings-group-toggle', { hasText: name });
      assert.equal(await heading('General').getAttribute('aria-expanded'), 'true');
      assert.equal(await heading('Speed').getAttribute('aria-expanded'), 'false');
      assert.equal(await field('title', phone).isVisible(), true);
      assert.equal(await field('downloadLimit', phone).isVisible(), false);
      // Save is there below the sections of the form.
      assert.equal(await form(phone).locator('button[type="submit"]').isVisible(), true);
      await heading('Speed').click();
      assert.equal(await heading('Speed').getAttribute('aria-expanded'), 'true');
      await field('downloadLimit', phone).fill('300');
      await heading('General').click();
      assert.equal(await field('title', phone).isVisible(), false);
      await save(phone);
      assert.equal((await config()).downloadLimit, 300 * 1024);
      // Every section open: still no horizontal scroll.
      const closed = phone.locator('#settings button.settings-group-toggle[aria-expanded="false"]');
      while (await closed.count() > 0) await closed.first().click();
      await phone.locator('#category-new').waitFor();
      assert.ok(await phone.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth), 'horizontal scroll');
      await field('downloadLimit', phone).fill('0');
      await save(phone);
    } finally {
      await phone.close();
    }
  });

  test('nothing went wrong in the pages', () => {
    assert.deepEqual(errors, []);
  });
});
