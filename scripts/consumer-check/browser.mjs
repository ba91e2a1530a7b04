// Bundles browser-entry.js against the installed packages with esbuild (platform browser) and runs
// it in headless Chromium under a strict CSP. Returns problems and the bundle's size.
import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { chromium } from 'playwright-core';

export async function browserCheck(projectDir) {
  copyFileSync(new URL('./browser-entry.js', import.meta.url), join(projectDir, 'browser-entry.js'));
  let bundle;
  try {
    const r = await build({
      absWorkingDir: projectDir,
      entryPoints: ['browser-entry.js'],
      bundle: true,
      platform: 'browser',
      format: 'esm',
      target: 'es2022',
      minify: true,
      write: false,
      logLevel: 'silent',
    });
    bundle = r.outputFiles[0].text;
  } catch (err) {
    return { problems: [`esbuild (platform browser) cannot bundle the packages:\n${err.message}`], bytes: 0 };
  }
  const csp = "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; img-src data: blob:";
  writeFileSync(join(projectDir, 'page.js'), bundle);
  writeFileSync(
    join(projectDir, 'page.html'),
    `<!doctype html><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="${csp}"><div id="viewer" style="height:600px"></div><script type="module" src="page.js"></script>`,
  );
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--allow-file-access-from-files'],
  });
  const problems = [];
  try {
    const page = await browser.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    await page.addInitScript(() =>
      document.addEventListener('securitypolicyviolation', (e) => console.error(`CSP violation: ${e.violatedDirective} (${e.blockedURI})`)),
    );
    await page.goto(pathToFileURL(join(projectDir, 'page.html')).href);
    const result = await page
      .waitForFunction(() => window.__consumer, undefined, { timeout: 30_000 })
      .then((h) => h.jsonValue())
      .catch(() => undefined);
    if (!result) problems.push(`the page never became ready${errors.length ? `: ${errors.join('; ')}` : ''}`);
    else {
      const [a, b] = result.dp;
      if (Math.abs(a) > 1e-4 || Math.abs(b + 1) > 1e-4) problems.push(`QP gradient in the browser ${result.dp} ≠ (0, −1)`);
      if (!(result.boxes > 0)) problems.push('mountViewer drew no boxes');
    }
    if (errors.length) problems.push(`page errors: ${errors.join('; ')}`);
  } finally {
    await browser.close();
  }
  return { problems, bytes: bundle.length };
}
