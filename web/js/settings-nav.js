// The sections of the settings panel: on wide screens a row of tabs at the top
// shows one section at a time; on phones each section is a heading that opens
// and closes it, several open at once. The sections in the settings form are
// saved together by its Save button (a tab says when it holds unsaved edits); the
// others (categories, event programs, and any placed after the form) save on
// their own, so the form and its buttons show only with a section of the form.

import { h, setAttr } from './dom.js';

const PHONE = '(max-width: 640px)';
let media = null;
let current = 'general';
const expanded = new Set(['general']);
// element -> {key, el, body, tab, toggle, inForm, mark}
const sections = new Map();

const panel = () => document.getElementById('settings');
const form = () => document.getElementById('settings-form');
const phone = () => Boolean(media?.matches);

/** Gives a section placed beside the form by another module the structure of the others. */
function adopt(el) {
  el.classList.add('settings-group');
  if (!el.dataset.section) el.dataset.section = el.id || `section-${sections.size}`;
  let heading = el.querySelector(':scope > h3');
  if (!heading) {
    heading = h('h3', { id: `${el.id || el.dataset.section}-h` }, el.getAttribute('aria-label') ?? el.dataset.section);
    el.prepend(heading);
  }
  heading.classList.add('settings-group-h');
  if (!el.querySelector(':scope > .settings-group-body')) {
    const body = h('div', { class: 'settings-group-body' });
    body.append(...[...el.childNodes].filter((n) => n !== heading));
    el.append(body);
  }
}

function entry(el) {
  const heading = el.querySelector(':scope > .settings-group-h');
  const body = el.querySelector(':scope > .settings-group-body');
  const key = el.dataset.section;
  const label = heading.textContent.trim();
  if (!heading.id) heading.id = `${el.id}-h`;
  if (!body.id) body.id = `${el.id}-body`;
  const mark = h('span', { class: 'unsaved', hidden: true }, h('span', { 'aria-hidden': 'true' }, ' •'),
    h('span', { class: 'visually-hidden' }, ' (not saved)'));
  const tab = h('button', {
    type: 'button', role: 'tab', id: `settings-tab-${key}`, 'aria-controls': el.id, 'data-section': key,
    onclick: () => showSection(key, true),
  }, label, mark);
  const toggle = h('button', {
    type: 'button', class: 'settings-group-toggle', 'aria-controls': body.id,
    onclick: () => {
      if (expanded.has(key)) expanded.delete(key);
      else expanded.add(key);
      current = key;
      render();
    },
  }, h('span', { class: 'chevron', 'aria-hidden': 'true' }), label);
  heading.replaceChildren(toggle);
  return { key, el, body, tab, toggle, mark, inForm: form().contains(el) };
}

/** Finds the sections (again: another module may have added one) and makes their tabs. */
function discover() {
  const found = [...panel().querySelectorAll(':scope > form > section, :scope > section.settings-section')];
  let added = false;
  for (const el of found) {
    if (sections.has(el)) continue;
    adopt(el);
    sections.set(el, entry(el));
    added = true;
  }
  if (added) {
    // The tabs in the order the sections come in.
    const ordered = [...sections.values()].sort((a, b) => (a.el.compareDocumentPosition(b.el) & Node.DOCUMENT_POSITION_FOLLOWING ? -1 : 1));
    document.getElementById('settings-nav').replaceChildren(...ordered.map((s) => s.tab));
  }
}

function render() {
  const narrow = phone();
  panel().classList.toggle('tabbed', !narrow);
  document.getElementById('settings-nav').hidden = narrow;
  let shown = null;
  for (const s of sections.values()) {
    const selected = s.key === current;
    if (selected) shown = s;
    setAttr(s.tab, 'aria-selected', String(selected));
    setAttr(s.tab, 'tabindex', selected ? '0' : '-1');
    if (narrow) {
      s.el.hidden = false;
      s.el.removeAttribute('role');
      setAttr(s.el, 'aria-labelledby', s.toggle.parentElement.id);
      s.body.hidden = !expanded.has(s.key);
      setAttr(s.toggle, 'aria-expanded', String(expanded.has(s.key)));
    } else {
      s.el.hidden = !selected;
      s.el.setAttribute('role', 'tabpanel');
      setAttr(s.el, 'aria-labelledby', s.tab.id);
      s.body.hidden = false;
    }
  }
  // The form's buttons belong to its sections: hidden with a section saved on its own.
  form().hidden = !narrow && shown !== null && !shown.inForm;
}

/** Shows section `key`: its tab on a wide screen, opened on a phone; `focusTab` keeps the focus on its tab. */
export function showSection(key, focusTab = false) {
  discover();
  const s = [...sections.values()].find((x) => x.key === key);
  if (!s) return;
  current = key;
  expanded.add(key);
  render();
  if (focusTab && !phone()) s.tab.focus();
}

/** The panel opens: sections found again, no edit marked, the section shown last shown again. */
export function openSettingsNav() {
  discover();
  clearEdited();
  expanded.add(current);
  render();
}

/** Focuses the first field of the section shown (its tab when it has none). */
export function focusSection() {
  const s = [...sections.values()].find((x) => x.key === current);
  if (!s) return;
  const field = s.body.querySelector('input:enabled, select:enabled, textarea:enabled');
  if (field) field.focus();
  else if (phone()) s.toggle.focus();
  else s.tab.focus();
}

/** Marks the section holding `el` as edited and not saved. */
export function markEdited(el) {
  const section = el instanceof Element ? el.closest('[data-section]') : null;
  const s = section ? sections.get(section) : null;
  if (s?.inForm) s.mark.hidden = false;
}

/** Forgets the edit marks (after a save, or on opening). */
export function clearEdited() {
  for (const s of sections.values()) s.mark.hidden = true;
}

/** Wires the tabs' keys (arrows, Home, End) and the switch between tabs and headings. */
export function setupSettingsNav() {
  media = window.matchMedia(PHONE);
  media.addEventListener('change', render);
  const nav = document.getElementById('settings-nav');
  nav.addEventListener('keydown', (event) => {
    const tabs = [...nav.querySelectorAll('[role="tab"]')];
    const at = tabs.indexOf(document.activeElement);
    const moves = { ArrowRight: at + 1, ArrowLeft: at - 1, ArrowDown: at + 1, ArrowUp: at - 1, Home: 0, End: tabs.length - 1 };
    if (at < 0 || !(event.key in moves)) return;
    event.preventDefault();
    const next = tabs[(moves[event.key] + tabs.length) % tabs.length];
    showSection(next.dataset.section, true);
  });
  discover();
  render();
}
