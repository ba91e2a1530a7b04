// Bundled by esbuild for the browser (platform browser: any Node built-in fails the bundle), then
// run in headless Chromium under a CSP without 'unsafe-eval': a QP and its gradient computed in
// the page, traced, and shown with mountViewer.
import { grad, sum, tensor, trace } from '@argmin/autodiff';
import { toJSON } from '@argmin/graph';
import { qp } from '@argmin/nodes-convex';
import { mountViewer } from '@argmin/viz';

// Mounted first: mountViewer declares zod jitless (no eval probe under the strict CSP) before the
// QP's option validation parses anything.
const el = document.getElementById('viewer');
const viewer = mountViewer(el);

const Q = tensor([
  [1, 0],
  [0, 1],
]);
const G = Q;
const h = tensor([1, 1]);
const loss = (p) => sum(qp({ Q, p, G, h }).z);
const p = tensor([-2, -0.5]);
const dp = grad(loss)(p);
const graph = toJSON(trace(loss, [p], { name: 'browser QP', argNames: ['p'] }));
el.addEventListener('argmin:ready', () => {
  window.__consumer = { dp: Array.from(dp.data), boxes: el.shadowRoot.querySelectorAll('.item').length };
});
void viewer.show(graph);
