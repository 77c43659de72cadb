// The event programs in the settings panel: the configured ones, read-only (they
// are set only in the config file or by flag), and the log of their recent runs
// (api/v1/event-runs), reloaded every few seconds while the panel is open. Each
// run's output shows on expand.

import { api } from './api.js';
import { h, setText } from './dom.js';
import { date, duration } from './format.js';

const EVENTS = { added: 'Added', finished: 'Finished', seedingDone: 'Seeding done', removed: 'Removed', error: 'Error' };
const POLL = 5000;

const rowsById = new Map();
let timer = null;
let loading = false;

/** An argument list as one line: arguments with spaces or quotes are quoted. */
export function argvText(argv) {
  return (argv ?? []).map((arg) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : JSON.stringify(arg))).join(' ');
}

/** How a run ended, for people, and whether it went well. */
export function runResult(run) {
  if (run.error) return { text: `Could not start: ${run.error}`, ok: false };
  if (run.timedOut) return { text: `Timed out${run.signal ? ` (${run.signal})` : ''}`, ok: false };
  if (!run.startedAt) return { text: 'Waiting', ok: null };
  if (!run.finishedAt) return { text: 'Running', ok: null };
  if (run.signal) return { text: `Killed by ${run.signal}`, ok: false };
  if (run.exitCode === 0) return { text: 'Exit 0', ok: true };
  return { text: `Exit ${run.exitCode}`, ok: false };
}

function runDuration(run) {
  if (run.durationMs === null || run.durationMs === undefined) return '';
  return run.durationMs < 1000 ? `${run.durationMs} ms` : duration(run.durationMs / 1000);
}

/** Lists the configured programs of `config.eventPrograms`. */
export function renderEventPrograms(config) {
  const programs = config.eventPrograms ?? [];
  const list = document.getElementById('event-programs');
  const signature = JSON.stringify(programs);
  if (list.dataset.signature === signature) return;
  list.dataset.signature = signature;
  list.replaceChildren(...(programs.length
    ? programs.map((p) => h('li', { class: 'event-program' },
      h('span', { class: 'event-name' }, `On ${EVENTS[p.event] ?? p.event}: `),
      h('code', {}, argvText(p.argv)),
      h('span', { class: 'hint' }, ` (time limit ${duration(p.timeoutSeconds)})`)))
    : [h('li', { class: 'hint' }, 'None configured.')]));
}

function runRow(run) {
  const result = runResult(run);
  const output = run.output
    ? h('details', { class: 'run-output' },
      h('summary', {}, run.outputTruncated ? 'Output (its end)' : 'Output'),
      h('pre', {}, run.output))
    : h('span', { class: 'hint' }, ' · no output');
  return h('tr', { class: `run ${result.ok === false ? 'failed' : result.ok ? 'ok' : 'pending'}`, 'data-id': run.id },
    h('td', { 'data-label': 'Event' }, EVENTS[run.event] ?? run.event),
    h('td', { class: 'run-name', 'data-label': 'Torrent' }, run.name ?? run.infoHash ?? ''),
    h('td', { class: 'run-program', 'data-label': 'Program' }, h('code', {}, argvText(run.argv))),
    h('td', { 'data-label': 'Started' }, date(run.startedAt ?? run.queuedAt)),
    h('td', { class: 'num', 'data-label': 'Duration' }, runDuration(run)),
    h('td', { class: 'run-result', 'data-label': 'Result' }, h('span', { class: 'result-text' }, result.text), output));
}

function renderRuns(runs) {
  const body = document.getElementById('event-runs-body');
  const seen = new Set();
  let previous = null;
  for (const run of runs) {
    seen.add(run.id);
    const signature = JSON.stringify(run);
    let entry = rowsById.get(run.id);
    if (!entry || entry.signature !== signature) {
      const row = runRow(run);
      // An expanded output stays expanded when its run is updated.
      if (entry?.row.querySelector('details')?.open) row.querySelector('details')?.setAttribute('open', '');
      entry?.row.remove();
      entry = { row, signature };
      rowsById.set(run.id, entry);
    }
    const expected = previous ? previous.nextSibling : body.firstChild;
    if (expected !== entry.row) body.insertBefore(entry.row, expected);
    previous = entry.row;
  }
  for (const [id, entry] of rowsById) {
    if (!seen.has(id)) {
      entry.row.remove();
      rowsById.delete(id);
    }
  }
  document.getElementById('event-runs').hidden = runs.length === 0;
}

/** Loads the recent runs (api/v1/event-runs) into the table. */
export async function loadEventRuns() {
  if (loading) return;
  loading = true;
  const status = document.getElementById('event-runs-status');
  try {
    const runs = (await api('GET', 'api/v1/event-runs')) ?? [];
    renderRuns(runs);
    setText(status, runs.length ? `The last ${runs.length} run${runs.length === 1 ? '' : 's'}, newest first.` : 'No runs yet.');
  } catch (error) {
    setText(status, `Cannot list the runs: ${error.message}`);
  } finally {
    loading = false;
  }
}

/** Reloads the runs now and every few seconds while `open`; stops otherwise. */
export function watchEventRuns(open) {
  clearInterval(timer);
  timer = null;
  if (!open) return;
  loadEventRuns();
  timer = setInterval(loadEventRuns, POLL);
}

/** Wires Refresh. */
export function setupEventRuns() {
  document.getElementById('event-runs-refresh').addEventListener('click', loadEventRuns);
}
