/**
 * @argmin/viz: the computation-graph viewer. This entry is browser-safe (no Node built-ins, no
 * eval): `mountViewer` embeds the viewer in any page. The standalone HTML page and file writing
 * (`renderViewerHtml`) are in `@argmin/viz/node`.
 */
export { mountViewer, type MountViewerOptions, type GraphInput, type ViewerHandle } from './mount.js';
export { jsonForScript } from './embed.js';
export { syntheticGraph, type SyntheticOptions } from './synthetic.js';
export { autoGroup, AUTO_GROUP_TARGET } from './page/autogroup.js';
