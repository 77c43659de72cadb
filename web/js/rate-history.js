// Transfer rates over the last ten minutes, kept in memory while the page is
// open: sampled each second from the live state, for every running torrent and
// for the totals the header shows. A torrent that stops keeps its line (at 0)
// until its last transfer has slid out of the window.

/** How far back the history goes (ms). */
export const SPAN = 10 * 60 * 1000;
/** How often a sample is taken (ms). */
export const EVERY = 1000;
/** The key of the totals of all torrents. */
export const TOTAL = '';

const RUNNING = new Set(['downloading', 'metadata', 'seeding']);
// key -> [{ at (ms since the epoch), down, up }], oldest first
const series = new Map();
let latest = null;

function push(key, at, down, up, create) {
  let samples = series.get(key);
  if (!samples) {
    if (!create) return;
    samples = [];
    series.set(key, samples);
  }
  samples.push({ at, down: Number(down) || 0, up: Number(up) || 0 });
  while (samples.length > 0 && samples[0].at < at - SPAN) samples.shift();
}

/** Takes one sample of every rate in the latest state. */
function sample() {
  if (!latest) return;
  const at = Date.now();
  const torrents = latest.torrents ?? {};
  for (const key of series.keys()) {
    if (key !== TOTAL && !(key in torrents)) series.delete(key);
  }
  for (const t of Object.values(torrents)) {
    const running = RUNNING.has(t.state);
    push(t.infoHash, at, running ? t.downloadRate : 0, running ? t.uploadRate : 0, running);
    const samples = series.get(t.infoHash);
    if (!running && samples && !samples.some((s) => s.down > 0 || s.up > 0)) series.delete(t.infoHash);
  }
  if (latest.stats) push(TOTAL, at, latest.stats.downloadRate, latest.stats.uploadRate, true);
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

/** The samples of a torrent (by info hash) or of TOTAL, oldest first; [] when none. */
export function rateSamples(key) {
  return series.get(key) ?? [];
}

