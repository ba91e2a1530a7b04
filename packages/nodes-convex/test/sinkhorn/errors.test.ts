import { ConvergenceError, InvalidInputError, ShapeError, type Tensor, tensor, vjp, zeros } from '@argmin/autodiff';
import { applyNode } from '@argmin/autodiff/extend';
import { describe, expect, test } from 'vitest';
import { sinkhorn, sinkhornNode } from '../../src/sinkhorn/node.js';

const a = tensor([0.2, 0.3, 0.5]);
const b = tensor([0.4, 0.6]);
const C = tensor([
  [0, 1],
  [0.5, 0.2],
  [1, 0],
]);

describe('convex.sinkhorn: bad input', () => {
  test.each([
    ['a negative marginal', { a: tensor([0.6, -0.1, 0.5]) }, /marginal 'a' holds -0\.1 at flat index 1, which is negative/],
    ['a zero marginal', { b: tensor([0, 1]) }, /marginal 'b' holds 0 at flat index 0, which is zero/],
    ['a NaN marginal', { a: tensor([0.2, Number.NaN, 0.5]) }, /'a' holds NaN/],
    [
      'an infinite cost',
      {
        C: tensor([
          [0, Infinity],
          [0.5, 0.2],
          [1, 0],
        ]),
      },
      /convex\.sinkhorn: .*'C' holds Infinity at flat index 1/,
    ],
    ['marginals with different sums', { b: tensor([0.4, 0.7]) }, /'a' and 'b' must have the same sum: Σa = 1, Σb = 1\.1/],
  ])('%s', (_, change, message) => {
    const params = { a, b, C, ...change };
    expect(() => sinkhorn(params, { epsilon: 0.1 })).toThrow(InvalidInputError);
    expect(() => sinkhorn(params, { epsilon: 0.1 })).toThrow(message);
    // Also when the node is called directly, and by the unrolled path.
    expect(() => applyNode(sinkhornNode, params, { epsilon: 0.1 })).toThrow(InvalidInputError);
    expect(() => applyNode(sinkhornNode, params, { epsilon: 0.1, strategy: 'unroll' })).toThrow(InvalidInputError);
  });

  test.each([0, -0.5, Number.NaN, Infinity])('epsilon = %d is rejected', (epsilon) => {
    expect(() => sinkhorn({ a, b, C }, { epsilon })).toThrow(/convex\.sinkhorn: option 'epsilon' must be a finite number > 0/);
  });

  test('different sums in one batch element name it', () => {
    const bb = tensor([
      [0.4, 0.6],
      [0.5, 0.6],
    ]);
    expect(() => sinkhorn({ a, b: bb, C }, { epsilon: 0.1 })).toThrow(/in batch element 1/);
  });

  test('shape mismatches are ShapeErrors naming both shapes', () => {
    expect(() => sinkhorn({ a, b, C: zeros([2, 3]) }, { epsilon: 0.1 })).toThrow(ShapeError);
    expect(() => sinkhorn({ a, b, C: zeros([2, 3]) }, { epsilon: 0.1 })).toThrow(
      /parameter 'C' of shape \[2,3\] \(core shape \(n,m\)\) does not fit 'a' of shape \[3\] \(core shape \(n\)\): dimension n is 2/,
    );
    expect(() => sinkhorn({ a: tensor([[0.5, 0.5]]), b, C: zeros([2, 2, 2]) }, { epsilon: 0.1 })).toThrow(/batch size/);
  });

  test('a warm start of the wrong size is rejected', () => {
    expect(() => sinkhorn({ a, b, C }, { epsilon: 0.1, warmStart: { f: tensor([0, 0]) } })).toThrow(
      /warmStart\.f of shape \[2\] does not fit the problem: expected \[3\]/,
    );
    expect(() => sinkhorn({ a, b, C }, { epsilon: 0.1, warmStart: { g: tensor([0, Number.NaN]) } })).toThrow(InvalidInputError);
  });

  test('inputs are never mutated', () => {
    const before = [a, b, C].map((t) => Array.from(t.data));
    for (const strategy of ['implicit', 'unroll'] as const) {
      const { pullback } = vjp((p: { a: Tensor; b: Tensor; C: Tensor }) => sinkhorn(p, { epsilon: 0.2, strategy, maxIter: 100 }).plan, {
        a,
        b,
        C,
      });
      pullback(
        tensor([
          [1, 2],
          [3, 4],
          [5, 6],
        ]),
      );
    }
    expect([a, b, C].map((t) => Array.from(t.data))).toEqual(before);
  });
});

describe('convex.sinkhorn: non-convergence', () => {
  const batchA = tensor([
    [0.2, 0.3, 0.5],
    [0.2, 0.3, 0.5],
  ]);
  const batchC = tensor([
    [
      [0, 1],
      [0.5, 0.2],
      [1, 0],
    ],
    [
      [0, 0],
      [0, 0],
      [0, 0],
    ],
  ]);
  // Element 0 needs many iterations at ε = 0.01; element 1 (constant cost) converges at once.
  const options = { epsilon: 0.01, maxIter: 2 };

  test("an exhausted budget is reported per element as 'max_iter'", () => {
    const out = sinkhorn({ a: batchA, b, C: batchC }, options);
    expect(out.info.status).toEqual(['max_iter', 'converged']);
    expect(out.info.residual[0]).toBeGreaterThan(1e-9);
    expect(out.plan.data.every(Number.isFinite)).toBe(true);
  });

  const grads = (onUnconverged: 'error' | 'zero' | 'unroll-fallback') =>
    vjp((cc: Tensor) => sinkhorn({ a: batchA, b, C: cc }, { ...options, onUnconverged }).value, batchC).pullback(
      tensor([1, 1]),
    )[0] as Tensor;

  test('the default policy refuses to differentiate it', () => {
    expect(() => grads('error')).toThrow(ConvergenceError);
    expect(() => grads('error')).toThrow(/batch element 0 \(max_iter\)/);
  });

  test("'zero' zeroes that element and keeps the converged one", () => {
    const g = grads('zero');
    expect(g.data.slice(0, 6).every((v) => v === 0)).toBe(true);
    // Element 1: the envelope gradient dvalue/dC = P = a bᵀ.
    const expected = [0.08, 0.12, 0.12, 0.18, 0.2, 0.3];
    g.data.slice(6).forEach((v, i) => expect(Math.abs(v - expected[i]!)).toBeLessThanOrEqual(1e-12));
  });

  test("'unroll-fallback' differentiates the two unrolled iterations instead", () => {
    const g = grads('unroll-fallback');
    const unrolled = vjp(
      (cc: Tensor) => sinkhorn({ a: tensor([0.2, 0.3, 0.5]), b, C: cc }, { ...options, strategy: 'unroll' }).value,
      tensor([
        [0, 1],
        [0.5, 0.2],
        [1, 0],
      ]),
    ).pullback(tensor(1))[0] as Tensor;
    g.data.slice(0, 6).forEach((v, i) => expect(Math.abs(v - unrolled.data[i]!)).toBeLessThanOrEqual(1e-12));
    expect(g.data.slice(0, 6).some((v) => v !== 0)).toBe(true);
  });
});
