// The layout budget: a 2,000-node graph lays out within 5 s, measured inside the page (view
// building, measuring and layout; rendering is reported too). Also the worst cases: the same graph
// with every cluster expanded, and a flat graph with no clusters at all (folded by trace scope,
// then expanded).
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syntheticGraph } from '../src/index.js';
import { renderViewerHtml } from '../src/node.js';
import { cleanup, dataset, launchBrowser, openHtml, poll, waitFor } from './browser.js';

const BUDGET_MS = 5000;

let browser: Browser;
beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  cleanup();
});

async function timings(page: Page, label: string): Promise<number> {
  const ds = await dataset(page);
  const layout = Number(ds.prepMs) + Number(ds.layoutMs);
  console.log(
    `[viz perf] ${label}: ${ds.visibleItems} items, prep ${ds.prepMs} ms + layout ${ds.layoutMs} ms (${ds.layoutEngine}), render ${ds.renderMs} ms`,
  );
  return layout;
}

describe('2,000-node budget', () => {
  it('lays out the folded 2,000-node graph, then every cluster expanded, within 5 s each', async () => {
    const graph = syntheticGraph({ nodes: 2000 });
    expect(graph.nodes.length).toBeGreaterThanOrEqual(2000);
    const { page, errors } = await openHtml(browser, renderViewerHtml(graph));
    await waitFor(page, 'ready', 60_000);
    expect(await timings(page, 'folded')).toBeLessThan(BUDGET_MS);

    const layouts = (await dataset(page)).layouts;
    await page.click('#btn-expand');
    await page.waitForFunction((n) => document.body.dataset.state === 'ready' && document.body.dataset.layouts !== n, layouts, {
      timeout: 60_000,
    });
    expect(await timings(page, 'expanded')).toBeLessThan(BUDGET_MS);
    expect(await page.locator('.cluster.open').count()).toBe(graph.clusters.length);

    // Still responsive: a click on a node opens the panel promptly.
    const t0 = Date.now();
    await page.locator('.item.kind-optimization').first().click();
    await poll(() => page.locator('#panel').isVisible()).toBe(true);
    expect(Date.now() - t0).toBeLessThan(BUDGET_MS);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('folds a flat 2,000-node graph (no clusters) by trace scope, and lays it out expanded within 5 s', async () => {
    const graph = syntheticGraph({ nodes: 2000, clusters: false });
    const { page, errors } = await openHtml(browser, renderViewerHtml(graph));
    await waitFor(page, 'ready', 60_000);
    expect(await timings(page, 'flat, auto-folded')).toBeLessThan(BUDGET_MS);
    expect(await page.locator('.item').count()).toBeLessThanOrEqual(40);
    const layouts = (await dataset(page)).layouts;
    await page.click('#btn-expand');
    await page.waitForFunction((n) => document.body.dataset.state === 'ready' && document.body.dataset.layouts !== n, layouts, {
      timeout: 60_000,
    });
    expect(await timings(page, 'flat, expanded')).toBeLessThan(BUDGET_MS);
    expect(await page.locator('.item').count()).toBeGreaterThanOrEqual(2000);
    expect(errors).toEqual([]);
    await page.close();
  });
});
