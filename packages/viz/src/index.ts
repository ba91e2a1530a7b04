/**
 * @argmin/viz: the computation-graph viewer. Graph JSON ('argmin.graph' v1) → a standalone,
 * self-contained HTML page (elkjs layout in a Web Worker, SVG with pan/zoom, foldable clusters,
 * search, and a side panel with shapes, values, gradient norms and SolveInfo).
 *
 * The page's browser code lives in src/page and is built with vite into one HTML file; see
 * README.md. This entry point is the Node API.
 */
export { renderViewerHtml, type ViewerHtmlOptions } from './html.js';
export { jsonForScript } from './embed.js';
export { buildTemplate, viewerTemplate } from './template.js';
export { syntheticGraph, type SyntheticOptions } from './synthetic.js';
