// Transfer rates over the last ten minutes, kept in memory while the page is
// open: sampled each second from the live state, for every running torrent and
// for the totals the header shows. A torrent that stops keeps its line (at 0)
// until its last transfer has slid out of the window.
//
// Stored compactly, as ten thousand idle torrents must not fill the heap: the
// times of the samples once, in a ring shared by all; the rates of a torrent in
// typed-array rings (which grow up to the window's length), and only while it has
// moved something within the window. A running torrent that moves nothing keeps
// just the sample it started running at: its line is 0 from then on.

/** How far back the history goes (ms). */
export const SPAN = 10 * 60 * 1000;
/** How often a sample is taken (ms). */
export const EVERY = 1000;
/** The key of the totals of all torrents. */
export const TOTAL = '';

const RUNNING = new Set(['downloading', 'metadata', 'seeding']);
// Samples kept: those of the window, and a few more (timers run late).
const CAPACITY = Math.ceil(SPAN / EVERY) + 8;
// The first size of a torrent's rings (doubled as needed, up to CAPACITY).
const FIRST_SIZE = 16;
// The time of sample n (ms since the epoch) is times[n % CAPACITY]; count is the
// number of samples taken so far.
const times = new Float64Array(CAPACITY);
let count = 0;
// key -> { from (its first sample), since (when it began to run, ≤ from), last
// (the time it last moved anything), down, up (rings: sample n at (n - from) % size) }
const series = new Map();
// Info hash -> the sample a running torrent without a series began to run at.
const runningSince = new Map();
let latest = null;

/** A series that starts at sample `from` (the one being taken); its line is 0 back to `since`. */
function newSeries(from, since) {
  return {
    from, since, last: -Infinity, down: new Float32Array(FIRST_SIZE), up: new Float32Array(FIRST_SIZE),
  };
}

/** Records sample `n` of a series: its rings double while they are shorter than the window. */
function record(s, n, at, down, up) {
  const size = s.down.length;
  if (n - s.from >= size) {
    if (size < CAPACITY) {
      // Not wrapped yet: samples from..n-1 sit at 0..size-1 and stay there.
      const grown = Math.min(CAPACITY, size * 2);
      for (const key of ['down', 'up']) {
        const ring = new Float32Array(grown);
        ring.set(s[key]);
        s[key] = ring;
      }
    }
  }
  const slot = (n - s.from) % s.down.length;
  s.down[slot] = down;
  s.up[slot] = up;
  if (down > 0 || up > 0) s.last = at;
}

/** Takes one sample of every rate in the latest state. */
function sample() {
  if (!latest) return;
  const at = Date.now();
  const n = count;
  times[n % CAPACITY] = at;
  count += 1;
  const torrents = latest.torrents ?? {};
  for (const key of series.keys()) {
    if (key !== TOTAL && !(key in torrents)) series.delete(key);
  }
  for (const key of runningSince.keys()) {
    if (!(key in torrents)) runningSince.delete(key);
  }
  for (const hash in torrents) {
    const t = torrents[hash];
    const running = RUNNING.has(t.state);
    const down = running ? Number(t.downloadRate) || 0 : 0;
    const up = running ? Number(t.uploadRate) || 0 : 0;
    let s = series.get(hash);
    if (running && !runningSince.has(hash)) runningSince.set(hash, s ? Math.min(s.since, n) : n);
    else if (!running) runningSince.delete(hash);
    if (!s && (down > 0 || up > 0)) {
      s = newSeries(n, runningSince.get(hash) ?? n);
      series.set(hash, s);
    }
    if (!s) continue;
    record(s, n, at, down, up);
    // Nothing moved within the window: the series goes (a running torrent's line
    // stays, at 0, from the sample it began to run at).
    if (s.last < at - SPAN) series.delete(hash);
  }
  // The totals once the state has them (0 for a sample without them: every sample
  // of a series is written, or its ring would show an old value there).
  const stats = latest.stats;
  if (stats || series.has(TOTAL)) {
    let s = series.get(TOTAL);
    if (!s) {
      s = newSeries(n, n);
      series.set(TOTAL, s);
    }
    record(s, n, at, Number(stats?.downloadRate) || 0, Number(stats?.uploadRate) || 0);
  }
}

/** Notes the live state; the first one also starts the sampling. */
export function noteRates(state) {
  const first = latest === null;
  latest = state;
  if (first) {
    sample();
    setInterval(sample, EVERY);
  }
}

/**
 * The samples of a torrent (by info hash) or of TOTAL, oldest first, as
 * `{at, down, up}` made for the caller; [] when none. A torrent running without
 * a series has 0 since it began to run.
 */
export function rateSamples(key) {
  const s = series.get(key) ?? null;
  const since = s ? s.since : runningSince.get(key);
  if (since === undefined) return [];
  const out = [];
  const latestAt = count > 0 ? times[(count - 1) % CAPACITY] : 0;
  for (let n = Math.max(since, count - CAPACITY); n < count; n += 1) {
    const at = times[n % CAPACITY];
    if (at < latestAt - SPAN) continue;
    if (s && n >= s.from) {
      const slot = (n - s.from) % s.down.length;
      out.push({ at, down: s.down[slot], up: s.up[slot] });
    } else {
      out.push({ at, down: 0, up: 0 });
    }
  }
  return out;
}
