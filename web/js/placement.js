// Where a torrent belongs: the category and tag chips on its card, and in its
// details the form that changes the name it is shown by, its category, tags and
// save path (a new category or save path moves its data: the torrent is `moving`
// meanwhile), with where its data is now and why the last move failed.

import { api, torrentPath } from './api.js';
import { h, setAttr, setText } from './dom.js';
import { parseTags, sameTags, tagSuggestions } from './organise.js';

/** A save or content path for people: "" is the download folder itself. */
export function placeText(path) {
  return path ? path : 'the download folder';
}

/** The chips of a card's head: its category, then its tags. */
export function placementChips(card) {
  card.chips = h('span', { class: 'chips' });
  return card.chips;
}

/** The placement form of a card's details. */
export function placementForm(card) {
  const name = h('input', { name: 'name', type: 'text', spellcheck: 'false', maxlength: '1024', placeholder: 'its own name' });
  const category = h('input', { name: 'category', type: 'text', list: 'category-list', spellcheck: 'false', placeholder: 'none' });
  const tags = h('input', { name: 'tags', type: 'text', spellcheck: 'false', placeholder: 'comma-separated' });
  const savePath = h('input', { name: 'savePath', type: 'text', spellcheck: 'false', placeholder: 'the download folder' });
  const save = h('button', { type: 'submit' }, 'Save');
  const where = h('p', { class: 'where hint' });
  const note = h('p', { class: 'hint place-note', 'aria-live': 'polite' });
  const error = h('p', { class: 'error place-error', role: 'alert', hidden: true });
  const moveError = h('p', { class: 'error move-error', hidden: true });
  const form = h('form', {
    class: 'placement',
    'aria-label': 'Name, category, tags and save path',
    onsubmit: (event) => {
      event.preventDefault();
      submit(card);
    },
    oninput: () => {
      card.place.dirty = true;
      error.hidden = true;
      setText(note, '');
    },
  },
  h('label', {}, 'Name', name),
  h('label', {}, 'Category', category),
  h('label', {}, 'Tags', tags, tagSuggestions(tags)),
  h('label', {}, 'Save path', savePath),
  save,
  h('p', { class: 'hint place-help' }, 'A new category or save path moves the data there; a new name leaves the files as they are.'),
  where, note, error, moveError);
  card.place = { form, name, category, tags, savePath, save, where, note, error, moveError, dirty: false };
  return form;
}

/** What the form asks to change, compared with torrent `t`. */
function changes(place, t) {
  const change = {};
  // Emptied: its own name again.
  const name = place.name.value.trim();
  if (name !== (t.name ?? '')) change.name = name === '' ? null : name;
  const category = place.category.value.trim();
  if (category !== (t.category ?? '')) change.category = category === '' ? null : category;
  const tags = parseTags(place.tags.value);
  if (!sameTags(tags, t.tags)) change.tags = tags;
  const savePath = place.savePath.value.trim();
  if (savePath !== (t.savePath ?? '')) change.savePath = savePath;
  return change;
}

async function submit(card) {
  const { place } = card;
  const change = changes(place, card.torrent);
  if (Object.keys(change).length === 0) {
    setText(place.note, 'Nothing to change.');
    return;
  }
  place.save.disabled = true;
  place.error.hidden = true;
  try {
    const t = await api('PATCH', torrentPath(card.hash), change);
    place.dirty = false;
    // The answer is the torrent as changed (`moving` while its data moves); the
    // live state brings the rest.
    if (t && t.infoHash === card.hash) renderPlacement(card, t);
    if (t?.state !== 'moving') setText(place.note, 'Saved.');
  } catch (error) {
    const why = error.status === 409 ? `Its data cannot go there: ${error.message}` : error.message;
    setText(place.error, why);
    place.error.hidden = false;
  } finally {
    place.save.disabled = place.form.getAttribute('aria-busy') === 'true';
  }
}

function renderChips(card, t) {
  const signature = JSON.stringify([t.category ?? null, t.tags ?? []]);
  if (card.chips.dataset.signature === signature) return;
  card.chips.dataset.signature = signature;
  const chips = [];
  if (t.category) chips.push(h('span', { class: 'chip category', title: 'Category' }, t.category));
  for (const tag of t.tags ?? []) chips.push(h('span', { class: 'chip tag', title: 'Tag' }, tag));
  card.chips.replaceChildren(...chips);
}

/** Updates the chips and the form from torrent `t` (the inputs not while they are edited). */
export function renderPlacement(card, t) {
  renderChips(card, t);
  const { place } = card;
  if (!place.dirty) {
    for (const [input, value] of [[place.name, t.name ?? ''], [place.category, t.category ?? ''], [place.tags, (t.tags ?? []).join(', ')],
      [place.savePath, t.savePath ?? '']]) {
      if (document.activeElement !== input && input.value !== value) input.value = value;
    }
  }
  const moving = t.state === 'moving';
  place.save.disabled = moving;
  setAttr(place.form, 'aria-busy', moving ? 'true' : null);
  setText(place.where, `Saved in ${placeText(t.savePath)} · content: ${placeText(t.contentPath)}`);
  if (moving) setText(place.note, 'Moving its data…');
  else if (place.note.textContent === 'Moving its data…') setText(place.note, '');
  place.moveError.hidden = !t.moveError;
  setText(place.moveError, t.moveError ? `The last move failed: ${t.moveError}` : '');
}
