// Mounts the viewer into an element: a shadow root (so the viewer's CSS and the host page's CSS
// never meet) holding the markup, the Viewer, search, toolbar, file picker, drop and keys.
// The standalone page (main.ts) and the library's mountViewer (src/mount.ts) both end here.
import type { GraphJSON } from '@argmin/graph';
import { setLoadError, Viewer } from './app.js';
import { byId, setRoot, setState, setStateTargets } from './dom.js';
import type { ElkFactory } from './engine.js';
import { setElkFactory, warmUp } from './layout.js';
import { type LoadResult, loadGraphFile, loadGraphText, loadGraphValue } from './load.js';
import { VIEWER_MARKUP } from './markup.js';
import { canvasMeasure } from './measure.js';
import { hideOverlay, showLanding } from './overlay.js';
import { PanZoom } from './panzoom.js';
import { Search } from './search.js';
import { viewerCss } from './styles/index.js';

export interface MountCoreOptions {
  /** Makes the ELK engine; without one every layout uses the built-in fast layout. */
  readonly elk?: ElkFactory;
  /**
   * The standalone page: the tab's title follows the graph, state goes to <body> too, keys and
   * file drops are taken from the whole window, and uncaught errors end in the error panel.
   */
  readonly standalone?: boolean;
}

/** What mountViewer returns. */
export interface ViewerHandle {
  /** Settles when the current graph is laid out and drawn (the element then has data-state="ready"). */
  readonly ready: Promise<void>;
  /** Shows another graph (validated like a file); settles when it is drawn. */
  show(graph: GraphJSON | string): Promise<void>;
  /** Fits the drawing to the canvas. */
  fit(): void;
  expandAll(): Promise<void>;
  foldAll(): Promise<void>;
  /** Removes the viewer from the element. */
  destroy(): void;
}

/** Graph input: a GraphJSON value, JSON text, or nothing (the page then offers a file picker). */
export type GraphInput = GraphJSON | string | undefined;

export function mountCore(element: HTMLElement, graph: GraphInput, options: MountCoreOptions = {}): ViewerHandle {
  noEval();
  const shadow = element.shadowRoot ?? element.attachShadow({ mode: 'open' });
  // Static markup and CSS only; graph strings are set as text later.
  shadow.innerHTML = `<style>${viewerCss}</style>${VIEWER_MARKUP}`;
  setRoot(shadow);
  setStateTargets(options.standalone ? [element, document.body] : [element]);
  setElkFactory(options.elk);
  setState({ state: 'loading' });

  const svg = byId<SVGSVGElement>('graph');
  const zoom = new PanZoom(svg, byId<SVGGElement>('viewport'));
  const viewer = new Viewer(svg, byId<SVGGElement>('viewport'), byId('panel'), zoom, canvasMeasure());
  const searchInput = byId<HTMLInputElement>('search');
  const search = new Search(searchInput, byId('search-count'), byId('search-prev'), byId('search-next'), {
    model: () => viewer.model,
    highlight: (ids) => viewer.highlight(ids),
    focus: (id) => void viewer.select(id, true),
  });

  // Files opened later name the standalone page's tab; the embedded graph keeps the given title.
  async function open(result: LoadResult, retitle = options.standalone === true): Promise<void> {
    if (!result.ok) {
      byId('viewport').replaceChildren();
      byId('panel').hidden = true;
      setLoadError(result.error.title, result.error.message, result.error.issues);
      return;
    }
    hideOverlay();
    await viewer.show(result.graph, retitle);
    search.update();
  }
  const load = (g: GraphJSON | string, source: string, retitle?: boolean) =>
    open(typeof g === 'string' ? loadGraphText(g, source) : loadGraphValue(g, source), retitle);

  const fileInput = byId<HTMLInputElement>('file-input');
  fileInput.addEventListener('change', async () => {
    const file = fileInput.files?.[0];
    fileInput.value = ''; // choosing the same file again must fire 'change' again
    if (file) await open(await loadGraphFile(file));
  });

  const controller = new AbortController();
  const signal = controller.signal;
  const scope: EventTarget = options.standalone ? window : element;
  wireDrop(scope, signal, (file) => void loadGraphFile(file).then(open));

  byId('zoom-fit').addEventListener('click', () => viewer.fit());
  byId('zoom-in').addEventListener('click', () => zoom.zoomBy(1.25));
  byId('zoom-out').addEventListener('click', () => zoom.zoomBy(0.8));
  const legend = byId('legend');
  const legendToggle = byId('legend-toggle');
  const showLegend = (on: boolean) => {
    legend.hidden = !on;
    legendToggle.hidden = on;
  };
  byId('legend-close').addEventListener('click', () => showLegend(false));
  legendToggle.addEventListener('click', () => showLegend(true));
  byId('btn-expand').addEventListener('click', () => void viewer.expandAll());
  byId('btn-collapse').addEventListener('click', () => void viewer.foldAll());

  scope.addEventListener(
    'keydown',
    (ev) => {
      const e = ev as KeyboardEvent;
      const target = e.composedPath()[0];
      const typing = target instanceof HTMLInputElement || target instanceof HTMLTextAreaElement;
      if (typing || e.ctrlKey || e.metaKey || e.altKey) return;
      if (e.key === '/') {
        e.preventDefault();
        searchInput.focus();
        searchInput.select();
      } else if (e.key === 'Escape') void viewer.select(undefined);
      else if (e.key === 'f' || e.key === 'F') viewer.fit();
      else if (e.key === '+' || e.key === '=') zoom.zoomBy(1.25);
      else if (e.key === '-' || e.key === '_') zoom.zoomBy(0.8);
    },
    { signal },
  );
  if (!element.hasAttribute('tabindex') && !options.standalone) element.tabIndex = 0; // keys need focus

  if (options.standalone) {
    // Unexpected failures still end in a readable panel rather than a blank page.
    window.addEventListener('error', (e) => setLoadError('Something went wrong', e.message || 'An unexpected error occurred.'), { signal });
    window.addEventListener(
      'unhandledrejection',
      (e) => setLoadError('Something went wrong', String((e.reason as Error)?.message ?? e.reason)),
      { signal },
    );
  }

  warmUp();
  let ready: Promise<void>;
  if (graph === undefined || (typeof graph === 'string' && !graph.trim())) {
    setState({ state: 'empty' });
    showLanding();
    ready = Promise.resolve();
  } else ready = load(graph, 'The embedded graph', false);

  return {
    ready,
    show: (g) => load(g, 'The graph'),
    fit: () => viewer.fit(),
    expandAll: () => viewer.expandAll(),
    foldAll: () => viewer.foldAll(),
    destroy: () => {
      controller.abort();
      setElkFactory(undefined);
      shadow.replaceChildren();
    },
  };
}

/**
 * zod (@argmin/graph's validation) probes whether it may compile parsers with `Function(...)`
 * when it builds an object schema; under a Content-Security-Policy without 'unsafe-eval' the
 * browser reports that probe as a violation. Schemas built from here on (e.g. autodiff's node
 * options) skip it; those built at module load need `@argmin/viz/strict-csp` imported first.
 * The flag is zod's global setting; a value set before is kept.
 */
function noEval(): void {
  const g = globalThis as { __zod_globalConfig?: { jitless?: boolean } };
  g.__zod_globalConfig ??= {};
  g.__zod_globalConfig.jitless ??= true;
}

/** Drag-and-drop of a graph file. dragenter/dragleave fire per child, hence the depth counter. */
function wireDrop(scope: EventTarget, signal: AbortSignal, onFile: (file: File) => void): void {
  const hint = byId('drop-hint');
  let depth = 0;
  const hasFiles = (e: DragEvent) => e.dataTransfer?.types.includes('Files') ?? false;
  const on = (type: string, fn: (e: DragEvent) => void) => scope.addEventListener(type, (e) => fn(e as DragEvent), { signal });
  on('dragenter', (e) => {
    if (!hasFiles(e)) return;
    e.preventDefault();
    depth++;
    hint.hidden = false;
  });
  on('dragover', (e) => {
    if (hasFiles(e)) e.preventDefault();
  });
  on('dragleave', () => {
    depth = Math.max(0, depth - 1);
    if (depth === 0) hint.hidden = true;
  });
  on('drop', (e) => {
    e.preventDefault();
    depth = 0;
    hint.hidden = true;
    const file = e.dataTransfer?.files[0];
    if (file) onFile(file);
  });
}
