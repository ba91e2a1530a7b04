// Type-checked (never run) inside the consumer project with skipLibCheck false, under
// moduleResolution nodenext and bundler: every public entry point, used as a user would.
import '@argmin/viz/strict-csp';
import { grad, sum, type Tensor, tensor, trace } from '@argmin/autodiff';
import { dot } from '@argmin/autodiff/kernels';
import { checkVjp } from '@argmin/autodiff/testing';
import { run } from '@argmin/cli';
import { type GraphJSON, toJSON } from '@argmin/graph';
import { adam } from '@argmin/nodes-amortized';
import { lqr } from '@argmin/nodes-control';
import { qp } from '@argmin/nodes-convex';
import { mountViewer, type ViewerHandle } from '@argmin/viz';
import { renderViewerHtml } from '@argmin/viz/node';

const Q: Tensor = tensor([
  [1, 0],
  [0, 1],
]);
const z: Tensor = qp({ Q, p: tensor([1, 1]) }).z;
const g: Tensor = grad((p: Tensor) => sum(qp({ Q, p }).z))(tensor([1, 1]));
const C = tensor([
  [
    [1, 0],
    [0, 1],
  ],
  [
    [1, 0],
    [0, 1],
  ],
]);
const x: Tensor = lqr({
  C,
  c: tensor([
    [0, 0],
    [0, 0],
  ]),
  F: tensor([[[1, 1]]]),
  x0: tensor([1]),
}).x;
const graph: GraphJSON = toJSON(trace((p: Tensor) => sum(p), [z]));
const html: string = renderViewerHtml(graph, { title: 'typed' });
const d: number = dot(2, z.data, g.data);
const code: Promise<number> = run(['--version']);
declare const element: HTMLElement;
const viewer: ViewerHandle = mountViewer(element, graph);
const ready: Promise<void> = viewer.ready;
void [x, html, d, code, ready, checkVjp, adam];
