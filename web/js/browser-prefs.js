// The settings panel's "This browser" section: what is kept in this browser, not
// on the server, and applies at once (no Save): notifications of finished
// downloads, and opening magnet links from other sites with this page. Built
// here and placed after the settings form, where the panel's sections
// (settings-nav.js) find it and give it a tab of its own.

import { h } from './dom.js';
import { magnetHandlerControl } from './magnet-link.js';
import { notifyControl } from './notify.js';

/** Adds the section to the settings panel. */
export function setupBrowserPrefs() {
  const attrs = {
    id: 'browser-prefs', class: 'settings-section browser-prefs', 'data-section': 'browser', 'aria-labelledby': 'browser-prefs-h',
  };
  document.getElementById('settings-form').after(h('section', attrs,
    h('h3', { id: 'browser-prefs-h' }, 'This browser'),
    h('p', { class: 'hint' }, 'Kept in this browser only; applied at once.'),
    notifyControl(),
    magnetHandlerControl()));
}
