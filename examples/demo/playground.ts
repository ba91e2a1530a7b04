/**
 * Writes out/playground.html: playground-page.ts and the library (from the workspace sources)
 * bundled by esbuild into one self-contained page. It works from file://, fetches nothing, and
 * its Content-Security-Policy allows only its own script (by hash) — no eval.
 */
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const entry = fileURLToPath(new URL('./playground-page.ts', import.meta.url));

export async function renderPlaygroundHtml(): Promise<string> {
  const r = await build({
    entryPoints: [entry],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    minify: true,
    write: false,
    conditions: ['source'], // the workspace packages' TypeScript sources: no package build needed
    logLevel: 'silent',
  });
  const code = r.outputFiles[0]!.text.replace(/<\/script/gi, '<\\/script');
  const hash = createHash('sha256').update(code).digest('base64');
  return page(code, hash);
}

export async function writePlayground(outDir: string): Promise<string> {
  const file = join(outDir, 'playground.html');
  writeFileSync(file, await renderPlaygroundHtml());
  return file;
}

const page = (code: string, hash: string) => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8" />
<meta name="viewport" content="width=device-width, initial-scale=1" />
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'sha256-${hash}'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'" />
<title>argmin playground · projection onto a polytope</title>
<style>
  body { margin: 0; font: 14px/1.5 Inter, "Segoe UI", system-ui, sans-serif; color: #0f172a; background: #f6f7f9; }
  main { display: flex; gap: 24px; padding: 20px; flex-wrap: wrap; }
  h1 { font-size: 18px; margin: 0 0 4px; }
  p { margin: 4px 0 10px; color: #475569; max-width: 46em; }
  svg { width: 600px; height: 600px; background: #fff; border: 1px solid #e2e8f0; border-radius: 10px; touch-action: none; }
  .polytope { fill: #ecfeff; stroke: #0e7490; stroke-width: 2; }
  .link { stroke: #94a3b8; stroke-dasharray: 4 3; }
  .solution { fill: #ea580c; }
  .point { fill: #2563eb; cursor: grab; }
  .vertex { fill: #0e7490; cursor: grab; }
  .handle:hover { stroke: #0f172a; stroke-width: 2; }
  .grad-x { stroke: #7c3aed; stroke-width: 2.5; }
  .grad-h { stroke: #15803d; stroke-width: 2.5; }
  #head-grad-x path { fill: #7c3aed; } #head-grad-h path { fill: #15803d; }
  table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
  th, td { padding: 3px 10px; border-bottom: 1px solid #e2e8f0; text-align: left; }
  .key span { display: inline-block; width: 12px; height: 12px; border-radius: 6px; margin: 0 6px 0 12px; vertical-align: -1px; }
  #summary { font-weight: 600; margin: 10px 0; }
</style>
</head>
<body data-state="loading">
<main>
  <div>
    <h1>Projection onto a polytope, differentiated</h1>
    <p>Each blue point x<sub>i</sub> is projected onto the polygon by one batched QP,
    z<sub>i</sub> = argmin ½‖z − x<sub>i</sub>‖² s.t. Gz ≤ h, solved by argmin's interior-point method here in your browser.
    L = ½ Σ‖z<sub>i</sub> − x<sub>i</sub>‖² is differentiated through the QP (implicit KKT gradient).
    Drag the points or the polygon's corners.</p>
    <svg id="plane" viewBox="0 0 600 600" role="img" aria-label="Points, the polygon and their projections">
      <defs>
        <marker id="head-grad-x" viewBox="0 0 10 10" refX="8" refY="5" markerWidth="6" markerHeight="6" orient="auto"><path d="M0 0 L10 5 L0 10 z"/></marker>
        <marker id="head-grad-h" viewBox="0 0 10 10" refX="8" refY="5" markerWidth="6" markerHeight="6" orient="auto"><path d="M0 0 L10 5 L0 10 z"/></marker>
      </defs>
    </svg>
    <div class="key"><span style="background:#2563eb"></span>point x<span style="background:#ea580c"></span>projection z
      <span style="background:#7c3aed"></span>−∂L/∂x<span style="background:#15803d"></span>−∂L/∂h (per face, along its normal)</div>
  </div>
  <div>
    <div id="summary"></div>
    <table>
      <thead><tr><th>point</th><th>solution z</th><th>IPM iterations</th><th>residual</th><th>status</th></tr></thead>
      <tbody id="iterations"></tbody>
    </table>
  </div>
</main>
<script type="module">${code}</script>
</body>
</html>
`;
