// Screenshots of viewer pages at fit zoom, with the numbers that say whether they are readable:
// boxes shown, and the smallest on-screen size of a box's title and subtitle text (font size
// times the zoom), measured in the page. Waits for the documented ready signal first.
//
//   node packages/viz/scripts/screenshots.mjs <out-dir> <page.viewer.html>...
import { mkdirSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';

const [outDir, ...pages] = process.argv.slice(2);
if (!outDir || pages.length === 0) {
  console.error('usage: node screenshots.mjs <out-dir> <page.html>...');
  process.exit(2);
}
mkdirSync(outDir, { recursive: true });
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu'] });
const rows = [];
try {
  for (const file of pages) {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    await page.goto(pathToFileURL(resolve(file)).href);
    await page.waitForSelector('body[data-state="ready"]', { state: 'attached', timeout: 60_000 });
    const m = await page.evaluate(() => {
      const root = document.getElementById('app')?.shadowRoot ?? document;
      const px = (sel) =>
        [...root.querySelectorAll(sel)].map((t) => {
          const r = t.getBoundingClientRect();
          return r.height > 0 ? (Number.parseFloat(getComputedStyle(t).fontSize) * r.height) / (t.getBBox?.().height || r.height) : 0;
        });
      const titles = px('.item .title');
      const subs = px('.item .sub');
      const canvas = root.getElementById('canvas').getBoundingClientRect();
      const clipped = [...root.querySelectorAll('.item')].filter((e) => {
        const r = e.getBoundingClientRect();
        return r.left < canvas.left - 1 || r.top < canvas.top - 1 || r.right > canvas.right + 1 || r.bottom > canvas.bottom + 1;
      }).length;
      return {
        boxes: root.querySelectorAll('.item').length,
        minTitlePx: Math.min(...titles),
        minSubPx: subs.length ? Math.min(...subs) : Number.NaN,
        clipped,
        engine: document.body.dataset.layoutEngine,
      };
    });
    const png = join(outDir, `${basename(file).replace(/\.html$/, '')}.png`);
    await page.screenshot({ path: png });
    rows.push({ page: basename(file), ...m, errors: errors.length, png });
    await page.close();
  }
} finally {
  await browser.close();
}
console.table(
  rows.map((r) => ({
    page: r.page,
    boxes: r.boxes,
    'title px': r.minTitlePx.toFixed(1),
    'subtitle px': r.minSubPx.toFixed(1),
    'boxes off-canvas': r.clipped,
    layout: r.engine,
    errors: r.errors,
  })),
);
