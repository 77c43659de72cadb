// Browser tests of the search UI: the omni bar searches providers served by a local
// HTTP server (two answer JSON results by page, one fails): the results table, the
// failing provider's error, Add, the provider picker, links to the results' pages
// (never a javascript: one) and "Load more".

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
const HASH_EVIL = '1111111111111111111111111111111111111111';
const HASH_DEBIAN = '2222222222222222222222222222222222222222';
const HASH_FEDORA = '3333333333333333333333333333333333333333';
// Markup in a name must show as text: neither the image's handler nor the script may run.
const NAME = '<img src=x onerror="window.xssRan=1"><script>window.xssRan=2</script> Ubuntu ISO';

// What the fixture providers answer, by provider and page.
const UBUNTU = { title: NAME, hash: HASH, seeds: '42', peers: '3', size: '1.5 GiB', link: '/details/ubuntu' };
const PAGES = {
  local: {
    1: [UBUNTU, { title: 'Evil link', hash: HASH_EVIL, seeds: '7', peers: '0', size: '1 MiB', link: 'javascript:window.xssRan=3' }],
    2: [UBUNTU, { title: 'Debian ISO', hash: HASH_DEBIAN, seeds: '5', peers: '1', size: '600 MiB', link: '/details/debian' }],
    3: [UBUNTU],
  },
  other: {
    1: [{ title: 'Fedora ISO', hash: HASH_FEDORA, seeds: '3', peers: '2', size: '2 GiB', link: '/details/fedora' }],
  },
};

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ct-e2e-search-'));
let browser;
let page;
let server;
let site;
let base;
const dialogs = [];
/** The fixture's search requests: {provider, query, page}. */
const hits = [];

async function runSearch(text) {
  await page.locator('#omni-input').fill(text);
  await page.locator('#omni-input').press('Enter');
  await page.locator('#search-status', { hasText: /Results for|Nothing found/ }).waitFor({ timeout: 10000 });
}

function rows() {
  return page.locator('#search-results tr.result');
}

async function names() {
  return rows().locator('.name').allTextContents();
}

before(async () => {
  site = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    if (url.pathname === '/broken') {
      hits.push({ provider: 'broken' });
      res.writeHead(500).end('down');
      return;
    }
    if (url.pathname.startsWith('/details/')) {
      res.writeHead(200, { 'content-type': 'text/html' }).end(`<title>${url.pathname.slice(9)} details</title>`);
      return;
    }
    const provider = url.pathname.slice(1);
    const n = Number(url.searchParams.get('page'));
    hits.push({ provider, query: url.searchParams.get('q'), page: n });
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ data: PAGES[provider]?.[n] ?? [] }));
  });
  await new Promise((r) => site.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${site.address().port}`;
  const result = { name: 'title', infohash: 'hash', seeds: 'seeds', peers: 'peers', size: 'size', url: 'link' };
  const providers = path.join(root, 'providers.json');
  fs.writeFileSync(providers, JSON.stringify({
    local: { name: 'Local JSON', url: `${base}/local?q={{query}}&page={{page:1}}`, list: 'data', result },
    other: { name: 'Other JSON', url: `${base}/other?q={{query}}&page={{page:1}}`, list: 'data', result },
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
    await runSearch('ubuntu');
    assert.deepEqual(await names(), [NAME, 'Evil link', 'Fedora ISO']);
    const row = rows().filter({ hasText: 'Ubuntu ISO' });
    assert.equal(await row.locator('.seeders').textContent(), '42');
    assert.equal(await row.locator('.leechers').textContent(), '3');
    assert.equal(await row.locator('.provider').textContent(), 'Local JSON');
    assert.ok((await row.locator('.size').textContent()).includes('1.5'));
    // On a phone the figures are labelled (the table's header is hidden).
    assert.equal(await row.locator('.seeders').evaluate((el) => getComputedStyle(el, '::before').content), '"Seeders "');
    await page.locator('#search-errors li', { hasText: 'Broken site' }).waitFor();
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth));

    await row.locator('button.add').click();
    await page.locator(`li.torrent[data-hash="${HASH}"]`).waitFor({ timeout: 5000 });
    await waitFor('the button to say Added', 5000, async () => (await row.locator('button.add').textContent()) === 'Added');
    // The name, in the results and in the torrent list, is text: no element, nothing ran.
    assert.equal(await page.locator(`li.torrent[data-hash="${HASH}"] .name`).textContent(), NAME);
    assert.equal(await page.locator('main img, main script').count(), 0);
    assert.equal(await page.evaluate(() => window.xssRan), undefined);
    assert.deepEqual(dialogs, []);
  });

  test('the provider picker lists the providers, restricts the search to one and is remembered', { timeout: 60000 }, async () => {
    const picker = page.locator('#search-provider');
    assert.ok(await picker.isVisible());
    assert.deepEqual(await picker.locator('option').allTextContents(),
      ['All providers', 'Local JSON', 'Other JSON', 'Broken site']);
    assert.equal(await picker.inputValue(), '');

    // Picking while results are shown searches again, in that provider only.
    hits.length = 0;
    await picker.selectOption({ label: 'Other JSON' });
    await page.locator('#search-status', { hasText: 'Results for “ubuntu” in Other JSON' }).waitFor({ timeout: 10000 });
    assert.deepEqual(await names(), ['Fedora ISO']);
    assert.equal(await page.locator('#search-errors li').count(), 0);
    assert.deepEqual(hits, [{ provider: 'other', query: 'ubuntu', page: 1 }]);

    hits.length = 0;
    await runSearch('fedora');
    assert.deepEqual(hits.map((h) => h.provider), ['other']);
    assert.deepEqual(await names(), ['Fedora ISO']);

    // Remembered by this browser.
    await page.reload();
    await page.locator('#conn[data-state="live"]').waitFor({ timeout: 10000 });
    await waitFor('the picker to be filled', 5000, async () => (await picker.locator('option').count()) === 4);
    assert.equal(await picker.inputValue(), 'other');
    await picker.selectOption('');
    assert.equal(await page.evaluate(() => localStorage.getItem('cloud-torrent.search-provider')), null);
  });

  test('a result\'s name links to its page, in a new tab; a javascript: URL is never a link', { timeout: 60000 }, async () => {
    await runSearch('ubuntu');
    const link = rows().filter({ hasText: 'Ubuntu ISO' }).locator('a.name');
    assert.equal(await link.getAttribute('href'), `${base}/details/ubuntu`);
    assert.equal(await link.getAttribute('target'), '_blank');
    assert.equal(await link.getAttribute('rel'), 'noopener noreferrer');
    const [tab] = await Promise.all([page.context().waitForEvent('page'), link.click()]);
    await tab.waitForLoadState();
    assert.equal(tab.url(), `${base}/details/ubuntu`);
    assert.equal(await tab.evaluate(() => window.opener), null);
    await tab.close();

    // The provider answered javascript:… for "Evil link": its name is plain text.
    const evil = rows().filter({ hasText: 'Evil link' });
    assert.equal(await evil.locator('a').count(), 0);
    assert.equal(await evil.locator('span.name').textContent(), 'Evil link');

    // Even if such a URL reached the page, the UI would not make it a link.
    await page.route('**/api/v1/search?*', async (route) => {
      const answer = await (await route.fetch()).json();
      for (const r of answer.results) r.url = r.name === 'Evil link' ? 'javascript:window.xssRan=4' : ' data:text/html,x';
      await route.fulfill({ json: answer });
    });
    try {
      await runSearch('ubuntu');
      assert.equal(await rows().count(), 3);
      assert.equal(await rows().locator('a').count(), 0);
      await rows().filter({ hasText: 'Evil link' }).locator('.name').click();
      assert.equal(await page.evaluate(() => window.xssRan), undefined);
    } finally {
      await page.unroute('**/api/v1/search?*');
    }
  });

  test('Load more appends the next page, without repeats, until nothing new comes', { timeout: 60000 }, async () => {
    await runSearch('linux');
    assert.deepEqual(await names(), [NAME, 'Evil link', 'Fedora ISO']);
    const more = page.locator('#search-more');
    assert.ok(await more.isVisible());

    hits.length = 0;
    await more.click();
    await waitFor('page 2 to be appended', 10000, async () => (await rows().count()) === 4);
    assert.deepEqual(await names(), [NAME, 'Evil link', 'Fedora ISO', 'Debian ISO']);
    assert.equal(await page.locator('#search-count').textContent(), '(4)');
    assert.deepEqual(hits.filter((h) => h.provider !== 'broken').sort((a, b) => a.provider.localeCompare(b.provider)),
      [{ provider: 'local', query: 'linux', page: 2 }, { provider: 'other', query: 'linux', page: 2 }]);
    assert.ok(await more.isVisible());

    // Page 3 has only a result already shown: nothing more to load.
    await more.click();
    await page.locator('#search-status', { hasText: 'No more results for “linux”' }).waitFor({ timeout: 10000 });
    assert.ok(await more.isHidden());
    assert.equal(await rows().count(), 4);

    // A new search starts again from page 1.
    await runSearch('linux');
    assert.equal(await rows().count(), 3);
    assert.ok(await more.isVisible());
  });

  test('on a desktop the results are a table with headers and no horizontal scroll', { timeout: 60000 }, async () => {
    await page.setViewportSize({ width: 1280, height: 800 });
    try {
      assert.ok(await page.locator('#search-table th', { hasText: 'Seeders' }).isVisible());
      const row = rows().first();
      const cells = await row.locator('td').evaluateAll((tds) => tds.map((td) => Math.round(td.getBoundingClientRect().top)));
      assert.equal(new Set(cells).size, 1, 'a result is one table row');
      assert.equal(await row.locator('.seeders').evaluate((el) => getComputedStyle(el, '::before').content), 'none');
      assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth));
    } finally {
      await page.setViewportSize({ width: 360, height: 740 });
    }
  });
});
