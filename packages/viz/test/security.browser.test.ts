// Graph files are untrusted: their strings must render as text, embedded JSON must not break out
// of its script element, and bad files must end in a readable error panel, never a blank page.
import type { GraphJSON } from '@argmin/graph';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonForScript } from '../src/embed.js';
import { fillTemplate } from '../src/html.js';
import { syntheticGraph } from '../src/index.js';
import { renderViewerHtml } from '../src/node.js';
import { viewerTemplate } from '../src/template.js';
import { cleanup, dataset, launchBrowser, openHtml, poll, waitFor } from './browser.js';

let browser: Browser;
beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  cleanup();
});

const IMG = '<img src=x onerror=alert(1)>';
const SCRIPT = '</script><script>alert(2)</script>';
const COMMENT = '<!--<script>alert(3)</script>';

/** A small valid graph whose every string field is hostile. */
function hostileGraph(): GraphJSON {
  return {
    format: 'argmin.graph',
    version: 1,
    name: `${IMG} ${SCRIPT}`,
    clusters: [{ id: 'c1', label: `${IMG} cluster`, kind: 'unroll' }],
    nodes: [
      { id: 'a', kind: 'input', op: 'input', label: IMG, inputs: [], outputs: ['va'], attrs: {} },
      { id: 'b', kind: 'op', op: SCRIPT, label: COMMENT, inputs: ['va'], outputs: ['vb'], attrs: { [IMG]: SCRIPT, note: COMMENT } },
      { id: 'c', kind: 'op', op: 'relu', inputs: ['vb'], outputs: ['vc'], attrs: {}, cluster: 'c1' },
      {
        id: 'd',
        kind: 'optimization',
        op: 'convex.qp',
        label: `${IMG} solver`,
        inputs: ['vc'],
        outputs: ['vd'],
        attrs: {},
        strategy: 'implicit',
        info: { status: [IMG], iterations: [3], residual: [1e-9] },
      },
    ],
    values: [
      { id: 'va', shape: [2, 2], producer: 'a', index: 0, label: IMG },
      { id: 'vb', shape: [2, 2], producer: 'b', index: 0, label: SCRIPT },
      { id: 'vc', shape: [2, 2], producer: 'c', index: 0 },
      { id: 'vd', shape: [2], producer: 'd', index: 0 },
    ],
    outputs: ['vd'],
  };
}

describe('untrusted strings', () => {
  it('renders labels, ops and attrs as text: no element is injected and no dialog fires', async () => {
    const { page, errors, dialogs } = await openHtml(browser, renderViewerHtml(hostileGraph()));
    await waitFor(page, 'ready');
    expect(await page.textContent('#graph-name')).toBe(`${IMG} ${SCRIPT}`);
    expect(await page.locator('.item.kind-input .title').textContent()).toBe(IMG);
    // Long titles are cut with an ellipsis on the canvas; the panel shows them whole.
    expect(await page.locator('.item.kind-op .title').first().textContent()).toMatch(/^<\/script><script>alert\(2\)/);
    expect(await page.locator('.item.folded .title').textContent()).toMatch(/^<img src=x onerror=alert\(1\)>/);
    expect(await page.locator('.item.folded > title').textContent()).toContain(`${IMG} cluster`);
    await page.locator('.item.kind-op', { hasText: SCRIPT }).click();
    await poll(() => page.locator('#panel .panel-title').textContent()).toBe(COMMENT);
    expect(await page.locator('#panel .op-name').textContent()).toBe(SCRIPT);
    expect(await page.locator('#panel .kv-mono').textContent()).toContain(IMG);
    await page.keyboard.press('Escape');
    await page.locator('.item.kind-optimization').click();
    await poll(() => page.locator('#panel .status-table').textContent()).toContain(IMG);
    // Nothing from the data became markup, and the only script is the viewer's own.
    expect(await page.locator('img').count()).toBe(0);
    expect(await page.locator('script').count()).toBe(2);
    await page.waitForTimeout(200);
    expect(dialogs).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('keeps </script> and <!-- inside the embedded JSON', async () => {
    const html = renderViewerHtml(hostileGraph());
    const slot = html.slice(html.indexOf('id="argmin-graph">'));
    const data = slot.slice(0, slot.indexOf('</script>'));
    expect(data).not.toMatch(/<\/script|<!--|<script/i);
    expect(data).toContain('\\u003c/script\\u003e');
    const { page, dialogs, errors } = await openHtml(browser, html);
    await waitFor(page, 'ready');
    // The data element kept all of its JSON: the page parsed it back to the same graph.
    const parsed = await page.evaluate(() => JSON.parse(document.getElementById('argmin-graph')!.textContent!));
    expect(parsed).toEqual(hostileGraph());
    expect(dialogs).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('escapes the document title', async () => {
    const html = renderViewerHtml(syntheticGraph({ nodes: 40 }), { title: `</title>${IMG}` });
    expect(html).toContain('<title>&#60;/title&#62;&#60;img src=x onerror=alert(1)&#62;</title>');
    const { page, dialogs } = await openHtml(browser, html);
    await waitFor(page, 'ready');
    expect(await page.title()).toBe(`</title>${IMG}`);
    expect(dialogs).toEqual([]);
    await page.close();
  });
});

describe('bad files', () => {
  const embed = (text: string) => fillTemplate(viewerTemplate(), text, 'bad');

  it('shows an error panel for malformed embedded JSON', async () => {
    const { page, errors } = await openHtml(browser, embed('{"format": "argmin.graph", "nodes": [1, 2'));
    await waitFor(page, 'error');
    const panel = page.locator('#error-panel');
    expect(await panel.isVisible()).toBe(true);
    expect(await panel.locator('h2').textContent()).toBe('This file is not valid JSON');
    expect(await panel.textContent()).toContain('could not be parsed');
    expect(errors).toEqual([]);
    await page.close();
  });

  it('lists validation issues with their paths', async () => {
    const g = syntheticGraph({ nodes: 40 });
    const broken = { ...g, nodes: g.nodes.map((n, i) => (i === 3 ? { ...n, kind: 'banana' } : n)) };
    const { page } = await openHtml(browser, embed(jsonForScript(broken)));
    await waitFor(page, 'error');
    expect(await page.locator('#error-panel h2').textContent()).toBe('This is not a valid argmin graph');
    expect(await page.locator('#error-panel .issues').textContent()).toContain('nodes.3.kind');
    await page.close();
  });

  it('rejects a graph that is too large, and a wrong format, from the file picker', async () => {
    const { page } = await openHtml(browser, renderViewerHtml(syntheticGraph({ nodes: 40 })));
    await waitFor(page, 'ready');
    const huge = syntheticGraph({ nodes: 20_100 });
    await page.setInputFiles('#file-input', { name: 'huge.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(huge)) });
    await waitFor(page, 'error');
    expect(await page.locator('#error-panel h2').textContent()).toBe('This graph is too large');
    expect(await page.locator('#error-panel').textContent()).toContain('huge.json');
    await page.setInputFiles('#file-input', {
      name: 'other.json',
      mimeType: 'application/json',
      buffer: Buffer.from('{"format":"something-else"}'),
    });
    await poll(() => page.locator('#error-panel .issues').textContent()).toContain('format');
    await page.setInputFiles('#file-input', { name: 'bad.json', mimeType: 'application/json', buffer: Buffer.from('not json at all') });
    await poll(() => page.locator('#error-panel h2').textContent()).toBe('This file is not valid JSON');
    // And a good file after errors still opens.
    await page.setInputFiles('#file-input', {
      name: 'ok.json',
      mimeType: 'application/json',
      buffer: Buffer.from(JSON.stringify(syntheticGraph({ nodes: 40 }))),
    });
    await waitFor(page, 'ready');
    expect((await dataset(page)).state).toBe('ready');
    await page.close();
  });
});
