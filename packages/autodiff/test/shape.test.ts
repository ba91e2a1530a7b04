import { describe, expect, it } from 'vitest';
import { test } from '@fast-check/vitest';
import fc from 'fast-check';
import { ShapeError, type Tensor, grad, mul, sizeOf, tensor } from '@argmin/autodiff';
import { arbShape, arbTensor, numRuns } from '@argmin/autodiff/testing';
import { concat, index, scatterAdd, scatterSlice, slice, stack, take } from '../src/ops/index-ops.js';
import { sum } from '../src/ops/reduce.js';
import { stridesOf } from '../src/tensor.js';
import { expandDims, matrixTranspose, reshape, squeeze, swapAxes, transpose } from '../src/ops/shape.js';

/** The element of `x` at a multi-index. */
const at = (x: Tensor, idx: readonly number[]): number => x.data[idx.reduce((o, v, d) => o + v * stridesOf(x.shape)[d]!, 0)]!;

/** Every multi-index of `shape`, in row-major order. */
function* indices(shape: readonly number[]): Generator<number[]> {
  for (let i = 0; i < sizeOf(shape); i++) {
    const idx: number[] = [];
    let r = i;
    for (let d = shape.length - 1; d >= 0; d--) {
      idx.unshift(r % shape[d]!);
      r = Math.floor(r / shape[d]!);
    }
    yield idx;
  }
}

describe('layout ops agree with a naive reference', () => {
  const arbPerm = arbShape({ maxRank: 4 }).chain((shape) =>
    fc.tuple(arbTensor(shape), fc.shuffledSubarray([...shape.keys()], { minLength: shape.length, maxLength: shape.length })),
  );

  test.prop([arbPerm], { numRuns: numRuns() })('transpose: out[i] = x[i permuted back]', ([x, perm]) => {
    const y = transpose(x, perm);
    expect(y.shape).toEqual(perm.map((p) => x.shape[p]));
    for (const idx of indices(y.shape)) {
      const src = new Array<number>(x.ndim);
      perm.forEach((p, i) => (src[p] = idx[i]!));
      expect(at(y, idx)).toBe(at(x, src));
    }
  });

  const arbSlice = arbShape({ minRank: 1 }).chain((shape) =>
    fc.tuple(
      arbTensor(shape),
      fc.tuple(
        ...shape.map((d) => fc.tuple(fc.integer({ min: 0, max: d }), fc.integer({ min: 0, max: d }), fc.integer({ min: 1, max: 3 }))),
      ),
    ),
  );

  test.prop([arbSlice], { numRuns: numRuns() })('slice: out[i] = x[start + i·step]; scatterSlice puts it back', ([x, bounds]) => {
    const starts = bounds.map(([a, b]) => Math.min(a, b));
    const ends = bounds.map(([a, b]) => Math.max(a, b));
    const steps = bounds.map(([, , s]) => s);
    const y = slice(x, starts, ends, steps);
    expect(y.shape).toEqual(starts.map((s, d) => Math.ceil((ends[d]! - s) / steps[d]!)));
    for (const idx of indices(y.shape))
      expect(at(y, idx)).toBe(
        at(
          x,
          idx.map((v, d) => starts[d]! + v * steps[d]!),
        ),
      );
    const back = scatterSlice(y, x.shape, starts, steps);
    expect(sum(back).item()).toBeCloseTo(sum(y).item(), 10);
    expect(slice(back, starts, ends, steps).data).toEqual(y.data);
  });
});

describe('shape op values', () => {
  const x = tensor([
    [1, 2, 3],
    [4, 5, 6],
  ]);

  it('reshapes with one inferred −1, sharing data but never returning its input', () => {
    const y = reshape(x, [3, -1]);
    expect(y.toArray()).toEqual([
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
    expect(y).not.toBe(x);
    expect(y.data).toBe(x.data);
    expect(reshape(tensor(7), [1, 1]).toArray()).toEqual([[7]]);
  });

  it('transposes, by default reversing the axes', () => {
    expect(transpose(x).toArray()).toEqual([
      [1, 4],
      [2, 5],
      [3, 6],
    ]);
    expect(matrixTranspose(tensor([[[1, 2]], [[3, 4]]])).toArray()).toEqual([
      [[1], [2]],
      [[3], [4]],
    ]);
    expect(swapAxes(x, 0, -1).toArray()).toEqual(transpose(x).toArray());
    expect(transpose(x, [0, 1])).not.toBe(x);
  });

  it('squeezes and expands size-1 axes', () => {
    const y = tensor([[[1], [2]]]);
    expect(squeeze(y).shape).toEqual([2]);
    expect(squeeze(y, -1).shape).toEqual([1, 2]);
    expect(expandDims(x, 1).shape).toEqual([2, 1, 3]);
    expect(expandDims(x, -1).shape).toEqual([2, 3, 1]);
  });

  it('slices with negative bounds, steps and leading axes only', () => {
    expect(slice(x, [-1], [2]).toArray()).toEqual([[4, 5, 6]]);
    expect(slice(x, [0, 0], [2, 3], [1, 2]).toArray()).toEqual([
      [1, 3],
      [4, 6],
    ]);
    expect(slice(x, [0, 1], [0, 1]).shape).toEqual([0, 0]);
  });

  it('indexes, takes with repeats and scatter-adds them back', () => {
    expect(index(x, -1).toArray()).toEqual([4, 5, 6]);
    expect(index(x, 1, 1).toArray()).toEqual([2, 5]);
    expect(take(x, [2, 0, 2, -1], 1).toArray()).toEqual([
      [3, 1, 3, 3],
      [6, 4, 6, 6],
    ]);
    expect(scatterAdd(tensor([1, 2, 3]), [0, 2, 0], 0, 4).toArray()).toEqual([4, 0, 2, 0]);
  });

  it('accumulates the gradient of repeated indices', () => {
    expect(grad((v: Tensor) => sum(take(v, [0, 0, 2, 0])))(tensor([1, 2, 3])).toArray()).toEqual([3, 0, 1]);
    const w = tensor([1, 10, 100, 1000]);
    expect(grad((v: Tensor) => sum(mul(take(v, [1, 1, 0], 0), tensor([1, 10, 100]))))(w).toArray()).toEqual([100, 11, 0, 0]);
  });

  it('concatenates and stacks along any axis', () => {
    expect(concat([x, tensor([[7], [8]])], 1).toArray()).toEqual([
      [1, 2, 3, 7],
      [4, 5, 6, 8],
    ]);
    expect(concat([x, x], -2).shape).toEqual([4, 3]);
    expect(stack([tensor([1, 2]), tensor([3, 4])], 1).toArray()).toEqual([
      [1, 3],
      [2, 4],
    ]);
    expect(stack([tensor(1), tensor(2)]).toArray()).toEqual([1, 2]);
    const [ga, gb] = grad((a: Tensor, b: Tensor) => sum(mul(concat([a, b], 0), tensor([1, 2, 3]))), { argnums: [0, 1] })(
      tensor([5]),
      tensor([5, 5]),
    );
    expect([ga.toArray(), gb.toArray()]).toEqual([[1], [2, 3]]);
  });
});

/** Each call must throw a ShapeError whose message matches every pattern (op name, shapes). */
const badCalls: [string, () => unknown, RegExp[]][] = (() => {
  const x = tensor([
    [1, 2, 3],
    [4, 5, 6],
  ]);
  const s = /\[2,3\]/;
  return [
    ['reshape: size mismatch', () => reshape(x, [4, 2]), [/^reshape: /, s, /\[4,2\]/, /6 elements/]],
    ['reshape: two −1', () => reshape(x, [-1, -1]), [/^reshape: /, s, /at most one/]],
    ['reshape: −1 cannot be inferred', () => reshape(x, [4, -1]), [/^reshape: /, s, /\[4,-1\]/]],
    ['transpose: not a permutation', () => transpose(x, [0, 0]), [/^transpose: /, s, /\[0,0\]/]],
    ['transpose: wrong length', () => transpose(x, [1, 0, 2]), [/^transpose: /, s]],
    ['swapAxes: axis out of range', () => swapAxes(x, 0, 2), [/^swapAxes: axis 2/, s]],
    ['matrixTranspose: rank 1', () => matrixTranspose(tensor([1, 2])), [/^matrixTranspose: /, /\[2\]/, /rank 1/]],
    ['squeeze: axis of size 3', () => squeeze(x, 1), [/^squeeze: axis 1/, s, /size 3/]],
    ['expandDims: axis out of range', () => expandDims(x, 3), [/^expandDims: axis 3/, s]],
    ['slice: start out of range', () => slice(x, [0, 4], [2, 3]), [/^slice: start 4 on axis 1/, s]],
    ['slice: end before start', () => slice(x, [2], [1]), [/^slice: end 1 is before start 2 on axis 0/, s]],
    ['slice: too many axes', () => slice(x, [0, 0, 0], [1, 1, 1]), [/^slice: /, s, /at most the rank 2/]],
    ['scatterSlice: does not fit', () => scatterSlice(x, [2, 3], [0, 1]), [/^scatterSlice: /, s, /starts \[0,1\]/]],
    ['index: out of range', () => index(x, 2), [/^index: index 2 .*axis 0 \(size 2\)/, s]],
    ['take: out of range', () => take(x, [0, 3], 1), [/^take: index 3 .*axis 1 \(size 3\)/, s]],
    ['take: bad axis', () => take(x, [0], 2), [/^take: axis 2/, s]],
    ['scatterAdd: count mismatch', () => scatterAdd(x, [0, 1], 1, 5), [/^scatterAdd: /, s, /2 indices/]],
    ['scatterAdd: index beyond size', () => scatterAdd(x, [0, 1, 5], 1, 5), [/^scatterAdd: index 5 .* of the output of shape \[2,5\]/]],
    ['concat: mismatched shapes', () => concat([x, tensor([[1, 2]])], 1), [/^concat: input 1 of shape \[1,2\]/, s, /axis 1/]],
    ['concat: bad axis', () => concat([x, x], 2), [/^concat: axis 2/, s]],
    ['stack: mismatched shapes', () => stack([x, tensor([1, 2, 3])]), [/^stack: input 1 of shape \[3\]/, s]],
    ['stack: bad axis', () => stack([x, x], 3), [/^stack: axis 3/, s]],
  ];
})();

describe('shape ops reject bad shapes with a ShapeError naming the op and the shapes', () => {
  for (const [name, call, patterns] of badCalls) {
    it(name, () => {
      let error: unknown;
      try {
        call();
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ShapeError);
      for (const p of patterns) expect((error as Error).message).toMatch(p);
    });
  }

  it('rejects an empty list for concat and stack, and non-positive steps', () => {
    expect(() => concat([])).toThrow(/^concat: needs at least one tensor/);
    expect(() => stack([])).toThrow(/^stack: needs at least one tensor/);
    expect(() => slice(tensor([1, 2]), [0], [2], [0])).toThrow(/^slice: step 0 on axis 0 must be a positive integer/);
  });
});
