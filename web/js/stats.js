// The footer: system and engine statistics from the live state.

import { setText } from './dom.js';
import { bytes, duration, rate } from './format.js';

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
}
