/** out/index.html: one section per part, with its summary, figures and links. Self-contained. */
import type { PartRecord } from './output.js';

const escapeHtml = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const STYLE = `
  :root { --ink: #1d2330; --muted: #5d6675; --line: #e3e6ec; --accent: #4269d0; --bg: #f6f7f9; }
  * { box-sizing: border-box; }
  body { margin: 0; background: var(--bg); color: var(--ink); font: 15px/1.55 system-ui, -apple-system, "Segoe UI", sans-serif; }
  header { background: #fff; border-bottom: 1px solid var(--line); }
  header .wrap { padding: 28px 24px 22px; }
  h1 { margin: 0 0 6px; font-size: 26px; letter-spacing: -0.01em; }
  h1 .mark { color: var(--accent); }
  header p { margin: 0; color: var(--muted); max-width: 860px; }
  .wrap { max-width: 1140px; margin: 0 auto; padding: 0 24px; }
  nav { margin-top: 14px; display: flex; flex-wrap: wrap; gap: 8px; }
  nav a { font-size: 13px; text-decoration: none; color: var(--ink); background: var(--bg); border: 1px solid var(--line); border-radius: 999px; padding: 3px 11px; }
  nav a:hover { border-color: var(--accent); color: var(--accent); }
  nav .n { color: var(--muted); margin-right: 4px; }
  section { background: #fff; border: 1px solid var(--line); border-radius: 10px; margin: 22px 0; padding: 20px 24px 18px; }
  section h2 { margin: 0; font-size: 19px; }
  section h2 .n { color: var(--muted); font-weight: 500; margin-right: 6px; }
  .ref { color: var(--muted); font-size: 13px; font-style: italic; margin: 2px 0 12px; }
  .summary { font: 13.5px/1.5 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; background: #f1f4fb; border-left: 3px solid var(--accent); padding: 8px 12px; border-radius: 4px; margin: 0 0 12px; }
  .failed .summary { background: #fdecec; border-color: #d64545; }
  .desc { margin: 0 0 12px; color: #333a46; max-width: 1000px; font-size: 14px; }
  .figs { display: flex; flex-wrap: wrap; gap: 18px; }
  figure { margin: 0; flex: 1 1 480px; min-width: 0; }
  figure svg { width: 100%; height: auto; display: block; }
  figcaption { font-size: 13px; color: var(--muted); margin-bottom: 4px; }
  .links { margin-top: 12px; display: flex; gap: 10px; flex-wrap: wrap; align-items: center; font-size: 13.5px; }
  .links a { color: var(--accent); text-decoration: none; border: 1px solid #cdd6f2; border-radius: 6px; padding: 4px 10px; }
  .links a.primary { background: var(--accent); color: #fff; border-color: var(--accent); }
  .links a:hover { filter: brightness(0.95); }
  .links .meta { color: var(--muted); margin-left: auto; }
  footer { color: var(--muted); font-size: 13px; padding: 4px 0 40px; }
  code { font: 13px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
`;

export interface IndexMeta {
  readonly quick: boolean;
  readonly seconds: number;
  readonly node: string;
}

/** Plot numbers its clip paths from 1 in every SVG; inlined side by side, the ids must differ. */
const scopeIds = (svg: string, scope: string): string => svg.replace(/plot-clip-(\d+)/g, `${scope}-clip-$1`);

function section(r: PartRecord, i: number): string {
  const figs = r.files.figures
    .map((f, j) => `<figure><figcaption>${escapeHtml(f.title)}</figcaption>${scopeIds(f.svg, `${r.id}-${j}`)}</figure>`)
    .join('\n');
  const links: string[] = [];
  if (r.files.viewer) links.push(`<a class="primary" href="${escapeHtml(r.files.viewer)}">Open the graph viewer</a>`);
  if (r.files.graph) links.push(`<a href="${escapeHtml(r.files.graph)}">graph JSON</a>`);
  for (const f of r.files.figures) links.push(`<a href="${escapeHtml(f.file)}">${escapeHtml(f.file.replace(`${r.id}.`, ''))}</a>`);
  const size = r.graphSize ? `${r.graphSize.nodes} nodes · ` : '';
  return `<section id="${escapeHtml(r.id)}" class="${r.status}">
  <h2><span class="n">${i + 1}.</span>${escapeHtml(r.title)}</h2>
  <div class="ref">${escapeHtml(r.reference)}</div>
  <p class="summary">${r.status === 'ok' ? '' : `<b>${r.status}:</b> `}${escapeHtml(r.summary)}</p>
  ${r.description ? `<p class="desc">${escapeHtml(r.description)}</p>` : ''}
  ${figs ? `<div class="figs">${figs}</div>` : ''}
  <div class="links">${links.join('')}<span class="meta">${size}${r.seconds.toFixed(1)} s</span></div>
</section>`;
}

export function renderIndexHtml(records: readonly PartRecord[], meta: IndexMeta): string {
  const nav = records
    .map((r, i) => `<a href="#${escapeHtml(r.id)}"><span class="n">${i + 1}</span>${escapeHtml(r.title.split(':')[0]!)}</a>`)
    .join('');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>argmin demo</title>
<style>${STYLE}</style>
</head>
<body>
<header><div class="wrap">
  <h1><span class="mark">argmin</span> · differentiable optimization, end to end</h1>
  <p>Each part below trains a model through an optimization layer (a QP, an MPC controller, Sinkhorn, LML) or amortizes one,
  on CPU in TypeScript. Every part links its computation graph — one loss evaluation, traced — in the interactive viewer.
  The <a href="playground.html">live playground</a> runs the library in this browser: drag the points of a projection onto a polytope.</p>
  <nav>${nav}</nav>
</div></header>
<main class="wrap">
${records.map(section).join('\n')}
<footer>Generated by <code>pnpm demo${meta.quick ? ' --quick' : ''}</code> in ${meta.seconds.toFixed(0)} s (Node ${escapeHtml(meta.node)}; seeded, deterministic).
Graphs are <code>argmin.graph</code> v1 JSON; open any of them with <code>argmin view</code>.</footer>
</main>
</body>
</html>
`;
}
