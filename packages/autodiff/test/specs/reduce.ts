import fc from 'fast-check';
import { Tensor, add, mul, sub, sizeOf } from '@argmin/autodiff';
import { arbShape, arbTensor, type OpGradSpec, type ValueRange } from '@argmin/autodiff/testing';
import { logSoftmax, logsumexp, max, mean, min, norm, softmax, sum } from '../../src/ops/reduce.js';

/**
 * Reduction rows: a random shape, then a random set of its axes (shuffled, some written as
 * negative, or omitted for "all axes") and a random keepDims.
 */

/** A random subset of the axes of `shape`, in random order, each possibly negative; or undefined. */
export const arbAxes = (shape: readonly number[]): fc.Arbitrary<number[] | undefined> => {
  const rank = shape.length;
  const subset = fc
    .shuffledSubarray(shape.map((_, i) => i))
    .chain((axes) =>
      fc.array(fc.boolean(), { minLength: axes.length, maxLength: axes.length }).map((neg) => axes.map((a, i) => (neg[i] ? a - rank : a))),
    );
  return fc.option(subset, { nil: undefined });
};

/** One axis of a tensor of rank `rank` (≥ 1), possibly negative. */
export const arbAxis = (rank: number): fc.Arbitrary<number> => fc.integer({ min: -rank, max: rank - 1 });

const reduceArgs = (range: ValueRange = {}) => arbShape().chain((shape) => fc.tuple(arbTensor(shape, range), arbAxes(shape), fc.boolean()));

/**
 * Distinct values at least 0.01 apart, so no central difference (step ~1e-6) can cross a tie
 * and max/min are differentiable at every draw. Built apart rather than filtered: fast-check's
 * doubles are biased towards repeated edge values, so a filter would reject most draws.
 */
const arbDistinct = (shape: readonly number[]): fc.Arbitrary<Tensor> => {
  const n = sizeOf(shape);
  return fc.uniqueArray(fc.integer({ min: -300, max: 300 }), { minLength: n, maxLength: n }).map(
    (v) =>
      new Tensor(
        Float64Array.from(v, (k) => k / 100),
        shape,
      ),
  );
};

const minGap = (x: Tensor): number => {
  const v = Array.from(x.data).sort((a, b) => a - b);
  return v.slice(1).reduce((g, b, i) => Math.min(g, b - v[i]!), Infinity);
};

const extremumArgs = arbShape()
  .chain((shape) => fc.tuple(arbDistinct(shape), arbAxes(shape), fc.boolean()))
  .filter(([x]) => minGap(x) > 1e-3);

const alongAxisArgs = (range: ValueRange = {}) =>
  arbShape({ minRank: 1 }).chain((shape) => fc.tuple(arbTensor(shape, range), arbAxis(shape.length)));

const wrtX = { wrt: [0] } as const;

export const reduceSpecs: OpGradSpec[] = [
  { name: 'sum', fn: sum, args: reduceArgs(), check: wrtX },
  { name: 'mean', fn: mean, args: reduceArgs(), check: wrtX },
  { name: 'max', fn: max, args: extremumArgs, check: wrtX },
  { name: 'min', fn: min, args: extremumArgs, check: wrtX },
  { name: 'logsumexp', fn: logsumexp, args: reduceArgs(), check: wrtX },
  {
    // Near exp's overflow (e^709), where a naive log Σ exp(x) is Infinity. Outputs near 700
    // carry rounding of ~1e-13, which central differences amplify to ~1e-8: hence the atol.
    name: 'logsumexp (inputs near 700)',
    fn: (x: Tensor, axes?: number[], keepDims?: boolean) => logsumexp(add(x, 700), axes, keepDims),
    args: reduceArgs(),
    check: { ...wrtX, rtol: 1e-5, atol: 1e-6 },
  },
  // Away from zero: a norm over a single element is |x|, which has a kink at 0.
  { name: 'norm', fn: norm, args: reduceArgs({ awayFromZero: 0.05 }), check: wrtX },
  { name: 'softmax', fn: softmax, args: alongAxisArgs(), check: wrtX },
  { name: 'logSoftmax', fn: logSoftmax, args: alongAxisArgs(), check: wrtX },
  {
    name: 'softmax (large inputs)',
    fn: (x: Tensor, axis: number) => softmax(mul(x, 100), axis),
    args: alongAxisArgs({ min: -1, max: 1 }),
    check: { ...wrtX, rtol: 1e-5 },
  },
  {
    // Centring and a norm: reductions feeding broadcasts feeding reductions.
    name: 'norm(x − mean(x)) composite',
    fn: (x: Tensor, axes?: number[]) => norm(sub(x, mean(x, axes, true)), axes),
    // Kept off the norm's kink at 0 (e.g. a single-element group, where x − mean(x) = 0).
    args: reduceArgs().filter(([x, axes]) => min(norm(sub(x, mean(x, axes, true)), axes)).item() > 0.1),
    check: wrtX,
  },
  {
    name: 'cross-entropy composite',
    fn: (x: Tensor, p: Tensor) => mean(sum(mul(p, logSoftmax(x)), -1)),
    args: arbShape({ minRank: 1 }).chain((shape) => fc.tuple(arbTensor(shape), arbTensor(shape, { min: 0, max: 1 }))),
  },
];
