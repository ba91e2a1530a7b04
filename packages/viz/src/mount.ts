// mountViewer: the viewer embedded in any page (browser only; no Node built-ins, no eval).
import elkApi from 'elkjs/lib/elk-api.js';
import { type GraphInput, mountCore, type ViewerHandle } from './page/mount.js';

export type { GraphInput, ViewerHandle } from './page/mount.js';

export interface MountViewerOptions {
  /**
   * URL of ELK's worker script (`elkjs/lib/elk-worker.min.js`, served by your app, e.g. with
   * `new URL('elkjs/lib/elk-worker.min.js', import.meta.url)` in a bundler that supports it): the
   * layered layout then runs in a Web Worker. Without it the viewer uses its built-in linear-time
   * layout, and adds nothing of ELK (1.6 MB) to your bundle.
   */
  readonly elkWorkerUrl?: string | URL;
}

// elk-api.js is CommonJS with `module.exports = ELK; ELK.default = ELK`.
const ELK = elkApi.default;

/**
 * Shows `graph` (a GraphJSON, its JSON text, or nothing for an "open a file" card) in `element`,
 * inside a shadow root. The element needs a height (the viewer fills it). When the drawing is
 * done, `handle.ready` settles, the element gets `data-state="ready"` and fires `argmin:ready`.
 * One viewer per page at a time.
 */
export function mountViewer(element: HTMLElement, graph?: GraphInput, options: MountViewerOptions = {}): ViewerHandle {
  const url = options.elkWorkerUrl;
  return mountCore(
    element,
    graph,
    url === undefined ? {} : { elk: () => new ELK({ workerFactory: () => new Worker(url, { type: 'classic' }) }) },
  );
}
