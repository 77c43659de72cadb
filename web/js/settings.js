// The settings panel: GET/PATCH api/v1/config through the live state.

import { api } from './api.js';
import { setText, showMessage } from './dom.js';

const FIELDS = ['title', 'seeding', 'autoStart', 'downloadDir', 'incomingPort', 'dht', 'upload'];
const NAMES = {
  downloadDir: 'download folder', incomingPort: 'incoming peer port', dht: 'DHT', upload: 'upload',
};
let current = null;
let editing = false;
// "Saved." after a save, shown until the next edit (live updates keep it).
let savedNote = '';

function fill(form, config) {
  const fixed = config.commandLine ?? [];
  for (const key of FIELDS) {
    const input = form.elements[key];
    if (input.type === 'checkbox') input.checked = Boolean(config[key]);
    else input.value = config[key] ?? '';
    // Given by a flag or environment variable: the next start would undo a change.
    input.disabled = fixed.includes(key);
    input.title = input.disabled ? 'Set on the command line or in the environment' : '';
  }
}

function statusText(config) {
  const pending = config.pendingRestart ?? [];
  const restart = pending.length ? `Restart the server to apply: ${pending.map((k) => NAMES[k] ?? k).join(', ')}.` : '';
  return [savedNote, restart].filter(Boolean).join(' ');
}

/** Updates the panel from the live state (unless the user is editing it). */
export function renderSettings(state) {
  current = state.config;
  if (!current) return;
  const form = document.getElementById('settings-form');
  if (!editing) {
    fill(form, current);
    setText(document.getElementById('settings-status'), statusText(current));
  }
}

/** Wires the panel. */
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
      if (current) fill(form, current);
      form.elements.title.focus();
    }
  };
  toggle.addEventListener('click', () => show(panel.hidden));
  document.getElementById('settings-cancel').addEventListener('click', () => {
    show(false);
    toggle.focus();
  });
  form.addEventListener('input', () => { editing = true; savedNote = ''; });
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!current) return;
    const change = {};
    for (const key of FIELDS) {
      const input = form.elements[key];
      if (input.disabled) continue;
      const value = input.type === 'checkbox' ? input.checked
        : input.type === 'number' ? Number(input.value) : input.value;
      if (value !== current[key]) change[key] = value;
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
      setText(status, statusText(config));
    } catch (error) {
      setText(status, error.message);
      showMessage(error.message);
    }
  });
}
