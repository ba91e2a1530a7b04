/**
 * @argmin/viz/node: the standalone viewer page for Node. `renderViewerHtml(graph)` returns one
 * self-contained HTML file (no network, works from file://); the page itself is prebuilt into
 * the package (dist/viewer.html), so nothing is built at run time.
 */
export { renderViewerHtml, type ViewerHtmlOptions } from './html.js';
export { viewerTemplate } from './template.js';
export { jsonForScript } from './embed.js';
