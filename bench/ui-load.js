#!/usr/bin/env node
// The web UI and its live push with N torrents, on the real server.
//
//   node bench/ui-load.js [--count 10000] [--idle-seconds 30] [--runs 5] [--changes 100]
//                         [--concurrency 8] [--magnets 0] [--build TEXT] [--keep]
//
// e.g. `CLOUD_TORRENT_BIN=/tmp/ct-bin/cloud-torrent node bench/ui-load.js --count 10000 \
//        --build "debug build" > /tmp/ui-load.md`
// (progress on stderr, the results as Markdown on stdout; exit status 1 if a measure failed).
// Needs e2e/node_modules (`cd e2e && npm ci`) and Debian's /usr/bin/chromium. The binary is
// $CLOUD_TORRENT_BIN, else target/debug/cloud-torrent (--build says what it is, for the header). A debug build serves
// web/ from the disk, so the page measured is the web/ of the work tree as it is.
//
// Everything is on loopback (127.0.0.1), DHT off, no tracker, no peer: nothing contacts the
// internet. What it does, in order:
//
//  1. Writes N single-file torrents (16,000 bytes of random data each: one piece of 16 KiB,
//     shorter than the piece) and puts their data in the server's download folder, starts the
//     server, adds them with POST /api/v1/torrents (the raw .torrent, application/x-bittorrent)
//     --concurrency at a time, and waits until GET /api/v1/torrents shows all N seeding. With
//     --magnets M, M magnets of random info hashes are added after them (POST with {"magnet"}):
//     nobody has them, so they stay listed waiting for metadata and hold no file descriptor (a
//     seeding torrent holds one or more in the server; the number open after adding is printed,
//     beside the limit). The list then holds N + M.
//  2. With nobody watching: the server's RSS and CPU (utime + stime of /proc/<pid>/stat) over
//     --idle-seconds. GET /api/v1/torrents: time (whole body read) and size, median of 5.
//     GET /api/v1/events (server-sent events; the first event, `state`, is the whole state,
//     later `patch` events RFC 6902 patches): time to the response's first body byte and to the
//     end of the first event, and its size, median of 5 fresh connections (each closed after it).
//  3. One SSE client (this script) connected: over --idle-seconds, the patch events (count,
//     sizes) and the server's CPU; then --changes torrents (the first added, so they are the
//     rows in view) stopped (POST .../stop) and, once the state shows them all paused, started
//     again (POST .../start) until it shows them all seeding, --concurrency requests at a time;
//     the patch events from the first stop until 3 s after the last one seeds (count, sizes).
//  4. Headless Chromium at 1600x1000, table view (localStorage `torrent-view` = table), --runs
//     fresh pages (a new browser context each, so nothing cached): from navigation start
//     (performance.now() in the page), when the first table row is in the DOM, when the list
//     count shows (N), and the frame after that (requestAnimationFrame, then a task): seen by a
//     MutationObserver that an init script installs before the page's own scripts. The init
//     script also wraps the listeners the page adds to its EventSource, so each `state` and
//     `patch` event's synchronous handling is timed (JSON.parse, applying the patch, rendering
//     the DOM; the page's own code), and then a layout is forced (getBoundingClientRect) and
//     timed too: "JS" is the listener alone, "JS + style/layout" includes the style and layout
//     the change needs (paint and compositing are not included in either).
//  5. One page open (a fresh one): the server's RSS and CPU over --idle-seconds with only that
//     page connected, and the page's handling of the patches in that window; then the same
//     stop/start of --changes torrents (this script follows the states through its own SSE
//     connection), and the page's handling time of each patch event in it. The page's JS heap
//     (DevTools protocol, after a forced GC) at the start and at the end of this step.
//
// --keep leaves the work folder (torrents, the server's state and log) in place.
//
// Prints the versions, N, the date, the machine and one Markdown table, then notes.

import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { StringDecoder } from 'node:string_decoder';
import { fileURLToPath } from 'node:url';

import { chromium } from '../e2e/node_modules/playwright-core/index.mjs';
import { BINARY, freePort, startServer, stop, stopAll, waitFor } from '../e2e/lib/swarm.js';
import { applyPatch } from '../web/js/patch.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, '..');
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run',
];
const VIEWPORT = { width: 1600, height: 1000 };
const PAYLOAD = 16000;
const PIECE = 16 * 1024;
const TICKS = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

// ------------------------------------------------------------------ arguments

function parseArgs(argv) {
  const args = {
    count: 10000, magnets: 0, idleSeconds: 30, runs: 5, changes: 100, concurrency: 8,
    binary: BINARY, build: null, keep: false,
  };
  for (let i = 0; i < argv.length; i += 1) {
    const a = argv[i];
    const value = () => {
      i += 1;
      if (i >= argv.length) throw new Error(`${a} needs a value`);
      return argv[i];
    };
    if (a === '--count') args.count = Number(value());
    else if (a === '--magnets') args.magnets = Number(value());
    else if (a === '--idle-seconds') args.idleSeconds = Number(value());
    else if (a === '--runs') args.runs = Number(value());
    else if (a === '--changes') args.changes = Number(value());
    else if (a === '--concurrency') args.concurrency = Number(value());
    else if (a === '--build') args.build = value();
    else if (a === '--keep') args.keep = true;
    else if (a === '--help' || a === '-h') {
      process.stdout.write(fs.readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n\nimport')[0].replace(/^#!.*\n/, '').replace(/^\/\/ ?/gm, '') + '\n');
      process.exit(0);
    } else throw new Error(`unknown argument ${a} (--help)`);
  }
  if (!Number.isInteger(args.magnets) || args.magnets < 0) throw new Error('--magnets must be a whole number');
  for (const key of ['count', 'idleSeconds', 'runs', 'changes', 'concurrency']) {
    if (!Number.isInteger(args[key]) || args[key] < 1) throw new Error(`--${key} must be a positive integer`);
  }
  args.changes = Math.min(args.changes, args.count);
  return args;
}

// ------------------------------------------------------------------ small helpers

const log = (...parts) => process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${parts.join(' ')}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const now = () => performance.now();

function median(values) {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
const max = (values) => (values.length ? Math.max(...values) : NaN);
const min = (values) => (values.length ? Math.min(...values) : NaN);
function quantile(values, q) {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}

function ms(x) {
  if (!Number.isFinite(x)) return 'n/a';
  if (x >= 10000) return `${(x / 1000).toFixed(1)} s`;
  if (x >= 100) return `${x.toFixed(0)} ms`;
  return `${x.toFixed(1)} ms`;
}
function size(b) {
  if (!Number.isFinite(b)) return 'n/a';
  if (b >= 1024 * 1024) return `${(b / 1024 / 1024).toFixed(2)} MiB`;
  if (b >= 10 * 1024) return `${(b / 1024).toFixed(1)} KiB`;
  return `${Math.round(b)} B`;
}
const range = (values, fmt = ms) => `${fmt(median(values))} (${fmt(min(values))}-${fmt(max(values))})`;

/** Runs `work(item)` for every item, `n` at a time; returns the errors. */
async function pool(items, n, work) {
  const errors = [];
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next];
      next += 1;
      try {
        await work(item);
      } catch (error) {
        errors.push(String(error?.message ?? error));
      }
    }
  }));
  return errors;
}

function cpuSeconds(pid) {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(')').pop().trim().split(/\s+/);
  return (Number(fields[11]) + Number(fields[12])) / TICKS;
}
function statusKib(pid, key) {
  const m = fs.readFileSync(`/proc/${pid}/status`, 'utf8').match(new RegExp(`^${key}:\\s+(\\d+)`, 'm'));
  return m ? Number(m[1]) : NaN;
}
const load = () => os.loadavg().map((x) => x.toFixed(2)).join(' ');

/** The server's CPU (% of one core) over `seconds`, and its RSS at the end (MiB). */
async function idleWindow(pid, seconds) {
  const load1 = os.loadavg()[0];
  const c0 = cpuSeconds(pid);
  const t0 = now();
  await sleep(seconds * 1000);
  const cpu = cpuSeconds(pid) - c0;
  const wall = (now() - t0) / 1000;
  return {
    cpuPct: (100 * cpu) / wall, cpuSeconds: cpu, wall, load1,
    rssMiB: statusKib(pid, 'VmRSS') / 1024, hwmMiB: statusKib(pid, 'VmHWM') / 1024,
  };
}

// ------------------------------------------------------------------ torrents

function bencode(value) {
  if (Number.isInteger(value)) return Buffer.from(`i${value}e`);
  if (typeof value === 'string') value = Buffer.from(value);
  if (Buffer.isBuffer(value)) return Buffer.concat([Buffer.from(`${value.length}:`), value]);
  if (Array.isArray(value)) return Buffer.concat([Buffer.from('l'), ...value.map(bencode), Buffer.from('e')]);
  const keys = Object.keys(value).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  return Buffer.concat([Buffer.from('d'), ...keys.flatMap((k) => [bencode(k), bencode(value[k])]), Buffer.from('e')]);
}

/** N torrents of one file each, their data written in `downloads`. */
function makeTorrents(count, downloads) {
  fs.mkdirSync(downloads, { recursive: true });
  const created = Math.floor(Date.now() / 1000);
  const items = [];
  for (let i = 0; i < count; i += 1) {
    const name = `ui-load-${String(i).padStart(5, '0')}.bin`;
    const payload = randomBytes(PAYLOAD);
    fs.writeFileSync(path.join(downloads, name), payload);
    const info = { length: PAYLOAD, name, 'piece length': PIECE, pieces: createHash('sha1').update(payload).digest() };
    const infoBytes = bencode(info);
    items.push({
      name,
      hash: createHash('sha1').update(infoBytes).digest('hex'),
      bytes: bencode({ 'created by': 'bench/ui-load.js', 'creation date': created, info }),
    });
  }
  return items;
}

// ------------------------------------------------------------------ HTTP

async function request(base, method, pathname, body, headers = {}) {
  const res = await fetch(new URL(pathname, base), { method, body, headers, signal: AbortSignal.timeout(120000) });
  const buf = Buffer.from(await res.arrayBuffer());
  if (!res.ok) throw new Error(`${method} ${pathname}: HTTP ${res.status} ${buf.toString().slice(0, 200)}`);
  return { status: res.status, body: buf };
}

async function listTorrents(base) {
  return JSON.parse((await request(base, 'GET', 'api/v1/torrents')).body.toString());
}

/** How many torrents a patch touches. */
function touchedCount(ops) {
  const hashes = new Set();
  for (const op of ops) {
    const m = /^\/torrents\/([^/]+)/.exec(op.path);
    if (m) hashes.add(m[1]);
  }
  return hashes.size;
}

/**
 * A server-sent events connection to api/v1/events, parsed by hand (node:http, no
 * compression asked) so that the first byte and the end of each event are timed.
 * Every event is kept as {name, id, bytes, at}; with `track`, the state is kept up to date
 * with the patches (web/js/patch.js, the page's own code).
 */
function openEvents(base, { track = false } = {}) {
  const s = {
    t0: now(), headersAt: null, firstByteAt: null, events: [], keepAlives: 0, state: null,
    error: null, closed: false,
  };
  let resolveFirst;
  let rejectFirst;
  s.first = new Promise((resolve, reject) => { resolveFirst = resolve; rejectFirst = reject; });
  s.first.catch(() => {});
  // The text of the event being received, in pieces: appending to one string and searching
  // it again at each chunk would flatten a 9 MB string ~150 times (seconds of this script's
  // own time counted as the server's).
  const parts = [];
  let endsWithNewline = false;
  const decoder = new StringDecoder('utf8');
  const handle = (block, at) => {
    let name = 'message';
    let id = null;
    const data = [];
    let any = false;
    for (const line of block.split('\n')) {
      if (line === '' || line.startsWith(':')) continue;
      any = true;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      let value = colon < 0 ? '' : line.slice(colon + 1);
      if (value.startsWith(' ')) value = value.slice(1);
      if (field === 'event') name = value;
      else if (field === 'id') id = value;
      else if (field === 'data') data.push(value);
    }
    if (!any) {
      s.keepAlives += 1;
      return;
    }
    const payload = data.join('\n');
    const event = { name, id, bytes: Buffer.byteLength(payload), at, ops: null, touched: null };
    s.events.push(event);
    if (name === 'patch') event.ops = payload.split('"op":').length - 1;
    if (track) {
      try {
        if (name === 'state') s.state = JSON.parse(payload);
        else if (name === 'patch' && s.state) {
          const ops = JSON.parse(payload);
          event.touched = touchedCount(ops);
          s.state = applyPatch(s.state, ops);
        }
      } catch (error) {
        s.error = `bad event: ${error.message}`;
      }
    }
    if (s.events.length === 1) resolveFirst(s.events[0]);
  };
  s.req = http.get(new URL('api/v1/events', base), { headers: { accept: 'text/event-stream' }, agent: false }, (res) => {
    s.headersAt = now();
    if (res.statusCode !== 200) {
      s.error = `HTTP ${res.statusCode}`;
      rejectFirst(new Error(s.error));
      res.resume();
      return;
    }
    res.on('data', (chunk) => {
      const at = now();
      if (s.firstByteAt === null) s.firstByteAt = at;
      let text = decoder.write(chunk);
      while (text.length > 0) {
        if (endsWithNewline && text[0] === '\n') {
          // The blank line that ends the event straddles two chunks.
          const block = parts.join('').slice(0, -1);
          parts.length = 0;
          endsWithNewline = false;
          text = text.slice(1);
          handle(block, at);
          continue;
        }
        const end = text.indexOf('\n\n');
        if (end < 0) {
          parts.push(text);
          endsWithNewline = text.endsWith('\n');
          break;
        }
        const block = parts.join('') + text.slice(0, end);
        parts.length = 0;
        endsWithNewline = false;
        text = text.slice(end + 2);
        handle(block, at);
      }
    });
    res.on('close', () => {
      if (!s.closed) s.error ??= 'the stream ended';
      rejectFirst(new Error('the stream ended before its first event'));
    });
  });
  s.req.on('error', (error) => {
    if (!s.closed) s.error ??= error.message;
    rejectFirst(error);
  });
  s.close = () => {
    s.closed = true;
    s.req.destroy();
  };
  return s;
}

/** Stops `hashes`, waits until `tracker` shows them paused, starts them, waits until they seed. */
async function stopAndStart(base, tracker, hashes, concurrency) {
  const states = () => hashes.map((h) => tracker.state?.torrents?.[h]?.state);
  const t0 = now();
  const stopErrors = await pool(hashes, concurrency, (h) => request(base, 'POST', `api/v1/torrents/${h}/stop`));
  const stopsAnswered = now() - t0;
  await waitFor(`the ${hashes.length} torrents to show paused`, 120000, () => states().every((s) => s === 'paused'));
  const paused = now() - t0;
  const t1 = now();
  const startErrors = await pool(hashes, concurrency, (h) => request(base, 'POST', `api/v1/torrents/${h}/start`));
  const startsAnswered = now() - t1;
  await waitFor(`the ${hashes.length} torrents to seed again`, 300000, () => states().every((s) => s === 'seeding'));
  const seeding = now() - t0;
  await sleep(3000); // the patches that trail behind
  return { t0, end: now(), stopsAnswered, paused, startsAnswered, seeding, errors: [...stopErrors, ...startErrors] };
}

// ------------------------------------------------------------------ the page

/** Runs in the page before its scripts (page.addInitScript). */
function pageProbe(count) {
  try {
    localStorage.setItem('torrent-view', 'table');
  } catch { /* the default is the table on a wide screen */ }
  const m = { firstRow: null, count: null, painted: null, events: [], open: [] };
  window.__bench = m;
  const want = `(${count})`;
  const observer = new MutationObserver(() => {
    const at = performance.now();
    if (m.firstRow === null && document.querySelector('#torrent-rows tr.torrent-row')) m.firstRow = at;
    if (m.count === null && document.getElementById('torrent-count')?.textContent === want) {
      m.count = at;
      requestAnimationFrame(() => setTimeout(() => { m.painted = performance.now(); }, 0));
    }
    if (m.firstRow !== null && m.count !== null) observer.disconnect();
  });
  observer.observe(document, { childList: true, subtree: true, characterData: true });
  const add = EventSource.prototype.addEventListener;
  EventSource.prototype.addEventListener = function addEventListener(type, listener, options) {
    if (type === 'open') {
      return add.call(this, type, function opened(event) {
        m.open.push(performance.now());
        return listener.call(this, event);
      }, options);
    }
    if (type !== 'state' && type !== 'patch' && type !== 'message') return add.call(this, type, listener, options);
    return add.call(this, type, function timed(event) {
      const t0 = performance.now();
      try {
        return listener.call(this, event);
      } finally {
        const t1 = performance.now();
        document.body.getBoundingClientRect();
        const t2 = performance.now();
        const e = { type, at: t0, js: t1 - t0, layout: t2 - t0, bytes: event.data.length, ops: null, touched: null };
        if (type === 'patch') {
          // Counted after the timing: how many operations, how many torrents.
          e.ops = event.data.split('"op":').length - 1;
          e.touched = new Set(event.data.match(/"path":"\/torrents\/[0-9a-f]{40}/g) ?? []).size;
        }
        m.events.push(e);
      }
    }, options);
  };
}

async function newPage(browser, count, errors) {
  const context = await browser.newContext({ viewport: VIEWPORT });
  await context.addInitScript(pageProbe, count);
  const page = await context.newPage();
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (msg) => { if (msg.type() === 'error') errors.push(msg.text()); });
  return { context, page };
}

async function loadPage(browser, url, count, errors) {
  const { context, page } = await newPage(browser, count, errors);
  await page.goto(url, { waitUntil: 'commit' });
  await page.waitForFunction(() => window.__bench?.painted != null, null, { timeout: 300000, polling: 100 });
  const m = await page.evaluate(() => {
    const nav = performance.getEntriesByType('navigation')[0];
    const b = window.__bench;
    const state = b.events.find((e) => e.type === 'state');
    return {
      firstRow: b.firstRow, count: b.count, painted: b.painted, open: b.open[0] ?? null,
      domContentLoaded: nav?.domContentLoadedEventEnd ?? null,
      state: state ? { at: state.at, js: state.js, layout: state.layout, bytes: state.bytes } : null,
      rows: document.querySelectorAll('#torrent-rows tr.torrent-row').length,
    };
  });
  return { context, page, m };
}

// ------------------------------------------------------------------ the run

function machine() {
  const cpu = fs.readFileSync('/proc/cpuinfo', 'utf8').match(/^model name\s*:\s*(.*)$/m)?.[1] ?? os.cpus()[0]?.model ?? '?';
  return `${os.availableParallelism?.() ?? os.cpus().length} cores (nproc), ${cpu}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM, ${os.type()} ${os.release()}`;
}

function git(...args) {
  try {
    return execFileSync('git', ['-C', REPO, ...args], { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
  } catch {
    return '?';
  }
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const N = args.count;
  const failures = [];
  const notes = [];
  const rows = [];
  const fail = (what, error) => {
    const text = `${what}: ${error?.message ?? error}`;
    failures.push(text);
    log('FAILED', text);
  };
  const started = new Date();
  const loadBefore = load();
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ct-ui-load-'));
  const serverDir = path.join(root, 'server');
  const downloads = path.join(serverDir, 'downloads');
  let server;
  let browser;
  log(`N = ${N}; work folder ${root}; load average ${loadBefore}`);
  try {
    // 1. The torrents, the server, the adds.
    let t = now();
    const items = makeTorrents(N, downloads);
    log(`wrote ${N} torrents and their data in ${ms(now() - t)}`);
    if (!fs.existsSync(args.binary)) throw new Error(`no binary at ${args.binary} (set CLOUD_TORRENT_BIN)`);
    // Which build ran: the file may be replaced while this runs (the server keeps its own copy).
    const binaryId = `sha256 ${createHash('sha256').update(fs.readFileSync(args.binary)).digest('hex').slice(0, 12)}, `
      + `modified ${fs.statSync(args.binary).mtime.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
    const headAtStart = git('rev-parse', '--short', 'HEAD');
    const dirtyAtStart = git('status', '--porcelain', '--', 'web', 'crates', 'src').split('\n').filter(Boolean).length;
    const version = execFileSync(args.binary, ['--version']).toString().trim();
    server = await startServer({
      dir: serverDir, port: await freePort(), incomingPort: await freePort(), log: path.join(root, 'server.log'),
    });
    const base = server.url;
    const pid = server.child.pid;
    log(`server ${args.binary} (pid ${pid}) at ${base}`);

    const latencies = [];
    const addStart = now();
    let added = 0;
    // When each thousandth add was answered (ms from the first add).
    const thousands = [];
    const ok = new Set();
    const addErrors = await pool(items, args.concurrency, async (item) => {
      const t0 = now();
      const res = await request(base, 'POST', 'api/v1/torrents', item.bytes, { 'content-type': 'application/x-bittorrent' });
      if (res.status !== 201) throw new Error(`${item.name}: HTTP ${res.status}, expected 201`);
      latencies.push({ at: t0 - addStart, ms: now() - t0 });
      ok.add(item.hash);
      added += 1;
      if (added % 1000 === 0) thousands.push(now() - addStart);
      if (added % 500 === 0 || added === N) log(`added ${added}/${N} (${ms(now() - addStart)})`);
    });
    const addTime = now() - addStart;
    if (addErrors.length) fail(`adding (${addErrors.length} of ${N} failed)`, addErrors[0]);
    // Magnets that nobody seeds: listed, waiting for metadata, no files open.
    const magnetErrors = await pool(Array.from({ length: args.magnets }, (_, i) => i), args.concurrency, async (i) => {
      const hash = randomBytes(20).toString('hex');
      const magnet = `magnet:?xt=urn:btih:${hash}&dn=ui-load-magnet-${String(i).padStart(5, '0')}`;
      await request(base, 'POST', 'api/v1/torrents', JSON.stringify({ magnet }), { 'content-type': 'application/json' });
    });
    const magnetTime = now() - addStart - addTime;
    if (magnetErrors.length) fail(`adding magnets (${magnetErrors.length} of ${args.magnets} failed)`, magnetErrors[0]);
    let seedTime = NaN;
    let lastCount = null;
    let total = ok.size + args.magnets - magnetErrors.length;
    try {
      await waitFor(`the ${ok.size} added to seed`, Math.max(300000, N * 100), async () => {
        const list = await listTorrents(base);
        const seeding = list.filter((x) => x.state === 'seeding').length;
        lastCount = `${list.length} listed, ${seeding} seeding`;
        total = list.length;
        if (seeding < ok.size) await sleep(1000);
        return seeding >= ok.size;
      });
      seedTime = now() - addStart;
    } catch (error) {
      fail('waiting for all to seed', `${error.message} (${lastCount})`);
    }
    const tenth = Math.max(1, Math.floor(latencies.length / 10));
    const sorted = [...latencies].sort((a, b) => a.at - b.at);
    const firstTenth = sorted.slice(0, tenth).map((x) => x.ms);
    const lastTenth = sorted.slice(-tenth).map((x) => x.ms);
    log(`adding: ${ms(addTime)}, all seeding after ${ms(seedTime)}`);
    rows.push([`adding ${N} .torrent files (${args.concurrency} at a time)`,
      `${ms(addTime)} (${(addTime / N).toFixed(1)} ms per torrent); all seeding ${ms(seedTime)} after the first add`, '']);
    if (args.magnets) rows.push([`then adding ${args.magnets} magnets`, `${ms(magnetTime)} (${(magnetTime / args.magnets).toFixed(1)} ms per magnet)`, '']);
    notes.push(`adding: request latency median ${ms(median(latencies.map((x) => x.ms)))}, p95 ${ms(quantile(latencies.map((x) => x.ms), 0.95))}; `
      + `median of the first ${tenth} adds ${ms(median(firstTenth))}, of the last ${tenth} ${ms(median(lastTenth))}; `
      + `each thousand took ${thousands.map((x, i) => ms(x - (thousands[i - 1] ?? 0))).join(', ')}`);
    const fds = fs.readdirSync(`/proc/${pid}/fd`).length;
    const fdLimit = fs.readFileSync(`/proc/${pid}/limits`, 'utf8').match(/^Max open files\s+(\d+)/m)?.[1];
    notes.push(`open file descriptors of the server after adding: ${fds} (${(fds / Math.max(1, ok.size)).toFixed(2)} per seeding torrent), limit ${fdLimit}`);

    await sleep(5000);

    // 2. Nobody watching: idle CPU and RSS, the list, the first SSE state.
    log(`idle window, no client (${args.idleSeconds} s)`);
    const idleNone = await idleWindow(pid, args.idleSeconds);
    rows.push(['server idle, no client: CPU (% of a core), RSS', `${idleNone.cpuPct.toFixed(1)} %, ${idleNone.rssMiB.toFixed(1)} MiB`, '']);

    const listTimes = [];
    let listBytes = NaN;
    for (let i = 0; i < 5; i += 1) {
      const t0 = now();
      const res = await request(base, 'GET', 'api/v1/torrents');
      listTimes.push(now() - t0);
      listBytes = res.body.length;
      if (i === 0 && JSON.parse(res.body.toString()).length !== N + args.magnets) fail('the list', `it holds ${JSON.parse(res.body.toString()).length} torrents, not ${N + args.magnets}`);
    }
    const listOk = median(listTimes) < 200;
    rows.push(['`GET /api/v1/torrents`, median of 5 (min-max), size', `${range(listTimes)}, ${size(listBytes)} (${Math.round(listBytes / N)} B per torrent)`,
      `< 200 ms: **${listOk ? 'met' : 'not met'}**`]);
    notes.push(`GET /api/v1/torrents: ${listTimes.map(ms).join(', ')}; ${listBytes} bytes`);

    const firsts = [];
    for (let i = 0; i < 5; i += 1) {
      const s = openEvents(base);
      try {
        const e = await s.first;
        firsts.push({ headers: s.headersAt - s.t0, firstByte: s.firstByteAt - s.t0, end: e.at - s.t0, bytes: e.bytes, name: e.name });
        if (e.name !== 'state') fail('the first SSE event', `it is "${e.name}", not "state"`);
      } catch (error) {
        fail('the first SSE event', error);
      } finally {
        s.close();
      }
      await sleep(500);
    }
    const stateBytes = median(firsts.map((f) => f.bytes));
    const sseOk = median(firsts.map((f) => f.end)) < 1000;
    rows.push(['SSE, time to the first byte, median of 5 (min-max)', range(firsts.map((f) => f.firstByte)), '']);
    rows.push(['SSE, time to the end of the first event (the whole state)', range(firsts.map((f) => f.end)), `< 1 s: **${sseOk ? 'met' : 'not met'}**`]);
    rows.push(['SSE, size of the first event', `${size(stateBytes)} (${Math.round(stateBytes / N)} B per torrent)`, '']);
    notes.push(`SSE first event, each connection: ${firsts.map((f) => `headers ${ms(f.headers)} / first byte ${ms(f.firstByte)} / end ${ms(f.end)}`).join('; ')}; ${stateBytes} bytes`);

    // 3. One SSE client: idle, then changes.
    log(`one SSE client: idle window (${args.idleSeconds} s)`);
    const watcher = openEvents(base);
    await watcher.first;
    await sleep(2000);
    let mark = watcher.events.length;
    const idleSse = await idleWindow(pid, args.idleSeconds);
    const idlePatches = watcher.events.slice(mark).filter((e) => e.name === 'patch');
    if (watcher.error) fail('the SSE client', watcher.error);
    watcher.close();
    rows.push([`SSE, one client, ${args.idleSeconds} s idle: patch events, sizes median / max`,
      `${idlePatches.length}, ${size(median(idlePatches.map((e) => e.bytes)))} / ${size(max(idlePatches.map((e) => e.bytes)))}`
      + ` (${size(idlePatches.reduce((a, e) => a + e.bytes, 0) / idleSse.wall)}/s)`, '']);
    rows.push(['server idle, one SSE client: CPU, RSS', `${idleSse.cpuPct.toFixed(1)} %, ${idleSse.rssMiB.toFixed(1)} MiB`, '']);
    notes.push(`SSE idle: patches (bytes/operations): ${idlePatches.map((e) => `${e.bytes}/${e.ops}`).join(', ')}`);
    const tracker = openEvents(base, { track: true });
    await tracker.first;
    await sleep(2000);

    const changed = items.filter((x) => ok.has(x.hash)).slice(0, args.changes).map((x) => x.hash);
    log(`one SSE client: stopping and starting ${changed.length}`);
    mark = tracker.events.length;
    try {
      const c = await stopAndStart(base, tracker, changed, args.concurrency);
      if (c.errors.length) fail(`stop/start (${c.errors.length} failed)`, c.errors[0]);
      const patches = tracker.events.slice(mark).filter((e) => e.name === 'patch');
      const fulls = tracker.events.slice(mark).filter((e) => e.name === 'state');
      const sizes = patches.map((e) => e.bytes);
      const few = patches.filter((e) => e.touched <= changed.length).map((e) => e.bytes);
      rows.push([`SSE, ${changed.length} stopped then started: patch events, sizes median / max (total)`,
        `${patches.length}, ${size(median(sizes))} / ${size(max(sizes))} (${size(sizes.reduce((a, b) => a + b, 0))})`, '']);
      rows.push([`SSE, of which touching at most ${changed.length} torrents: count, sizes median / max`,
        `${few.length}, ${size(median(few))} / ${size(max(few))}`, '']);
      notes.push(`stop/start of ${changed.length} with one SSE client: stops answered in ${ms(c.stopsAnswered)}, all paused in the state after ${ms(c.paused)}, `
        + `starts answered in ${ms(c.startsAnswered)}, all seeding again after ${ms(c.seeding)} (from the first stop); `
        + `${patches.length} patches, ${fulls.length} whole states; patches (bytes/operations/torrents touched): ${patches.map((e) => `${e.bytes}/${e.ops}/${e.touched}`).join(', ')}`);
      // The server sends the whole state instead when the patches a client has not had yet
      // add up to more than the state (events.rs, Hub::message_since): a finding, not a failure.
      if (fulls.length) rows.push(['SSE, whole states sent again meanwhile (the backlog of patches outgrew the state)', String(fulls.length), '']);
    } catch (error) {
      fail('stop/start with one SSE client', error);
    }
    if (tracker.error) fail('the SSE client', tracker.error);
    tracker.close();
    await sleep(3000);

    // 4. The page, fresh each time.
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    const pageErrors = [];
    const loads = [];
    for (let i = 0; i < args.runs; i += 1) {
      log(`page load ${i + 1}/${args.runs}`);
      let context;
      try {
        const r = await loadPage(browser, base, total, pageErrors);
        context = r.context;
        loads.push(r.m);
        log(`  first row ${ms(r.m.firstRow)}, count ${ms(r.m.count)}, frame after ${ms(r.m.painted)}; state event at ${ms(r.m.state?.at)}, handled in ${ms(r.m.state?.layout)}`);
      } catch (error) {
        fail(`page load ${i + 1}`, error);
      } finally {
        await context?.close();
      }
      await sleep(1000);
    }
    const paintOk = median(loads.map((m) => m.painted)) < 1500;
    rows.push([`page (1600x1000, table), navigation start to the first row in the DOM, median of ${loads.length} (min-max)`, range(loads.map((m) => m.firstRow)), '']);
    rows.push([`page, to the list count showing (${total})`, range(loads.map((m) => m.count)), '']);
    rows.push(['page, to the frame after that (first paint of the list)', range(loads.map((m) => m.painted)), `< 1.5 s: **${paintOk ? 'met' : 'not met'}**`]);
    rows.push(['page, of which: the `state` event arrives (all its bytes in)', range(loads.map((m) => m.state?.at ?? NaN)), '']);
    rows.push(['page, of which: handling the `state` event (JS, JS + style/layout)', `${range(loads.map((m) => m.state?.js ?? NaN))}, ${range(loads.map((m) => m.state?.layout ?? NaN))}`, '']);
    notes.push(`page loads: ${loads.map((m) => `DOMContentLoaded ${ms(m.domContentLoaded)}, EventSource open ${ms(m.open)}, state in ${ms(m.state?.at)}, `
      + `handled JS ${ms(m.state?.js)} / +layout ${ms(m.state?.layout)}, first row ${ms(m.firstRow)}, count ${ms(m.count)}, frame after ${ms(m.painted)}, rows in the DOM ${m.rows}`).join('; ')}`);

    // 5. One page open: idle, then changes.
    log(`one page open: idle window (${args.idleSeconds} s)`);
    const { context, page } = await newPage(browser, total, pageErrors);
    try {
      await page.goto(base, { waitUntil: 'commit' });
      await page.waitForFunction(() => window.__bench?.painted != null, null, { timeout: 300000, polling: 100 });
      await sleep(2000);
      const cdp = await context.newCDPSession(page);
      const heap = async () => {
        await cdp.send('HeapProfiler.collectGarbage');
        return (await cdp.send('Runtime.getHeapUsage')).usedSize;
      };
      const heapStart = await heap();
      const heapStartAt = now();
      const t0 = await page.evaluate(() => performance.now());
      const idlePage = await idleWindow(pid, args.idleSeconds);
      const idleEvents = await page.evaluate((since) => window.__bench.events.filter((e) => e.at >= since && e.type === 'patch'), t0);
      rows.push(['server idle, one page open: CPU, RSS (peak RSS of the run)', `${idlePage.cpuPct.toFixed(1)} %, ${idlePage.rssMiB.toFixed(1)} MiB (${idlePage.hwmMiB.toFixed(1)} MiB)`, '']);
      const busy = idleEvents.reduce((a, e) => a + e.layout, 0) / (idlePage.wall * 10);
      rows.push([`page, ${args.idleSeconds} s idle: patch events, handling median / max (JS; JS + style/layout), share of the main thread`,
        `${idleEvents.length}; ${ms(median(idleEvents.map((e) => e.js)))} / ${ms(max(idleEvents.map((e) => e.js)))}; `
        + `${ms(median(idleEvents.map((e) => e.layout)))} / ${ms(max(idleEvents.map((e) => e.layout)))}; ${busy.toFixed(1)} %`, '']);
      notes.push(`page idle: patches (bytes/operations/torrents touched: JS ms / JS+layout ms): ${idleEvents.map((e) => `${e.bytes}/${e.ops}/${e.touched}: ${e.js.toFixed(1)}/${e.layout.toFixed(1)}`).join(', ')}`);

      log(`one page open: stopping and starting ${changed.length}`);
      const follower = openEvents(base, { track: true });
      await follower.first;
      await sleep(1000);
      const t1 = await page.evaluate(() => performance.now());
      const c = await stopAndStart(base, follower, changed, args.concurrency);
      if (c.errors.length) fail(`stop/start with the page (${c.errors.length} failed)`, c.errors[0]);
      const events = await page.evaluate((since) => window.__bench.events.filter((e) => e.at >= since), t1);
      const patches = events.filter((e) => e.type === 'patch');
      const opens = await page.evaluate(() => window.__bench.open.length);
      const statesAgain = events.filter((e) => e.type === 'state');
      const verdict = (values) => {
        if (!values.length) return 'n/a';
        if (max(values) < 16) return '< 16 ms per event: **met**';
        return `< 16 ms per event: **not met**${median(values) < 16 ? ' (the median is under, not every event)' : ''}`;
      };
      const few = patches.filter((e) => e.touched <= changed.length);
      const many = patches.filter((e) => e.touched > changed.length);
      if (statesAgain.length) {
        rows.push(['page, whole states received again meanwhile (handling time each, JS + style/layout)',
          `${statesAgain.length} (${statesAgain.map((e) => ms(e.layout)).join(', ')}); the page's EventSource opened ${opens} times in all`, '']);
      }
      rows.push([`page, ${changed.length} stopped then started: patch events handled (touching at most ${changed.length} torrents; more)`,
        `${patches.length} (${few.length}; ${many.length})`, '']);
      for (const [label, list] of [['every patch event', patches], [`the patches touching at most ${changed.length} torrents`, few], [`the patches touching more (up to all ${total})`, many]]) {
        if (!list.length) continue;
        const js = list.map((e) => e.js);
        const lay = list.map((e) => e.layout);
        rows.push([`page, main-thread time per event, ${label}: JS (the listener), median / max`, `${ms(median(js))} / ${ms(max(js))}`, verdict(js)]);
        rows.push([`page, main-thread time per event, ${label}: JS + style/layout, median / max`, `${ms(median(lay))} / ${ms(max(lay))}`, verdict(lay)]);
      }
      notes.push(`page, stop/start of ${changed.length}: all seeding again after ${ms(c.seeding)}; patches (bytes/operations/torrents touched: JS ms / JS+layout ms): `
        + patches.map((e) => `${e.bytes}/${e.ops}/${e.touched}: ${e.js.toFixed(1)}/${e.layout.toFixed(1)}`).join(', '));
      const heapEnd = await heap();
      const minutes = (now() - heapStartAt) / 60000;
      rows.push(['page, JS heap after a GC: 2 s after the list showed, and later (growth per minute)',
        `${size(heapStart)}, ${size(heapEnd)} ${minutes.toFixed(1)} min later (${size((heapEnd - heapStart) / minutes)}/min)`, '']);
      follower.close();
    } catch (error) {
      fail('the page with changes', error);
    } finally {
      await context.close();
    }
    if (pageErrors.length) fail('errors in the page', pageErrors.slice(0, 5).join(' | '));

    // The header and the table.
    const loadAfter = load();
    const headAtEnd = git('rev-parse', '--short', 'HEAD');
    const out = [];
    out.push(`${started.toISOString().slice(0, 16).replace('T', ' ')} UTC; N = ${N} single-file torrents of ${PAYLOAD} bytes (one piece), seeding${args.magnets ? `, and ${args.magnets} magnets nobody seeds (waiting for metadata): ${total} in the list` : ''}; no peers, DHT off, all on 127.0.0.1`);
    out.push(`machine: ${machine()}; load average (1/5/15 min) ${loadBefore} before, ${loadAfter} after`);
    out.push(`versions: ${version}; Node ${process.version}; playwright-core ${JSON.parse(fs.readFileSync(path.join(REPO, 'e2e/node_modules/playwright-core/package.json'))).version}; Chromium ${browser.version()} (${CHROMIUM}, headless)`);
    out.push(`binary: ${args.binary} (${binaryId}${args.build ? `; ${args.build}` : ''}); repository at ${headAtStart} at the start`
      + `${dirtyAtStart ? ` with ${dirtyAtStart} uncommitted changes in web/, crates/ or src/` : ''}${headAtEnd !== headAtStart ? `, ${headAtEnd} at the end` : ''}`
      + ' (a debug build serves web/ from the disk)');
    out.push(`idle windows ${args.idleSeconds} s; ${args.changes} torrents (the first added: the rows in view) stopped then started, ${args.concurrency} requests at a time`);
    out.push('');
    out.push('| measure | result | target |');
    out.push('| --- | --- | --- |');
    for (const [a, b, c] of rows) out.push(`| ${a} | ${b} | ${c} |`);
    out.push('');
    for (const n of notes) out.push(`- ${n}`);
    out.push(`- load average (1 min) at the start of the idle windows: no client ${idleNone.load1.toFixed(2)}, one SSE client ${idleSse.load1.toFixed(2)}`);
    for (const f of failures) out.push(`- FAILED: ${f}`);
    process.stdout.write(`${out.join('\n')}\n`);
  } catch (error) {
    fail('the run', error);
    process.stdout.write(`FAILED: ${failures.join('; ')}\n`);
  } finally {
    await browser?.close().catch(() => {});
    if (server) await stop(server.child);
    await stopAll();
    if (!args.keep) fs.rmSync(root, { recursive: true, force: true });
    else log(`kept ${root}`);
  }
  process.exitCode = failures.length ? 1 : 0;
}

export { openEvents };

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((error) => {
    log('FAILED', error?.stack ?? error);
    process.exitCode = 1;
  });
}
