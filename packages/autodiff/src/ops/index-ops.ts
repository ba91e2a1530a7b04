import { InvalidInputError, ShapeError, formatShape } from '../errors.js';
import { interleaveBlocks, scatterAddBlocks, stridedGather, stridedScatter, takeBlocks } from '../kernels/gather.js';
import { Tensor, sizeOf, stridesOf, type Shape } from '../tensor.js';
import { normalizeAxis } from './axes.js';
import { defineOp } from './define-op.js';
import { reshape } from './shape.js';

/**
 * Ops that select parts of tensors (slice, index, take) or assemble tensors from parts (concat,
 * stack), each with its adjoint: the selections scatter their cotangent into zeros through a
 * differentiable scatter op (scatterSlice, scatterAdd), and the assemblies slice theirs apart.
 * Indices are plain numbers held in the attrs; they are not differentiated.
 */

type SliceAttrs = { readonly starts: readonly number[]; readonly ends: readonly number[]; readonly steps: readonly number[] };
type ScatterSliceAttrs = { readonly shape: readonly number[]; readonly starts: readonly number[]; readonly steps: readonly number[] };
type TakeAttrs = { readonly indices: readonly number[]; readonly axis: number };
type ScatterAddAttrs = { readonly indices: readonly number[]; readonly axis: number; readonly size: number };
type AxisAttrs = { readonly axis: number };

// --- slice and its adjoint ----------------------------------------------------------------------

const sliceLength = (start: number, end: number, step: number): number => Math.max(0, Math.ceil((end - start) / step));

/**
 * Full-rank, non-negative slice bounds. Missing trailing axes are taken whole. Out-of-range
 * bounds are an error, not clamped as in NumPy: a slice past the end is usually a bug.
 */
function normalizeSlice(
  op: string,
  shape: Shape,
  starts: readonly number[],
  ends: readonly number[],
  steps?: readonly number[],
): SliceAttrs {
  // Built only when an error is thrown: slicing is on hot paths (unrolled solvers).
  const where = (): string => `for input 'x' of shape ${formatShape(shape)}`;
  if (starts.length !== ends.length || starts.length > shape.length || (steps && steps.length !== starts.length)) {
    throw new ShapeError(
      `${op}: starts ${formatShape(starts)}, ends ${formatShape(ends)}${steps ? ` and steps ${formatShape(steps)}` : ''} must be lists of equal length, at most the rank ${shape.length}, ${where()}`,
    );
  }
  const s: number[] = [],
    e: number[] = [],
    st: number[] = [];
  shape.forEach((dim, d) => {
    const bound = (v: number, what: string) => {
      if (!Number.isInteger(v) || v < -dim || v > dim) {
        throw new ShapeError(`${op}: ${what} ${v} on axis ${d} is out of range [${-dim}, ${dim}] ${where()}`);
      }
      return v < 0 ? v + dim : v;
    };
    const start = d < starts.length ? bound(starts[d]!, 'start') : 0;
    const end = d < ends.length ? bound(ends[d]!, 'end') : dim;
    const step = steps?.[d] ?? 1;
    if (!Number.isInteger(step) || step < 1)
      throw new InvalidInputError(`${op}: step ${step} on axis ${d} must be a positive integer ${where()}`);
    if (end < start) throw new ShapeError(`${op}: end ${end} is before start ${start} on axis ${d} ${where()}`);
    s.push(start);
    e.push(end);
    st.push(step);
  });
  return { starts: s, ends: e, steps: st };
}

/** Where a slice with these starts and steps reads in an array of `inShape`: a base offset and strides. */
function sliceLayout(inShape: Shape, starts: readonly number[], steps: readonly number[]): { base: number; strides: number[] } {
  const strides = stridesOf(inShape);
  let base = 0;
  starts.forEach((s, d) => (base += s * strides[d]!));
  return { base, strides: strides.map((st, d) => st * steps[d]!) };
}

export const sliceOp = defineOp<SliceAttrs>({
  name: 'slice',
  forward([x], attrs) {
    const { starts, ends, steps } = normalizeSlice('slice', x!.shape, attrs.starts, attrs.ends, attrs.steps);
    const shape = starts.map((s, d) => sliceLength(s, ends[d]!, steps[d]!));
    const { base, strides } = sliceLayout(x!.shape, starts, steps);
    return new Tensor(stridedGather(x!.data, shape, base, strides), shape);
  },
  vjp: (cot, { inputs: [x], attrs: { starts, steps } }) => [scatterSlice(cot, x!.shape, starts, steps)],
});

/** Zeros of `shape` holding `x` at the positions a slice with these starts and steps reads. */
export const scatterSliceOp = defineOp<ScatterSliceAttrs>({
  name: 'scatterSlice',
  forward([x], { shape, starts, steps }) {
    const fits =
      x!.ndim === shape.length &&
      x!.shape.every(
        (n, d) =>
          Number.isInteger(starts[d]) &&
          Number.isInteger(steps[d]) &&
          starts[d]! >= 0 &&
          steps[d]! >= 1 &&
          (n === 0 ? starts[d]! <= shape[d]! : starts[d]! + (n - 1) * steps[d]! < shape[d]!),
      );
    if (!fits) {
      throw new ShapeError(
        `scatterSlice: input 'x' of shape ${formatShape(x!.shape)} does not fit into ${formatShape(shape)} at starts ${formatShape(starts)} with steps ${formatShape(steps)}`,
      );
    }
    const { base, strides } = sliceLayout(shape, starts, steps);
    return new Tensor(stridedScatter(x!.data, x!.shape, base, strides, sizeOf(shape)), shape);
  },
  vjp(cot, { inputs: [x], attrs: { starts, steps } }) {
    const ends = starts.map((s, d) => (x!.shape[d] === 0 ? s : s + (x!.shape[d]! - 1) * steps[d]! + 1));
    return [slice(cot, starts, ends, steps)];
  },
});

/**
 * `x[starts[0]:ends[0]:steps[0], …]`: per axis, from start (inclusive) to end (exclusive) in
 * positive steps (default 1). Negative bounds count from the end; axes past the given lists are
 * taken whole.
 */
export function slice(x: Tensor, starts: readonly number[], ends: readonly number[], steps?: readonly number[]): Tensor {
  return sliceOp.apply([x], normalizeSlice('slice', x.shape, starts, ends, steps));
}

/**
 * The adjoint of {@link slice}: zeros of `shape` with `x` placed where that slice reads (for
 * padding or for writing a block into zeros). Missing trailing starts are 0 and steps 1.
 */
export function scatterSlice(x: Tensor, shape: Shape, starts: readonly number[], steps?: readonly number[]): Tensor {
  const s = shape.map((dim, d) => {
    const v = starts[d] ?? 0;
    return v < 0 ? v + dim : v;
  });
  return scatterSliceOp.apply([x], { shape: shape.slice(), starts: s, steps: shape.map((_, d) => steps?.[d] ?? 1) });
}

/** Element `i` along `axis` (default 0), with that axis removed: `index(x, 2, 1)` is NumPy's `x[:, 2]`. */
export function index(x: Tensor, i: number, axis = 0): Tensor {
  const a = normalizeAxis('index', x.shape, axis);
  const k = normalizeIndex('index', x.shape, a, i);
  const starts = x.shape.slice(0, a + 1).map((_, d) => (d === a ? k : 0));
  const ends = x.shape.slice(0, a + 1).map((dim, d) => (d === a ? k + 1 : dim));
  return reshape(
    slice(x, starts, ends),
    x.shape.filter((_, d) => d !== a),
  );
}

// --- take (gather) and its adjoint scatterAdd ---------------------------------------------------

function normalizeIndex(op: string, shape: Shape, axis: number, i: number, of = "input 'x'"): number {
  const dim = shape[axis]!;
  if (!Number.isInteger(i) || i < -dim || i >= dim) {
    throw new ShapeError(`${op}: index ${i} is out of range for axis ${axis} (size ${dim}) of ${of} of shape ${formatShape(shape)}`);
  }
  return i < 0 ? i + dim : i;
}

/** `shape` viewed as `[outer, shape[axis], inner]`. */
function aroundAxis(shape: Shape, axis: number): { outer: number; inner: number } {
  return { outer: sizeOf(shape.slice(0, axis)), inner: sizeOf(shape.slice(axis + 1)) };
}

const withDim = (shape: Shape, axis: number, n: number): number[] => shape.map((d, i) => (i === axis ? n : d));

export const takeOp = defineOp<TakeAttrs>({
  name: 'take',
  forward([x], { indices, axis }) {
    const a = normalizeAxis('take', x!.shape, axis);
    const idx = indices.map((i) => normalizeIndex('take', x!.shape, a, i));
    const { outer, inner } = aroundAxis(x!.shape, a);
    return new Tensor(takeBlocks(x!.data, outer, x!.shape[a]!, inner, idx), withDim(x!.shape, a, idx.length));
  },
  vjp(cot, { inputs: [x], attrs: { indices, axis } }) {
    return [scatterAdd(cot, indices, axis, x!.shape[normalizeAxis('take', x!.shape, axis)]!)];
  },
});

export const scatterAddOp = defineOp<ScatterAddAttrs>({
  name: 'scatterAdd',
  forward([x], { indices, axis, size }) {
    const a = normalizeAxis('scatterAdd', x!.shape, axis);
    if (x!.shape[a] !== indices.length || !Number.isInteger(size) || size < 0) {
      throw new ShapeError(
        `scatterAdd: input 'x' of shape ${formatShape(x!.shape)} has ${x!.shape[a]} entries on axis ${a} but ${indices.length} indices were given (target size ${size})`,
      );
    }
    const target = withDim(x!.shape, a, size);
    const idx = indices.map((i) => normalizeIndex('scatterAdd', target, a, i, 'the output'));
    const { outer, inner } = aroundAxis(x!.shape, a);
    return new Tensor(scatterAddBlocks(x!.data, outer, size, inner, idx), target);
  },
  vjp: (cot, { attrs: { indices, axis } }) => [take(cot, indices, axis)],
});

/**
 * Gathers the entries at `indices` along `axis` (default 0), in order; indices may repeat, and
 * negative ones count from the end. The gradient adds up over repeated indices.
 */
export function take(x: Tensor, indices: ArrayLike<number>, axis = 0): Tensor {
  const a = normalizeAxis('take', x.shape, axis);
  const idx = Array.from(indices, (i) => normalizeIndex('take', x.shape, a, i));
  return takeOp.apply([x], { indices: idx, axis: a });
}

/**
 * The adjoint of {@link take}: zeros with `size` entries along `axis`, into which slice j of `x`
 * along `axis` is added at `indices[j]` (repeated indices accumulate).
 */
export function scatterAdd(x: Tensor, indices: ArrayLike<number>, axis: number, size: number): Tensor {
  const a = normalizeAxis('scatterAdd', x.shape, axis);
  const target = withDim(x.shape, a, size);
  const idx = Array.from(indices, (i) => normalizeIndex('scatterAdd', target, a, i, 'the output'));
  return scatterAddOp.apply([x], { indices: idx, axis: a, size });
}

// --- concat and stack ------------------------------------------------------------------------------

function checkParts(op: string, xs: readonly Tensor[], exceptAxis: number | null): void {
  if (xs.length === 0) throw new InvalidInputError(`${op}: needs at least one tensor`);
  const ref = xs[0]!.shape;
  xs.forEach((x, k) => {
    const ok = x.ndim === ref.length && x.shape.every((d, i) => i === exceptAxis || d === ref[i]);
    if (!ok) {
      const rule = exceptAxis === null ? 'all inputs must have the same shape' : `shapes must agree except on axis ${exceptAxis}`;
      throw new ShapeError(
        `${op}: input ${k} of shape ${formatShape(x.shape)} does not match input 0 of shape ${formatShape(ref)} (${rule})`,
      );
    }
  });
}

export const concatOp = defineOp<AxisAttrs>({
  name: 'concat',
  forward(xs, { axis }) {
    if (xs.length === 0) throw new InvalidInputError('concat: needs at least one tensor');
    const a = normalizeAxis('concat', xs[0]!.shape, axis, xs[0]!.ndim, 'xs[0]');
    checkParts('concat', xs, a);
    const { outer, inner } = aroundAxis(xs[0]!.shape, a);
    const total = xs.reduce((n, x) => n + x.shape[a]!, 0);
    return new Tensor(
      interleaveBlocks(
        xs.map((x) => x.data),
        xs.map((x) => x.shape[a]! * inner),
        outer,
      ),
      withDim(xs[0]!.shape, a, total),
    );
  },
  vjp(cot, { inputs, attrs, needs }) {
    const axis = normalizeAxis('concat', cot.shape, attrs.axis);
    let offset = 0;
    return inputs.map((x, k) => {
      const start = offset;
      offset += x.shape[axis]!;
      if (!needs[k]) return null;
      const starts = x.shape.slice(0, axis + 1).map((_, d) => (d === axis ? start : 0));
      const ends = x.shape.slice(0, axis + 1).map((dim, d) => (d === axis ? offset : dim));
      return slice(cot, starts, ends);
    });
  },
});

export const stackOp = defineOp<AxisAttrs>({
  name: 'stack',
  forward(xs, { axis }) {
    checkParts('stack', xs, null);
    const shape = xs[0]!.shape;
    const a = normalizeAxis('stack', shape, axis, shape.length + 1, 'xs[0]');
    const outer = sizeOf(shape.slice(0, a));
    const inner = sizeOf(shape.slice(a));
    return new Tensor(
      interleaveBlocks(
        xs.map((x) => x.data),
        xs.map(() => inner),
        outer,
      ),
      [...shape.slice(0, a), xs.length, ...shape.slice(a)],
    );
  },
  vjp: (cot, { inputs, attrs: { axis }, needs }) => inputs.map((_, k) => (needs[k] ? index(cot, k, axis) : null)),
});

/** Joins tensors along an existing axis (default 0); their shapes must agree on every other axis. */
export function concat(xs: readonly Tensor[], axis = 0): Tensor {
  if (xs.length === 0) throw new InvalidInputError('concat: needs at least one tensor');
  return concatOp.apply(xs, { axis: normalizeAxis('concat', xs[0]!.shape, axis, xs[0]!.ndim, 'xs[0]') });
}

/** Joins tensors of one shape along a new axis inserted at `axis` (default 0). */
export function stack(xs: readonly Tensor[], axis = 0): Tensor {
  checkParts('stack', xs, null);
  return stackOp.apply(xs, { axis: normalizeAxis('stack', xs[0]!.shape, axis, xs[0]!.ndim + 1, 'xs[0]') });
}
