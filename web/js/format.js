// Formatting of numbers for people. Pure: no DOM.

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

/** 1536 -> "1.5 KiB". */
export function bytes(n) {
  if (!Number.isFinite(n) || n < 0) return '—';
  let i = 0;
  while (n >= 1024 && i < UNITS.length - 1) { n /= 1024; i += 1; }
  const digits = i === 0 || n >= 100 ? 0 : n >= 10 ? 1 : 2;
  return `${n.toFixed(digits)} ${UNITS[i]}`;
}

/** Bytes per second -> "1.5 MiB/s". */
export function rate(n) {
  return `${bytes(n)}/s`;
}

/** 0..1 -> "57.3%"; 100% only when complete. */
export function percent(p) {
  if (!Number.isFinite(p)) return '0%';
  const tenths = Math.floor(Math.min(Math.max(p, 0), 1) * 1000);
  return `${(tenths / 10).toFixed(tenths % 10 === 0 ? 0 : 1)}%`;
}

/** Seconds -> "1h 2m", "3m 5s", "12s". */
/**
 * Seconds of a time the live state counts up to a moment: `seconds` until
 * `since` (RFC 3339, or null when it is not running now) and the time since then.
 */
export function runningSeconds(seconds, since) {
  const start = since ? Date.parse(since) : NaN;
  return (seconds ?? 0) + (Number.isFinite(start) ? Math.max(0, (Date.now() - start) / 1000) : 0);
}

export function duration(s) {
  if (s === null || s === undefined || !Number.isFinite(s)) return '∞';
  s = Math.round(s);
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  if (d > 0) return `${d}d ${h}h`;
  if (h > 0) return `${h}h ${m}m`;
  if (m > 0) return `${m}m ${sec}s`;
  return `${sec}s`;
}

/** RFC 3339 -> a local date and time, or "" when missing or invalid. */
// What Date's toLocaleString() uses (the default locale, date and time in
// numbers), made once: toLocaleString() builds a formatter on every call, which
// costs a table row a good part of a millisecond.
let dateFormat = null;

export function date(text) {
  if (!text) return '';
  const t = new Date(text);
  if (Number.isNaN(t.getTime())) return '';
  dateFormat ??= new Intl.DateTimeFormat(undefined, {
    year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric',
  });
  return dateFormat.format(t);
}

const STATES = {
  metadata: 'Getting metadata',
  downloading: 'Downloading',
  seeding: 'Seeding',
  paused: 'Stopped',
  completed: 'Completed',
  queued: 'Queued',
  moving: 'Moving',
  checking: 'Checking',
  error: 'Error',
};

/** A torrent state for people. */
export function stateLabel(state) {
  return STATES[state] ?? String(state);
}

/** Torrent `t`'s state with what goes with it: its place in the queue, how far its check is. */
export function stateText(t) {
  if (t.state === 'queued' && t.queuePosition) return `Queued #${t.queuePosition}`;
  if (t.state === 'checking' && Number.isFinite(t.checkProgress)) return `Checking ${percent(t.checkProgress)}`;
  return stateLabel(t.state);
}
