import { Tensor, tensor, zeros } from '@argmin/autodiff';
import { arbSimplex, arbTensor, describeOptimizationNode } from '@argmin/autodiff/testing';
import fc from 'fast-check';
import { sinkhornNode } from '../../src/sinkhorn/node.js';

const n = 3;
const m = 4;

/** Marginals may only move along sum-zero directions (Σa = Σb must hold), as in ott-jax's tests. */
function centredTangent(t: Tensor, param: string): Tensor {
  if (param === 'C') return t;
  const mean = t.data.reduce((s, v) => s + v, 0) / t.size;
  return new Tensor(
    t.data.map((v) => v - mean),
    t.shape,
  );
}

const params = fc.record({
  a: arbSimplex(n, { margin: 0.05 }),
  b: arbSimplex(m, { margin: 0.05 }),
  C: arbTensor([n, m], { min: 0, max: 1 }),
});

describeOptimizationNode(sinkhornNode, {
  params,
  // maxIter bounds the unrolled steps too (unrolling runs them all): at ε = 0.5 on these
  // instances the solve needs at most ~35 iterations for 1e-14 (300 samples), so 70 is 2× that.
  options: { epsilon: 0.5, tol: 1e-14, maxIter: 70 },
  tangent: centredTangent,
  sharedParam: 'C',
  degenerate: [
    // Constant cost: the plan is a bᵀ/Σa and every potential pair is flat.
    { a: tensor([0.2, 0.3, 0.5]), b: tensor([0.25, 0.25, 0.25, 0.25]), C: zeros([n, m]) },
    // Tied rows and columns of the cost.
    {
      a: tensor([0.5, 0.25, 0.25]),
      b: tensor([0.1, 0.2, 0.3, 0.4]),
      C: tensor([
        [0, 1, 0, 1],
        [0, 1, 0, 1],
        [1, 0, 1, 0],
      ]),
    },
  ],
});

// A smaller ε: the plan is close to a vertex and the potentials' system ill-conditioned.
describeOptimizationNode(sinkhornNode, {
  params,
  options: { epsilon: 0.05, tol: 1e-14, maxIter: 20000 },
  tangent: centredTangent,
  sharedParam: 'C',
  strategies: ['implicit', 'solve'],
  numRuns: 8,
});
