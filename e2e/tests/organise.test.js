// Browser tests of organising torrents in the web UI: categories made in the
// settings and offered when adding, tags, the list's filters, moving a torrent's
// data by changing its category, webhooks with their Test button (against a
// loopback listener), the event programs' runs, watch folders and the notices
// they leave. Headless Chromium against the real binary; the tests run in order
// and share one server.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { freePort, makeTorrent, startServer, stop, stopAll, waitFor, writePayload } from '../lib/swarm.js';

const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run',
];
const XSS = '<img src=x onerror=alert(1)>';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ct-e2e-organise-'));
const serverDir = path.join(root, 'server');
const downloads = path.join(serverDir, 'downloads');
const watchDir = path.join(root, 'watch');
let browser;
let page;
let server;
/** The webhook listener: its base URL and the requests it got. */
let hooks;
let hookBase;
const hookRequests = [];
/** A torrent whose data is already in the download folder (it seeds at once). */
let seeded;
/** A torrent nobody seeds, added from the file picker. */
let upload;
const magnetHash = 'c0ffee'.padEnd(40, '7');
const dialogs = [];
const consoleErrors = [];

function card(hash) {
  return page.locator(`li.torrent[data-hash="${hash}"]`);
}

async function api(pathname, init = {}) {
  const res = await fetch(new URL(pathname, server.url), { signal: AbortSignal.timeout(5000), ...init });
  return res.status === 204 ? null : res.json();
}

const torrent = (hash) => api(`api/v1/torrents/${hash}`);

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

async function openSettings() {
  if (await page.locator('#settings').isHidden()) await page.locator('#settings-toggle').click();
  await page.locator('#settings').waitFor();
}

/** Shows a section of the settings panel by its tab. */
function settingsSection(name) {
  return page.locator('#settings-nav').getByRole('tab', { name }).click();
}

async function saveSettings() {
  await page.locator('#settings-form button[type="submit"]').click();
  await page.locator('#settings-status', { hasText: 'Saved.' }).waitFor();
}

/** Closes the panel with its ×: the Close beside Save is not there with a section saved on its own. */
async function closeSettings() {
  await page.locator('#settings-close').click();
}

/** The cards the filters leave visible, as info hashes. */
async function visibleCards() {
  return page.locator('li.torrent:not([hidden])').evaluateAll((els) => els.map((el) => el.dataset.hash).sort());
}

before(async () => {
  // The server's config file, written before it starts: event programs can only be
  // set there, and the webhook listener is on loopback.
  fs.mkdirSync(serverDir, { recursive: true });
  fs.writeFileSync(path.join(serverDir, 'cloud-torrent.toml'), [
    'allowPrivateUrls = true',
    'eventPrograms = [{ event = "added", argv = ["/bin/echo", "added {name}"] }]',
    '',
  ].join('\n'));
  writePayload(downloads, [['show.bin', 300 * 1024 + 5]]);
  seeded = makeTorrent(path.join(downloads, 'show.bin'), path.join(root, 'show.torrent'));
  writePayload(path.join(root, 'payload'), [['upload.bin', 64 * 1024 + 3], ['watched.bin', 32 * 1024 + 1], ['xss.bin', 16 * 1024]]);
  upload = makeTorrent(path.join(root, 'payload', 'upload.bin'), path.join(root, 'upload.torrent'));
  fs.mkdirSync(watchDir);

  hooks = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      hookRequests.push({ url: req.url, method: req.method, headers: req.headers, body: Buffer.concat(chunks).toString() });
      res.writeHead(req.url === '/fail' ? 500 : 200, { 'content-type': 'text/plain' });
      res.end('ok');
    });
  });
  await new Promise((r) => hooks.listen(0, '127.0.0.1', r));
  hookBase = `http://127.0.0.1:${hooks.address().port}`;

  server = await startServer({
    dir: serverDir, port: await freePort(), incomingPort: await freePort(), log: path.join(root, 'server.log'),
  });
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.addInitScript(() => localStorage.setItem('torrent-view', 'cards'));
  page.on('dialog', (d) => {
    dialogs.push({ type: d.type(), message: d.message() });
    // Confirmations (Delete) are accepted; anything else would be a failure.
    (d.type() === 'confirm' ? d.accept() : d.dismiss()).catch(() => {});
  });
  page.on('console', (m) => {
    // A refused request (a 409 shown to the user) is logged by the browser itself.
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => consoleErrors.push(String(e)));
  await page.goto(server.url);
  await page.locator('#conn[data-state="live"]').waitFor({ timeout: 10000 });
});

after(async () => {
  await browser?.close();
  hooks?.close();
  if (server) await stop(server.child);
  await stopAll();
  if (!process.env.KEEP_E2E) fs.rmSync(root, { recursive: true, force: true });
});

describe('organising torrents in the web UI', () => {
  test('a category made in the settings is offered when adding, and is changed and deleted there', { timeout: 30000 }, async () => {
    await openSettings();
    await settingsSection('Categories');
    const add = page.locator('#category-new');
    await add.locator('input[name="name"]').fill('tv/shows');
    await add.locator('input[name="savePath"]').fill('series');
    await add.locator('input[name="seedRatioLimit"]').fill('1.5');
    await add.locator('button[type="submit"]').click();
    const row = page.locator('#category-rows li[data-name="tv/shows"]');
    await row.waitFor();
    assert.equal(await row.locator('.category-name').textContent(), 'tv/shows');
    assert.equal(await row.locator('input[name="savePath"]').inputValue(), 'series');
    let category = (await api('api/v1/categories')).find((c) => c.name === 'tv/shows');
    assert.deepEqual(category, { name: 'tv/shows', savePath: 'series', seedRatioLimit: 1.5, seedTimeLimit: null, seedIdleLimit: null });
    // Offered by the category picker beside the omni bar.
    assert.equal(await page.locator('#add-category').getAttribute('list'), 'category-list');
    await page.locator('#category-list option[value="tv/shows"]').waitFor({ state: 'attached' });

    // Changed in its row.
    await row.locator('input[name="seedIdleLimit"]').fill('30');
    await row.locator('button[type="submit"]').click();
    await waitFor('the idle limit to be saved', 5000, async () => {
      category = (await api('api/v1/categories')).find((c) => c.name === 'tv/shows');
      return category.seedIdleLimit === 30 && category.seedRatioLimit === 1.5 && category.savePath === 'series';
    });

    // Another one, deleted again (after a confirmation).
    await add.locator('input[name="name"]').fill('temp');
    await add.locator('button[type="submit"]').click();
    const temp = page.locator('#category-rows li[data-name="temp"]');
    await temp.waitFor();
    await page.locator('#category-list option[value="temp"]').waitFor({ state: 'attached' });
    await temp.locator('button', { hasText: 'Delete' }).click();
    await temp.waitFor({ state: 'detached' });
    assert.deepEqual((await api('api/v1/categories')).map((c) => c.name), ['tv/shows']);
    assert.equal(await page.locator('#category-list option[value="temp"]').count(), 0);
    assert.deepEqual(dialogs.map((d) => d.type), ['confirm']);
    await closeSettings();
  });

  test('torrents added from the file picker, the omni bar and by dropping get the category and tags chosen', { timeout: 30000 }, async () => {
    // The file picker.
    await page.locator('#add-category').fill('tv/shows');
    await page.locator('#add-tags').fill('hd, weekly');
    await page.locator('#file-input').setInputFiles(upload.path);
    await card(upload.hash).waitFor({ timeout: 5000 });
    let t = await torrent(upload.hash);
    assert.equal(t.category, 'tv/shows');
    assert.deepEqual(t.tags, ['hd', 'weekly']);
    assert.equal(t.savePath, 'series');
    assert.deepEqual(await card(upload.hash).locator('.chip').allTextContents(), ['tv/shows', 'hd', 'weekly']);

    // A magnet, into a category that does not exist yet (the server makes it).
    await page.locator('#add-category').fill('music');
    await page.locator('#add-tags').fill('lossless');
    await page.locator('#omni-input').fill(`magnet:?xt=urn:btih:${magnetHash}&dn=lonely`);
    await page.locator('#omni-input').press('Enter');
    await card(magnetHash).waitFor({ timeout: 5000 });
    t = await torrent(magnetHash);
    assert.equal(t.category, 'music');
    assert.deepEqual(t.tags, ['lossless']);
    await page.locator('#category-list option[value="music"]').waitFor({ state: 'attached' });
    // The known tags are suggested for the next one.
    await page.locator('#add-tags').fill('');
    await page.locator('#add-tags').focus();
    const tagList = await page.locator('#add-tags').getAttribute('list');
    assert.deepEqual(await page.locator(`datalist[id="${tagList}"] option`).evaluateAll((els) => els.map((o) => o.value)),
      ['hd', 'lossless', 'weekly']);

    // A dropped .torrent, with no category: its data is already there, so it seeds.
    await page.locator('#add-category').fill('');
    await page.locator('#add-tags').fill('dropped');
    await dropFile('show.torrent', seeded.bytes);
    await card(seeded.hash).waitFor({ timeout: 5000 });
    await waitFor('the dropped torrent to seed', 20000, async () => (await torrent(seeded.hash)).state === 'seeding');
    t = await torrent(seeded.hash);
    assert.equal(t.category, null);
    assert.deepEqual(t.tags, ['dropped']);
    assert.equal(t.savePath, '');
    await page.locator('#add-tags').fill('');
  });

  test('the list filters by state, category and tag, with counts', { timeout: 30000 }, async () => {
    const all = [upload.hash, magnetHash, seeded.hash].sort();
    assert.deepEqual(await visibleCards(), all);
    const options = async (id) => page.locator(`#${id} option`).allTextContents();
    await waitFor('the category counts', 5000, async () => JSON.stringify(await options('filter-category'))
      === JSON.stringify(['All (3)', 'No category (1)', 'music (1)', 'tv/shows (1)']));
    assert.deepEqual(await options('filter-tag'), ['All (3)', 'dropped (1)', 'hd (1)', 'lossless (1)', 'weekly (1)']);
    await waitFor('the state counts', 5000, async () => (await options('filter-state')).includes('Seeding (1)'));

    await page.locator('#filter-category').selectOption({ label: 'tv/shows (1)' });
    await waitFor('the category filter', 5000, async () => JSON.stringify(await visibleCards()) === JSON.stringify([upload.hash]));
    assert.equal(await page.locator('#torrent-count').textContent(), '(1 of 3)');
    await page.locator('#filter-category').selectOption({ label: 'No category (1)' });
    await waitFor('no category', 5000, async () => JSON.stringify(await visibleCards()) === JSON.stringify([seeded.hash]));
    // Filters add up: no torrent without a category has the tag "lossless".
    await page.locator('#filter-tag').selectOption({ label: 'lossless (1)' });
    await page.locator('#no-match').waitFor();
    assert.deepEqual(await visibleCards(), []);
    await page.locator('#filter-category').selectOption({ label: 'All (3)' });
    await waitFor('the tag filter', 5000, async () => JSON.stringify(await visibleCards()) === JSON.stringify([magnetHash]));
    await page.locator('#filter-tag').selectOption({ label: 'All (3)' });
    await page.locator('#filter-state').selectOption({ label: 'Seeding (1)' });
    await waitFor('the state filter', 5000, async () => JSON.stringify(await visibleCards()) === JSON.stringify([seeded.hash]));
    await page.locator('#filter-state').selectOption({ label: 'All (3)' });
    await waitFor('every torrent again', 5000, async () => JSON.stringify(await visibleCards()) === JSON.stringify(all));
    assert.equal(await page.locator('#torrent-count').textContent(), '(3)');
  });

  test("a torrent's category changed in its details moves its data; a refused move says why", { timeout: 60000 }, async () => {
    const c = card(seeded.hash);
    await c.locator('button.expand').click();
    const form = c.locator('form.placement');
    await form.locator('.where', { hasText: 'Saved in the download folder · content: show.bin' }).waitFor();
    assert.equal(await form.locator('input[name="tags"]').inputValue(), 'dropped');

    // What the card says while the data moves (the PATCH answers `moving`).
    await c.evaluate((el) => {
      window.seenWhileMoving = new Set();
      const note = el.querySelector('.place-note');
      new MutationObserver(() => window.seenWhileMoving.add(note.textContent)).observe(note, { childList: true, characterData: true, subtree: true });
    });
    await form.locator('input[name="category"]').fill('tv/shows');
    await form.locator('button[type="submit"]').click();
    await waitFor('the data to move to the category folder', 30000, async () => {
      const t = await torrent(seeded.hash);
      return t.savePath === 'series' && t.state === 'seeding';
    });
    assert.ok(fs.existsSync(path.join(downloads, 'series', 'show.bin')), 'the file is in the category folder');
    assert.ok(!fs.existsSync(path.join(downloads, 'show.bin')), 'the file left its old folder');
    await form.locator('.where', { hasText: 'Saved in series · content: series/show.bin' }).waitFor();
    await c.locator('.badge', { hasText: 'Seeding' }).waitFor();
    assert.ok(await page.evaluate(() => window.seenWhileMoving.has('Moving its data…')), 'the card said the data was moving');
    assert.deepEqual(await c.locator('.chip').allTextContents(), ['tv/shows', 'dropped']);

    // Tags are edited in the same form.
    await form.locator('input[name="tags"]').fill('dropped, moved');
    await form.locator('button[type="submit"]').click();
    await waitFor('the tags to be saved', 5000, async () => JSON.stringify((await torrent(seeded.hash)).tags) === '["dropped","moved"]');

    // A name of its own: shown on the card, its file left as it is; emptied, its own name again.
    assert.equal(await form.locator('input[name="name"]').inputValue(), 'show.bin');
    await form.locator('input[name="name"]').fill('  The Show, season 1 ');
    await form.locator('button[type="submit"]').click();
    await waitFor('the name to be saved', 5000, async () => (await torrent(seeded.hash)).name === 'The Show, season 1');
    await c.locator('.name', { hasText: 'The Show, season 1' }).waitFor();
    assert.equal((await torrent(seeded.hash)).contentPath, 'series/show.bin');
    assert.ok(fs.existsSync(path.join(downloads, 'series', 'show.bin')), 'the file keeps its name');
    await form.locator('input[name="name"]').fill('');
    await form.locator('button[type="submit"]').click();
    await waitFor('its own name again', 5000, async () => (await torrent(seeded.hash)).name === 'show.bin');

    // Its .torrent is offered beside the magnet link.
    const link = c.locator('a.torrent-file');
    await link.waitFor();
    const exported = await page.request.get(new URL(await link.getAttribute('href'), page.url()).href);
    assert.equal(exported.status(), 200);
    assert.equal(exported.headers()['content-type'], 'application/x-bittorrent');
    assert.equal((await exported.body()).subarray(0, 1).toString(), 'd');

    // A file already where the data would go: the server refuses, the form says why.
    writePayload(path.join(downloads, 'blocked'), [['show.bin', 10]]);
    await form.locator('input[name="category"]').fill('blocked');
    await form.locator('button[type="submit"]').click();
    const error = form.locator('.place-error');
    await error.waitFor();
    assert.match(await error.textContent(), /^Its data cannot go there: .*already exists/);
    const t = await torrent(seeded.hash);
    assert.equal(t.category, 'tv/shows');
    assert.equal(t.savePath, 'series');
    assert.ok(fs.existsSync(path.join(downloads, 'series', 'show.bin')));
    assert.equal(fs.statSync(path.join(downloads, 'blocked', 'show.bin')).size, 10, 'the file in the way is untouched');
    // Put back as the server has it.
    await form.locator('input[name="category"]').fill('tv/shows');
    await c.locator('button.expand').click();
    assert.deepEqual(consoleErrors, []);
  });

  test('a webhook added in the settings is saved, and Test shows what its server answered', { timeout: 30000 }, async () => {
    await openSettings();
    await settingsSection('Webhooks');
    await page.locator('#webhook-add').click();
    const first = page.locator('#webhook-list li').nth(0);
    await first.locator('[data-field="url"]').fill(`${hookBase}/hook`);
    await first.locator('[data-event="finished"]').check();
    await first.locator('[data-field="headers"]').fill('X-Token: secret');
    await page.locator('#webhook-add').click();
    const second = page.locator('#webhook-list li').nth(1);
    await second.locator('[data-field="url"]').fill(`${hookBase}/fail`);
    await second.locator('[data-field="format"]').selectOption('ntfy');
    // Test before Save sends nothing: it says to save first.
    await first.locator('button', { hasText: 'Test' }).click();
    await first.locator('.webhook-test', { hasText: 'Save the settings first' }).waitFor();
    await saveSettings();
    const config = await api('api/v1/config');
    assert.deepEqual(config.webhooks, [
      { url: `${hookBase}/hook`, events: ['finished'], headers: { 'X-Token': 'secret' }, format: 'json' },
      { url: `${hookBase}/fail`, events: [], headers: {}, format: 'ntfy' },
    ]);
    assert.equal(hookRequests.length, 0);

    const rows = page.locator('#webhook-list li');
    await rows.nth(0).locator('button', { hasText: 'Test' }).click();
    await rows.nth(0).locator('.webhook-test.ok', { hasText: 'Test sent: the server answered 200.' }).waitFor();
    const sent = hookRequests.find((r) => r.url === '/hook');
    assert.equal(sent.method, 'POST');
    assert.equal(sent.headers['x-token'], 'secret');
    assert.ok(JSON.parse(sent.body).event, `a JSON body with the event: ${sent.body}`);
    await rows.nth(0).locator('.webhook-last', { hasText: 'the server answered 200' }).waitFor();

    await rows.nth(1).locator('button', { hasText: 'Test' }).click();
    await rows.nth(1).locator('.webhook-test.error', { hasText: /^Test failed: .*500/ }).waitFor();
    assert.ok(hookRequests.some((r) => r.url === '/fail'));

    // Removed again, so later events send nothing.
    await rows.nth(1).locator('button', { hasText: 'Remove' }).click();
    await rows.nth(0).locator('button', { hasText: 'Remove' }).click();
    await saveSettings();
    assert.deepEqual((await api('api/v1/config')).webhooks, []);
    await closeSettings();
  });

  test('the event programs are shown read-only with their recent runs', { timeout: 30000 }, async () => {
    await openSettings();
    await settingsSection('Event programs');
    const programs = page.locator('#event-programs');
    await programs.locator('li', { hasText: 'On Added: /bin/echo "added {name}"' }).waitFor();
    const section = page.locator('section.settings-section', { has: programs });
    assert.equal(await section.locator('input, textarea, select').count(), 0, 'nothing to edit');
    assert.match(await section.locator('p.hint').first().textContent(), /config file/);

    const run = page.locator('#event-runs-body tr', { hasText: 'show.bin' });
    await run.waitFor({ timeout: 10000 });
    assert.equal(await run.locator('td').nth(0).textContent(), 'Added');
    assert.equal(await run.locator('.run-program').textContent(), '/bin/echo "added show.bin"');
    assert.equal(await run.locator('.result-text').textContent(), 'Exit 0');
    assert.ok(await run.locator('pre').isHidden(), 'the output shows on expand');
    await run.locator('summary', { hasText: 'Output' }).click();
    assert.equal(await run.locator('pre').textContent(), 'added show.bin\n');
    // One run per torrent added.
    assert.equal(await page.locator('#event-runs-body tr').count(), 3);
    await closeSettings();
  });

  test('a watch folder set in the settings adds torrents with its options, and a junk file leaves a notice', { timeout: 60000 }, async () => {
    await openSettings();
    await settingsSection('Watch folders');
    await page.locator('#watch-add').click();
    const row = page.locator('#watch-list li').nth(0);
    await row.locator('[data-field="path"]').fill(watchDir);
    await row.locator('[data-field="category"]').fill('tv/shows');
    await row.locator('[data-field="tags"]').fill('watched');
    await saveSettings();
    assert.deepEqual((await api('api/v1/config')).watchFolders,
      [{ path: watchDir, category: 'tv/shows', tags: ['watched'], paused: false, recursive: false }]);
    await closeSettings();

    // Not a torrent, and (its time set an hour back) not being written any more.
    const junk = path.join(watchDir, `${XSS}.torrent`);
    fs.writeFileSync(junk, 'not a torrent');
    const anHourAgo = new Date(Date.now() - 3600 * 1000);
    fs.utimesSync(junk, anHourAgo, anHourAgo);
    const warning = page.locator('#notices li.notice.warning');
    await warning.waitFor({ timeout: 30000 });
    assert.equal(await warning.locator('.notice-level').textContent(), 'Warning');
    const message = await warning.locator('.notice-message').textContent();
    assert.ok(message.startsWith(`${XSS}.torrent in watch folder ${watchDir} was not added`), message);
    assert.ok(fs.existsSync(`${junk}.invalid`));

    // A real one is added with the folder's category and tags.
    const watched = makeTorrent(path.join(root, 'payload', 'watched.bin'), path.join(watchDir, 'watched.torrent'));
    await card(watched.hash).waitFor({ timeout: 20000 });
    const t = await torrent(watched.hash);
    assert.equal(t.category, 'tv/shows');
    assert.deepEqual(t.tags, ['watched']);
    // Newest first: the torrent added, then the junk set aside.
    const notices = page.locator('#notices-list li');
    await page.locator('#notices-list li.notice.info').waitFor({ timeout: 10000 });
    assert.match(await notices.nth(0).locator('.notice-message').textContent(), /watched\.torrent in watch folder .*"watched\.bin" added/);
    assert.equal(await notices.nth(1).locator('.notice-message').textContent(), message);
    assert.equal(await page.locator('#notices-count').textContent(), '(2)');

    // Dismissed, they stay hidden until a newer one.
    await page.locator('#notices-dismiss').click();
    await page.locator('#notices').waitFor({ state: 'hidden' });
  });

  test('the incomplete folder is set and cleared in the settings', { timeout: 30000 }, async () => {
    await openSettings();
    await settingsSection('Downloads');
    const input = page.locator('#settings-form input[name="incompleteDir"]');
    assert.equal(await input.inputValue(), '');
    await input.fill('.incomplete');
    await saveSettings();
    assert.equal((await api('api/v1/config')).incompleteDir, '.incomplete');
    assert.match(fs.readFileSync(path.join(serverDir, 'cloud-torrent.toml'), 'utf8'), /incompleteDir = "\.incomplete"/);
    await input.fill('');
    await saveSettings();
    assert.equal((await api('api/v1/config')).incompleteDir, null);
    await closeSettings();
  });

  test(`a category, a tag and a notice reading ${XSS} show as text`, { timeout: 30000 }, async () => {
    const xss = makeTorrent(path.join(root, 'payload', 'xss.bin'), path.join(root, 'xss.torrent'));
    await page.locator('#add-category').fill(XSS);
    await page.locator('#add-tags').fill(`${XSS}, plain`);
    await page.locator('#file-input').setInputFiles(xss.path);
    await card(xss.hash).waitFor({ timeout: 5000 });
    const t = await torrent(xss.hash);
    assert.equal(t.category, XSS);
    assert.deepEqual(t.tags, [XSS, 'plain']);
    assert.deepEqual(await card(xss.hash).locator('.chip').allTextContents(), [XSS, XSS, 'plain']);
    await page.locator('#filter-category option', { hasText: `${XSS} (1)` }).waitFor({ state: 'attached' });
    await page.locator('#filter-tag option', { hasText: `${XSS} (1)` }).waitFor({ state: 'attached' });
    await card(xss.hash).locator('button.expand').click();
    assert.equal(await card(xss.hash).locator('input[name="category"]').inputValue(), XSS);
    await openSettings();
    await settingsSection('Categories');
    await page.locator('#category-rows li .category-name', { hasText: XSS }).waitFor();
    // The notice naming the junk file, shown again.
    await page.evaluate(() => localStorage.removeItem('cloud-torrent.notices-dismissed'));
    await page.reload();
    await page.locator('#notices-list li.notice.warning .notice-message', { hasText: XSS }).waitFor();
    await openSettings();
    assert.equal(await page.locator('img').count(), 0);
    await new Promise((r) => setTimeout(r, 500));
    assert.deepEqual(dialogs.filter((d) => d.type !== 'confirm'), []);
    assert.deepEqual(consoleErrors, []);
  });

  test('a 360 px phone screen with the new controls has no horizontal scroll', { timeout: 30000 }, async () => {
    const phone = await browser.newPage({ viewport: { width: 360, height: 740 }, deviceScaleFactor: 2, isMobile: true });
    try {
      await phone.goto(server.url);
      await phone.locator(`li.torrent[data-hash="${seeded.hash}"] button.expand`).click();
      await phone.locator('#settings-toggle').click();
      // On a phone each section opens under its heading.
      for (const name of ['Watch folders', 'Webhooks', 'Event programs']) {
        await phone.locator('#settings button.settings-group-toggle', { hasText: name }).click();
      }
      await phone.locator('#watch-list li').waitFor();
      await phone.locator('#webhook-add').click();
      await phone.locator('#event-runs-body tr').first().waitFor();
      const fits = await phone.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth);
      assert.ok(fits, 'horizontal scroll on a phone');
    } finally {
      await phone.close();
    }
  });
});
