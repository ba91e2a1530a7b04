import { Tensor, eye, zeros } from '@argmin/autodiff';
import { describeOptimizationNode } from '@argmin/autodiff/testing';
import { lqrNode } from '../../src/lqr/node.js';
import { arbLqr } from '../helpers/arbitraries.js';

const blockDiag = (T: number, n: number) =>
  new Tensor(
    new Float64Array(T * n * n).map((_, i) => ((i % (n * n)) % (n + 1) === 0 ? 1 : 0)),
    [T, n, n],
  );

describeOptimizationNode(lqrNode, {
  params: arbLqr({ T: 3, ns: 2, nc: 2 }),
  // The residual is a reduced gradient of size ~|C||τ|: roundoff-level at the exact solution.
  residualTol: 1e-10,
  gradientTol: 1e-6,
  degenerate: [
    // Zero state cost (PSD, singular C), zero dynamics and data: the solution is zero.
    {
      C: new Tensor(
        new Float64Array(3 * 9).map((_, i) => (i % 9 === 8 ? 1 : 0)),
        [3, 3, 3],
      ),
      c: zeros([3, 3]),
      F: zeros([2, 2, 3]),
      f: zeros([2, 2]),
      x0: zeros([2]),
    },
    // T = 1: no transitions at all.
    { C: blockDiag(1, 3), c: zeros([1, 3]), F: zeros([0, 2, 3]), f: zeros([0, 2]), x0: new Tensor(Float64Array.of(1, -1), [2]) },
    // Identity dynamics and cost.
    {
      C: blockDiag(4, 3),
      c: zeros([4, 3]),
      F: new Tensor(
        new Float64Array(3 * 2 * 3).map((_, i) => ([0, 4].includes(i % 6) ? 1 : 0)),
        [3, 2, 3],
      ),
      f: zeros([3, 2]),
      x0: eye(2).data.length ? new Tensor(Float64Array.of(0.5, 0.5), [2]) : zeros([2]),
    },
  ],
});
