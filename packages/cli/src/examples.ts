// Built-in example graphs for `argmin view --example NAME`: name → a function that builds the
// graph. Keep the table sorted by name; add a one-line description below for `--help`.
//
// Examples built from the solver packages (qp, lqr, sinkhorn, mlp) belong here too: trace the
// computation with @argmin/autodiff and return its GraphJSON, e.g.
//   qp: async () => (await import('./examples/qp.js')).qpGraph(),
// Dynamic imports keep `argmin --help` fast and load a package only when its example is used.
import type { GraphJSON } from '@argmin/graph';
import { syntheticGraph } from '@argmin/viz';

export type ExampleBuilder = () => Promise<GraphJSON>;

export const examples: Readonly<Record<string, ExampleBuilder>> = {
  lqr: async () => (await import('./examples/solvers.js')).lqrGraph(),
  mlp: async () => (await import('./examples/solvers.js')).mlpGraph(),
  qp: async () => (await import('./examples/solvers.js')).qpGraph(),
  sinkhorn: async () => (await import('./examples/solvers.js')).sinkhornGraph(),
  synthetic: async () => syntheticGraph({ nodes: 120, name: 'synthetic example' }),
  'synthetic-2000': async () => syntheticGraph({ nodes: 2000, name: 'synthetic example (2,000 nodes)' }),
  'synthetic-flat-2000': async () => syntheticGraph({ nodes: 2000, clusters: false, name: 'synthetic example (2,000 nodes, no clusters)' }),
};

export const exampleDescriptions: Readonly<Partial<Record<string, string>>> = {
  lqr: 'an LQR node (Riccati recursion) on a double integrator, T = 10',
  mlp: 'a three-layer MLP with a cross-entropy loss; weights shown as parameters',
  qp: 'a batch of 4 QP layers (OptNet) with their SolveInfo',
  sinkhorn: 'entropic optimal transport, implicit and unrolled (a foldable cluster of iterations)',
  synthetic: 'a generated graph: encoder, two QP layers with SolveInfo, unrolled Sinkhorn solvers (about 120 nodes)',
  'synthetic-2000': 'the same at 2,000 nodes, with about 500 foldable clusters (the viewer layout budget)',
  'synthetic-flat-2000': '2,000 nodes and no clusters at all (the layout worst case)',
};
