// A line graph of download and upload rates over time, drawn as inline SVG sized
// to its box in CSS pixels: the rate axis in human units on a 1-2-5 scale, the
// time axis in minutes before now, and a legend with the latest and peak rates.

import { h, setText } from './dom.js';
import { rate } from './format.js';

const NS = 'http://www.w3.org/2000/svg';
const HEIGHT = 180;
const MARGIN = { left: 78, right: 12, top: 10, bottom: 24 };
// Steps of the rate axis, in the unit (B, KiB, MiB…) the top value is in.
const STEPS = [0.25, 0.5, 1, 2, 2.5, 5, 10, 20, 25, 50, 100, 200, 250, 500];
// At most this many intervals on the rate axis.
const INTERVALS = 5;
// The least room between two labels of the time axis (px).
const TICK_SPACE = 90;
// Samples further apart than this (ms) are not joined: the page was asleep.
const GAP = 5000;

function svg(tag, attrs = {}, text) {
  const el = document.createElementNS(NS, tag);
  for (const [key, value] of Object.entries(attrs)) el.setAttribute(key, String(value));
  if (text !== undefined) el.textContent = text;
  return el;
}

/**
 * The rate axis for rates up to `max` bytes/s (at least 1 KiB/s): `{top, step}`,
 * both in bytes/s, with at most five steps of a round size in B, KiB, MiB….
 */
export function rateScale(max) {
  const value = Math.max(Number(max) || 0, 1024);
  let unit = 1;
  while (value / unit >= 1024) unit *= 1024;
  for (;;) {
    const x = value / unit;
    const step = STEPS.find((s) => Math.ceil(x / s) <= INTERVALS) ?? STEPS.at(-1);
    const top = Math.ceil(x / step) * step;
    // 1000–1023 KiB would round past 1 MiB: count in MiB instead.
    if (top < 1024 || unit >= 1024 ** 5) return { top: top * unit, step: step * unit };
    unit *= 1024;
  }
}

/** The path of one line: a segment per run of samples taken close together. */
function linePath(samples, key, x, y) {
  let d = '';
  let previous = null;
  for (const s of samples) {
    const move = previous === null || s.at - previous.at > GAP;
    d += `${move ? 'M' : 'L'}${x(s.at).toFixed(1)} ${y(s[key]).toFixed(1)}`;
    previous = s;
  }
  return d;
}

/**
 * A rate graph titled `title` (for screen readers): `{el, draw(samples, now, span)}`,
 * samples being `{at, down, up}` (ms since the epoch, bytes/s), oldest first.
 */
export function rateGraph(title) {
  const down = h('span', { class: 'legend-down' });
  const up = h('span', { class: 'legend-up' });
  const legend = h('p', { class: 'graph-legend' }, down, up);
  const chart = svg('svg', { class: 'graph', role: 'img', 'aria-label': title, height: HEIGHT });
  const el = h('figure', { class: 'rate-graph' }, legend, chart);

  function draw(all, now, span) {
    const samples = all.filter((s) => s.at >= now - span && s.at <= now);
    const last = samples.at(-1);
    const peak = (key) => samples.reduce((m, s) => Math.max(m, s[key]), 0);
    if (last) {
      setText(down, `↓ ${rate(last.down)} (peak ${rate(peak('down'))})`);
      setText(up, `↑ ${rate(last.up)} (peak ${rate(peak('up'))})`);
    } else {
      setText(down, 'No rates yet: they are sampled each second while this page is open.');
      setText(up, '');
    }
    const width = Math.round(chart.getBoundingClientRect().width);
    if (width < MARGIN.left + MARGIN.right + 20) return;
    const plotW = width - MARGIN.left - MARGIN.right;
    const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
    const { top, step } = rateScale(Math.max(peak('down'), peak('up')));
    const x = (at) => MARGIN.left + plotW * (1 - (now - at) / span);
    const y = (v) => MARGIN.top + plotH * (1 - Math.min(v, top) / top);
    const parts = [];
    for (let v = 0; v <= top + step / 2; v += step) {
      parts.push(svg('line', { class: 'grid', x1: MARGIN.left, x2: width - MARGIN.right, y1: y(v), y2: y(v) }));
      parts.push(svg('text', { class: 'tick rate-tick', x: MARGIN.left - 6, y: y(v), 'text-anchor': 'end', 'dominant-baseline': 'middle' }, rate(v)));
    }
    const minutes = Math.round(span / 60000);
    // Labels at least TICK_SPACE apart, so that "10 min ago" never meets its neighbour.
    const every = [1, 2, 5, 10].find((m) => (plotW * m) / minutes >= TICK_SPACE) ?? minutes;
    for (let m = 0; m <= minutes; m += every) {
      const at = x(now - m * 60000);
      const anchor = m === 0 ? 'end' : m === minutes ? 'start' : 'middle';
      parts.push(svg('line', { class: 'grid', x1: at, x2: at, y1: MARGIN.top, y2: HEIGHT - MARGIN.bottom }));
      parts.push(svg('text', { class: 'tick time-tick', x: at, y: HEIGHT - 6, 'text-anchor': anchor }, m === 0 ? 'now' : `${m} min ago`));
    }
    for (const key of ['down', 'up']) {
      const d = linePath(samples, key, x, y);
      if (d) parts.push(svg('path', { class: `line ${key}`, d }));
    }
    chart.setAttribute('viewBox', `0 0 ${width} ${HEIGHT}`);
    chart.replaceChildren(...parts);
  }

  return { el, draw };
}
