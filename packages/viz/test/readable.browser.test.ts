// Readable at scale, in headless Chromium: folding by trace scope, re-fit after expand and fold,
// a legend that never covers the graph, parameter names on inputs, numbers to significant digits,
// empty tensors described as empty, and the documented ready signal.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { GraphBuilder, type GraphJSON, toJSON } from '@argmin/graph';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syntheticGraph } from '../src/index.js';
import { renderViewerHtml } from '../src/node.js';
import { cleanup, dataset, launchBrowser, openHtml, poll, SHOT_DIR, waitFor } from './browser.js';

let browser: Browser;
beforeAll(async () => {
  browser = await launchBrowser();
  mkdirSync(SHOT_DIR, { recursive: true });
});
afterAll(async () => {
  await browser?.close();
  cleanup();
});

type Rect = { x: number; y: number; width: number; height: number };
const rectOf = async (page: Page, selector: string): Promise<Rect> => (await page.locator(selector).first().boundingBox())!;
const overlaps = (a: Rect, b: Rect) => a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
const inside = (a: Rect, b: Rect, slack = 1) =>
  a.x >= b.x - slack && a.y >= b.y - slack && a.x + a.width <= b.x + b.width + slack && a.y + a.height <= b.y + b.height + slack;

/** Every box's screen rectangle lies inside the canvas: the drawing is fitted. */
async function allBoxesVisible(page: Page): Promise<boolean> {
  const canvas = await rectOf(page, '#canvas');
  const boxes = await page.locator('.item').evaluateAll((els) =>
    els.map((e) => {
      const r = e.getBoundingClientRect();
      return { x: r.x, y: r.y, width: r.width, height: r.height };
    }),
  );
  return boxes.length > 0 && boxes.every((b) => inside(b, canvas));
}

async function relaidOut(page: Page, click: string): Promise<void> {
  const before = (await dataset(page)).layouts;
  await page.click(click);
  await page.waitForFunction((n) => document.body.dataset.state === 'ready' && document.body.dataset.layouts !== n, before, {
    timeout: 30_000,
  });
}

/** A traced-looking graph: a QP with named parameters, a captured scalar, an empty tensor. */
function namedGraph(): GraphJSON {
  const b = new GraphBuilder('named inputs');
  const leaf = (kind: 'input' | 'parameter' | 'constant', label: string, shape: number[], data: number[]) => {
    const id = b.addNode({ kind, op: kind, inputs: [], outputShapes: [shape], label }).outputIds[0]!;
    const min = data.length ? Math.min(...data) : Number.NaN;
    b.setValueSummary(id, { min, max: data.length ? Math.max(...data) : Number.NaN, mean: 0, norm: 0, data });
    return id;
  };
  const p = leaf('input', 'points', [2], [1, 2]);
  const G = leaf('parameter', 'constraints.G', [0, 2], []);
  const h = leaf('constant', '0.008333333333333333', [], [0.008333333333333333]);
  const Q = leaf('constant', 'constant', [2, 2], [1, 0, 0, 1]);
  const z = b.addNode({
    kind: 'optimization',
    op: 'convex.qp',
    label: 'projection QP',
    inputs: [Q, p, G, h],
    outputShapes: [[2]],
    attrs: { inputNames: ['Q', 'p', 'G', 'h'] },
    strategy: 'implicit',
    info: { status: ['converged'], iterations: [7], residual: [1e-9] },
  }).outputIds[0]!;
  const loss = b.addNode({ kind: 'op', op: 'sum', inputs: [z], outputShapes: [[]], attrs: {} }).outputIds[0]!;
  b.setOutputs([loss]);
  return toJSON(b.build());
}

describe('readable at scale', () => {
  it('folds a graph without clusters by trace scope: at most 40 boxes, re-fitted after expand and fold', async () => {
    const graph = syntheticGraph({ nodes: 400, clusters: false });
    expect(graph.clusters).toEqual([]);
    const { page, errors } = await openHtml(browser, renderViewerHtml(graph));
    await waitFor(page, 'ready');
    const folded = await page.locator('.item').count();
    expect(folded).toBeLessThanOrEqual(40);
    expect(await page.locator('.item.folded').count()).toBeGreaterThan(0);
    expect(await page.locator('.item.folded').first().textContent()).toMatch(/group · \d+ ops/);
    expect(await allBoxesVisible(page)).toBe(true);
    await page.screenshot({ path: join(SHOT_DIR, 'autofold-400.png') });

    await relaidOut(page, '#btn-expand');
    expect(await page.locator('.item').count()).toBeGreaterThan(folded);
    expect(await allBoxesVisible(page)).toBe(true); // "Expand all" re-fits
    await relaidOut(page, '#btn-collapse');
    expect(await page.locator('.item').count()).toBe(folded);
    expect(await allBoxesVisible(page)).toBe(true);

    // Expanding one scope by clicking it also re-fits.
    await page.locator('.item.folded').first().click();
    await poll(() => page.locator('.cluster.open').count()).toBe(1);
    await waitFor(page, 'ready');
    await poll(() => allBoxesVisible(page)).toBe(true);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('keeps the legend off the graph, at any window size', async () => {
    for (const viewport of [
      { width: 1400, height: 900 },
      { width: 700, height: 500 },
    ]) {
      const { page } = await openHtml(browser, renderViewerHtml(syntheticGraph({ nodes: 120 })), viewport);
      await waitFor(page, 'ready');
      expect(overlaps(await rectOf(page, '#legend'), await rectOf(page, '#canvas'))).toBe(false);
      expect(await page.locator('#legend').isVisible()).toBe(true);
      await page.close();
    }
  });

  it('labels inputs with parameter names, prints numbers to significant digits, describes empty tensors', async () => {
    const { page, errors } = await openHtml(browser, renderViewerHtml(namedGraph()));
    await waitFor(page, 'ready');
    await page.screenshot({ path: join(SHOT_DIR, 'named-inputs.png') });
    for (const label of ['Q · 2×2', 'p · 2', 'G · 0×2', 'h · scalar']) {
      expect(await page.locator('.edge-label', { hasText: label }).count(), label).toBe(1);
    }
    expect(await page.locator('.item.kind-constant').first().textContent()).toContain('0.008333');
    expect(await page.content()).not.toContain('0.008333333333333333</');
    await page.locator('.item.kind-optimization').click();
    await poll(() => page.locator('#panel').isVisible()).toBe(true);
    const names = await page.locator('#panel .value-name').allTextContents();
    expect(names.slice(0, 4)).toEqual(['Q', 'p', 'G', 'h']);
    const panel = (await page.locator('#panel').textContent()) ?? '';
    expect(panel).toContain('empty: 0×2 holds no elements');
    expect(panel).not.toContain('NaN');
    expect(panel).not.toContain('inputNames');
    expect(errors).toEqual([]);
    await page.close();
  });

  it('signals ready on the mount element and <body>, and fires argmin:ready once per layout', async () => {
    const { page } = await openHtml(browser, renderViewerHtml(syntheticGraph({ nodes: 60 })));
    await waitFor(page, 'ready');
    expect(await page.locator('#app').getAttribute('data-state')).toBe('ready');
    const fired = page.evaluate(
      () =>
        new Promise<string>((done) =>
          document.getElementById('app')!.addEventListener('argmin:ready', (e) => done(e.type), { once: true }),
        ),
    );
    await page.click('#btn-expand');
    expect(await fired).toBe('argmin:ready');
    await page.close();
  });
});
