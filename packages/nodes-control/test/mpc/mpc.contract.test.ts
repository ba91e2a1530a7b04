import { Tensor, full, tensor, zeros } from '@argmin/autodiff';
import { solveNode } from '@argmin/autodiff/extend';
import { describeOptimizationNode } from '@argmin/autodiff/testing';
import { arbTensor } from '@argmin/autodiff/testing';
import fc from 'fast-check';
import { pendulum } from '../../src/dynamics/pendulum.js';
import { mpcNode } from '../../src/mpc/node.js';
import { mpcControlGradient } from '../../src/mpc/optimality.js';
import type { MpcOptions, MpcParams } from '../../src/mpc/problem.js';
import { arbBounds, arbLqr, strictlyComplementary } from '../helpers/arbitraries.js';

/**
 * Instances whose solution is strictly complementary with a margin of 1e-3, so that central
 * differences (steps ~1e-6) never cross a change of the active set; the solve is run to a
 * 1e-13 projected gradient so its error does not pollute the differences.
 */
function complementary(arb: fc.Arbitrary<MpcParams>, options: MpcOptions & { tol: number }): fc.Arbitrary<MpcParams> {
  return arb.filter((p) => {
    const { solution, info } = solveNode(mpcNode, p, options);
    if (info.status[0] !== 'converged') return false;
    const g = mpcControlGradient(p, solution, options);
    return strictlyComplementary(solution.u, p.uLower!, p.uUpper!, g.data, 1e-3);
  });
}

const linearOptions = { tol: 1e-13 };
const arbLinear = complementary(
  fc.tuple(arbLqr({ T: 4, ns: 2, nc: 2 }), arbBounds(4, 2)).map(([p, b]) => ({ ...p, c: scale(p.c, 2), ...b }) as MpcParams),
  linearOptions,
);
describeOptimizationNode(mpcNode, {
  params: arbLinear,
  options: linearOptions,
  strategies: ['implicit', 'solve'],
  residualTol: 1e-10,
  gradientTol: 1e-5,
  degenerate: [
    // Lower = upper: every control pinned.
    {
      C: eyes(3, 3),
      c: zeros([3, 3]),
      F: zeros([2, 2, 3]),
      f: zeros([2, 2]),
      x0: tensor([1, -1]),
      uLower: full([3, 1], 0.2),
      uUpper: full([3, 1], 0.2),
    },
    // Unconstrained optimum u = 0 exactly on the lower bound (zero multiplier).
    {
      C: eyes(3, 3),
      c: zeros([3, 3]),
      F: zeros([2, 2, 3]),
      f: zeros([2, 2]),
      x0: tensor([1, -1]),
      uLower: zeros([3, 1]),
      uUpper: full([3, 1], 1),
    },
  ],
});
// Unrolling box-DDP costs ~15 iterations of ops per call: fewer runs for the same properties
// (the full tier's 10⁴ cases of this node come from the other two contracts, 2,000 from this one).
describeOptimizationNode(mpcNode, {
  params: arbLinear,
  options: linearOptions,
  strategies: ['implicit', 'unroll'],
  gradientTol: 1e-5,
  numRuns: 4,
  fullRuns: 2_000,
});

const pendulumOptions = { dynamics: pendulum, tol: 1e-13 };
const arbPendulum = fc.record({
  C: arbTensor([4, 4], { min: 0.05, max: 0.3 }).map((d) => diagBlocks(d, [1, 1, 0.1, 0.01])),
  c: arbTensor([4, 4], { min: -1, max: 1 }),
  x0: fc
    .tuple(fc.double({ min: -Math.PI, max: Math.PI, noNaN: true }), fc.double({ min: -1, max: 1, noNaN: true }))
    .map(([th, w]) => tensor([Math.cos(th), Math.sin(th), w])),
  theta: fc
    .tuple(
      fc.double({ min: 8, max: 12, noNaN: true }),
      fc.double({ min: 0.8, max: 1.2, noNaN: true }),
      fc.double({ min: 0.8, max: 1.2, noNaN: true }),
    )
    .map((v) => tensor(v)),
  uLower: arbTensor([4, 1], { min: -1.8, max: -0.5 }),
  uUpper: arbTensor([4, 1], { min: 0.5, max: 1.8 }),
}) as fc.Arbitrary<MpcParams>;

describeOptimizationNode(mpcNode, {
  params: complementary(arbPendulum, pendulumOptions),
  options: pendulumOptions,
  strategies: ['implicit', 'solve'],
  residualTol: 1e-10,
  gradientTol: 1e-5,
  sharedParam: 'theta',
  numRuns: 8,
});

function eyes(T: number, n: number): Tensor {
  return new Tensor(
    new Float64Array(T * n * n).map((_, i) => ((i % (n * n)) % (n + 1) === 0 ? 1 : 0)),
    [T, n, n],
  );
}

function scale(t: Tensor, s: number): Tensor {
  return new Tensor(
    t.data.map((v) => v * s),
    t.shape,
  );
}

/** [T, n, n] blocks diag(base) + d_t d_tᵀ-free jitter: diag(base + d_t) per time step. */
function diagBlocks(d: Tensor, base: readonly number[]): Tensor {
  const [T, n] = d.shape as [number, number];
  const out = new Float64Array(T * n * n);
  for (let t = 0; t < T; t++) for (let i = 0; i < n; i++) out[t * n * n + i * n + i] = base[i]! + d.data[t * n + i]!;
  return new Tensor(out, [T, n, n]);
}
