// Unit tests of the UI's pure modules (no browser): JSON Patch, formatting, the omni bar.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyPatch, touchedTorrents } from '../../web/js/patch.js';
import { bytes, duration, percent } from '../../web/js/format.js';
import { omniKind } from '../../web/js/omni.js';
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
