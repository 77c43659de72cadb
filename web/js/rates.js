// Smoothed transfer rates: a rate shown is its mean over the last few seconds, so
// that one sample at 0 between busy ones does not flash "0 B/s" and an ETA of ∞.
// Pure: no DOM.

/** How far back a smoothed rate looks (ms). */
export const WINDOW = 5000;

/**
 * A rate sampled over time. Each sample stands for the time since the one before
 * it (the first for `first` ms), and the latest also for the time since it was
 * taken; `value(now)` is the time-weighted mean over the last `window` ms.
 */
export class SmoothedRate {
  constructor(window = WINDOW, first = 1000) {
    this.window = window;
    this.first = first;
    this.samples = [];
  }

  /** The rate was `value` (bytes/s) at `now` (ms). */
  add(now, value) {
    const last = this.samples.at(-1);
    if (last && now <= last.at) last.value = value;
    else this.samples.push({ at: now, value: Number(value) || 0 });
    // The oldest kept sample may lie before the window: it bounds the next one.
    while (this.samples.length > 1 && this.samples[1].at <= now - this.window) this.samples.shift();
  }

  /** Forgets the samples (the transfer stopped). */
  reset() {
    this.samples = [];
  }

  /** The mean rate over the window ending at `now`; 0 with no samples. */
  value(now) {
    const start = now - this.window;
    let sum = 0;
    let span = 0;
    const count = (value, from, to) => {
      const a = Math.max(from, start);
      const b = Math.min(to, now);
      if (b > a) {
        sum += value * (b - a);
        span += b - a;
      }
    };
    this.samples.forEach((s, i) => {
      count(s.value, i === 0 ? s.at - this.first : this.samples[i - 1].at, s.at);
    });
    const last = this.samples.at(-1);
    if (!last) return 0;
    count(last.value, last.at, now);
    return span > 0 ? sum / span : last.value;
  }
}

/** Seconds left to fetch `remaining` bytes at `rate` bytes/s; null (∞) at no rate. */
export function etaSeconds(remaining, rate) {
  if (!(remaining > 0)) return 0;
  return rate >= 1 ? Math.ceil(remaining / rate) : null;
}
