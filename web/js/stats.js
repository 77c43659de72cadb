// The footer: system and engine statistics from the live state; the header's
// total rates, which open a graph of them over the last ten minutes, and the
// free space of the download folder's disk.

import { setText } from './dom.js';
import { bytes, duration, rate } from './format.js';
import { rateGraph } from './graph.js';
import { SPAN, TOTAL, rateSamples } from './rate-history.js';

/** Renders state.stats in the footer and the free disk space in the downloads header. */
export function renderStats(state) {
  const s = state.stats;
  if (!s) return;
  const parts = [
    `↓ ${rate(s.downloadRate)}`,
    `↑ ${rate(s.uploadRate)}`,
    `CPU ${Math.round(s.cpuPercent)}%`,
    `Memory ${bytes(s.memoryUsed)} of ${bytes(s.memoryTotal)}`,
    `Disk ${bytes(s.diskFree)} free of ${bytes(s.diskTotal)}`,
    `Process ${bytes(s.processRss)}`,
    `Up ${duration(s.uptime)}`,
    `v${s.version}`,
  ];
  if (s.clients > 1) parts.push(`${s.clients} browsers connected`);
  setText(document.getElementById('stats'), parts.join(' · '));
  setText(document.getElementById('rates'), `↓ ${rate(s.downloadRate)} ↑ ${rate(s.uploadRate)}`);
  setText(document.getElementById('disk-free'), s.diskTotal ? `(${bytes(s.diskFree)} free)` : '');
  const free = document.getElementById('header-free');
  free.hidden = !s.diskTotal;
  setText(free, s.diskTotal ? `${bytes(s.diskFree)} free` : '');
  free.title = `Free space on the disk of the download folder: ${bytes(s.diskFree)} of ${bytes(s.diskTotal)}`;
  // Little room left: it stands out (under 5 % of the disk).
  free.classList.toggle('low', s.diskTotal > 0 && s.diskFree / s.diskTotal < 0.05);
}

/** The pop-over of the header's rates: a graph of the totals, redrawn each second while open. */
export function setupRatesGraph() {
  const button = document.getElementById('rates');
  const pop = document.getElementById('rates-pop');
  const graph = rateGraph('Total download and upload rates over the last 10 minutes');
  pop.append(graph.el);
  let timer = null;
  const draw = () => graph.draw(rateSamples(TOTAL), Date.now(), SPAN);
  pop.addEventListener('toggle', (event) => {
    clearInterval(timer);
    timer = null;
    if (event.newState !== 'open') return;
    // Below the button, as far left as it is, and wholly on screen.
    const box = button.getBoundingClientRect();
    const room = document.documentElement.clientWidth - pop.offsetWidth - 8;
    pop.style.top = `${Math.round(box.bottom + 6)}px`;
    pop.style.left = `${Math.max(8, Math.min(Math.round(box.left), room))}px`;
    draw();
    timer = setInterval(draw, 1000);
  });
}
