// The live playground (out/playground.html from `pnpm demo`) in headless Chromium: the library
// runs in the page, and dragging a point or a corner of the polygon re-solves the QP and its
// gradient — the solution, the gradient arrows and the iteration counts change.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderPlaygroundHtml } from '../examples/demo/playground.js';

let browser: Browser;
const dir = mkdtempSync(join(tmpdir(), 'argmin-playground-'));
beforeAll(async () => {
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu'] });
});
afterAll(async () => {
  await browser?.close();
  rmSync(dir, { recursive: true, force: true });
});

const data = (page: Page) => page.evaluate(() => ({ ...document.body.dataset }));

/** Drags the element matching `selector` by (dx, dy) screen pixels, in steps like a hand does. */
async function drag(page: Page, selector: string, dx: number, dy: number): Promise<void> {
  const box = (await page.locator(selector).boundingBox())!;
  const x = box.x + box.width / 2;
  const y = box.y + box.height / 2;
  await page.mouse.move(x, y);
  await page.mouse.down();
  for (let k = 1; k <= 5; k++) await page.mouse.move(x + (dx * k) / 5, y + (dy * k) / 5);
  await page.mouse.up();
}

describe('playground', () => {
  it('solves in the page, and dragging changes the solution, the gradients and the iterations', async () => {
    const file = join(dir, 'playground.html');
    writeFileSync(file, await renderPlaygroundHtml());
    const page = await browser.newPage({ viewport: { width: 1300, height: 800 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    await page.addInitScript(() =>
      document.addEventListener('securitypolicyviolation', (e) => console.error(`CSP ${e.violatedDirective}`)),
    );
    await page.goto(pathToFileURL(file).href);
    await page.waitForSelector('body[data-state="ready"]', { state: 'attached', timeout: 30_000 });

    const first = await data(page);
    const z0 = JSON.parse(first.solution!) as number[][];
    expect(z0).toHaveLength(4);
    // The point inside the polygon is its own projection, with zero gradient.
    expect(z0[3]).toEqual([0.1, 0.2]);
    expect(JSON.parse(first.gradX!)[3]).toEqual([0, 0]);
    expect(JSON.parse(first.iterations!).every((n: number) => n > 0)).toBe(true);
    expect(await page.locator('line.grad-x').count()).toBe(3);
    expect(await page.locator('#iterations tr').count()).toBe(4);

    // Drag the inside point out of the polygon: it now has a projection on the boundary and an arrow.
    await drag(page, 'circle[data-point="3"]', 0, 260);
    const moved = await data(page);
    expect(Number(moved.solves)).toBeGreaterThan(Number(first.solves));
    const z1 = JSON.parse(moved.solution!) as number[][];
    expect(z1[3]).not.toEqual(z0[3]);
    expect(JSON.parse(moved.gradX!)[3]).not.toEqual([0, 0]);
    expect(await page.locator('line.grad-x').count()).toBe(4);

    // Drag a corner outwards: the face gradients and the projections onto those faces change.
    await drag(page, 'circle[data-vertex="1"]', 40, 40);
    const reshaped = await data(page);
    expect(reshaped.gradH).not.toBe(moved.gradH);
    expect(reshaped.solution).not.toBe(moved.solution);
    expect(await page.locator('#summary').textContent()).toMatch(/L = \d+\.\d{4} · [\d.]+ ms per solve/);
    expect(errors).toEqual([]);
    await page.close();
  });
});
