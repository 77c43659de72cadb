// Renders web/icons/icon.svg to the PNG icons of the web app manifest, in
// headless Chromium (Debian's /usr/bin/chromium, through playwright-core):
// icon-192.png and icon-512.png (transparent, the whole picture), and
// icon-maskable-512.png (on a white square, the picture inside the middle 70 %,
// the zone that every mask shape keeps). Run it again after changing the SVG:
//   node e2e/tools/icons.js

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const ICONS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../web/icons');
const svg = fs.readFileSync(path.join(ICONS, 'icon.svg'));
const source = `data:image/svg+xml;base64,${svg.toString('base64')}`;

const OUTPUTS = [
  { file: 'icon-192.png', size: 192, scale: 1, background: null },
  { file: 'icon-512.png', size: 512, scale: 1, background: null },
  { file: 'icon-maskable-512.png', size: 512, scale: 0.7, background: '#ffffff' },
];

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'],
});
try {
  for (const { file, size, scale, background } of OUTPUTS) {
    const page = await browser.newPage({ viewport: { width: size, height: size }, deviceScaleFactor: 1 });
    await page.setContent('<!doctype html><body></body>');
    await page.evaluate(({ source, size, scale, background }) => new Promise((resolve, reject) => {
      const body = document.body;
      body.style.cssText = `margin:0;width:${size}px;height:${size}px;display:grid;place-items:center;`
        + `background:${background ?? 'transparent'}`;
      const img = new Image(Math.round(size * scale), Math.round(size * scale));
      img.onload = resolve;
      img.onerror = () => reject(new Error('the SVG did not load'));
      img.src = source;
      body.append(img);
    }), { source, size, scale, background });
    const out = path.join(ICONS, file);
    await page.screenshot({ path: out, omitBackground: background === null, clip: { x: 0, y: 0, width: size, height: size } });
    await page.close();
    console.log(`wrote ${path.relative(process.cwd(), out)} (${size}×${size})`);
  }
} finally {
  await browser.close();
}
