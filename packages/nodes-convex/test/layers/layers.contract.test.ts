import fc from 'fast-check';
import { Tensor } from '@argmin/autodiff';
import { solveNode } from '@argmin/autodiff/extend';
import { arbTensor, describeOptimizationNode } from '@argmin/autodiff/testing';
import { reluNode } from '../../src/layers/relu.js';
import { sigmoidNode } from '../../src/layers/sigmoid.js';
import { softmaxNode } from '../../src/layers/softmax.js';
import { sparsemaxNode } from '../../src/layers/sparsemax.js';

const vector = (range = {}) =>
  fc
    .integer({ min: 1, max: 6 })
    .chain((n) => arbTensor([n], range))
    .map((x) => ({ x }));

/** Entries at least `gap` apart, so a threshold (sparsemax's τ) never sits on an entry under central differences. */
const separated = (gap: number) => (p: { x: Tensor }) => {
  const v = Array.from(p.x.data).sort((a, b) => a - b);
  return v.every((x, i) => i === 0 || x - v[i - 1]! > gap);
};

/** The layers are closed forms a few entries wide: the full tier runs 10⁵ cases of each layer's contract. */
const fullRuns = 100_000;

// relu: values kept away from the kink at 0.
describeOptimizationNode(reluNode, {
  fullRuns,
  params: vector({ min: -3, max: 3, awayFromZero: 1e-3 }),
  degenerate: [{ x: new Tensor(Float64Array.of(0, 0, 1), [3]) }],
});

describeOptimizationNode(sigmoidNode, {
  fullRuns,
  params: vector({ min: -8, max: 8 }),
  degenerate: [{ x: new Tensor(Float64Array.of(0, 60, -60), [3]) }],
});

describeOptimizationNode(softmaxNode, {
  fullRuns,
  params: vector({ min: -4, max: 4 }),
  degenerate: [{ x: new Tensor(Float64Array.of(1, 1, 1), [3]) }, { x: new Tensor(Float64Array.of(0, 0), [2]) }],
});

describeOptimizationNode(sparsemaxNode, {
  fullRuns,
  params: vector({ min: -2, max: 2 }).filter((p) => {
    if (!separated(1e-3)(p)) return false;
    // Keep every entry away from the threshold, where the projection has a kink.
    const { y, tau } = solveNode(sparsemaxNode, p).solution;
    return Array.from(p.x.data).every((v) => Math.abs(v - tau.data[0]!) > 1e-3) && y.size > 0;
  }),
  degenerate: [{ x: new Tensor(Float64Array.of(0.5, 0.5, 0.5), [3]) }, { x: new Tensor(Float64Array.of(3, 0, 0), [3]) }],
});
