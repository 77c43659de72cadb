// Inline players for audio, video and images: a Play/View button that opens an
// <audio>, <video> or <img> element below its row (created only when opened).

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

/**
 * A button that shows or hides a player for `url` in `box` (an element the
 * caller places), or null when `name` is not audio, video or an image.
 */
export function playButton(name, url, box) {
  const kind = mediaKind(name);
  if (!kind) return null;
  const label = kind === 'image' ? 'View' : 'Play';
  const button = h('button', { type: 'button', class: 'small play', 'aria-expanded': 'false' }, label);
  button.addEventListener('click', () => {
    const open = box.firstChild === null;
    if (open) {
      const el = kind === 'image'
        ? h('img', { src: url, alt: name, class: 'media' })
        : h(kind, { src: url, controls: true, preload: 'metadata', class: 'media' });
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
  });
  return button;
}
