// A loopback swarm for the browser tests: payloads, .torrent files made with
// mktorrent, aria2c seeders and an opentracker, all on 127.0.0.0/8. No DHT, no LSD,
// nothing leaves the machine.

import { spawn, execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** A TCP port that was free a moment ago on `host`. */
export function freePort(host = '127.0.0.1') {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Polls `check` every 100 ms until it returns a truthy value; throws after `ms`. */
export async function waitFor(what, ms, check) {
  const deadline = Date.now() + ms;
  let last;
  for (;;) {
    try {
      last = await check();
      if (last) return last;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} (last: ${last})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Writes `files` ([relative path, size]) under `dir` with random bytes. */
export function writePayload(dir, files) {
  for (const [rel, size] of files) {
    const file = path.join(dir, rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, randomBytes(size));
  }
}

/** Offset just past the bencoded value that starts at `i`. */
function skip(buf, i) {
  const c = buf[i];
  if (c === 0x69) return buf.indexOf(0x65, i) + 1; // i...e
  if (c === 0x6c || c === 0x64) { // l...e, d...e
    i += 1;
    while (buf[i] !== 0x65) i = skip(buf, i);
    return i + 1;
  }
  const colon = buf.indexOf(0x3a, i); // <len>:<bytes>
  return colon + 1 + Number(buf.subarray(i, colon).toString());
}

/** The info hash (hex) of a .torrent: SHA-1 of the raw bytes of its info dict. */
export function infoHash(torrent) {
  let i = 1;
  while (torrent[i] !== 0x65) {
    const keyEnd = skip(torrent, i);
    const key = torrent.subarray(torrent.indexOf(0x3a, i) + 1, keyEnd).toString();
    const valueEnd = skip(torrent, keyEnd);
    if (key === 'info') return createHash('sha1').update(torrent.subarray(keyEnd, valueEnd)).digest('hex');
    i = valueEnd;
  }
  throw new Error('no info dict');
}

/** Makes `<out>` from `target` with mktorrent (256 KiB pieces). */
export function makeTorrent(target, out, { announce, name } = {}) {
  const args = ['-l', '18', '-o', out];
  if (announce) args.push('-a', announce);
  if (name) args.push('-n', name);
  args.push(target);
  execFileSync('mktorrent', args, { stdio: 'ignore' });
  const bytes = fs.readFileSync(out);
  return { path: out, bytes, hash: infoHash(bytes) };
}

const children = new Set();
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

function track(child) {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** Stops every process these helpers started (seeders, tracker, servers). */
export async function stopAll() {
  await Promise.all([...children].map((child) => stop(child, 'SIGKILL')));
}

/** Stops a child process and waits for it. */
export function stop(child, signal = 'SIGTERM') {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', resolve);
    child.kill(signal);
  });
}

/** aria2c seeding `torrent` from `dataDir` on `ip:port`, upload capped at `limit` (e.g. "1M"). */
export function seed({ torrent, dataDir, ip, port, limit }) {
  return track(spawn('aria2c', [
    '--no-conf', '--enable-dht=false', '--enable-dht6=false', '--bt-enable-lpd=false',
    '--enable-peer-exchange=false', '--disable-ipv6=true', '--check-integrity=true',
    '--seed-ratio=0.0', '--bt-tracker-interval=1', '--console-log-level=warn',
    '--summary-interval=0', `--listen-port=${port}`, `--interface=${ip}`,
    `--max-overall-upload-limit=${limit ?? '0'}`, `--dir=${dataDir}`, torrent,
  ], { stdio: 'ignore' }));
}

/** opentracker on 127.0.0.1:`port`, accepting the info hashes in `hashes`. */
export function tracker({ dir, port, hashes }) {
  fs.writeFileSync(path.join(dir, 'whitelist.txt'), `${hashes.join('\n')}\n`);
  // It drops root for "nobody" and then reads the whitelist in `dir`.
  fs.chmodSync(dir, 0o755);
  return track(spawn('opentracker', [
    '-i', '127.0.0.1', '-p', String(port), '-P', String(port), '-d', dir, '-w', 'whitelist.txt',
  ], { cwd: dir, stdio: 'ignore' }));
}

/** Waits until the tracker knows a seeder of `hash`. */
export async function waitForSeeder(trackerPort, hash) {
  const escaped = hash.match(/../g).map((b) => `%${b}`).join('');
  await waitFor('the seeder to announce itself', 30000, async () => {
    const res = await fetch(`http://127.0.0.1:${trackerPort}/scrape?info_hash=${escaped}`, { signal: AbortSignal.timeout(2000) });
    const text = Buffer.from(await res.arrayBuffer()).toString('latin1');
    const m = text.match(/8:completei(\d+)e/);
    return m && Number(m[1]) >= 1;
  });
}

/** The cloud-torrent binary built by cargo. */
export const BINARY = process.env.CLOUD_TORRENT_BIN
  ?? path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../target/debug/cloud-torrent');

/**
 * Starts the real binary on 127.0.0.1 with DHT off, on `port`, with its folders
 * under `dir` and any further command-line `args`; resolves once /healthz answers.
 */
export async function startServer({ dir, port, incomingPort, log, args = [] }) {
  const out = fs.openSync(log, 'a');
  // The download folder, peer port and DHT go in the config file: given as flags they
  // would be read-only in the settings panel.
  const configPath = path.join(dir, 'cloud-torrent.toml');
  fs.mkdirSync(dir, { recursive: true });
  let config = fs.existsSync(configPath) ? fs.readFileSync(configPath, 'utf8') : '';
  const set = (key, value, replace) => {
    const line = new RegExp(`^${key}\\s*=.*$`, 'm');
    if (!line.test(config)) config += `\n${key} = ${value}\n`;
    else if (replace) config = config.replace(line, `${key} = ${value}`);
  };
  set('downloadDir', JSON.stringify(path.join(dir, 'downloads')), false);
  set('dht', 'false', false);
  set('incomingPort', String(incomingPort), true);
  fs.writeFileSync(configPath, config);
  const child = track(spawn(BINARY, [
    '--host', '127.0.0.1', '--port', String(port),
    '--incoming-host', '127.0.0.1',
    '--state-dir', path.join(dir, 'state'),
    '--config-path', configPath,
    ...args,
  ], { stdio: ['ignore', out, out], env: { ...process.env, RUST_LOG: 'info,librqbit=warn' } }));
  const url = `http://127.0.0.1:${port}/`;
  await waitFor('the server to answer /healthz', 30000, async () => {
    if (child.exitCode !== null) throw new Error(`the server exited; see ${log}`);
    const res = await fetch(`${url}healthz`, { signal: AbortSignal.timeout(2000) });
    return res.ok;
  });
  return { child, url };
}
