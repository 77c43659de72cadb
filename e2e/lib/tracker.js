// A loopback HTTP tracker for the browser tests, in this process: every path
// ending in /announce answers with the peers given (compact form) and counts the
// announces it got, per path; /scrape is not offered. Nothing leaves 127.0.0.0/8.
// And a wait for a seeder to listen.

import http from 'node:http';
import net from 'node:net';

/** Resolves once something accepts TCP connections on `host`:`port` (throws after `ms`). */
export async function waitForListener(host, port, ms = 20000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const ok = await new Promise((resolve) => {
      const socket = net.connect({ host, port }, () => { socket.destroy(); resolve(true); });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on ${host}:${port}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Bencodes numbers, strings, Buffers, lists and dicts (keys sorted). */
export function bencode(value) {
  if (typeof value === 'number') return Buffer.from(`i${value}e`);
  if (typeof value === 'string' || Buffer.isBuffer(value)) {
    const b = Buffer.from(value);
    return Buffer.concat([Buffer.from(`${b.length}:`), b]);
  }
  if (Array.isArray(value)) return Buffer.concat([Buffer.from('l'), ...value.map(bencode), Buffer.from('e')]);
  const keys = Object.keys(value).sort();
  return Buffer.concat([Buffer.from('d'), ...keys.flatMap((k) => [bencode(k), bencode(value[k])]), Buffer.from('e')]);
}

/**
 * Starts the tracker on 127.0.0.1:`port`; `peers()` gives the [ip, port] pairs to
 * answer, to be asked again in `interval` seconds. Resolves to `{url(path), announces, close()}`: `url('/a/announce')` is
 * an announce URL of it, `announces` counts the announces by path.
 */
export function startTracker({ port, peers, interval = 1800 }) {
  const announces = new Map();
  const server = http.createServer((req, res) => {
    const { pathname } = new URL(req.url, 'http://127.0.0.1');
    if (!pathname.endsWith('/announce')) {
      res.writeHead(404).end();
      return;
    }
    announces.set(pathname, (announces.get(pathname) ?? 0) + 1);
    const compact = Buffer.concat(peers().map(([ip, p]) => Buffer.from([...ip.split('.').map(Number), p >> 8, p & 0xff])));
    res.writeHead(200, { 'content-type': 'text/plain' })
      .end(bencode({ complete: 1, incomplete: 0, interval, peers: compact }));
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve({
    url: (pathname) => `http://127.0.0.1:${port}${pathname}`,
    announces,
    close: () => new Promise((done) => {
      server.close(done);
      server.closeAllConnections();
    }),
  })));
}
