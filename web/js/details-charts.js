// The Pieces and Speed tabs of the details pane: a bar of the verified pieces,
// fetched every 2 s while it shows, and a graph of the torrent's rates over the
// last ten minutes, drawn each second from the samples the page keeps.

import { api, torrentPath } from './api.js';
import { h, setText } from './dom.js';
import { bytes } from './format.js';
import { rateGraph } from './graph.js';
import { drawPieceBar } from './pieces.js';
import { SPAN, rateSamples } from './rate-history.js';

/** The Pieces tab in `panel`. */
export function piecesTab(panel) {
  const status = h('p', { class: 'pieces-status', 'aria-live': 'polite' });
  const canvas = h('canvas', { class: 'pieces piece-map', height: '32', role: 'img', 'aria-label': 'Pieces held', hidden: true });
  panel.append(status, canvas,
    h('p', { class: 'hint' }, 'Each column stands for a run of pieces, as dark as the share of them verified.'));

  async function poll(hash, live) {
    let pieces;
    try {
      pieces = await api('GET', torrentPath(hash, 'pieces'));
    } catch (error) {
      if (!live()) return;
      canvas.hidden = true;
      setText(status, error.status === 409
        ? 'The pieces are not known yet: they come with the metadata (or the data is being checked).'
        : `The pieces could not be loaded: ${error.message}`);
      return;
    }
    if (!live()) return;
    canvas.hidden = false;
    const held = drawPieceBar(canvas, pieces);
    setText(status, `${held} of ${pieces.count} pieces verified (${bytes(pieces.pieceLength)} each)`);
  }

  function reset() {
    canvas.hidden = true;
    setText(status, '');
  }

  return { poll, reset, every: 2000 };
}

/** The Speed tab in `panel`; `context.torrent()` is the torrent shown. */
export function speedTab(panel, context) {
  const graph = rateGraph('Download and upload rates of this torrent over the last 10 minutes');
  panel.append(graph.el,
    h('p', { class: 'hint' }, 'Sampled each second while this page is open; the totals are in the header.'));

  async function poll() {
    const t = context.torrent();
    if (t) graph.draw(rateSamples(t.infoHash), Date.now(), SPAN);
  }

  return { poll, every: 1000 };
}
