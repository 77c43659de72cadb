// The settings panel and the alternative-speed toggle: GET/PATCH api/v1/config
// through the live state. The panel's sections (settings-nav.js), lists,
// categories and event programs are in their own modules; this one opens and
// closes the panel and saves the form (every section of it at once).

import { api } from './api.js';
import { resetCategorySettings, setupCategorySettings } from './category-settings.js';
import { h, setAttr, setText } from './dom.js';
import { showMessage } from './toast.js';
import { renderEventPrograms, setupEventRuns, watchEventRuns } from './event-runs.js';
import { rate } from './format.js';
import { loadCategories } from './organise.js';
import { fillLists, listChanges, loadWebhookStatus, resetLists, setupLists } from './settings-lists.js';
import { clearEdited, focusSection, markEdited, openSettingsNav, setupSettingsNav } from './settings-nav.js';

// Plain fields, by config key. A number input with `data-unit` shows the value
// divided by it (KiB/s); one with `data-optional` shows null as empty (and an
// empty one is read as null).
const FIELDS = [
  'title', 'seeding', 'autoStart', 'downloadDir', 'incomingPort', 'dht', 'upload', 'incompleteDir',
  'dormantAfter', 'dormantPort',
  'downloadLimit', 'uploadLimit', 'altDownloadLimit', 'altUploadLimit',
  'seedRatioLimit', 'seedTimeLimit', 'seedIdleLimit', 'seedLimitAction',
  'queueing', 'maxActiveDownloads', 'maxActiveSeeds', 'maxActiveTorrents', 'slowTorrentsExempt',
  'slowDownloadRate', 'slowUploadRate', 'slowTorrentTime', 'rssMaxArticles',
  'compatQbittorrent', 'compatQbittorrentPort', 'compatTransmission', 'compatTransmissionPort',
];
const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
const NAMES = {
  downloadDir: 'download folder', incomingPort: 'incoming peer port', dht: 'DHT', upload: 'upload',
  dormantAfter: 'dormant after', dormantPort: "dormant torrents' port",
  compatQbittorrent: "qBittorrent's Web API", compatQbittorrentPort: "qBittorrent's port",
  compatTransmission: "Transmission's RPC", compatTransmissionPort: "Transmission's port",
};
let current = null;
let editing = false;
// "Saved." after a save, shown until the next edit (live updates keep it).
let savedNote = '';

function readInput(input) {
  if (input.type === 'checkbox') return input.checked;
  if (input.value.trim() === '' && 'optional' in input.dataset) return null;
  if (input.type !== 'number') return input.value;
  const unit = Number(input.dataset.unit ?? 1);
  return Math.round(Number(input.value) * unit * 100) / 100;
}

function writeInput(input, value) {
  if (input.type === 'checkbox') input.checked = Boolean(value);
  else if (input.type === 'number' && value !== null && value !== undefined) {
    input.value = String(value / Number(input.dataset.unit ?? 1));
  } else input.value = value ?? '';
}

function readSchedule(form, before) {
  const days = DAYS.filter((d) => form.elements[`day-${d}`].checked);
  return {
    enabled: form.elements.scheduleEnabled.checked,
    from: form.elements.scheduleFrom.value || before.from,
    to: form.elements.scheduleTo.value || before.to,
    days,
  };
}

function sameSchedule(a, b) {
  return Boolean(a?.enabled) === Boolean(b?.enabled) && a?.from === b?.from && a?.to === b?.to
    && (a?.days ?? []).join() === (b?.days ?? []).join();
}

const FIXED = 'Set by a command-line flag or environment variable: change it there.';

/**
 * Disables a field given by a flag or an environment variable (the next start
 * would undo a change), with the reason written beside it.
 */
function markFixed(input, fixed) {
  input.disabled = fixed;
  const label = input.closest('label');
  let note = label.nextElementSibling?.classList.contains('fixed-note') ? label.nextElementSibling : null;
  if (fixed && !note) {
    note = h('p', { class: 'hint fixed-note', id: `fixed-${input.name}` }, FIXED);
    label.after(note);
  }
  if (note) note.hidden = !fixed;
  setAttr(input, 'aria-describedby', fixed ? note.id : null);
}

function fill(form, config) {
  const fixed = config.commandLine ?? [];
  for (const key of FIELDS) {
    const input = form.elements[key];
    // A setting this server does not have is not offered.
    input.closest('label').hidden = !(key in config);
    writeInput(input, config[key]);
    markFixed(input, fixed.includes(key));
  }
  setText(document.getElementById('set-private-urls'), config.allowPrivateUrls
    ? 'Allowed (allowPrivateUrls in the config file)' : 'Refused (allowPrivateUrls in the config file allows them)');
  setText(document.getElementById('set-download-root'), config.downloadRoot ?? '');
  const schedule = config.altSpeedSchedule ?? {};
  form.elements.scheduleEnabled.checked = Boolean(schedule.enabled);
  form.elements.scheduleFrom.value = schedule.from ?? '';
  form.elements.scheduleTo.value = schedule.to ?? '';
  for (const d of DAYS) form.elements[`day-${d}`].checked = (schedule.days ?? []).includes(d);
  fillLists(config);
}

function statusText(config) {
  const pending = config.pendingRestart ?? [];
  const restart = pending.length ? `Restart the server to apply: ${pending.map((k) => NAMES[k] ?? k).join(', ')}.` : '';
  return [savedNote, restart].filter(Boolean).join(' ');
}

function renderAltSpeed(config) {
  const button = document.getElementById('alt-speed');
  const on = Boolean(config.altSpeed);
  button.setAttribute('aria-pressed', String(on));
  const limit = (v) => (v ? rate(v) : 'unlimited');
  button.title = `Alternative speed limits ${on ? 'on' : 'off'}: ↓ ${limit(config.altDownloadLimit)} ↑ ${limit(config.altUploadLimit)}`
    + (config.altSpeedSchedule?.enabled ? ` (scheduled ${config.altSpeedSchedule.from}–${config.altSpeedSchedule.to})` : '');
}

/** Updates the panel and the toggle from the live state (the panel not while it is edited). */
export function renderSettings(state) {
  current = state.config;
  if (!current) return;
  renderAltSpeed(current);
  renderEventPrograms(current);
  const form = document.getElementById('settings-form');
  if (!editing) {
    fill(form, current);
    setText(document.getElementById('settings-status'), statusText(current));
  }
}

/** Wires the panel and the toggle. */
export function setupSettings() {
  const panel = document.getElementById('settings');
  const toggle = document.getElementById('settings-toggle');
  const form = document.getElementById('settings-form');
  const status = document.getElementById('settings-status');
  const show = (open) => {
    panel.hidden = !open;
    toggle.setAttribute('aria-expanded', String(open));
    if (open) {
      editing = false;
      resetLists();
      if (current) fill(form, current);
      resetCategorySettings();
      loadCategories();
      loadWebhookStatus();
      openSettingsNav();
      focusSection();
    }
    watchEventRuns(open);
  };
  setupSettingsNav();
  toggle.addEventListener('click', () => show(panel.hidden));
  for (const id of ['settings-cancel', 'settings-close']) {
    document.getElementById(id).addEventListener('click', () => {
      show(false);
      toggle.focus();
    });
  }
  document.getElementById('settings-open-rss').addEventListener('click', () => {
    const rss = document.getElementById('rss');
    if (rss.hidden) document.getElementById('rss-toggle').click();
    rss.scrollIntoView({ block: 'start' });
  });
  const alt = document.getElementById('alt-speed');
  alt.addEventListener('click', async () => {
    if (!current) return;
    alt.disabled = true;
    try {
      current = await api('PATCH', 'api/v1/config', { altSpeed: !current.altSpeed });
      renderAltSpeed(current);
    } catch (error) {
      showMessage(error.message);
    } finally {
      alt.disabled = false;
    }
  });
  // An edit makes "Saved." stale: the status keeps only what waits for a restart.
  const edited = (where) => {
    editing = true;
    savedNote = '';
    markEdited(where);
    setText(status, current ? statusText(current) : '');
  };
  form.addEventListener('input', (event) => edited(event.target));
  setupLists({ onEdit: edited, saved: () => current });
  setupCategorySettings();
  setupEventRuns();
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!current) return;
    const change = {};
    for (const key of FIELDS) {
      const input = form.elements[key];
      if (input.disabled || !(key in current)) continue;
      const value = readInput(input);
      if (value !== current[key]) change[key] = value;
    }
    const schedule = readSchedule(form, current.altSpeedSchedule ?? {});
    if (!sameSchedule(schedule, current.altSpeedSchedule)) change.altSpeedSchedule = schedule;
    try {
      Object.assign(change, listChanges(current));
    } catch (error) {
      setText(status, error.message);
      return;
    }
    if (Object.keys(change).length === 0) {
      setText(status, 'Nothing to save.');
      return;
    }
    try {
      const config = await api('PATCH', 'api/v1/config', change);
      current = config;
      editing = false;
      fill(form, config);
      savedNote = 'Saved.';
      clearEdited();
      setText(status, statusText(config));
      if ('webhooks' in change) loadWebhookStatus();
    } catch (error) {
      setText(status, error.message);
      showMessage(error.message);
    }
  });
}
