// Inline players for audio, video and images: a Play/View button that opens an
// <audio>, <video> or <img> element below its row (created only when opened).
// When the browser cannot play the file, the player says so and offers to
// download it or to copy its address for an external player.

import { h, setText } from './dom.js';

const KINDS = {
  audio: ['mp3', 'm4a', 'aac', 'ogg', 'oga', 'opus', 'flac', 'wav', 'weba'],
  video: ['mp4', 'm4v', 'webm', 'ogv', 'mov', 'mkv'],
  image: ['png', 'jpg', 'jpeg', 'gif', 'webp', 'avif', 'bmp', 'svg', 'ico'],
};

/** 'audio', 'video', 'image' or null, from a file name's extension. */
export function mediaKind(name) {
  const m = /\.([a-z0-9]+)$/i.exec(name ?? '');
  if (!m) return null;
  const ext = m[1].toLowerCase();
  for (const [kind, exts] of Object.entries(KINDS)) if (exts.includes(ext)) return kind;
  return null;
}

// What went wrong, by MediaError code.
const PROBLEMS = {
  1: 'Playing it was stopped.',
  2: 'It could not be fetched from the server.',
  3: 'It could not be decoded.',
  4: 'This browser does not play its format.',
};

/** Copies an input's text (selecting it where the clipboard is refused); the button says Copied for a moment. */
export async function copyText(input, button) {
  try {
    await navigator.clipboard.writeText(input.value);
  } catch {
    input.select();
    document.execCommand?.('copy');
  }
  setText(button, 'Copied');
  setTimeout(() => setText(button, 'Copy'), 1500);
}

/** What replaces a player that failed: why, Download, and the address for another player. */
function failed(name, url, kind, error) {
  const address = new URL(url, document.baseURI).href;
  const input = h('input', {
    type: 'text', class: 'stream-url', readonly: true, value: address, spellcheck: 'false',
    'aria-label': `Address of ${name} for an external player`,
  });
  const copy = h('button', {
    type: 'button', class: 'small copy-url', 'aria-label': `Copy the address of ${name}`,
    onclick: () => copyText(input, copy),
  }, 'Copy');
  const what = kind === 'image' ? `show ${name}` : `play ${name}`;
  return h('div', { class: 'media-error', role: 'alert' },
    h('p', { class: 'error' }, `This browser cannot ${what}. ${PROBLEMS[error?.code] ?? ''}`.trim()),
    h('p', { class: 'row' },
      h('a', { href: url, download: name, class: 'button save-media' }, 'Download'),
      kind === 'image' ? null : h('span', { class: 'hint' }, 'or open it in an external player (VLC, mpv…) with this address:')),
    kind === 'image' ? null : h('div', { class: 'row stream-address' }, input, copy));
}

/**
 * A button that shows or hides a player for `url` in `box` (an element the
 * caller places), or null when `name` is not audio, video or an image.
 */
export function playButton(name, url, box) {
  const kind = mediaKind(name);
  if (!kind) return null;
  const label = kind === 'image' ? 'View' : 'Play';
  const button = h('button', { type: 'button', class: 'small play', 'aria-expanded': 'false', 'aria-label': `${label} ${name}` }, label);
  button.addEventListener('click', () => {
    const open = box.firstChild === null;
    if (open) {
      const el = kind === 'image'
        ? h('img', { src: url, alt: name, class: 'media' })
        : h(kind, { src: url, controls: true, preload: 'metadata', class: 'media' });
      el.addEventListener('error', () => {
        el.hidden = true;
        box.append(failed(name, url, kind, el.error));
      }, { once: true });
      box.replaceChildren(el);
      box.hidden = false;
      if (kind !== 'image') el.play?.().catch(() => {});
    } else {
      box.querySelector('audio, video')?.pause();
      box.replaceChildren();
      box.hidden = true;
    }
    button.setAttribute('aria-expanded', String(open));
    setText(button, open ? 'Close' : label);
    button.setAttribute('aria-label', `${open ? 'Close' : label} ${name}`);
  });
  return button;
}
