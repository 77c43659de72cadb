// The RSS panel: the feeds (api/v1/rss/feeds) with their status, Refresh, Edit and
// Delete, the form that adds one, and the articles of the feed picked, each with
// its status and a Download button. The rules and their editor are in
// rss-rules.js. While the panel is open the feeds and the picked feed's articles
// are reloaded every few seconds (every second while a fetch is under way): their
// statuses change in the background. Feed and article titles come from the
// feeds' owners: they only ever go through textContent and attributes.

import { api, request } from './api.js';
import { h, setAttr, setText } from './dom.js';
import { bytes, date } from './format.js';
import { knownCategories, loadCategories, onCategories } from './organise.js';
import {
  categoryOptions, feedName, loadRules, refreshPreview, renderRuleFeeds, setupRules,
} from './rss-rules.js';
import { safeHttpUrl } from './search.js';
import { showMessage } from './toast.js';
import { announceAdded } from './torrents.js';

const POLL = 3000;
const POLL_BUSY = 1000;
const FEED_STATUS = { never: 'Not fetched yet', fetching: 'Fetching…', ok: 'OK', error: 'Error' };
const ARTICLE_STATUS = {
  new: 'New', pending: 'Pending', downloaded: 'Downloaded', skipped: 'Skipped', failed: 'Failed',
};

let open = false;
let timer = null;
let loading = null;
let again = false;
let feeds = [];
/** The feed whose articles are shown (its id), or null. */
let picked = null;
const feedRows = new Map();
const articleRows = new Map();

/** The path of a feed's resource: feedPath(1, 'refresh'). */
export function feedPath(id, ...rest) {
  return ['api/v1/rss/feeds', encodeURIComponent(id), ...rest].join('/');
}

/** What a feed row says about its fetches: "Last fetched …", "every 30 min", failures. */
export function feedMeta(feed) {
  const parts = [];
  parts.push(feed.lastFetch ? `Last fetched ${date(feed.lastFetch)}` : 'Never fetched');
  parts.push(`${feed.articles ?? 0} article${feed.articles === 1 ? '' : 's'}`);
  parts.push(`every ${feed.refreshMinutes} min`);
  if (feed.failures > 0) parts.push(`${feed.failures} failed fetch${feed.failures === 1 ? '' : 'es'} in a row`);
  return parts;
}

/** An article's rule, reason and next attempt, as one line ("" when it has none). */
export function articleWhy(article) {
  const parts = [];
  if (article.rule) parts.push(`Rule “${article.rule}”`);
  if (article.reason) parts.push(article.reason);
  if (article.retryAt) parts.push(`next try ${date(article.retryAt)}`);
  return parts.join(' · ');
}

async function run(button, work) {
  if (button) button.disabled = true;
  try {
    return await work();
  } finally {
    if (button) button.disabled = false;
  }
}

// Feeds.

function feedEditForm(row) {
  const form = h('form', { class: 'rss-feed-edit', hidden: true, autocomplete: 'off' },
    h('label', {}, 'Name', h('input', { name: 'name', type: 'text', spellcheck: 'false', placeholder: "the feed's title" })),
    h('label', { class: 'wide' }, 'URL', h('input', { name: 'url', type: 'text', inputmode: 'url', spellcheck: 'false', required: true })),
    h('label', {}, 'Refresh (minutes)', h('input', { name: 'refreshMinutes', type: 'number', min: '5', max: '10080', step: '1', required: true })),
    h('div', { class: 'row' },
      h('button', { type: 'submit', class: 'small primary' }, 'Save'),
      h('button', { type: 'button', class: 'small', onclick: () => closeEdit(row) }, 'Cancel')));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const feed = row.feed;
    const change = {};
    const name = form.elements.name.value.trim();
    const url = form.elements.url.value.trim();
    const minutes = Number(form.elements.refreshMinutes.value);
    if (name !== (feed.name ?? '')) change.name = name;
    if (url !== feed.url) change.url = url;
    if (minutes !== feed.refreshMinutes) change.refreshMinutes = minutes;
    if (Object.keys(change).length === 0) {
      closeEdit(row);
      return;
    }
    try {
      const saved = await run(form.querySelector('button[type="submit"]'), () => api('PATCH', feedPath(feed.id), change));
      closeEdit(row);
      if (saved) replaceFeed(saved);
      refresh();
    } catch (error) {
      setText(row.note, error.message);
      row.note.hidden = false;
    }
  });
  return form;
}

function openEdit(row) {
  const { form, feed } = row;
  form.elements.name.value = feed.name ?? '';
  form.elements.url.value = feed.url ?? '';
  form.elements.refreshMinutes.value = String(feed.refreshMinutes ?? 30);
  row.editing = true;
  form.hidden = false;
  row.edit.setAttribute('aria-expanded', 'true');
  row.note.hidden = true;
  form.elements.name.focus();
}

function closeEdit(row) {
  row.editing = false;
  row.form.hidden = true;
  row.edit.setAttribute('aria-expanded', 'false');
  row.note.hidden = true;
  fillFeedRow(row, row.feed);
}

async function refreshFeed(row, button) {
  setText(row.status, FEED_STATUS.fetching);
  row.status.dataset.status = 'fetching';
  try {
    const feed = await run(button, () => api('POST', feedPath(row.feed.id, 'refresh')));
    if (feed) replaceFeed(feed);
  } catch (error) {
    showMessage(`${feedName(row.feed)}: ${error.message}`);
  }
  refresh();
}

async function deleteFeed(row, button) {
  const name = feedName(row.feed);
  if (!window.confirm(`Delete the feed “${name}”? Its articles are forgotten; torrents already added stay.`)) return;
  try {
    await run(button, () => api('DELETE', feedPath(row.feed.id)));
    if (picked === row.feed.id) pick(null);
    feeds = feeds.filter((f) => f.id !== row.feed.id);
    renderFeeds();
  } catch (error) {
    showMessage(`${name}: ${error.message}`);
  }
  refresh();
}

function createFeedRow(feed) {
  const row = { id: feed.id, feed, editing: false };
  row.name = h('button', {
    type: 'button', class: 'rss-feed-name', 'aria-pressed': 'false', title: 'Show its articles',
    onclick: () => pick(picked === row.id ? null : row.id),
  });
  row.status = h('span', { class: 'badge rss-status' });
  row.url = h('span', { class: 'rss-feed-url' });
  row.meta = h('div', { class: 'meta rss-feed-meta' });
  row.error = h('p', { class: 'error rss-feed-error', hidden: true });
  row.note = h('p', { class: 'error rss-feed-note', role: 'alert', hidden: true });
  row.edit = h('button', { type: 'button', class: 'small', 'aria-expanded': 'false', onclick: () => (row.editing ? closeEdit(row) : openEdit(row)) }, 'Edit');
  row.refresh = h('button', { type: 'button', class: 'small', onclick: (e) => refreshFeed(row, e.currentTarget) }, 'Refresh');
  row.remove = h('button', { type: 'button', class: 'small danger', onclick: (e) => deleteFeed(row, e.currentTarget) }, 'Delete');
  row.form = feedEditForm(row);
  row.el = h('li', { class: 'rss-feed', 'data-id': feed.id },
    h('div', { class: 'head' }, row.name, row.status),
    row.url, row.meta, row.error,
    h('div', { class: 'actions' }, row.refresh, row.edit, row.remove),
    row.form, row.note);
  return row;
}

function fillFeedRow(row, feed) {
  row.feed = feed;
  setText(row.name, feedName(feed));
  // Named after the feed, to tell them from the other feeds' buttons.
  setAttr(row.edit, 'aria-label', `Edit ${feedName(feed)}`);
  setAttr(row.refresh, 'aria-label', `Refresh ${feedName(feed)}`);
  setAttr(row.remove, 'aria-label', `Delete ${feedName(feed)}`);
  setAttr(row.name, 'aria-pressed', String(picked === feed.id));
  row.el.classList.toggle('picked', picked === feed.id);
  row.el.dataset.status = feed.status;
  row.status.dataset.status = feed.status;
  setText(row.status, FEED_STATUS[feed.status] ?? String(feed.status));
  setText(row.url, feed.url ?? '');
  const meta = feedMeta(feed);
  const spans = [...row.meta.children];
  if (spans.length !== meta.length) row.meta.replaceChildren(...meta.map((text) => h('span', {}, text)));
  else meta.forEach((text, i) => setText(spans[i], text));
  const error = feed.error ?? '';
  setText(row.error, error);
  row.error.hidden = error === '';
}

function renderFeeds() {
  const list = document.getElementById('rss-feeds');
  const seen = new Set();
  let previous = null;
  for (const feed of feeds) {
    seen.add(feed.id);
    let row = feedRows.get(feed.id);
    if (!row) {
      row = createFeedRow(feed);
      feedRows.set(feed.id, row);
    }
    fillFeedRow(row, feed);
    const expected = previous ? previous.nextSibling : list.firstChild;
    if (expected !== row.el) list.insertBefore(row.el, expected);
    previous = row.el;
  }
  for (const [id, row] of feedRows) {
    if (!seen.has(id)) {
      row.el.remove();
      feedRows.delete(id);
    }
  }
  document.getElementById('rss-feeds-empty').hidden = feeds.length > 0;
  setText(document.getElementById('rss-feed-count'), feeds.length ? `(${feeds.length})` : '');
  renderRuleFeeds(feeds);
  if (picked !== null) {
    const feed = feeds.find((f) => f.id === picked);
    if (feed) setText(document.getElementById('rss-articles-feed'), feedName(feed));
  }
}

function replaceFeed(feed) {
  const i = feeds.findIndex((f) => f.id === feed.id);
  if (i < 0) feeds = [...feeds, feed].sort((a, b) => a.id - b.id);
  else feeds = feeds.map((f) => (f.id === feed.id ? feed : f));
  renderFeeds();
}

async function loadFeeds() {
  const status = document.getElementById('rss-feeds-status');
  try {
    const list = await api('GET', 'api/v1/rss/feeds');
    feeds = Array.isArray(list) ? list : [];
    if (status.dataset.kind === 'load') {
      setText(status, '');
      delete status.dataset.kind;
    }
  } catch (error) {
    setText(status, `Cannot list the feeds: ${error.message}`);
    status.dataset.kind = 'load';
    return;
  }
  renderFeeds();
}

async function addFeed(form) {
  const status = document.getElementById('rss-feeds-status');
  const body = { url: form.elements.url.value.trim() };
  const name = form.elements.name.value.trim();
  if (name) body.name = name;
  const minutes = form.elements.refreshMinutes.value.trim();
  if (minutes !== '') body.refreshMinutes = Number(minutes);
  delete status.dataset.kind;
  try {
    const sent = { url: form.elements.url.value, name: form.elements.name.value };
    const feed = await run(form.querySelector('button[type="submit"]'), () => api('POST', 'api/v1/rss/feeds', body));
    // Emptied, unless something else was typed meanwhile.
    if (form.elements.url.value === sent.url && form.elements.name.value === sent.name) form.reset();
    setText(status, `Added ${feedName(feed)}: its first fetch is under way.`);
    if (feed) {
      replaceFeed(feed);
      pick(feed.id);
    }
  } catch (error) {
    setText(status, error.message);
    status.classList.add('error');
    return;
  }
  status.classList.remove('error');
  refresh();
}

// Articles.

async function downloadArticle(article, button) {
  const category = document.getElementById('rss-download-category').value;
  const body = category ? { category } : {};
  // The outcome is said in the article's row too: the message at the top may be out of sight.
  const row = button.closest('li');
  row.querySelector('.rss-article-error')?.remove();
  try {
    const answer = await run(button, () => request('POST', feedPath(article.feedId, 'articles', article.id, 'download'), body));
    announceAdded(answer, article.title);
  } catch (error) {
    row.append(h('p', { class: 'error rss-article-error', role: 'alert' }, `Not downloaded: ${error.message}`));
    showMessage(`${article.title}: ${error.message}`, 'error', `added ${article.title}`);
  }
  refresh();
}

function articleRow(article) {
  const href = safeHttpUrl(article.link);
  const title = article.title || '(no title)';
  const name = href
    ? h('a', { class: 'name', href, target: '_blank', rel: 'noopener noreferrer' }, title)
    : h('span', { class: 'name' }, title);
  const why = articleWhy(article);
  const badge = h('span', { class: 'badge rss-article-status', 'data-status': article.status, title: why || null },
    ARTICLE_STATUS[article.status] ?? String(article.status));
  const meta = [];
  if (typeof article.size === 'number') meta.push(h('span', { class: 'size' }, bytes(article.size)));
  if (article.published) meta.push(h('span', { class: 'published' }, date(article.published)));
  if (typeof article.seeders === 'number') meta.push(h('span', { class: 'seeders' }, `${article.seeders} seeders`));
  const download = h('button', {
    type: 'button', class: 'small rss-download', 'aria-label': `Download ${title}`,
    onclick: (e) => downloadArticle(article, e.currentTarget),
  }, 'Download');
  return h('li', { class: 'rss-article', 'data-id': article.id, 'data-status': article.status },
    h('div', { class: 'head' }, name, badge, download),
    h('div', { class: 'meta' }, ...meta),
    why ? h('p', { class: 'hint rss-article-why' }, why) : null);
}

function renderArticles(list) {
  const ul = document.getElementById('rss-articles');
  const seen = new Set();
  let previous = null;
  for (const article of list) {
    seen.add(article.id);
    const signature = JSON.stringify(article);
    let entry = articleRows.get(article.id);
    if (!entry || entry.signature !== signature) {
      const el = articleRow(article);
      entry?.el.remove();
      entry = { el, signature };
      articleRows.set(article.id, entry);
    }
    const expected = previous ? previous.nextSibling : ul.firstChild;
    if (expected !== entry.el) ul.insertBefore(entry.el, expected);
    previous = entry.el;
  }
  for (const [id, entry] of articleRows) {
    if (!seen.has(id)) {
      entry.el.remove();
      articleRows.delete(id);
    }
  }
  setText(document.getElementById('rss-article-count'), `(${list.length})`);
}

async function loadArticles() {
  if (picked === null) return;
  const id = picked;
  const status = document.getElementById('rss-articles-status');
  try {
    const list = (await api('GET', feedPath(id, 'articles'))) ?? [];
    if (id !== picked) return;
    renderArticles(list.map((a) => ({ ...a, feedId: id })));
    const feed = feeds.find((f) => f.id === id);
    setText(status, list.length ? '' : feed?.status === 'ok' || feed?.status === 'error' ? 'No articles.' : 'No articles yet: the feed was not fetched.');
  } catch (error) {
    if (id !== picked) return;
    if (error.status === 404) {
      pick(null);
      return;
    }
    setText(status, `Cannot list the articles: ${error.message}`);
  }
}

/** Shows the articles of feed `id` (null: none). */
function pick(id) {
  picked = id;
  for (const entry of articleRows.values()) entry.el.remove();
  articleRows.clear();
  const section = document.getElementById('rss-articles-section');
  section.hidden = id === null;
  setText(document.getElementById('rss-articles-status'), id === null ? '' : 'Loading…');
  setText(document.getElementById('rss-article-count'), '');
  const feed = feeds.find((f) => f.id === id);
  setText(document.getElementById('rss-articles-feed'), feed ? feedName(feed) : '');
  for (const row of feedRows.values()) fillFeedRow(row, row.feed);
  if (id !== null) loadArticles();
}

// Polling.

/** Loads the feeds, the picked feed's articles and the rules again; polls on while the panel is open. */
export async function refresh() {
  if (loading) {
    again = true;
    return loading;
  }
  clearTimeout(timer);
  loading = (async () => {
    do {
      again = false;
      await loadFeeds();
      await Promise.all([loadArticles(), loadRules()]);
    } while (again);
    refreshPreview();
  })();
  try {
    await loading;
  } finally {
    loading = null;
    clearTimeout(timer);
    if (open) {
      const busy = feeds.some((f) => f.status === 'fetching' || f.status === 'never');
      timer = setTimeout(refresh, busy ? POLL_BUSY : POLL);
    }
  }
}

function show(value) {
  const panel = document.getElementById('rss');
  const toggle = document.getElementById('rss-toggle');
  open = value;
  panel.hidden = !open;
  toggle.setAttribute('aria-expanded', String(open));
  clearTimeout(timer);
  if (open) {
    loadCategories();
    refresh();
  }
}

/** Wires the panel: its toggle, the form that adds a feed, the rules. */
export function setupRss() {
  const toggle = document.getElementById('rss-toggle');
  toggle.addEventListener('click', () => show(!open));
  document.getElementById('rss-close').addEventListener('click', () => {
    show(false);
    toggle.focus();
  });
  const form = document.getElementById('rss-feed-new');
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    addFeed(form);
  });
  const select = document.getElementById('rss-download-category');
  onCategories((categories) => categoryOptions(select, categories));
  categoryOptions(select, knownCategories());
  setupRules({ changed: refresh });
}
