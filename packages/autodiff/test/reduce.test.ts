import { describe, expect, it } from 'vitest';
import { test } from '@fast-check/vitest';
import fc from 'fast-check';
import { ShapeError, Tensor, add, grad, mul, sizeOf, tensor } from '@argmin/autodiff';
import { arbShape, arbTensor, numRuns } from '@argmin/autodiff/testing';
import { reductionLayout } from '../src/kernels/reduce.js';
import { logSoftmax, logsumexp, max, mean, min, norm, softmax, sum } from '../src/ops/reduce.js';
import { arbAxes } from './specs/reduce.js';

/** Row-major multi-index of flat index i. */
function unravel(i: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    idx[d] = i % shape[d]!;
    i = Math.floor(i / shape[d]!);
  }
  return idx;
}

/** The obvious reduction, one element at a time, as a reference for the kernel's layouts. */
function naiveReduce(x: Tensor, axes: readonly number[], init: number, f: (a: number, b: number) => number): number[] {
  const kept = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const out = new Array<number>(sizeOf(kept)).fill(init);
  for (let i = 0; i < x.size; i++) {
    const idx = unravel(i, x.shape).map((v, d) => (axes.includes(d) ? 0 : v));
    const j = idx.reduce((acc, v, d) => acc * kept[d]! + v, 0);
    out[j] = f(out[j]!, x.data[i]!);
  }
  return out;
}

const normalized = (axes: readonly number[] | undefined, rank: number): number[] =>
  (axes ?? [...Array(rank).keys()]).map((a) => (a < 0 ? a + rank : a));

const close = (a: ArrayLike<number>, b: ArrayLike<number>, tol = 1e-12): boolean =>
  a.length === b.length && Array.from(a).every((v, i) => Math.abs(v - b[i]!) <= tol * (1 + Math.abs(b[i]!)));

describe('reduction kernels agree with a naive reference on every layout', () => {
  const args = arbShape({ maxRank: 4 }).chain((shape) => fc.tuple(arbTensor(shape), arbAxes(shape), fc.boolean()));

  test.prop([args], { numRuns: numRuns() })('sum, max, min, logsumexp, norm', ([x, axes, keepDims]) => {
    const ax = normalized(axes, x.ndim);
    const expectedShape = x.shape.flatMap((d, i) => (ax.includes(i) ? (keepDims ? [1] : []) : [d]));
    expect(sum(x, axes, keepDims).shape).toEqual(expectedShape);
    expect(
      close(
        sum(x, axes, keepDims).data,
        naiveReduce(x, ax, 0, (a, b) => a + b),
      ),
    ).toBe(true);
    expect(close(max(x, axes, keepDims).data, naiveReduce(x, ax, -Infinity, Math.max))).toBe(true);
    expect(close(min(x, axes, keepDims).data, naiveReduce(x, ax, Infinity, Math.min))).toBe(true);
    const lse = naiveReduce(x, ax, 0, (a, b) => a + Math.exp(b)).map(Math.log);
    expect(close(logsumexp(x, axes, keepDims).data, lse, 1e-10)).toBe(true);
    const l2 = naiveReduce(x, ax, 0, (a, b) => a + b * b).map(Math.sqrt);
    expect(close(norm(x, axes, keepDims).data, l2, 1e-10)).toBe(true);
  });

  it('uses the blocked fast path for the last axis, all axes and any contiguous block', () => {
    expect(reductionLayout([2, 3, 4], [2])).toMatchObject({ outer: 6, size: 4, inner: 1 });
    expect(reductionLayout([2, 3, 4], [0, 1, 2])).toMatchObject({ outer: 1, size: 24, inner: 1 });
    expect(reductionLayout([2, 3, 4], [1])).toMatchObject({ outer: 2, size: 3, inner: 4 });
    // Size-1 axes move no data, so [0, 2] of [2, 1, 4] is one contiguous block.
    expect(reductionLayout([2, 1, 4], [0, 2])).toMatchObject({ outer: 1, size: 8, inner: 1 });
    expect(reductionLayout([2, 3, 4], [1]).gather).toBeUndefined();
    // Two separate blocks: gather them last, then reduce rows.
    expect(reductionLayout([2, 3, 4], [0, 2])).toMatchObject({
      outer: 3,
      size: 8,
      inner: 1,
      gather: { shape: [3, 2, 4], strides: [4, 12, 1] },
    });
  });
});

describe('reduction values', () => {
  const x = tensor([
    [1, 2, 3],
    [4, 5, 6],
  ]);

  it('sums and averages over one axis, several, or all', () => {
    expect(sum(x, 0).toArray()).toEqual([5, 7, 9]);
    expect(sum(x, -1, true).toArray()).toEqual([[6], [15]]);
    expect(sum(x).item()).toBe(21);
    expect(mean(x, [1, 0]).item()).toBe(3.5);
    expect(sum(x, []).toArray()).toEqual(x.toArray());
  });

  it('reduces empty axes to the identity of the reduction', () => {
    const empty = new Tensor(new Float64Array(0), [2, 0]);
    expect(sum(empty, 1).toArray()).toEqual([0, 0]);
    expect(max(empty, 1).toArray()).toEqual([-Infinity, -Infinity]);
    expect(logsumexp(empty, 1).toArray()).toEqual([-Infinity, -Infinity]);
    expect(Number.isNaN(mean(empty, 1).data[0])).toBe(true);
  });

  it('propagates NaN through max and min instead of skipping it', () => {
    expect(max(tensor([1, NaN, 2])).item()).toBeNaN();
    expect(min(tensor([NaN, 1, 2])).item()).toBeNaN();
  });

  it('splits the gradient of max and min evenly between ties', () => {
    expect(grad((v: Tensor) => max(v))(tensor([1, 3, 3])).toArray()).toEqual([0, 0.5, 0.5]);
    expect(grad((v: Tensor) => min(v))(tensor([2, 2, 2, 5])).toArray()).toEqual([1 / 3, 1 / 3, 1 / 3, 0]);
    expect(
      grad((v: Tensor) => sum(max(v, 1)))(
        tensor([
          [1, 1],
          [0, 2],
        ]),
      ).toArray(),
    ).toEqual([
      [0.5, 0.5],
      [0, 1],
    ]);
  });

  it('computes logsumexp without overflow or underflow', () => {
    expect(logsumexp(tensor([1000, 1000])).item()).toBeCloseTo(1000 + Math.LN2, 12);
    expect(logsumexp(tensor([-1000, -1000])).item()).toBeCloseTo(-1000 + Math.LN2, 12);
    expect(logsumexp(tensor([-Infinity, -Infinity])).item()).toBe(-Infinity);
    expect(logsumexp(tensor([Infinity, 0])).item()).toBe(Infinity);
    // The gradient exp(x − logsumexp) inherits the output's rounding at 1000 (ulp ≈ 1e-13).
    expect(close(grad((v: Tensor) => logsumexp(v))(tensor([1000, 1000])).data, [0.5, 0.5], 1e-12)).toBe(true);
  });

  it('normalizes softmax to 1 along the axis, also for inputs that would overflow exp', () => {
    const big = tensor([
      [1000, 1001, 1002],
      [-1000, -1000, -1000],
    ]);
    const p = softmax(big);
    expect(close(sum(p, -1).data, [1, 1])).toBe(true);
    expect(p.data.every(Number.isFinite)).toBe(true);
    expect(close(sum(softmax(big, 0), 0).data, [1, 1, 1])).toBe(true);
    expect(close(logSoftmax(big).data, p.data.map(Math.log), 1e-12)).toBe(true);
    expect(logSoftmax(big).data.every(Number.isFinite)).toBe(true);
  });

  it('computes the 2-norm without overflow or underflow of the squares', () => {
    expect(norm(tensor([3, 4])).item()).toBe(5);
    expect(norm(tensor([3e200, 4e200])).item() / 5e200).toBeCloseTo(1, 14);
    expect(norm(tensor([3e-200, 4e-200])).item() / 5e-200).toBeCloseTo(1, 14);
    expect(
      norm(
        tensor([
          [3, 4],
          [0, 0],
        ]),
        1,
      ).toArray(),
    ).toEqual([5, 0]);
  });

  it('gives the norm a zero gradient at 0 (the minimum-norm subgradient), also per slice', () => {
    expect(grad((v: Tensor) => norm(v))(tensor([0, 0])).toArray()).toEqual([0, 0]);
    const g = grad((v: Tensor) => sum(norm(v, 1)))(
      tensor([
        [3, 4],
        [0, 0],
      ]),
    );
    expect(close(g.data, [0.6, 0.8, 0, 0])).toBe(true);
    // Second derivatives stay finite at 0 too (0/0 never appears).
    const h = grad((v: Tensor) => sum(mul(grad((w: Tensor) => norm(w))(v), tensor([1, 2]))))(tensor([0, 0]));
    expect(h.data.every(Number.isFinite)).toBe(true);
  });

  it('differentiates mean as a sum scaled by 1/n', () => {
    expect(
      grad((v: Tensor) => sum(mean(v, 1)))(
        tensor([
          [1, 2],
          [3, 4],
        ]),
      ).toArray(),
    ).toEqual([
      [0.5, 0.5],
      [0.5, 0.5],
    ]);
    expect(grad((v: Tensor) => mean(add(v, 1)))(tensor([1, 2, 3, 4])).toArray()).toEqual([0.25, 0.25, 0.25, 0.25]);
  });
});

describe('reductions reject bad axes with a ShapeError naming the op, the axis and the shape', () => {
  const x = tensor([
    [1, 2, 3],
    [4, 5, 6],
  ]);
  const reductions = { sum, mean, max, min, logsumexp, norm } as const;

  for (const [name, f] of Object.entries(reductions)) {
    it(name, () => {
      expect(() => f(x, 2)).toThrow(ShapeError);
      expect(() => f(x, 2)).toThrow(new RegExp(`^${name}: axis 2 is out of range for input 'x' of shape \\[2,3\\]`));
      expect(() => f(x, [-3])).toThrow(/axis -3 .*\[2,3\]/);
      expect(() => f(x, [1, -1])).toThrow(new RegExp(`^${name}: axis 1 is repeated in axes \\[1,-1\\] .*\\[2,3\\]`));
      expect(() => f(x, 0.5)).toThrow(ShapeError);
    });
  }

  for (const [name, f] of Object.entries({ softmax, logSoftmax })) {
    it(name, () => {
      expect(() => f(x, 2)).toThrow(new RegExp(`^${name}: axis 2 is out of range for input 'x' of shape \\[2,3\\]`));
      expect(() => f(tensor(1))).toThrow(new RegExp(`^${name}: axis -1 .*shape \\[\\] \\(a rank-0 tensor has no axes\\)`));
    });
  }
});
