// Unit tests of the UI's pure modules (no browser): JSON Patch, formatting, the omni bar,
// tags, filters, the list settings and event runs.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyPatch, touchedTorrents } from '../../web/js/patch.js';
import { bytes, duration, percent } from '../../web/js/format.js';
import { addQuery, omniKind } from '../../web/js/omni.js';
import { argvText, runResult } from '../../web/js/event-runs.js';
import { matchesFilter } from '../../web/js/filters.js';
import {
  MAX_WIDTH, MIN_WIDTH, columnWidth, moveColumn, placeColumn, resetColumns, setColumnWidth, shownColumns,
} from '../../web/js/columns.js';
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
