// The viewer in a real headless Chromium: rendering, folding, the side panel, search, file loading.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
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

const graph = syntheticGraph({ nodes: 120 });

describe('viewer page', () => {
  it('renders the embedded graph with header, legend and folded clusters', async () => {
    const { page, errors } = await openHtml(browser, renderViewerHtml(graph));
    await waitFor(page, 'ready');
    await page.screenshot({ path: join(SHOT_DIR, 'synthetic-120.png') });
    expect(await page.textContent('#graph-name')).toBe(graph.name);
    expect(await page.textContent('#graph-counts')).toContain(`${graph.nodes.length} nodes`);
    expect(await page.title()).toBe(`${graph.name} · argmin`);
    const ds = await dataset(page);
    expect(await page.locator('.item').count()).toBe(Number(ds.visibleItems));
    // Top-level clusters are folded: the encoder and the unrolled solvers are single boxes.
    const folded = page.locator('.item.folded');
    expect(await folded.count()).toBe(graph.clusters.filter((c) => !c.parent).length);
    await poll(() => folded.filter({ hasText: 'unroll ×' }).count()).toBeGreaterThan(0);
    expect(await page.locator('.legend').textContent()).toContain('optimization');
    // Edges carry the shape of their value.
    expect(await page.locator('.edge-label', { hasText: '4×8' }).count()).toBeGreaterThan(0);
    expect(await page.locator('.item.kind-optimization .badge.status-warn').count()).toBeGreaterThan(0);
    expect(await page.locator('.item.kind-optimization .badge.status-bad').count()).toBeGreaterThan(0);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('expands a folded cluster on click and folds it back from its header', async () => {
    const { page, errors } = await openHtml(browser, renderViewerHtml(graph));
    await waitFor(page, 'ready');
    const before = await page.locator('.item').count();
    await page.locator('.item.folded', { hasText: 'sinkhorn #1' }).click();
    await poll(() => page.locator('.cluster.open').count()).toBe(1);
    await waitFor(page, 'ready');
    expect(await page.locator('.cluster.open .cluster-header').textContent()).toContain('unroll ×');
    expect(await page.locator('.item').count()).toBeGreaterThan(before);
    await page.screenshot({ path: join(SHOT_DIR, 'synthetic-120-expanded.png') });
    await page.locator('.cluster.open .cluster-header').first().click();
    await poll(() => page.locator('.cluster.open').count()).toBe(0);
    await waitFor(page, 'ready');
    expect(await page.locator('.item').count()).toBe(before);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('shows op, kind, attrs, shapes, summaries and SolveInfo in the side panel', async () => {
    const { page, errors } = await openHtml(browser, renderViewerHtml(graph));
    await waitFor(page, 'ready');
    await page.locator('.item.kind-optimization', { hasText: 'qp layer' }).click();
    const panel = page.locator('#panel');
    await poll(() => panel.isVisible()).toBe(true);
    expect(await panel.locator('.panel-title').textContent()).toBe('qp layer');
    expect(await panel.locator('.op-name').textContent()).toBe('convex.qp');
    expect(await panel.locator('.kind-pill').textContent()).toBe('optimization');
    const qp = graph.nodes.find((n) => n.label === 'qp layer')!;
    const rows = panel.locator('.status-table tbody tr');
    expect(await rows.count()).toBe(qp.info!.status.length);
    expect(await rows.nth(2).textContent()).toContain('max_iter');
    // One residual line per batch element.
    expect(await panel.locator('.chart .series').count()).toBe(qp.info!.history!.length);
    expect(await panel.locator('.kv').first().textContent()).toContain('implicit');
    expect(await panel.textContent()).toContain('maxIter');
    // Inputs: Q is an 8×8 constant with data, shown as a heatmap.
    const q = panel.locator('.value-card', { hasText: 'Q' }).first();
    expect(await q.locator('.shape').textContent()).toBe('8×8');
    expect(await q.locator('.stat').count()).toBe(4);
    expect(await q.locator('.heatmap rect').count()).toBe(64);
    expect(await panel.textContent()).toContain('gradient norm');
    expect(await page.locator('.item.selected').count()).toBe(1);
    await page.screenshot({ path: join(SHOT_DIR, 'synthetic-120-panel.png') });
    // Following a link selects the producer.
    await q.locator('.link').click();
    await poll(() => panel.locator('.panel-title').textContent()).toBe('Q');
    await page.keyboard.press('Escape');
    await poll(() => panel.isVisible()).toBe(false);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('searches by name or op, highlighting matches and revealing hidden ones', async () => {
    const { page, errors } = await openHtml(browser, renderViewerHtml(graph));
    await waitFor(page, 'ready');
    await page.keyboard.press('/');
    await page.keyboard.type('W1');
    await poll(() => page.textContent('#search-count')).toBe('1 found');
    // W1 lives inside the folded encoder: its box is the highlighted match.
    expect(await page.locator('.item.match').textContent()).toContain('encoder');
    await page.keyboard.press('Enter');
    await poll(() => page.locator('#panel .panel-title').textContent()).toBe('W1');
    await waitFor(page, 'ready');
    expect(await page.locator('.item.selected').textContent()).toContain('W1');
    expect(await page.textContent('#search-count')).toBe('1 of 1');
    await page.fill('#search', 'no-such-node');
    await poll(() => page.textContent('#search-count')).toBe('no match');
    expect(errors).toEqual([]);
    await page.close();
  });

  it('opens a file chosen with the picker, and one dropped on the page', async () => {
    const { page, errors } = await openHtml(browser, renderViewerHtml(graph));
    await waitFor(page, 'ready');
    const other = syntheticGraph({ nodes: 60, name: 'picked graph' });
    await page.setInputFiles('#file-input', {
      name: 'picked.json',
      mimeType: 'application/json',
      buffer: Buffer.from(JSON.stringify(other)),
    });
    await poll(() => page.textContent('#graph-name')).toBe('picked graph');
    await waitFor(page, 'ready');
    const dropped = JSON.stringify(syntheticGraph({ nodes: 50, name: 'dropped graph' }));
    await page.evaluate((text) => {
      const dt = new DataTransfer();
      dt.items.add(new File([text], 'dropped.json', { type: 'application/json' }));
      window.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    }, dropped);
    await poll(() => page.textContent('#graph-name')).toBe('dropped graph');
    await waitFor(page, 'ready');
    expect(errors).toEqual([]);
    await page.close();
  });

  it('zooms with the canvas buttons and hides the legend on demand', async () => {
    const { page, errors } = await openHtml(browser, renderViewerHtml(graph));
    await waitFor(page, 'ready');
    const zoom = async () => Number(await page.locator('#graph').getAttribute('data-zoom'));
    const before = await zoom();
    await page.click('#zoom-in');
    await poll(zoom).toBeGreaterThan(before);
    await page.click('#zoom-fit');
    await poll(zoom).toBeCloseTo(before, 2);
    await page.click('#legend-close');
    expect(await page.locator('#legend').isVisible()).toBe(false);
    await page.click('#legend-toggle');
    expect(await page.locator('#legend').isVisible()).toBe(true);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('shows an empty graph as an empty canvas', async () => {
    const empty = { format: 'argmin.graph', version: 1, name: 'empty', nodes: [], values: [], clusters: [], outputs: [] } as const;
    const { page, errors } = await openHtml(browser, renderViewerHtml(empty));
    await waitFor(page, 'ready');
    expect(await page.locator('.item').count()).toBe(0);
    expect(await page.textContent('#graph-counts')).toContain('0 nodes');
    expect(errors).toEqual([]);
    await page.close();
  });

  it('shows the landing card when no graph is embedded', async () => {
    const { viewerTemplate } = await import('../src/template.js');
    const { page, errors } = await openHtml(browser, viewerTemplate());
    await waitFor(page, 'empty');
    expect(await page.locator('#landing').textContent()).toContain('Open an argmin graph');
    expect(errors).toEqual([]);
    await page.close();
  });
});

describe('dataset attribute', () => {
  it('exposes layout timings for tooling', async () => {
    const { page } = await openHtml(browser, renderViewerHtml(syntheticGraph({ nodes: 40 })));
    await waitFor(page, 'ready');
    const ds = await dataset(page);
    expect(Number(ds.layoutMs)).toBeGreaterThanOrEqual(0);
    // ELK normally; the fast layout if ELK missed its deadline on a loaded machine.
    expect(['elk', 'fast']).toContain(ds.layoutEngine);
    await page.close();
  });
});
