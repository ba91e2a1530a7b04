import { describe, expect } from 'vitest';
import { test } from '@fast-check/vitest';
import fc from 'fast-check';
import {
  InvalidInputError,
  Rng,
  Tensor,
  mul,
  randn,
  relu,
  sigmoid,
  softmax,
  sum,
  vjp,
  type OptimizationNode,
  type Strategy,
} from '@argmin/autodiff';
import { applyNode, rootVjp, type TensorRecord, solveNode } from '@argmin/autodiff/extend';
import { arbTensor, numRuns } from '@argmin/autodiff/testing';
import { reluLayer, reluNode } from '../../src/layers/relu.js';
import { sigmoidLayer, sigmoidNode } from '../../src/layers/sigmoid.js';
import { softmaxLayer, softmaxNode } from '../../src/layers/softmax.js';
import { sparsemaxLayer } from '../../src/layers/sparsemax.js';

/** Sparsemax by the sorting formula (Martins & Astudillo 2016), as an independent reference. */
function sparsemaxBySorting(x: Float64Array): Float64Array {
  const z = Array.from(x).sort((a, b) => b - a);
  let cumsum = 0;
  let k = 0;
  let kSum = 0;
  z.forEach((v, i) => {
    cumsum += v;
    if (1 + (i + 1) * v > cumsum) (k = i + 1), (kSum = cumsum);
  });
  const tau = (kSum - 1) / k;
  return x.map((v) => Math.max(v - tau, 0));
}

const maxAbs = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
};

const arbRows = (range: { min: number; max: number; awayFromZero?: number }) =>
  fc.tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 8 })).chain(([b, n]) => arbTensor([b, n], range));

const strategies: Strategy[] = ['implicit', 'unroll', 'solve'];
/** Beside the layers' contracts (10⁵ cases each), 10⁴ cases of each closed-form comparison. */
const CHEAP_FULL_RUNS = 10_000;

const layers = [
  { name: 'relu', layer: reluLayer, closed: relu, range: { min: -3, max: 3, awayFromZero: 1e-3 } },
  { name: 'sigmoid', layer: sigmoidLayer, closed: sigmoid, range: { min: -8, max: 8 } },
  { name: 'softmax', layer: softmaxLayer, closed: (x: Tensor) => softmax(x, -1), range: { min: -4, max: 4 } },
];

describe('argmin layers equal their closed forms', () => {
  for (const { name, layer, closed, range } of layers) {
    test.prop([arbRows(range), fc.constantFrom(...strategies), fc.integer()], { numRuns: numRuns(30, CHEAP_FULL_RUNS) })(
      `${name}: values and gradients`,
      (x, strategy, seed) => {
        const c = randn(x.shape, Rng.seeded(seed));
        const loss = (f: (t: Tensor) => Tensor) => (t: Tensor) => sum(mul(f(t), c));
        const ours = vjp(
          loss((t) => layer({ x: t }, { strategy }).y),
          x,
        );
        const ref = vjp(loss(closed), x);
        expect(Math.abs(ours.value.item() - ref.value.item())).toBeLessThan(1e-10);
        if (strategy === 'solve') return;
        const [g] = ours.pullback(new Tensor(Float64Array.of(1), []));
        const [gRef] = ref.pullback(new Tensor(Float64Array.of(1), []));
        expect(maxAbs(g.data, gRef.data)).toBeLessThan(1e-8);
      },
    );
  }

  test.prop([arbRows({ min: -2, max: 2 })], { numRuns: numRuns(50, CHEAP_FULL_RUNS) })(
    'sparsemax: values equal the sorting formula',
    (x) => {
      const y = sparsemaxLayer({ x }).y;
      const n = x.shape[1]!;
      for (let r = 0; r < x.shape[0]!; r++) {
        const row = x.data.subarray(r * n, (r + 1) * n);
        expect(maxAbs(y.data.subarray(r * n, (r + 1) * n), sparsemaxBySorting(row))).toBeLessThan(1e-12);
      }
    },
  );

  test('sparsemax: the implicit Jacobian is the closed form diag(s) − ssᵀ/|s| on the support s', () => {
    const x = new Tensor(Float64Array.of(0.9, 0.1, -0.5, 0.6), [4]);
    const y = sparsemaxLayer({ x }).y;
    const support = Array.from(y.data, (v): number => (v > 0 ? 1 : 0));
    const k = support.reduce((a, b) => a + b, 0);
    for (let j = 0; j < 4; j++) {
      const e = new Tensor(
        Float64Array.from({ length: 4 }, (_, i) => (i === j ? 1 : 0)),
        [4],
      );
      const [row] = vjp((t: Tensor) => sparsemaxLayer({ x: t }).y, x).pullback(e);
      const expected = support.map((si, i) => si * ((i === j ? 1 : 0) - support[j]! / k) * 1);
      expect(maxAbs(row.data, expected)).toBeLessThan(1e-10);
    }
  });
});

/** The generic implicit VJP, applied to each layer's optimality, against the closed-form Jacobian. */
describe('the generic implicit VJP matches closed forms to 1e-8', () => {
  const cases: { node: OptimizationNode<{ x: Tensor }, TensorRecord, object>; closed: (x: Tensor) => Tensor; range: object }[] = [
    { node: reluNode, closed: relu, range: { min: -3, max: 3, awayFromZero: 1e-3 } },
    { node: sigmoidNode, closed: sigmoid, range: { min: -6, max: 6 } },
    { node: softmaxNode as never, closed: (x) => softmax(x, -1), range: { min: -4, max: 4 } },
  ];
  for (const { node, closed, range } of cases) {
    test.prop([fc.integer({ min: 1, max: 8 }).chain((n) => arbTensor([n], range)), fc.integer()], {
      numRuns: numRuns(30, CHEAP_FULL_RUNS),
    })(node.name, (x, seed) => {
      const { solution } = solveNode(node, { x });
      const yBar = randn(x.shape, Rng.seeded(seed));
      const cot = Object.fromEntries(Object.keys(solution).map((k) => [k, k === 'y' ? yBar : null]));
      const generic = rootVjp((p, s) => node.optimality!(p, s, {}), { x }, solution, cot, { node: node.name, element: 0 });
      const [expected] = vjp(closed, x).pullback(yBar);
      expect(maxAbs(generic.x!.data, expected.data)).toBeLessThan(1e-8);
    });
  }
});

describe('argmin layers: bad input', () => {
  test('softmax rejects a non-positive temperature, naming the node', () => {
    expect(() => softmaxLayer({ x: new Tensor(Float64Array.of(1, 2), [2]) }, { temperature: 0 }).y).toThrow(InvalidInputError);
    expect(() => softmaxLayer({ x: new Tensor(Float64Array.of(1, 2), [2]) }, { temperature: -1 }).y).toThrow(
      /convex\.softmax: option 'temperature' must be a finite number > 0, got number -1/,
    );
  });
  test('NaN input is an InvalidInputError naming the node and parameter', () => {
    expect(() => applyNode(sigmoidNode, { x: new Tensor(Float64Array.of(1, Number.NaN), [2]) })).toThrow(
      /convex\.sigmoid: parameter 'x' holds NaN/,
    );
  });
  test('the layers accept tensors of any rank over the last axis', () => {
    const x = new Tensor(
      Float64Array.from({ length: 24 }, (_, i) => Math.sin(i)),
      [2, 3, 4],
    );
    expect(softmaxLayer({ x }).y.shape).toEqual([2, 3, 4]);
    expect(maxAbs(softmaxLayer({ x }).y.data, softmax(x, -1).data)).toBeLessThan(1e-12);
  });
});
