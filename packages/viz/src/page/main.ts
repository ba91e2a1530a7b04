// Entry point of the viewer page: reads the embedded graph (if any) and wires the file picker,
// drag-and-drop, toolbar, search and keyboard shortcuts to the Viewer.
import { setLoadError, Viewer } from './app.js';
import { byId } from './dom.js';
import { type LoadResult, loadGraphFile, loadGraphText } from './load.js';
import { warmUp } from './layout.js';
import { canvasMeasure } from './measure.js';
import { hideOverlay, showLanding } from './overlay.js';
import { PanZoom } from './panzoom.js';
import { Search } from './search.js';

const svg = byId<SVGSVGElement>('graph');
const zoom = new PanZoom(svg, byId<SVGGElement>('viewport'));
const viewer = new Viewer(svg, byId<SVGGElement>('viewport'), byId('panel'), zoom, canvasMeasure());
const searchInput = byId<HTMLInputElement>('search');
const search = new Search(searchInput, byId('search-count'), byId('search-prev'), byId('search-next'), {
  model: () => viewer.model,
  highlight: (ids) => viewer.highlight(ids),
  focus: (id) => void viewer.select(id, true),
});

async function open(result: LoadResult, retitle = true): Promise<void> {
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

function boot(): void {
  warmUp();
  const embedded = byId('argmin-graph').textContent ?? '';
  if (embedded.trim()) void open(loadGraphText(embedded, 'The embedded graph'), false);
  else {
    document.body.dataset.state = 'empty';
    showLanding();
  }
}

const fileInput = byId<HTMLInputElement>('file-input');
fileInput.addEventListener('change', async () => {
  const file = fileInput.files?.[0];
  fileInput.value = ''; // choosing the same file again must fire 'change' again
  if (file) await open(await loadGraphFile(file));
});

// Drag-and-drop anywhere on the page. dragenter/dragleave fire for every child element, so a
// depth counter tells when the pointer really left the window.
const hint = byId('drop-hint');
let dragDepth = 0;
const hasFiles = (e: DragEvent) => e.dataTransfer?.types.includes('Files') ?? false;
window.addEventListener('dragenter', (e) => {
  if (!hasFiles(e)) return;
  e.preventDefault();
  dragDepth++;
  hint.hidden = false;
});
window.addEventListener('dragover', (e) => {
  if (hasFiles(e)) e.preventDefault();
});
window.addEventListener('dragleave', () => {
  dragDepth = Math.max(0, dragDepth - 1);
  if (dragDepth === 0) hint.hidden = true;
});
window.addEventListener('drop', async (e) => {
  e.preventDefault();
  dragDepth = 0;
  hint.hidden = true;
  const file = e.dataTransfer?.files[0];
  if (file) await open(await loadGraphFile(file));
});

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
byId('btn-collapse').addEventListener('click', () => void viewer.setExpanded([]));

window.addEventListener('keydown', (e) => {
  const typing = e.target instanceof HTMLInputElement || e.target instanceof HTMLTextAreaElement;
  if (typing || e.ctrlKey || e.metaKey || e.altKey) return;
  if (e.key === '/') {
    e.preventDefault();
    searchInput.focus();
    searchInput.select();
  } else if (e.key === 'Escape') void viewer.select(undefined);
  else if (e.key === 'f' || e.key === 'F') viewer.fit();
  else if (e.key === '+' || e.key === '=') zoom.zoomBy(1.25);
  else if (e.key === '-' || e.key === '_') zoom.zoomBy(0.8);
});

// Unexpected failures still end in a readable panel rather than a blank page.
window.addEventListener('error', (e) => setLoadError('Something went wrong', e.message || 'An unexpected error occurred.'));
window.addEventListener('unhandledrejection', (e) =>
  setLoadError('Something went wrong', String((e.reason as Error)?.message ?? e.reason)),
);

boot();
