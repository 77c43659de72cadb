// A torrent's verified pieces as a bar on a <canvas>: each column is as dark as
// the share of its pieces held. Used by a card's details and the details pane.

import { setAttr } from './dom.js';

/** The pieces held, from the `have` bitfield (base64; the high bit of the first byte is piece 0). */
export function havePieces(have, count) {
  const bits = Uint8Array.from(atob(have ?? ''), (c) => c.charCodeAt(0));
  return (i) => i < count && (bits[i >> 3] & (0x80 >> (i & 7))) !== 0;
}

/**
 * Draws `pieces` ({count, have}, as api/v1/torrents/{hash}/pieces answers) on
 * `canvas` in its CSS colour, names what it shows and returns the count held.
 */
export function drawPieceBar(canvas, pieces) {
  const has = havePieces(pieces.have, pieces.count);
  const width = canvas.clientWidth || 600;
  if (canvas.width !== width) canvas.width = width;
  const ctx = canvas.getContext('2d');
  const color = getComputedStyle(canvas).color;
  ctx.clearRect(0, 0, width, canvas.height);
  let held = 0;
  for (let i = 0; i < pieces.count; i++) if (has(i)) held++;
  ctx.fillStyle = color;
  for (let x = 0; x < width; x++) {
    const from = Math.floor((x * pieces.count) / width);
    const to = Math.max(from + 1, Math.floor(((x + 1) * pieces.count) / width));
    let n = 0;
    for (let i = from; i < to && i < pieces.count; i++) if (has(i)) n++;
    if (n === 0) continue;
    ctx.globalAlpha = n / (to - from);
    ctx.fillRect(x, 0, 1, canvas.height);
  }
  ctx.globalAlpha = 1;
  canvas.dataset.held = String(held);
  canvas.dataset.count = String(pieces.count);
  setAttr(canvas, 'aria-label', `${held} of ${pieces.count} pieces held`);
  return held;
}
