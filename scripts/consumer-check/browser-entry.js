// Bundled by esbuild for the browser (platform browser: any Node built-in fails the bundle), then
// run in headless Chromium under a CSP without 'unsafe-eval': a QP and its gradient computed in
// the page, traced, and shown with mountViewer.
// First, as the README says for pages whose CSP forbids eval (zod probes for it on load).
import '@argmin/viz/strict-csp';
import { grad, sum, tensor, trace } from '@argmin/autodiff';
import { toJSON } from '@argmin/graph';
import { qp } from '@argmin/nodes-convex';
import { mountViewer } from '@argmin/viz';

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
