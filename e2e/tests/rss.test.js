// Browser tests of the RSS panel: a feed served by a loopback HTTP server (RSS 2.0,
// items with .torrent enclosures made by mktorrent or with a magnet in <link>) is
// added and shows its status and articles; a feed that answers 404 shows its
// error; the rule editor's live preview lists what the rule as typed takes and why
// it leaves the others, and a bad regex's error; a saved rule applied to the
// current articles downloads exactly what the preview listed; a refresh brings a
// new article that the saved rule takes; articles are downloaded by hand; markup
// in the feed's and the articles' titles shows as text. Headless Chromium against
// the real binary; the tests run in order and share one server.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { freePort, makeTorrent, startServer, stop, stopAll, waitFor, writePayload } from '../lib/swarm.js';
import { articleWhy, feedMeta, feedPath } from '../../web/js/rss.js';
import { feedName, normalRule, rulePath, ruleSummary } from '../../web/js/rss-rules.js';

const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run',
];
const XSS = '<img src=x onerror=alert(1)>';
const FEED_TITLE = `Shows ${XSS}`;
const E01 = 'Show.S01E01.720p.WEB';
const E02 = 'Show.S01E02.720p.WEB';
const E03 = 'Show.S01E03.CAM';
const E04 = 'Show.S01E04.720p.WEB';
const OTHER = 'Other.Thing.1080p';
const MARKUP = `${XSS} Extra.Thing`;
const BROKEN = 'Broken.Link.Thing';
const HASH_E03 = 'e03e03e03e03e03e03e03e03e03e03e03e03e03e';
const HASH_OTHER = '07be707be707be707be707be707be707be707be7';
const HASH_MARKUP = 'a11ce0a11ce0a11ce0a11ce0a11ce0a11ce0a11c';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ct-e2e-rss-'));
const serverDir = path.join(root, 'server');
let browser;
let page;
let server;
let site;
let base;
/** The torrents the enclosures point at, by episode. */
const torrents = {};
/** The feed's items, newest first; a test adds one. */
let items = [];
let feedId;
const dialogs = [];
const consoleErrors = [];
let previewRequests = 0;

function escapeXml(text) {
  return String(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function daysAgo(days) {
  return new Date(Date.now() - days * 86400 * 1000).toUTCString();
}

function feedXml() {
  const item = (i) => [
    '<item>',
    `<title>${escapeXml(i.title)}</title>`,
    `<guid isPermaLink="false">${escapeXml(i.guid)}</guid>`,
    `<pubDate>${i.date}</pubDate>`,
    i.torrent
      ? `<enclosure url="${escapeXml(`${base}/t/${i.torrent}.torrent`)}" length="${torrents[i.torrent]?.bytes.length ?? 1000}" type="application/x-bittorrent"/>`
      : `<link>${escapeXml(`magnet:?xt=urn:btih:${i.hash}`)}</link>`,
    i.size ? `<torrent:contentLength>${i.size}</torrent:contentLength>` : '',
    '</item>',
  ].join('');
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<rss version="2.0" xmlns:torrent="http://xmlns.ezrss.it/0.1/"><channel>',
    `<title>${escapeXml(FEED_TITLE)}</title><link>${base}/</link><description>e2e</description>`,
    ...items.map(item),
    '</channel></rss>',
  ].join('\n');
}

async function api(pathname, init = {}) {
  const res = await fetch(new URL(pathname, server.url), { signal: AbortSignal.timeout(5000), ...init });
  return res.status === 204 ? null : res.json();
}

function card(hash) {
  return page.locator(`li.torrent[data-hash="${hash}"]`);
}

function feedRow(name) {
  return page.locator('#rss-feeds li.rss-feed').filter({ has: page.locator('.rss-feed-name', { hasText: name }) });
}

function articleRow(title) {
  return page.locator('#rss-articles li.rss-article').filter({ has: page.locator('.name', { hasText: title }) });
}

const editor = () => page.locator('#rss-rule-form');

/** The preview as shown: [{title, take, reason}]. */
function previewShown() {
  return page.locator('#rss-preview-list li.rss-preview-item').evaluateAll((els) => els.map((el) => ({
    title: el.querySelector('.name').textContent,
    take: el.classList.contains('take'),
    reason: el.querySelector('.rss-preview-reason')?.textContent ?? null,
  })));
}

/** Waits until the preview takes exactly `titles` (of the five first articles). */
async function waitForTakes(what, titles, total = 5) {
  const want = JSON.stringify([...titles].sort());
  return waitFor(what, 10000, async () => {
    const shown = await previewShown();
    const takes = JSON.stringify(shown.filter((i) => i.take).map((i) => i.title).sort());
    return shown.length === total && takes === want && shown;
  });
}

before(async () => {
  fs.mkdirSync(serverDir, { recursive: true });
  // The feed is on loopback: the server's outbound requests must be allowed there.
  fs.writeFileSync(path.join(serverDir, 'cloud-torrent.toml'), 'allowPrivateUrls = true\n');
  const payload = path.join(root, 'payload');
  writePayload(payload, [['e01.bin', 40 * 1024 + 1], ['e02.bin', 40 * 1024 + 2], ['e04.bin', 40 * 1024 + 4]]);
  for (const name of ['e01', 'e02', 'e04']) {
    torrents[name] = makeTorrent(path.join(payload, `${name}.bin`), path.join(root, `${name}.torrent`));
  }
  items = [
    { title: MARKUP, guid: 'markup', date: daysAgo(0.1), hash: HASH_MARKUP },
    { title: OTHER, guid: 'other', date: daysAgo(1), hash: HASH_OTHER },
    { title: E03, guid: 'e03', date: daysAgo(2), hash: HASH_E03 },
    { title: E02, guid: 'e02', date: daysAgo(3), torrent: 'e02', size: 2 * 1024 * 1024 },
    { title: E01, guid: 'e01', date: daysAgo(4), torrent: 'e01', size: 1536 * 1024 },
  ];

  site = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    if (url.pathname === '/feed.xml') {
      res.writeHead(200, { 'content-type': 'application/rss+xml; charset=utf-8' }).end(feedXml());
      return;
    }
    const m = url.pathname.match(/^\/t\/(\w+)\.torrent$/);
    if (m && torrents[m[1]]) {
      res.writeHead(200, { 'content-type': 'application/x-bittorrent' }).end(torrents[m[1]].bytes);
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not here');
  });
  await new Promise((r) => site.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${site.address().port}`;

  server = await startServer({
    dir: serverDir, port: await freePort(), incomingPort: await freePort(), log: path.join(root, 'server.log'),
  });
  // Categories for the rule and for a download by hand.
  for (const name of ['tv', 'films']) {
    const res = await fetch(new URL(`api/v1/categories/${name}`, server.url), {
      method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{}',
    });
    assert.ok(res.ok, `category ${name}: ${res.status}`);
  }
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.addInitScript(() => localStorage.setItem('torrent-view', 'cards'));
  page.on('dialog', (d) => {
    dialogs.push({ type: d.type(), message: d.message() });
    // Confirmations (Delete, Apply) are accepted; anything else would be a failure.
    (d.type() === 'confirm' ? d.accept() : d.dismiss()).catch(() => {});
  });
  page.on('console', (m) => {
    // A refused request (a 400 shown to the user) is logged by the browser itself.
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => consoleErrors.push(String(e)));
  page.on('request', (r) => {
    if (r.method() === 'POST' && r.url().endsWith('/api/v1/rss/preview')) previewRequests += 1;
  });
  await page.goto(server.url);
  await page.locator('#conn[data-state="live"]').waitFor({ timeout: 10000 });
});

after(async () => {
  await browser?.close();
  site?.close();
  if (server) await stop(server.child);
  await stopAll();
  if (!process.env.KEEP_E2E) fs.rmSync(root, { recursive: true, force: true });
});

describe('the RSS modules\' pure helpers', () => {
  test('paths, names, rules read with their defaults, and the lines shown', () => {
    assert.equal(rulePath('tv/shows?x=1#a', 'apply'), 'api/v1/rss/rules/tv%2Fshows%3Fx%3D1%23a/apply');
    assert.equal(feedPath(3, 'articles', 7, 'download'), 'api/v1/rss/feeds/3/articles/7/download');
    assert.equal(feedName({ id: 2, name: '', title: 'T', url: 'http://h/' }), 'T');
    assert.equal(feedName({ id: 2, name: 'N', title: 'T', url: 'http://h/' }), 'N');
    assert.deepEqual(normalRule({ feeds: [3, 1], tags: ['a'], category: '', savePath: '', lastMatch: 'x' }), {
      enabled: true, feeds: [1, 3], mustContain: '', mustNotContain: '', useRegex: false, episodeFilter: '',
      smartFilter: false, ignoreDays: 0, category: null, savePath: null, tags: ['a'], paused: false,
    });
    assert.equal(ruleSummary({ mustContain: 'show', mustNotContain: 'cam', feeds: [1], category: 'tv', lastMatch: null },
      [{ id: 1, name: 'My feed' }]), 'must contain “show” · not “cam” · feeds: My feed · category tv · took nothing yet');
    assert.deepEqual(feedMeta({ lastFetch: null, articles: 1, refreshMinutes: 30, failures: 2 }),
      ['Never fetched', '1 article', 'every 30 min', '2 failed fetches in a row']);
    assert.equal(articleWhy({ rule: 'r', reason: 'the .torrent could not be fetched', retryAt: null }),
      'Rule “r” · the .torrent could not be fetched');
    assert.equal(articleWhy({ rule: null, reason: null, retryAt: null }), '');
  });
});

describe('RSS feeds and download rules in the web UI', () => {
  test('a feed added in the RSS panel shows its status and its articles, titles with markup as text', { timeout: 30000 }, async () => {
    const toggle = page.locator('#rss-toggle');
    await toggle.click();
    await page.locator('#rss').waitFor();
    assert.equal(await toggle.getAttribute('aria-expanded'), 'true');
    await page.locator('#rss-feeds-empty', { hasText: 'No feeds yet.' }).waitFor();

    const form = page.locator('#rss-feed-new');
    assert.equal(await form.locator('input[name="refreshMinutes"]').inputValue(), '30');
    await form.locator('input[name="url"]').fill(`${base}/feed.xml`);
    await form.locator('button[type="submit"]').click();

    // Named after the channel's title once fetched; its articles are shown at once.
    const row = feedRow(FEED_TITLE);
    await row.locator('.rss-status[data-status="ok"]').waitFor({ timeout: 15000 });
    assert.equal(await row.locator('.rss-feed-name').textContent(), FEED_TITLE);
    assert.equal(await row.locator('.rss-status').textContent(), 'OK');
    assert.equal(await row.locator('.rss-feed-url').textContent(), `${base}/feed.xml`);
    assert.ok(await row.locator('.rss-feed-error').isHidden());
    const meta = await row.locator('.rss-feed-meta span').allTextContents();
    assert.ok(meta[0].startsWith('Last fetched '), meta[0]);
    assert.deepEqual(meta.slice(1), ['5 articles', 'every 30 min']);
    const feeds = await api('api/v1/rss/feeds');
    assert.equal(feeds.length, 1);
    feedId = feeds[0].id;
    assert.equal(feeds[0].title, FEED_TITLE);

    await page.locator('#rss-articles-section').waitFor();
    assert.equal(await page.locator('#rss-articles-feed').textContent(), FEED_TITLE);
    await waitFor('the five articles', 10000, async () => (await page.locator('#rss-articles li.rss-article').count()) === 5);
    const titles = await page.locator('#rss-articles li.rss-article .name').allTextContents();
    assert.deepEqual([...titles].sort(), [E01, E02, E03, MARKUP, OTHER].sort());
    assert.deepEqual(await page.locator('#rss-articles .rss-article-status').allTextContents(), ['New', 'New', 'New', 'New', 'New']);
    assert.equal(await articleRow(E01).locator('.size').textContent(), '1.50 MiB');
    assert.equal(await articleRow(E02).locator('.size').textContent(), '2.00 MiB');
    assert.notEqual(await articleRow(E01).locator('.published').textContent(), '');

    // Markup in the feed's and an article's title is text.
    assert.equal(await articleRow(MARKUP).locator('.name').textContent(), MARKUP);
    assert.equal(await page.locator('img').count(), 0);
  });

  test('a feed that cannot be fetched shows its error, and is deleted after a confirmation', { timeout: 30000 }, async () => {
    const form = page.locator('#rss-feed-new');
    await form.locator('input[name="url"]').fill(`${base}/missing.xml`);
    await form.locator('input[name="name"]').fill('Broken feed');
    await form.locator('input[name="refreshMinutes"]').fill('15');
    await form.locator('button[type="submit"]').click();
    const row = feedRow('Broken feed');
    await row.locator('.rss-status[data-status="error"]').waitFor({ timeout: 15000 });
    assert.equal(await row.locator('.rss-status').textContent(), 'Error');
    const error = await row.locator('.rss-feed-error').textContent();
    assert.match(error, /404/);
    assert.ok(await row.locator('.rss-feed-meta', { hasText: 'every 15 min' }).isVisible());

    // A second feed with the same URL is refused, and the form says why.
    await form.locator('input[name="url"]').fill(`${base}/missing.xml`);
    await form.locator('button[type="submit"]').click();
    await page.locator('#rss-feeds-status.error').waitFor();
    assert.notEqual(await page.locator('#rss-feeds-status').textContent(), '');
    assert.equal(await page.locator('#rss-feeds li.rss-feed').count(), 2);
    await form.locator('input[name="url"]').fill('');

    const before = dialogs.length;
    await row.locator('button', { hasText: 'Delete' }).click();
    await row.waitFor({ state: 'detached' });
    assert.equal(dialogs.length, before + 1);
    assert.equal(dialogs.at(-1).type, 'confirm');
    assert.match(dialogs.at(-1).message, /Broken feed/);
    assert.deepEqual((await api('api/v1/rss/feeds')).map((f) => f.id), [feedId]);
    // Its articles were shown (a feed added is picked); the first feed's are, once it is clicked.
    assert.ok(await page.locator('#rss-articles-section').isHidden());
    await feedRow(FEED_TITLE).locator('.rss-feed-name').click();
    await page.locator('#rss-articles-section').waitFor();
    assert.equal(await page.locator('#rss-articles-feed').textContent(), FEED_TITLE);
    assert.equal(await feedRow(FEED_TITLE).locator('.rss-feed-name').getAttribute('aria-pressed'), 'true');
    await waitFor('the five articles again', 10000, async () => (await page.locator('#rss-articles li.rss-article').count()) === 5);
  });

  test('the rule editor previews, as it is typed, what the rule takes and why it leaves the others', { timeout: 60000 }, async () => {
    await page.locator('#rss-rule-new').click();
    await editor().waitFor();
    assert.equal(await page.locator('#rss-rule-title').textContent(), 'New rule');
    assert.ok(await page.locator('#rss-rule-apply').isHidden(), 'no Apply before it is saved');
    await editor().locator('input[name="name"]').fill('shows');

    // Typed key by key, the preview is asked for once the typing pauses.
    const requestsBefore = previewRequests;
    await editor().locator('input[name="mustContain"]').pressSequentially('show', { delay: 40 });
    let shown = await waitForTakes('the preview of "show"', [E01, E02, E03]);
    assert.ok(previewRequests - requestsBefore <= 2, `${previewRequests - requestsBefore} preview requests for four keys`);
    assert.match(await page.locator('#rss-preview-status').textContent(), /^Would take 3 of 5 articles\.$/);
    const lacks = shown.find((i) => i.title === OTHER);
    assert.match(lacks.reason, /show/);

    await editor().locator('input[name="mustNotContain"]').fill('CAM');
    shown = await waitForTakes('the preview without CAM', [E01, E02]);
    assert.match(shown.find((i) => i.title === E03).reason, /CAM/);
    assert.ok(shown.filter((i) => !i.take).every((i) => i.reason), 'each article left says why');
    // The articles taken are highlighted; markup in a title is text.
    const take = page.locator('#rss-preview-list li.rss-preview-item.take', { hasText: E01 });
    assert.equal(await take.locator('.badge').textContent(), 'Takes');
    assert.equal(await page.locator('#rss-preview-list li.rss-preview-item', { hasText: 'Extra.Thing' }).locator('.name').textContent(), MARKUP);

    // A bad regex: the server's error in the preview area, no alert.
    await editor().locator('input[name="useRegex"]').check();
    await editor().locator('input[name="mustContain"]').fill('show(');
    const status = page.locator('#rss-preview-status.error');
    await status.waitFor({ timeout: 10000 });
    assert.match(await status.textContent(), /regular expression/);
    assert.equal(await page.locator('#rss-preview-list li').count(), 0);
    assert.deepEqual(dialogs.filter((d) => d.type !== 'confirm'), []);

    // Fixed, as a regex.
    await editor().locator('input[name="mustContain"]').fill('^show\\.s01e0[1-9]');
    await waitForTakes('the preview of the regex', [E01, E02]);
    assert.equal(await page.locator('#rss-preview-status.error').count(), 0);
  });

  test('a saved rule applied to the current articles downloads what the preview listed', { timeout: 60000 }, async () => {
    // Only this feed, into the category "tv", with tags.
    const feedBox = editor().locator('#rss-rule-feeds label', { hasText: FEED_TITLE }).locator('input');
    await feedBox.check();
    await editor().locator('select[name="category"]').selectOption('tv');
    await editor().locator('input[name="tags"]').fill('rss, auto');
    await waitForTakes('the preview with the feed ticked', [E01, E02]);
    await editor().locator('button[type="submit"]').click();
    await page.locator('#rss-rule-status', { hasText: 'Saved.' }).waitFor();
    assert.equal(await page.locator('#rss-rule-title').textContent(), 'Rule “shows”');
    const listed = page.locator('#rss-rules li.rss-rule[data-name="shows"]');
    await listed.waitFor();
    assert.equal(await listed.locator('.rss-rule-state').textContent(), 'On');
    const rule = await api('api/v1/rss/rules/shows');
    assert.deepEqual({ ...rule, lastMatch: undefined }, {
      enabled: true, feeds: [feedId], mustContain: '^show\\.s01e0[1-9]', mustNotContain: 'CAM', useRegex: true,
      episodeFilter: '', smartFilter: false, ignoreDays: 0, category: 'tv', savePath: null, tags: ['rss', 'auto'],
      paused: false, lastMatch: undefined,
    });
    // Saving alone takes nothing.
    const articles = await api(`api/v1/rss/feeds/${feedId}/articles`);
    assert.deepEqual(articles.map((a) => a.status), ['new', 'new', 'new', 'new', 'new']);

    const before = dialogs.length;
    await page.locator('#rss-rule-apply').click();
    await page.locator('#rss-rule-status', { hasText: /^Took 2 articles: / }).waitFor({ timeout: 10000 });
    assert.equal(dialogs.length, before + 1);
    assert.equal(dialogs.at(-1).type, 'confirm');
    assert.match(dialogs.at(-1).message, /may download articles the rule passed over/);

    // The two articles the preview listed become "downloaded", and their torrents are in the list.
    for (const [title, name] of [[E01, 'e01'], [E02, 'e02']]) {
      await articleRow(title).locator('.rss-article-status', { hasText: 'Downloaded' }).waitFor({ timeout: 20000 });
      assert.match(await articleRow(title).locator('.rss-article-why').textContent(), /Rule “shows”/);
      await card(torrents[name].hash).waitFor({ timeout: 10000 });
      // The category, then the rule's tags (which the torrent keeps sorted).
      assert.deepEqual(await card(torrents[name].hash).locator('.chip').allTextContents(), ['tv', 'auto', 'rss']);
    }
    for (const title of [E03, OTHER, MARKUP]) {
      assert.equal(await articleRow(title).locator('.rss-article-status').textContent(), 'New');
    }
    assert.equal(await page.locator('li.torrent').count(), 2);

    // The preview now takes nothing more: they were downloaded.
    const shown = await waitForTakes('the preview after Apply', []);
    assert.match(shown.find((i) => i.title === E01).reason, /downloaded already/);
    await listed.locator('.rss-rule-summary', { hasText: 'last took ' }).waitFor({ timeout: 10000 });
  });

  test('a refresh brings new articles, and the saved rule takes the one it matches', { timeout: 60000 }, async () => {
    items = [
      { title: E04, guid: 'e04', date: daysAgo(0), torrent: 'e04' },
      // Its .torrent is not there (404).
      { title: BROKEN, guid: 'broken', date: daysAgo(0), torrent: 'missing' },
      ...items,
    ];
    const row = feedRow(FEED_TITLE);
    await row.locator('button', { hasText: 'Refresh' }).click();
    await row.locator('.rss-feed-meta span', { hasText: '7 articles' }).waitFor({ timeout: 15000 });
    await articleRow(E04).locator('.rss-article-status', { hasText: 'Downloaded' }).waitFor({ timeout: 20000 });
    await card(torrents.e04.hash).waitFor({ timeout: 10000 });
    assert.equal((await api(`api/v1/torrents/${torrents.e04.hash}`)).category, 'tv');
    assert.equal(await articleRow(E03).locator('.rss-article-status').textContent(), 'New');
    assert.equal(await articleRow(BROKEN).locator('.rss-article-status').textContent(), 'New');
    // The preview of the rule being edited follows: the new articles, nothing more to take.
    const shown = await waitForTakes('the preview after the refresh', [], 7);
    assert.match(shown.find((i) => i.title === E04).reason, /downloaded already/);
    assert.match(shown.find((i) => i.title === BROKEN).reason, /regex/);
  });

  test('an article is downloaded by hand, into the category chosen', { timeout: 60000 }, async () => {
    await page.locator('#rss-download-category').selectOption('films');
    await articleRow(OTHER).locator('button.rss-download').click();
    await card(HASH_OTHER).waitFor({ timeout: 10000 });
    await articleRow(OTHER).locator('.rss-article-status', { hasText: 'Downloaded' }).waitFor({ timeout: 10000 });
    assert.equal((await api(`api/v1/torrents/${HASH_OTHER}`)).category, 'films');
    assert.deepEqual(await card(HASH_OTHER).locator('.chip').allTextContents(), ['films']);

    // Without a category; markup in its title stays text.
    await page.locator('#rss-download-category').selectOption('');
    await articleRow(MARKUP).locator('button.rss-download').click();
    await card(HASH_MARKUP).waitFor({ timeout: 10000 });
    await articleRow(MARKUP).locator('.rss-article-status', { hasText: 'Downloaded' }).waitFor({ timeout: 10000 });
    assert.equal((await api(`api/v1/torrents/${HASH_MARKUP}`)).category, null);
    assert.equal(await page.locator('img').count(), 0);

    // A .torrent that cannot be fetched: the server's error, in the article's row.
    await articleRow(BROKEN).locator('button.rss-download').click();
    const error = articleRow(BROKEN).locator('.rss-article-error');
    await error.waitFor({ timeout: 10000 });
    assert.match(await error.textContent(), /^Not downloaded: .*404/);
    assert.equal(await articleRow(BROKEN).locator('.rss-article-status').textContent(), 'New');
    assert.equal(await page.locator('li.torrent').count(), 5);
  });

  test('a feed is renamed and its refresh changed; a rule is deleted after a confirmation', { timeout: 30000 }, async () => {
    const row = page.locator(`#rss-feeds li.rss-feed[data-id="${feedId}"]`);
    await row.locator('button', { hasText: 'Edit' }).click();
    const form = row.locator('form.rss-feed-edit');
    assert.equal(await form.locator('input[name="name"]').inputValue(), FEED_TITLE);
    await form.locator('input[name="name"]').fill('My shows');
    await form.locator('input[name="refreshMinutes"]').fill('45');
    await form.locator('button[type="submit"]').click();
    await row.locator('.rss-feed-name', { hasText: 'My shows' }).waitFor();
    await row.locator('.rss-feed-meta span', { hasText: 'every 45 min' }).waitFor();
    assert.ok(await form.isHidden());
    const feed = (await api('api/v1/rss/feeds'))[0];
    assert.equal(feed.name, 'My shows');
    assert.equal(feed.refreshMinutes, 45);
    assert.equal(feed.url, `${base}/feed.xml`);
    // The rule editor names the feed by its new name.
    await editor().locator('#rss-rule-feeds label', { hasText: 'My shows' }).waitFor();

    const before = dialogs.length;
    await page.locator('#rss-rule-delete').click();
    await page.locator('#rss-rules li.rss-rule[data-name="shows"]').waitFor({ state: 'detached' });
    assert.ok(await editor().isHidden());
    assert.equal(dialogs.at(-1).type, 'confirm');
    assert.equal(dialogs.length, before + 1);
    assert.deepEqual(await api('api/v1/rss/rules'), {});
    await page.locator('#rss-rules-empty', { hasText: 'No rules yet.' }).waitFor();

    // Nothing ran that the page did not mean to.
    assert.deepEqual(dialogs.filter((d) => d.type !== 'confirm'), []);
    assert.equal(await page.locator('img').count(), 0);
    assert.deepEqual(consoleErrors, []);
  });

  test('a 360 px phone screen with the RSS panel open has no horizontal scroll', { timeout: 30000 }, async () => {
    const phone = await browser.newPage({ viewport: { width: 360, height: 740 }, deviceScaleFactor: 2, isMobile: true });
    try {
      await phone.goto(server.url);
      await phone.locator('#rss-toggle').click();
      await phone.locator(`#rss-feeds li.rss-feed[data-id="${feedId}"] .rss-feed-name`).click();
      await phone.locator('#rss-articles li.rss-article').first().waitFor();
      await phone.locator(`#rss-feeds li.rss-feed[data-id="${feedId}"] button`, { hasText: 'Edit' }).click();
      await phone.locator('#rss-rule-new').click();
      await phone.locator('#rss-preview-list li').first().waitFor({ timeout: 10000 });
      const fits = await phone.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth);
      assert.ok(fits, 'horizontal scroll on a phone');
    } finally {
      await phone.close();
    }
  });
});
