// Unit tests of the UI's pure modules (no browser): JSON Patch, formatting, the omni bar,
// tags, filters, the list settings, the list's order kept through live updates, the rate
// history (on mocked timers) and event runs.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyPatch, touchedTorrents } from '../../web/js/patch.js';
import { bytes, duration, percent, stateText } from '../../web/js/format.js';
import { addQuery, omniKind } from '../../web/js/omni.js';
import { argvText, runResult } from '../../web/js/event-runs.js';
import { matchesFilter } from '../../web/js/filters.js';
import {
  COLUMNS, MAX_WIDTH, MIN_WIDTH, columnWidth, moveColumn, placeColumn, resetColumns, setColumnWidth, shownColumns,
  sortTorrents,
} from '../../web/js/columns.js';
import { listOrder } from '../../web/js/list-order.js';
import { EVERY, SPAN, TOTAL, noteRates, rateSamples } from '../../web/js/rate-history.js';
import { parseTags, sameTags } from '../../web/js/organise.js';
import { normalWatchFolder, normalWebhook, parseHeaders } from '../../web/js/settings-lists.js';
import { resultKey, safeHttpUrl } from '../../web/js/search.js';

test('JSON Patch: the RFC 6902 operations, in place', () => {
  let doc = { torrents: { a: { progress: 0, files: [1, 2] } }, title: 'x' };
  doc = applyPatch(doc, [
    { op: 'replace', path: '/torrents/a/progress', value: 0.5 },
    { op: 'add', path: '/torrents/b~1c', value: { progress: 1 } },
    { op: 'add', path: '/torrents/a/files/-', value: 3 },
    { op: 'remove', path: '/torrents/a/files/0' },
    { op: 'copy', from: '/title', path: '/name' },
    { op: 'move', from: '/name', path: '/label' },
    { op: 'test', path: '/label', value: 'x' },
  ]);
  assert.deepEqual(doc, { torrents: { a: { progress: 0.5, files: [2, 3] }, 'b/c': { progress: 1 } }, title: 'x', label: 'x' });
  assert.deepEqual(applyPatch(doc, [{ op: 'replace', path: '', value: { v: 1 } }]), { v: 1 });
  assert.throws(() => applyPatch({ a: 1 }, [{ op: 'replace', path: '/missing', value: 1 }]));
  assert.throws(() => applyPatch({ a: 1 }, [{ op: 'test', path: '/a', value: 2 }]));
});

test('JSON Patch: which torrents a patch touches', () => {
  assert.deepEqual(touchedTorrents([{ op: 'replace', path: '/torrents/ab/progress', value: 1 }, { op: 'replace', path: '/stats/uptime', value: 3 }]), new Set(['ab']));
  assert.equal(touchedTorrents([{ op: 'replace', path: '', value: {} }]), null);
  assert.equal(touchedTorrents([{ op: 'replace', path: '/torrents', value: {} }]), null);
});

test('formatting for people', () => {
  assert.equal(bytes(0), '0 B');
  assert.equal(bytes(1536), '1.50 KiB');
  assert.equal(bytes(300 * 1024), '300 KiB');
  assert.equal(percent(0.999999), '99.9%');
  assert.equal(percent(1), '100%');
  assert.equal(percent(0.5), '50%');
  assert.equal(duration(null), '∞');
  assert.equal(duration(65), '1m 5s');
  assert.equal(duration(3 * 3600 + 120), '3h 2m');
  assert.equal(stateText({ state: 'queued', queuePosition: 3 }), 'Queued #3');
  assert.equal(stateText({ state: 'checking', checkProgress: 0.425 }), 'Checking 42.5%');
  assert.equal(stateText({ state: 'checking', checkProgress: null }), 'Checking');
  assert.equal(stateText({ state: 'seeding', checkProgress: null }), 'Seeding');
});

test('the omni bar tells magnets, URLs and searches apart', () => {
  assert.equal(omniKind('  magnet:?xt=urn:btih:abc '), 'magnet');
  assert.equal(omniKind('https://example.org/a.torrent'), 'url');
  assert.equal(omniKind('HTTP://x/y'), 'url');
  assert.equal(omniKind('ubuntu iso'), 'search');
  assert.equal(omniKind(''), 'empty');
});

test('only absolute http(s) URLs of search results become links', () => {
  assert.equal(safeHttpUrl('https://site.example/t/1?a=b'), 'https://site.example/t/1?a=b');
  assert.equal(safeHttpUrl('HTTP://Site.example/x'), 'http://site.example/x');
  for (const bad of ['javascript:alert(1)', ' JavaScript:alert(1)', 'java\tscript:alert(1)', 'data:text/html,x',
    'vbscript:x', '/relative/path', '//host/x', 'ftp://host/x', '', null, undefined, 42]) {
    assert.equal(safeHttpUrl(bad), null, String(bad));
  }
});

test('search results are told apart by info hash, else by provider and link', () => {
  assert.equal(resultKey({ infohash: 'ABC', provider: 'a' }), resultKey({ infohash: 'abc', provider: 'b' }));
  assert.notEqual(resultKey({ provider: 'a', item: '/1' }), resultKey({ provider: 'b', item: '/1' }));
  assert.notEqual(resultKey({ provider: 'a', item: '/1' }), resultKey({ provider: 'a', item: '/2' }));
});

test('tags are read from comma-separated text, each once', () => {
  assert.deepEqual(parseTags(' hd, weekly ,,hd , '), ['hd', 'weekly']);
  assert.deepEqual(parseTags(''), []);
  assert.ok(sameTags(['b', 'a'], ['a', 'b', 'a']));
  assert.ok(!sameTags(['a'], ['a', 'b']));
});

test('a raw .torrent upload sends its category and tags in the query', () => {
  assert.equal(addQuery({}), '');
  assert.equal(addQuery({ category: 'tv/anime', tags: ['a b', 'c&d'] }), '?category=tv%2Fanime&tags=a+b%2Cc%26d');
});

test('the list filters: state, no category, a category, a tag, all at once', () => {
  const t = { state: 'seeding', category: 'tv', tags: ['hd'] };
  const none = { state: '', category: '', tag: '' };
  assert.ok(matchesFilter(t, none));
  assert.ok(matchesFilter(t, { ...none, state: 'seeding', category: '=tv', tag: '=hd' }));
  assert.ok(!matchesFilter(t, { ...none, state: 'paused' }));
  assert.ok(!matchesFilter(t, { ...none, category: 'none' }));
  assert.ok(matchesFilter({ ...t, category: null }, { ...none, category: 'none' }));
  assert.ok(!matchesFilter(t, { ...none, category: '=t' }));
  assert.ok(!matchesFilter(t, { ...none, tag: '=sd' }));
  // A category literally named "none" is told apart from no category.
  assert.ok(matchesFilter({ ...t, category: 'none' }, { ...none, category: '=none' }));
  assert.ok(!matchesFilter({ ...t, category: 'none' }, { ...none, category: 'none' }));
});

test('the state filter groups states; the tracker filter takes a host or none', () => {
  const none = { state: '', category: '', tag: '', tracker: '' };
  const t = { state: 'metadata', progress: 0, downloadRate: 0, uploadRate: 0, trackerHosts: ['a.test', 'b.test'] };
  assert.ok(matchesFilter(t, { ...none, state: 'downloading' }));
  assert.ok(!matchesFilter(t, { ...none, state: 'active' }));
  assert.ok(matchesFilter({ ...t, uploadRate: 1 }, { ...none, state: 'active' }));
  // Completed is about the data, whatever the state.
  assert.ok(matchesFilter({ ...t, state: 'paused', progress: 1 }, { ...none, state: 'completed' }));
  assert.ok(matchesFilter({ ...t, state: 'paused', progress: 1 }, { ...none, state: 'paused' }));
  assert.ok(!matchesFilter({ ...t, state: 'seeding', progress: 0.5 }, { ...none, state: 'completed' }));
  // A raw state from an old bookmark still filters.
  assert.ok(matchesFilter(t, { ...none, state: 'metadata' }));
  assert.ok(matchesFilter(t, { ...none, tracker: '=b.test' }));
  assert.ok(!matchesFilter(t, { ...none, tracker: '=c.test' }));
  assert.ok(!matchesFilter(t, { ...none, tracker: 'none' }));
  assert.ok(matchesFilter({ ...t, trackerHosts: [] }, { ...none, tracker: 'none' }));
  // A host literally named "none" is told apart from no tracker.
  assert.ok(matchesFilter({ ...t, trackerHosts: ['none'] }, { ...none, tracker: '=none' }));
});

test('columns move among those shown, keep their order, and resize within bounds', () => {
  assert.deepEqual(shownColumns().map((c) => c.key).slice(0, 3), ['name', 'size', 'progress']);
  assert.equal(moveColumn('name', -1), false, 'the first cannot go further left');
  assert.equal(moveColumn('size', -1), true);
  assert.deepEqual(shownColumns().map((c) => c.key).slice(0, 3), ['size', 'name', 'progress']);
  // Past a hidden column in one step: Save path is hidden, right of Added.
  const keys = () => shownColumns().map((c) => c.key);
  assert.equal(keys().at(-1), 'added');
  assert.equal(moveColumn('added', 1), false);
  assert.equal(moveColumn('tags', 1), true);
  assert.deepEqual(keys().slice(-2), ['added', 'tags']);
  placeColumn('tags', 'size');
  assert.equal(keys()[0], 'tags');
  assert.equal(setColumnWidth('state', 5), MIN_WIDTH);
  assert.equal(columnWidth('state'), MIN_WIDTH);
  assert.equal(setColumnWidth('state', 10000), MAX_WIDTH);
  assert.equal(columnWidth('name'), undefined, 'the name takes the rest');
  resetColumns();
  assert.deepEqual(keys().slice(0, 2), ['name', 'size']);
  assert.equal(columnWidth('state'), 110);
});

test('the list order kept through live updates is that of a full sort, for every column both ways', () => {
  // A small generator of numbers, so that a failure can be replayed.
  let seed = 12345;
  const random = (n) => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return (seed >>> 16) % n;
  };
  const states = ['seeding', 'downloading', 'metadata', 'paused', 'queued', 'error'];
  let next = 0;
  // Few distinct values, so that keys tie often and the tie-breakers count.
  const torrent = (hash = `${(next += 1).toString(16).padStart(8, '0')}`) => ({
    infoHash: hash, name: ['Alpha', 'alpha', 'Beta', 'gamma', ''][random(5)], size: random(4) * 1024,
    progress: random(3) / 2, state: states[random(states.length)], downloadRate: random(3) * 100,
    uploadRate: random(3) * 10, completed: random(2) * 512, peers: random(3), ratio: random(3) / 2,
    category: [null, 'tv', 'music'][random(3)], tags: [[], ['hd'], ['a', 'b']][random(3)],
    addedAt: `2024-01-0${1 + random(3)}T00:00:00Z`, savePath: ['', '/a', '/b'][random(3)],
  });
  for (const column of COLUMNS) {
    for (const desc of [false, true]) {
      const order = { key: column.key, desc };
      const all = {};
      for (let i = 0; i < 60; i += 1) {
        const t = torrent();
        all[t.infoHash] = t;
      }
      const list = listOrder();
      list.sort(Object.values(all), order);
      assert.equal(list.sortedAs(order), true);
      assert.equal(list.sortedAs({ key: column.key, desc: !desc }), false);
      for (let round = 0; round < 20; round += 1) {
        // A patch: some torrents change in place, some are replaced, added or removed.
        const touched = new Set();
        const hashes = Object.keys(all);
        for (let i = random(8); i > 0; i -= 1) {
          const hash = hashes[random(hashes.length)];
          touched.add(hash);
          if (!all[hash]) continue;
          const fresh = torrent(hash);
          if (random(2)) Object.assign(all[hash], fresh);
          else all[hash] = fresh;
        }
        if (random(3) === 0) {
          const hash = hashes[random(hashes.length)];
          delete all[hash];
          touched.add(hash);
        }
        if (random(3) === 0) {
          const t = torrent();
          all[t.infoHash] = t;
          touched.add(t.infoHash);
        }
        list.update(touched, (hash) => all[hash]);
        const expected = sortTorrents(Object.values(all), order);
        const { torrents, hashes: picked } = list.pick(null);
        assert.deepEqual(torrents.map((t) => t.infoHash), expected.map((t) => t.infoHash), `${column.key} ${desc ? 'desc' : 'asc'}, round ${round}`);
        assert.deepEqual(picked, expected.map((t) => t.infoHash));
        // The filters pick from that order.
        const seeding = (t) => t.state === 'seeding';
        assert.deepEqual(list.pick(seeding).torrents, expected.filter(seeding));
      }
    }
  }
});

test('a full sort: ties by time added then info hash, whichever the direction', () => {
  const t = (infoHash, size, addedAt) => ({ infoHash, size, addedAt, name: infoHash });
  const torrents = [t('c', 1, '2'), t('b', 2, '1'), t('a', 1, '2'), t('d', 1, '1')];
  assert.deepEqual(sortTorrents(torrents, { key: 'size', desc: false }).map((x) => x.infoHash), ['d', 'a', 'c', 'b']);
  assert.deepEqual(sortTorrents(torrents, { key: 'size', desc: true }).map((x) => x.infoHash), ['b', 'd', 'a', 'c']);
  const list = listOrder();
  list.sort(torrents, { key: 'size', desc: true });
  assert.deepEqual(list.pick(null).hashes, ['b', 'd', 'a', 'c']);
});

test('the rate history: a line for each running torrent, kept only while it moved something', (t) => {
  t.mock.timers.enable({ apis: ['setInterval', 'Date'], now: 1_000_000 });
  const torrent = (infoHash, state, downloadRate = 0, uploadRate = 0) => ({ infoHash, state, downloadRate, uploadRate });
  const state = {
    torrents: {
      idle: torrent('idle', 'seeding'), stopped: torrent('stopped', 'paused'), busy: torrent('busy', 'downloading', 100, 5),
    },
    stats: { downloadRate: 100, uploadRate: 5 },
  };
  // A tick of many seconds at once would run the samples at the end time.
  const seconds = (n) => {
    for (let i = 0; i < n; i += 1) t.mock.timers.tick(EVERY);
  };
  noteRates(state);
  seconds(4);
  const values = (key) => rateSamples(key).map((s) => [s.down, s.up]);
  // Five samples a second apart; an idle running torrent has a line at 0, a stopped one none.
  assert.deepEqual(rateSamples('busy').map((s) => s.at), [0, 1, 2, 3, 4].map((i) => 1_000_000 + i * EVERY));
  assert.deepEqual(values('busy'), Array(5).fill([100, 5]));
  assert.deepEqual(values('idle'), Array(5).fill([0, 0]));
  assert.deepEqual(rateSamples('stopped'), []);
  assert.deepEqual(values(TOTAL), Array(5).fill([100, 5]));
  // Past the window (the rings wrap), the latest rates are those last sampled.
  for (let i = 0; i < 700; i += 1) {
    state.torrents.busy.downloadRate = i;
    t.mock.timers.tick(EVERY);
  }
  const busy = rateSamples('busy');
  assert.equal(busy.length, SPAN / EVERY + 1);
  assert.deepEqual(busy.slice(-3).map((s) => s.down), [697, 698, 699]);
  assert.equal(busy.at(-1).at - busy[0].at, SPAN);
  // Still, then stopped: the line stays at 0 until its last move slides out, then goes.
  state.torrents.busy = torrent('busy', 'paused');
  t.mock.timers.tick(EVERY);
  assert.deepEqual(rateSamples('busy').slice(-2).map((s) => s.down), [699, 0]);
  seconds(SPAN / EVERY + 1);
  assert.deepEqual(rateSamples('busy'), []);
  // Running again without moving anything: 0 from then on.
  state.torrents.busy = torrent('busy', 'seeding');
  seconds(2);
  assert.deepEqual(values('busy'), [[0, 0], [0, 0]]);
  // A torrent removed is forgotten.
  delete state.torrents.idle;
  t.mock.timers.tick(EVERY);
  assert.deepEqual(rateSamples('idle'), []);
});

test('watch folders and webhooks compare as the server shows them', () => {
  assert.deepEqual(normalWatchFolder({ path: ' /w ', category: '', tags: [], paused: undefined }),
    { path: '/w', paused: false, recursive: false });
  assert.deepEqual(normalWebhook({ url: 'https://x/', events: ['error', 'added'], headers: { b: '2', a: '1' } }),
    { url: 'https://x/', events: ['added', 'error'], headers: { a: '1', b: '2' }, format: 'json' });
  assert.deepEqual(parseHeaders('X-Token: a:b\n\n Priority :5 '), { 'X-Token': 'a:b', Priority: '5' });
  assert.throws(() => parseHeaders('no colon here'), /line 1/);
  assert.throws(() => parseHeaders(': value'), /line 1/);
});

test('event runs: the program line and how a run ended', () => {
  assert.equal(argvText(['/bin/echo', 'added x', 'a"b', '{name}']), '/bin/echo "added x" "a\\"b" "{name}"');
  assert.deepEqual(runResult({ startedAt: 'x', finishedAt: 'y', exitCode: 0 }), { text: 'Exit 0', ok: true });
  assert.deepEqual(runResult({ startedAt: 'x', finishedAt: 'y', exitCode: 3 }), { text: 'Exit 3', ok: false });
  assert.deepEqual(runResult({ startedAt: 'x', finishedAt: 'y', timedOut: true, signal: 'SIGKILL' }), { text: 'Timed out (SIGKILL)', ok: false });
  assert.deepEqual(runResult({ error: 'no such file' }), { text: 'Could not start: no such file', ok: false });
  assert.deepEqual(runResult({ startedAt: 'x', finishedAt: null }), { text: 'Running', ok: null });
  assert.deepEqual(runResult({ startedAt: null }), { text: 'Waiting', ok: null });
});
