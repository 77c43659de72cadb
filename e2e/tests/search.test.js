// Browser test of the search UI: the omni bar searches two providers served by a
// local HTTP server (one answers JSON results, one fails), shows the results and
// the failing provider's error, and Add adds a result.

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
const HASH = 'c12fe1c06bba254a9dc9f519b335aa7c1367a88a';
const NAME = '<img src=x onerror=alert(1)> Ubuntu ISO';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ct-e2e-search-'));
let browser;
let page;
let server;
let site;
const dialogs = [];

before(async () => {
  site = http.createServer((req, res) => {
    if (req.url.startsWith('/broken')) {
      res.writeHead(500).end('down');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ data: [{ title: NAME, hash: HASH, seeds: '42', size: '1.5 GiB' }] }));
  });
  await new Promise((r) => site.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${site.address().port}`;
  const providers = path.join(root, 'providers.json');
  fs.writeFileSync(providers, JSON.stringify({
    local: { name: 'Local JSON', url: `${base}/api?q={{query}}`, list: 'data', result: { name: 'title', infohash: 'hash', seeds: 'seeds', size: 'size' } },
    broken: { name: 'Broken site', url: `${base}/broken?q={{query}}`, list: 'data', result: { name: 'title' } },
  }));
  server = await startServer({
    dir: path.join(root, 'server'), port: await freePort(), incomingPort: await freePort(),
    log: path.join(root, 'server.log'), args: ['--search-config', providers],
  });
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  page = await browser.newPage({ viewport: { width: 360, height: 740 } });
  page.on('dialog', (d) => { dialogs.push(d.message()); d.dismiss().catch(() => {}); });
  await page.goto(server.url);
  await page.locator('#conn[data-state="live"]').waitFor({ timeout: 10000 });
});

after(async () => {
  await browser?.close();
  if (server) await stop(server.child);
  await stopAll();
  site?.close();
  if (!process.env.KEEP_E2E) fs.rmSync(root, { recursive: true, force: true });
});

describe('search UI', () => {
  test('text in the omni bar searches; results, errors and Add work', { timeout: 60000 }, async () => {
    await page.locator('#omni-input').fill('ubuntu');
    await page.locator('#omni-input').press('Enter');
    const row = page.locator('#search-results li.result');
    await row.waitFor({ timeout: 10000 });
    assert.equal(await row.count(), 1);
    assert.equal(await row.locator('.name').textContent(), NAME);
    assert.equal(await row.locator('.seeders').textContent(), '42 seeders');
    assert.equal(await row.locator('.provider').textContent(), 'Local JSON');
    assert.ok((await row.locator('.size').textContent()).includes('1.5'));
    await page.locator('#search-errors li', { hasText: 'Broken site' }).waitFor();
    assert.equal(await page.locator('main img').count(), 0);
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth));

    await row.locator('button.add').click();
    await page.locator(`li.torrent[data-hash="${HASH}"]`).waitFor({ timeout: 5000 });
    await waitFor('the button to say Added', 5000, async () => (await row.locator('button.add').textContent()) === 'Added');
    assert.deepEqual(dialogs, []);
  });
});
