// Shared harness of the browser tests: Debian's Chromium driven by playwright-core, pages opened
// from file:// exactly as a user opens a file written by `argmin view`.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';
import { expect } from 'vitest';

export const CHROMIUM = '/usr/bin/chromium';

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--allow-file-access-from-files',
    ],
  });
}

export interface OpenedPage {
  readonly page: Page;
  /** Uncaught page errors and console errors, for assertions. */
  readonly errors: string[];
  /** Messages of any alert/confirm/prompt that fired (there must be none). */
  readonly dialogs: string[];
}

const dir = mkdtempSync(join(tmpdir(), 'argmin-viz-test-'));
let counter = 0;

/** Writes the HTML to a temporary file and opens it from file://. */
export async function openHtml(browser: Browser, html: string, viewport = { width: 1400, height: 900 }): Promise<OpenedPage> {
  const file = join(dir, `page-${process.pid}-${counter++}.html`);
  writeFileSync(file, html);
  const page = await browser.newPage({ viewport });
  const errors: string[] = [];
  const dialogs: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  // A CSP violation (e.g. an eval probe) is an error too: the page must not trigger any.
  await page.addInitScript(() =>
    document.addEventListener('securitypolicyviolation', (e) => console.error(`CSP violation: ${e.violatedDirective}`)),
  );
  await page.goto(pathToFileURL(file).href);
  return { page, errors, dialogs };
}

/** Waits until the viewer settled in one of the given states ('ready', 'error', 'empty'). */
export async function waitFor(page: Page, state: 'ready' | 'error' | 'empty', timeout = 30_000): Promise<void> {
  await page.waitForSelector(`body[data-state="${state}"]`, { state: 'attached', timeout });
}

export async function dataset(page: Page): Promise<Record<string, string | undefined>> {
  return page.evaluate(() => ({ ...document.body.dataset }));
}

/** Screenshots go to the OS temp folder, for looking at failures. */
export const SHOT_DIR = join(tmpdir(), 'argmin-viz-shots');

export function cleanup(): void {
  rmSync(dir, { recursive: true, force: true });
}

/** expect.poll with a timeout fit for a loaded CI machine (vitest's default is 1 s). */
export const poll: typeof expect.poll = (fn, options) => expect.poll(fn, { timeout: 20_000, interval: 50, ...options });
