import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';

/**
 * The Web Worker path in headless Chromium: a cross-origin-isolated page whose dedicated worker
 * opens a pool of 2 Web Workers and runs a QP batch (B = 13) forward and backward on it; the
 * outputs and VJP equal the in-thread ones. On the page's main thread, opening a pool is a typed
 * error (it may not block).
 */

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
let dir: string;
let server: Server;
let browser: Browser;
let origin: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'argmin-parallel-browser-'));
  // One build with shared chunks: the workers, the plugin and the driver share one copy of autodiff (Tensor identity).
  await build({
    entryPoints: {
      page: here('./browser/page.ts'),
      driver: here('./browser/driver.ts'),
      worker: here('./browser/worker.ts'),
      'nodes-convex': here('../../../nodes-convex/src/index.ts'),
    },
    outdir: dir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    conditions: ['source'],
    logLevel: 'error',
  });
  server = createServer((req, res) => {
    const name = (req.url ?? '/').split('?')[0]!.slice(1) || 'index.html';
    const headers = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };
    if (name === 'index.html') {
      res.writeHead(200, { ...headers, 'Content-Type': 'text/html' });
      res.end('<!doctype html><meta charset="utf-8"><script type="module" src="./page.js"></script>');
      return;
    }
    try {
      const body = readFileSync(join(dir, name.replace(/\.\.+/g, '')));
      res.writeHead(200, { ...headers, 'Content-Type': 'text/javascript' });
      res.end(body);
    } catch {
      res.writeHead(404, headers);
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu'] });
});

afterAll(async () => {
  await browser?.close();
  await new Promise((r) => server?.close(r));
  rmSync(dir, { recursive: true, force: true });
});

test('2 Web Workers compute what the driver computes in-thread; the page itself may not block', async () => {
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${origin}/index.html`);
  await page.waitForFunction(() => (globalThis as unknown as { result?: unknown }).result !== undefined, undefined, { timeout: 60_000 });
  const result = (await page.evaluate(() => (globalThis as unknown as { result: unknown }).result)) as {
    isolated: boolean;
    mainThread: string;
    driver: { error?: string; nodes: string[]; exchanges: number; sameStatus: boolean; diffZ: number; diffGrad: number };
  };
  expect(errors).toEqual([]);
  expect(result.isolated).toBe(true);
  expect(result.mainThread).toMatch(/^InvalidInputError: openBrowserWorkerPool: node calls with 'workers' wait/);
  expect(result.driver.error).toBeUndefined();
  expect(result.driver.nodes).toContain('convex.qp');
  expect(result.driver.exchanges, 'one forward and one backward exchange').toBe(2);
  expect(result.driver.sameStatus).toBe(true);
  expect(result.driver.diffZ).toBeLessThanOrEqual(1e-12);
  expect(result.driver.diffGrad).toBeLessThanOrEqual(1e-12);
});
