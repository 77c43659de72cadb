// Entry point: wires the panels to the live state.

import { checkSession } from './api.js';
import { setupBrowserPrefs } from './browser-prefs.js';
import { renderDetails, setupDetails } from './details.js';
import { setText } from './dom.js';
import { rate } from './format.js';
import { renderDownloads } from './downloads.js';
import { setupMagnetLink } from './magnet-link.js';
import { renderNotices, setupNotices } from './notices.js';
import { renderNotify } from './notify.js';
import { setupOmni } from './omni.js';
import { loadCategories, renderOrganise } from './organise.js';
import { noteRates } from './rate-history.js';
import { setupSession } from './session.js';
import { renderSettings, setupSettings } from './settings.js';
import { setupRss } from './rss.js';
import { renderStats, setupRatesGraph } from './stats.js';
import { connect } from './sync.js';
import { setupTheme } from './theme.js';
import { clearUnreachable } from './toast.js';
import { renderTorrents, setupTorrents } from './torrents.js';

const STATUS = {
  connecting: 'Connecting…',
  live: 'Live',
  offline: 'Offline',
};

function onStatus(status, retryIn) {
  const el = document.getElementById('conn');
  el.dataset.state = status;
  document.body.dataset.connection = status;
  const text = status === 'offline' && retryIn
    ? `Offline: retrying in ${Math.max(1, Math.round(retryIn / 1000))} s`
    : STATUS[status];
  setText(el, text);
  // The server answers again: what said it could not be reached is stale.
  if (status === 'live') clearUnreachable();
}

/** The tab's title: the total rates before the title while anything transfers. */
function tabTitle(state) {
  const title = state.title || 'Cloud Torrent';
  const down = state.stats?.downloadRate ?? 0;
  const up = state.stats?.uploadRate ?? 0;
  return down > 0 || up > 0 ? `↓ ${rate(down)} ↑ ${rate(up)} — ${title}` : title;
}

function onState(state, touched) {
  if (state.title) setText(document.getElementById('title'), state.title);
  const title = tabTitle(state);
  if (document.title !== title) document.title = title;
  // A whole state (after a reconnect) may follow changes of the categories.
  if (touched === null) loadCategories();
  renderOrganise(state, touched);
  noteRates(state);
  renderTorrents(state, touched);
  renderDetails(state, touched);
  renderNotices(state);
  renderNotify(state, touched);
  renderStats(state);
  renderSettings(state);
  renderDownloads(state);
}

setupTheme();
setupOmni();
setupSettings();
setupBrowserPrefs();
setupSession();
setupNotices();
setupTorrents();
setupRss();
setupDetails();
setupRatesGraph();
setupMagnetLink();
const link = connect({ onState, onStatus, onDrop: checkSession });
document.getElementById('conn').addEventListener('click', () => link.reconnect());
