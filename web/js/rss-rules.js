// The download rules of the RSS panel: the list (api/v1/rss/rules, an object keyed
// by name), the editor (saved with PUT api/v1/rss/rules/{name}), Delete, "Apply to
// current articles", and the live preview: while the editor is changed, what the
// rule as written would take of the current articles (POST api/v1/rss/preview),
// and why it leaves the others. An invalid rule (a bad regex, episode filter…)
// shows the server's error in the preview area.

import { api } from './api.js';
import { h, setAttr, setText } from './dom.js';
import { date } from './format.js';
import { knownCategories, onCategories, parseTags, tagSuggestions } from './organise.js';

const DEBOUNCE = 300;

let rules = {};
let feeds = [];
/** The saved rule the editor shows (its name), or null for a new rule. */
let editing = null;
let previewTimer = null;
let previewSerial = 0;
let previewPending = false;
/** What the preview area shows: the JSON of the answer, or the error. */
let shownPreview = '';
let changed = () => {};
const ruleRows = new Map();

/** The name a feed is shown by. */
export function feedName(feed) {
  return feed?.name || feed?.title || feed?.url || `Feed ${feed?.id}`;
}

/** The path of a rule's resource (its name may hold `/` or `?`, sent escaped). */
export function rulePath(name, ...rest) {
  return ['api/v1/rss/rules', encodeURIComponent(name), ...rest].join('/');
}

/** A rule with every field the API knows, in a fixed order, without `lastMatch`. */
export function normalRule(rule = {}) {
  return {
    enabled: rule.enabled ?? true,
    feeds: [...(rule.feeds ?? [])].map(Number).sort((a, b) => a - b),
    mustContain: rule.mustContain ?? '',
    mustNotContain: rule.mustNotContain ?? '',
    useRegex: Boolean(rule.useRegex),
    episodeFilter: rule.episodeFilter ?? '',
    smartFilter: Boolean(rule.smartFilter),
    ignoreDays: Number(rule.ignoreDays ?? 0),
    category: rule.category || null,
    savePath: rule.savePath || null,
    tags: [...(rule.tags ?? [])],
    paused: Boolean(rule.paused),
  };
}

/** One line about a rule for the list: its words, feeds, category, last match. */
export function ruleSummary(rule, feedList = []) {
  const parts = [];
  if (rule.mustContain) parts.push(`must contain ${rule.useRegex ? '/' : '“'}${rule.mustContain}${rule.useRegex ? '/' : '”'}`);
  if (rule.mustNotContain) parts.push(`not ${rule.useRegex ? '/' : '“'}${rule.mustNotContain}${rule.useRegex ? '/' : '”'}`);
  if (rule.episodeFilter) parts.push(`episodes ${rule.episodeFilter}`);
  if (rule.smartFilter) parts.push('each episode once');
  const names = (rule.feeds ?? []).map((id) => feedName(feedList.find((f) => f.id === id) ?? { id }));
  parts.push(names.length ? `feeds: ${names.join(', ')}` : 'all feeds');
  if (rule.category) parts.push(`category ${rule.category}`);
  parts.push(rule.lastMatch ? `last took ${date(rule.lastMatch)}` : 'took nothing yet');
  return parts.join(' · ');
}

/** Fills a category `select` with "none" and the categories (keeping a value not among them). */
export function categoryOptions(select, categories, keep) {
  const value = keep ?? select.value;
  const names = categories.map((c) => c.name);
  if (value && !names.includes(value)) names.push(value);
  select.replaceChildren(h('option', { value: '' }, select.dataset.none ?? 'none'),
    ...names.map((name) => h('option', { value: name }, name)));
  select.value = value;
}

function form() {
  return document.getElementById('rss-rule-form');
}

function ruleStatus(text, kind) {
  const status = document.getElementById('rss-rule-status');
  setText(status, text);
  status.classList.toggle('error', kind === 'error');
  status.classList.toggle('ok', kind === 'ok');
}

// The list.

function createRuleRow(name) {
  const row = { name };
  row.button = h('button', { type: 'button', class: 'rss-rule-name', onclick: () => openEditor(name) }, name);
  row.badge = h('span', { class: 'badge rss-rule-state' });
  row.summary = h('p', { class: 'hint rss-rule-summary' });
  row.el = h('li', { class: 'rss-rule', 'data-name': name }, h('div', { class: 'head' }, row.button, row.badge), row.summary);
  return row;
}

function renderRules() {
  const list = document.getElementById('rss-rules');
  const names = Object.keys(rules).sort((a, b) => a.localeCompare(b));
  let previous = null;
  for (const name of names) {
    const rule = rules[name];
    let row = ruleRows.get(name);
    if (!row) {
      row = createRuleRow(name);
      ruleRows.set(name, row);
    }
    row.el.dataset.enabled = String(rule.enabled !== false);
    setText(row.badge, rule.enabled === false ? 'Off' : 'On');
    setText(row.summary, ruleSummary(rule, feeds));
    row.el.classList.toggle('picked', editing === name);
    setAttr(row.button, 'aria-current', editing === name ? 'true' : null);
    const expected = previous ? previous.nextSibling : list.firstChild;
    if (expected !== row.el) list.insertBefore(row.el, expected);
    previous = row.el;
  }
  for (const [name, row] of ruleRows) {
    if (!(name in rules)) {
      row.el.remove();
      ruleRows.delete(name);
    }
  }
  document.getElementById('rss-rules-empty').hidden = names.length > 0;
  setText(document.getElementById('rss-rule-count'), names.length ? `(${names.length})` : '');
}

/** Loads the rules again (the editor keeps its edits). */
export async function loadRules() {
  try {
    const answer = await api('GET', 'api/v1/rss/rules');
    rules = answer && typeof answer === 'object' && !Array.isArray(answer) ? answer : {};
  } catch (error) {
    setText(document.getElementById('rss-rules-empty'), `Cannot list the rules: ${error.message}`);
    document.getElementById('rss-rules-empty').hidden = false;
    return;
  }
  setText(document.getElementById('rss-rules-empty'), 'No rules yet.');
  renderRules();
  showEditorButtons();
}

// The editor.

function feedBoxes() {
  return [...document.querySelectorAll('#rss-rule-feeds input[type="checkbox"]')];
}

/** Ticks the feeds of `ids` (others unticked); ids of feeds that are gone are shown too. */
function fillFeedBoxes(ids) {
  const box = document.getElementById('rss-rule-feeds');
  const wanted = new Set(ids);
  const entries = feeds.map((f) => [f.id, feedName(f)]);
  for (const id of wanted) if (!feeds.some((f) => f.id === id)) entries.push([id, `Feed ${id} (deleted)`]);
  box.dataset.signature = JSON.stringify(entries);
  box.replaceChildren(...entries.map(([id, name]) => h('label', { class: 'check' },
    h('input', { type: 'checkbox', value: id, checked: wanted.has(id) }), ` ${name}`)));
  if (entries.length === 0) box.append(h('span', { class: 'hint' }, 'No feeds yet.'));
}

/** Shows the feeds as checkboxes in the editor, keeping what is ticked. */
export function renderRuleFeeds(list) {
  feeds = list;
  const ticked = feedBoxes().filter((c) => c.checked).map((c) => Number(c.value));
  const entries = feeds.map((f) => [f.id, feedName(f)]);
  for (const id of ticked) if (!feeds.some((f) => f.id === id)) entries.push([id, `Feed ${id} (deleted)`]);
  if (document.getElementById('rss-rule-feeds').dataset.signature !== JSON.stringify(entries)) fillFeedBoxes(ticked);
  renderRules();
}

/** The rule as the editor holds it. */
export function readRule() {
  const e = form().elements;
  const days = Math.floor(Number(e.ignoreDays.value));
  return normalRule({
    enabled: e.enabled.checked,
    feeds: feedBoxes().filter((c) => c.checked).map((c) => Number(c.value)),
    mustContain: e.mustContain.value,
    mustNotContain: e.mustNotContain.value,
    useRegex: e.useRegex.checked,
    episodeFilter: e.episodeFilter.value.trim(),
    smartFilter: e.smartFilter.checked,
    ignoreDays: Number.isFinite(days) && days > 0 ? days : 0,
    category: e.category.value,
    savePath: e.savePath.value.trim(),
    tags: parseTags(e.tags.value),
    paused: e.paused.checked,
  });
}

function fillEditor(rule) {
  const e = form().elements;
  const r = normalRule(rule);
  e.enabled.checked = r.enabled;
  fillFeedBoxes(r.feeds);
  e.mustContain.value = r.mustContain;
  e.mustNotContain.value = r.mustNotContain;
  e.useRegex.checked = r.useRegex;
  e.episodeFilter.value = r.episodeFilter;
  e.smartFilter.checked = r.smartFilter;
  e.ignoreDays.value = String(r.ignoreDays);
  categoryOptions(e.category, knownCategories(), r.category ?? '');
  e.savePath.value = r.savePath ?? '';
  e.tags.value = r.tags.join(', ');
  e.paused.checked = r.paused;
}

/** Whether the editor differs from the saved rule it shows (always, for a new rule). */
function edited() {
  if (editing === null || !(editing in rules)) return true;
  return JSON.stringify(readRule()) !== JSON.stringify(normalRule(rules[editing]));
}

function showEditorButtons() {
  const saved = editing !== null && editing in rules;
  document.getElementById('rss-rule-apply').hidden = !saved;
  document.getElementById('rss-rule-delete').hidden = !saved;
}

/** Opens the editor on the saved rule `name`, or on a new rule (null). */
function openEditor(name) {
  editing = name;
  const f = form();
  f.hidden = false;
  document.getElementById('rss-preview').hidden = false;
  const nameInput = f.elements.namedItem('name');
  nameInput.value = name ?? '';
  nameInput.readOnly = name !== null;
  setText(document.getElementById('rss-rule-title'), name === null ? 'New rule' : `Rule “${name}”`);
  fillEditor(name === null ? {} : rules[name]);
  ruleStatus('');
  showEditorButtons();
  renderRules();
  schedulePreview(0);
  (name === null ? nameInput : f.elements.mustContain).focus();
}

function closeEditor() {
  editing = null;
  clearTimeout(previewTimer);
  previewSerial += 1;
  previewPending = false;
  form().hidden = true;
  document.getElementById('rss-preview').hidden = true;
  renderRules();
}

async function saveRule(button) {
  const name = form().elements.namedItem('name').value.trim();
  if (!name) {
    ruleStatus('Give the rule a name.', 'error');
    return;
  }
  if (editing !== name && name in rules && !window.confirm(`A rule named “${name}” exists. Replace it?`)) return;
  button.disabled = true;
  try {
    const saved = await api('PUT', rulePath(name), readRule());
    rules = { ...rules, [name]: saved ?? readRule() };
    editing = name;
    const nameInput = form().elements.namedItem('name');
    nameInput.value = name;
    nameInput.readOnly = true;
    setText(document.getElementById('rss-rule-title'), `Rule “${name}”`);
    ruleStatus('Saved.', 'ok');
    showEditorButtons();
    renderRules();
    schedulePreview(0);
    changed();
  } catch (error) {
    ruleStatus(error.message, 'error');
  } finally {
    button.disabled = false;
  }
}

async function deleteRule(button) {
  const name = editing;
  if (name === null || !window.confirm(`Delete the rule “${name}”? Torrents it added stay.`)) return;
  button.disabled = true;
  try {
    await api('DELETE', rulePath(name));
    const rest = { ...rules };
    delete rest[name];
    rules = rest;
    closeEditor();
    changed();
  } catch (error) {
    ruleStatus(error.message, 'error');
  } finally {
    button.disabled = false;
  }
}

async function applyRule(button) {
  const name = editing;
  if (name === null) return;
  if (edited()) {
    ruleStatus('Save the rule first: Apply runs the saved rule.', 'error');
    return;
  }
  if (!window.confirm(`Apply “${name}” to the current articles now? It may download articles the rule passed over before (older ones, or ones it left while it was different).`)) return;
  button.disabled = true;
  ruleStatus('Applying…');
  try {
    const answer = await api('POST', rulePath(name, 'apply'));
    const taken = answer?.taken ?? [];
    ruleStatus(taken.length
      ? `Took ${taken.length} article${taken.length === 1 ? '' : 's'}: ${taken.map((t) => t.title).join(', ')}`
      : 'Took nothing: no current article passes the rule.', 'ok');
    changed();
    schedulePreview(0);
  } catch (error) {
    ruleStatus(error.message, 'error');
  } finally {
    button.disabled = false;
  }
}

// The preview.

function previewItem(item, manyFeeds) {
  const feed = feeds.find((f) => f.id === item.feedId);
  const details = [];
  if (manyFeeds) details.push(feedName(feed ?? { id: item.feedId }));
  if (item.episode) details.push(`episode ${item.episode}`);
  return h('li', {
    class: `rss-preview-item ${item.take ? 'take' : 'leave'}`,
    'data-take': String(Boolean(item.take)),
    'data-feed': item.feedId,
    'data-article': item.articleId,
  },
  h('span', { class: 'badge' }, item.take ? 'Takes' : 'Leaves'),
  h('span', { class: 'name' }, item.title || '(no title)'),
  details.length ? h('span', { class: 'hint rss-preview-detail' }, details.join(' · ')) : null,
  !item.take && item.reason ? h('span', { class: 'rss-preview-reason' }, item.reason) : null);
}

async function runPreview() {
  previewPending = false;
  const serial = ++previewSerial;
  const status = document.getElementById('rss-preview-status');
  const list = document.getElementById('rss-preview-list');
  const body = { rule: readRule() };
  if (editing !== null && editing in rules) body.name = editing;
  list.setAttribute('aria-busy', 'true');
  let answer = null;
  let failure = null;
  try {
    answer = (await api('POST', 'api/v1/rss/preview', body)) ?? [];
  } catch (error) {
    failure = error.message;
  }
  if (serial !== previewSerial) return;
  list.removeAttribute('aria-busy');
  // The same answer again (a reload while nothing changed) leaves the list as it is.
  const signature = failure === null ? JSON.stringify(answer) : `error:${failure}`;
  if (signature === shownPreview) return;
  shownPreview = signature;
  if (failure !== null) {
    list.replaceChildren();
    status.classList.add('error');
    setText(status, failure);
    return;
  }
  status.classList.remove('error');
  const manyFeeds = new Set(answer.map((i) => i.feedId)).size > 1;
  list.replaceChildren(...answer.map((item) => previewItem(item, manyFeeds)));
  const takes = answer.filter((i) => i.take).length;
  setText(status, answer.length
    ? `Would take ${takes} of ${answer.length} article${answer.length === 1 ? '' : 's'}.`
    : 'No articles to judge yet.');
}

/** Runs the preview `delay` ms after the last change. */
function schedulePreview(delay = DEBOUNCE) {
  clearTimeout(previewTimer);
  // An answer to an older version of the rule is dropped.
  previewSerial += 1;
  previewPending = true;
  previewTimer = setTimeout(runPreview, delay);
}

/**
 * Runs the preview again for the rule being edited (the articles and their
 * statuses change in the background), unless a run is already scheduled.
 */
export function refreshPreview() {
  if (form().hidden || previewPending) return;
  runPreview();
}

/** Wires the editor; `options.changed()` is called after a rule was saved, applied or deleted. */
export function setupRules(options) {
  changed = options.changed ?? changed;
  const f = form();
  const tags = f.elements.tags;
  tags.after(tagSuggestions(tags));
  onCategories((categories) => categoryOptions(f.elements.category, categories));
  categoryOptions(f.elements.category, knownCategories(), '');
  const onEdit = () => {
    const status = document.getElementById('rss-rule-status');
    if (status.classList.contains('ok')) ruleStatus('');
    schedulePreview();
  };
  f.addEventListener('input', onEdit);
  f.addEventListener('change', onEdit);
  f.addEventListener('submit', (event) => {
    event.preventDefault();
    saveRule(f.querySelector('button[type="submit"]'));
  });
  document.getElementById('rss-rule-new').addEventListener('click', () => openEditor(null));
  document.getElementById('rss-rule-delete').addEventListener('click', (e) => deleteRule(e.currentTarget));
  document.getElementById('rss-rule-apply').addEventListener('click', (e) => applyRule(e.currentTarget));
  document.getElementById('rss-rule-close').addEventListener('click', closeEditor);
}
