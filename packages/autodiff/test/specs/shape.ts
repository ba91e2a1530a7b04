import fc from 'fast-check';
import { mul, zeros, type Tensor } from '@argmin/autodiff';
import { arbShape, arbTensor, type OpGradSpec } from '@argmin/autodiff/testing';
import { concat, index, scatterAdd, scatterSlice, slice, stack, take } from '../../src/ops/index-ops.js';
import { sum } from '../../src/ops/reduce.js';
import { expandDims, matrixTranspose, reshape, squeeze, swapAxes, transpose } from '../../src/ops/shape.js';
import { arbAxis } from './reduce.js';

/**
 * Shape and indexing rows. Each draws a shape first, then the op's arguments from it (a target
 * shape with the same size, a permutation, in-range slice bounds, indices with repeats, …).
 */

const wrtX = { wrt: [0] } as const;

/** The dims of `shape` shuffled, some neighbours merged, one possibly written as −1. */
const arbReshapeTarget = (shape: readonly number[]): fc.Arbitrary<number[]> =>
  fc.shuffledSubarray(shape.slice(), { minLength: shape.length, maxLength: shape.length }).chain((dims) =>
    fc
      .tuple(fc.array(fc.boolean(), { minLength: dims.length, maxLength: dims.length }), fc.option(fc.nat(), { nil: undefined }))
      .map(([merge, hole]) => {
        const target: number[] = [];
        dims.forEach((d, i) => (merge[i] && target.length > 0 ? (target[target.length - 1]! *= d) : target.push(d)));
        if (hole !== undefined && target.length > 0) target[hole % target.length] = -1;
        return target;
      }),
  );

const arbPermutation = (rank: number): fc.Arbitrary<number[]> =>
  fc.shuffledSubarray([...Array(rank).keys()], { minLength: rank, maxLength: rank });

/** Slice bounds on the first k axes: start ≤ end within each axis, possibly negative, and a step. */
const arbSliceBounds = (shape: readonly number[]) =>
  fc.integer({ min: 0, max: shape.length }).chain((k) =>
    fc
      .tuple(
        ...shape.slice(0, k).map((dim) =>
          fc
            .tuple(
              fc.integer({ min: 0, max: dim }),
              fc.integer({ min: 0, max: dim }),
              fc.integer({ min: 1, max: 3 }),
              fc.boolean(),
              fc.boolean(),
            )
            .map(([a, b, step, negStart, negEnd]) => {
              const [lo, hi] = a <= b ? [a, b] : [b, a];
              return { start: negStart && lo < dim ? lo - dim : lo, end: negEnd && hi < dim ? hi - dim : hi, step };
            }),
        ),
      )
      .map((axes) => ({ starts: axes.map((a) => a.start), ends: axes.map((a) => a.end), steps: axes.map((a) => a.step) })),
  );

const withAxis = (minRank = 1) =>
  arbShape({ minRank }).chain((shape) => arbAxis(shape.length).map((axis) => ({ shape, axis, a: axis < 0 ? axis + shape.length : axis })));

/** Indices into an axis of size `dim`, repeats allowed, negative ones counting from the end. */
const arbIndices = (dim: number, length: { minLength: number; maxLength: number }) =>
  fc.array(fc.integer({ min: -dim, max: dim - 1 }), length);

export const shapeSpecs: OpGradSpec[] = [
  {
    name: 'reshape',
    fn: reshape,
    args: arbShape().chain((shape) => fc.tuple(arbTensor(shape), arbReshapeTarget(shape))),
    check: wrtX,
  },
  {
    name: 'transpose',
    fn: transpose,
    args: arbShape().chain((shape) => fc.tuple(arbTensor(shape), fc.option(arbPermutation(shape.length), { nil: undefined }))),
    check: wrtX,
  },
  {
    name: 'swapAxes',
    fn: swapAxes,
    args: arbShape({ minRank: 1 }).chain((shape) => fc.tuple(arbTensor(shape), arbAxis(shape.length), arbAxis(shape.length))),
    check: wrtX,
  },
  {
    name: 'matrixTranspose',
    fn: matrixTranspose,
    args: arbShape({ minRank: 2, maxRank: 4 }).chain((shape) => fc.tuple(arbTensor(shape))),
  },
  {
    name: 'squeeze',
    fn: squeeze,
    // Small dims so size-1 axes are common; squeeze a random subset of them, or all.
    args: arbShape({ maxRank: 4, maxDim: 2 }).chain((shape) => {
      const unit = shape.flatMap((d, i) => (d === 1 ? [i, i - shape.length] : []));
      if (unit.length === 0) return fc.tuple(arbTensor(shape), fc.constant(undefined));
      const picked = fc.uniqueArray(fc.constantFrom(...unit), { selector: (a) => (a < 0 ? a + shape.length : a) });
      return fc.tuple(arbTensor(shape), fc.option(picked, { nil: undefined }));
    }),
    check: wrtX,
  },
  {
    name: 'expandDims',
    fn: expandDims,
    args: arbShape().chain((shape) => fc.tuple(arbTensor(shape), arbAxis(shape.length + 1))),
    check: wrtX,
  },
  {
    name: 'slice',
    fn: (x: Tensor, b: { starts: number[]; ends: number[]; steps: number[] }) => slice(x, b.starts, b.ends, b.steps),
    args: arbShape().chain((shape) => fc.tuple(arbTensor(shape), arbSliceBounds(shape))),
    check: wrtX,
  },
  {
    name: 'scatterSlice',
    fn: (v: Tensor, shape: number[], b: { starts: number[]; steps: number[] }) => scatterSlice(v, shape, b.starts, b.steps),
    // The values must have the shape of the slice they fill: take it from a slice of zeros.
    args: arbShape().chain((shape) =>
      arbSliceBounds(shape).chain((b) => {
        const sliced = slice(zeros(shape), b.starts, b.ends, b.steps).shape;
        return fc.tuple(arbTensor(sliced), fc.constant(shape), fc.constant(b));
      }),
    ),
    check: wrtX,
  },
  {
    name: 'index',
    fn: index,
    args: withAxis().chain(({ shape, axis, a }) =>
      fc.tuple(arbTensor(shape), fc.integer({ min: -shape[a]!, max: shape[a]! - 1 }), fc.constant(axis)),
    ),
    check: wrtX,
  },
  {
    name: 'take',
    fn: take,
    args: withAxis().chain(({ shape, axis, a }) =>
      fc.tuple(arbTensor(shape), arbIndices(shape[a]!, { minLength: 0, maxLength: 6 }), fc.constant(axis)),
    ),
    check: wrtX,
  },
  {
    name: 'scatterAdd',
    fn: scatterAdd,
    args: withAxis().chain(({ shape, axis, a }) =>
      fc
        .integer({ min: 1, max: 4 })
        .chain((size) =>
          fc.tuple(
            arbTensor(shape),
            arbIndices(size, { minLength: shape[a]!, maxLength: shape[a]! }),
            fc.constant(axis),
            fc.constant(size),
          ),
        ),
    ),
    check: wrtX,
  },
  {
    name: 'concat',
    fn: concat,
    args: withAxis().chain(({ shape, axis, a }) =>
      fc
        .array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 3 })
        .chain((lengths) =>
          fc.tuple(fc.tuple(...lengths.map((n) => arbTensor(shape.map((d, i) => (i === a ? n : d))))), fc.constant(axis)),
        ),
    ),
    check: wrtX,
  },
  {
    name: 'stack',
    fn: stack,
    args: arbShape().chain((shape) =>
      fc
        .integer({ min: 1, max: 3 })
        .chain((k) => fc.tuple(fc.array(arbTensor(shape), { minLength: k, maxLength: k }), arbAxis(shape.length + 1))),
    ),
    check: wrtX,
  },
  {
    // Gather, re-layout and reduce in one chain: each adjoint feeds the next.
    name: 'take ∘ transpose ∘ concat composite',
    fn: (x: Tensor, y: Tensor) => sum(mul(take(transpose(concat([x, y], 1)), [0, 2, 2, 1], 0), 0.5), 1),
    args: fc.tuple(arbTensor([2, 2]), arbTensor([2, 1])),
  },
];
