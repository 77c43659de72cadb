// The Categories section of the settings panel: each category with its folder and
// seeding limits (saved with PUT api/v1/categories/{name}), Delete, and the form
// that adds one. Rows are keyed by name and kept while they are edited.

import { api } from './api.js';
import { h, setText } from './dom.js';
import { knownCategories, loadCategories, onCategories } from './organise.js';

const LIMITS = [
  ['seedRatioLimit', 'Ratio', '0.01'],
  ['seedTimeLimit', 'Seeding minutes', '1'],
  ['seedIdleLimit', 'Idle minutes', '1'],
];
const rowsByName = new Map();

/** The path of a category's resource (its name may hold `/`, sent as %2F). */
export function categoryPath(name) {
  return `api/v1/categories/${encodeURIComponent(name)}`;
}

/** The PUT body of a category form: empty fields take the defaults. */
function readForm(form) {
  const body = {};
  const savePath = form.elements.savePath.value.trim();
  if (savePath) body.savePath = savePath;
  for (const [key] of LIMITS) {
    const text = form.elements[key].value.trim();
    body[key] = text === '' ? null : Number(text);
  }
  return body;
}

function status(text) {
  setText(document.getElementById('categories-status'), text);
}

async function save(name, form, button) {
  button.disabled = true;
  try {
    await api('PUT', categoryPath(name), readForm(form));
    status(`Saved ${name}.`);
    return true;
  } catch (error) {
    status(`${name}: ${error.message}`);
    return false;
  } finally {
    button.disabled = false;
  }
}

async function remove(name, button) {
  if (!window.confirm(`Delete the category ${name}? Its torrents keep their data and lose the category.`)) return;
  button.disabled = true;
  try {
    await api('DELETE', categoryPath(name));
    status(`Deleted ${name}.`);
    await loadCategories();
  } catch (error) {
    status(`${name}: ${error.message}`);
    button.disabled = false;
  }
}

function createRow(category) {
  const row = { dirty: false };
  const saveButton = h('button', { type: 'submit', class: 'small' }, 'Save');
  const deleteButton = h('button', {
    type: 'button', class: 'small danger', 'aria-label': `Delete the category ${category.name}`,
    onclick: () => remove(category.name, deleteButton),
  }, 'Delete');
  row.form = h('form', {
    class: 'category-row',
    'aria-label': `Category ${category.name}`,
    onsubmit: async (event) => {
      event.preventDefault();
      if (await save(category.name, row.form, saveButton)) {
        row.dirty = false;
        await loadCategories();
      }
    },
    oninput: () => { row.dirty = true; },
  },
  h('span', { class: 'category-name' }, category.name),
  h('label', {}, 'Folder', h('input', { name: 'savePath', type: 'text', spellcheck: 'false', placeholder: category.name })),
  ...LIMITS.map(([key, label, step]) => h('label', {}, label,
    h('input', { name: key, type: 'number', min: '-1', step, placeholder: 'global' }))),
  saveButton, deleteButton);
  row.el = h('li', { 'data-name': category.name }, row.form);
  return row;
}

function fillRow(row, category) {
  if (row.dirty) return;
  const values = { savePath: category.savePath ?? '' };
  for (const [key] of LIMITS) values[key] = category[key] ?? '';
  for (const [key, value] of Object.entries(values)) {
    const input = row.form.elements[key];
    if (document.activeElement !== input && input.value !== String(value)) input.value = String(value);
  }
}

function render(categories) {
  const list = document.getElementById('category-rows');
  const seen = new Set();
  let previous = null;
  for (const category of categories) {
    seen.add(category.name);
    let row = rowsByName.get(category.name);
    if (!row) {
      row = createRow(category);
      rowsByName.set(category.name, row);
    }
    fillRow(row, category);
    const expected = previous ? previous.nextSibling : list.firstChild;
    if (expected !== row.el) list.insertBefore(row.el, expected);
    previous = row.el;
  }
  for (const [name, row] of rowsByName) {
    if (!seen.has(name)) {
      row.el.remove();
      rowsByName.delete(name);
    }
  }
  document.getElementById('categories-empty').hidden = categories.length > 0;
}

/** Forgets the edits of the rows (the panel was closed) and shows the categories again. */
export function resetCategorySettings() {
  for (const row of rowsByName.values()) row.dirty = false;
  render(knownCategories());
}

/** Wires the section to the known categories and the form that adds one. */
export function setupCategorySettings() {
  onCategories(render);
  const form = document.getElementById('category-new');
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const name = form.elements.namedItem('name').value.trim();
    if (!name) return;
    if (await save(name, form, form.querySelector('button[type="submit"]'))) {
      form.reset();
      await loadCategories();
    }
  });
  render(knownCategories());
}
