import { sizeOf, stridesOf, type Shape } from '../tensor.js';
import { stridedGather } from './gather.js';

/**
 * Reduction loops over an arbitrary set of axes. Axes are normalized (sorted, distinct, in
 * range) by the caller. The output is in row-major order of the kept axes, which is the same
 * flat order with or without `keepDims`, so callers choose the shape.
 */

export type ReduceKind = 'sum' | 'max' | 'min';

/**
 * How input elements map to output slots. When the reduced axes form one contiguous block
 * (after dropping size-1 axes and merging neighbours) the input is `[outer, size, inner]` and
 * output slot `o·inner + i` combines `size` elements; that covers the last axis (`inner` = 1),
 * all axes (`outer` = `inner` = 1) and any single axis. Otherwise `gather` describes a transpose
 * that moves the reduced axes last, after which the layout is `[outSize, size, 1]`.
 */
export interface ReductionLayout {
  readonly outSize: number;
  readonly outer: number;
  readonly size: number;
  readonly inner: number;
  readonly gather?: { readonly shape: readonly number[]; readonly strides: readonly number[] };
}

export function reductionLayout(shape: Shape, axes: readonly number[]): ReductionLayout {
  const reduced = shape.map((_, i) => axes.includes(i));
  const outSize = sizeOf(shape.filter((_, i) => !reduced[i]));
  // Runs of consecutive axes that are all reduced or all kept; size-1 axes move no data.
  const runs: { size: number; reduced: boolean }[] = [];
  shape.forEach((d, i) => {
    if (d === 1) return;
    const last = runs[runs.length - 1];
    if (last && last.reduced === reduced[i]) last.size *= d;
    else runs.push({ size: d, reduced: reduced[i]! });
  });
  if (runs.filter((r) => r.reduced).length > 1) {
    const order = [...shape.keys()].sort((a, b) => Number(reduced[a]) - Number(reduced[b]));
    const strides = stridesOf(shape);
    return {
      outSize,
      outer: outSize,
      size: sizeOf(shape.filter((_, i) => reduced[i])),
      inner: 1,
      gather: { shape: order.map((d) => shape[d]!), strides: order.map((d) => strides[d]!) },
    };
  }
  const at = runs.findIndex((r) => r.reduced);
  const product = (rs: { size: number }[]) => rs.reduce((p, r) => p * r.size, 1);
  if (at < 0) return { outSize, outer: outSize, size: 1, inner: 1 };
  return { outSize, outer: product(runs.slice(0, at)), size: runs[at]!.size, inner: product(runs.slice(at + 1)) };
}

/** x in a blocked `[outer, size, inner]` order: as is, or with the reduced axes gathered last. */
function arrange(data: Float64Array, shape: Shape, axes: readonly number[]): { x: Float64Array; layout: ReductionLayout } {
  const layout = reductionLayout(shape, axes);
  const { gather, ...blocked } = layout;
  return gather ? { x: stridedGather(data, gather.shape, 0, gather.strides), layout: blocked } : { x: data, layout };
}

const INITIAL: Record<ReduceKind, number> = { sum: 0, max: -Infinity, min: Infinity };

/**
 * One step of a reduction. A switch rather than a table of closures: one call site seeing
 * several closures goes megamorphic in V8 and runs ~10x slower, while this small function is
 * inlined and its branch predicted. NaN propagates through max and min, as through sum.
 */
function combine(kind: ReduceKind, acc: number, v: number): number {
  switch (kind) {
    case 'sum':
      return acc + v;
    case 'max':
      return v > acc || Number.isNaN(v) ? v : acc;
    case 'min':
      return v < acc || Number.isNaN(v) ? v : acc;
  }
}

/** Sum, max or min of `x` (of `shape`) over `axes`; an empty reduction gives 0, −∞ or +∞. */
export function reduceAxes(x: Float64Array, shape: Shape, axes: readonly number[], kind: ReduceKind): Float64Array {
  const arranged = arrange(x, shape, axes);
  return reduceBlocked(arranged.x, arranged.layout, kind);
}

function reduceBlocked(x: Float64Array, layout: ReductionLayout, kind: ReduceKind): Float64Array {
  const init = INITIAL[kind];
  const out = new Float64Array(layout.outSize).fill(init);
  const { outer, size, inner } = layout;
  if (inner === 1) {
    // Each output is one contiguous run: accumulate in a register.
    for (let o = 0; o < outer; o++) {
      let acc = init;
      const base = o * size;
      for (let r = 0; r < size; r++) acc = combine(kind, acc, x[base + r]!);
      out[o] = acc;
    }
    return out;
  }
  // Reduced block in the middle: sweep rows of `inner` contiguous elements into the output row.
  for (let o = 0; o < outer; o++) {
    const dst = o * inner;
    for (let r = 0; r < size; r++) {
      const src = (o * size + r) * inner;
      for (let i = 0; i < inner; i++) out[dst + i] = combine(kind, out[dst + i]!, x[src + i]!);
    }
  }
  return out;
}

/** exp(v − shift) for logsumexp, or (v / scale)² for the norm: the terms of the second pass. */
type Term = 'expShifted' | 'squareScaled';

function term(kind: Term, v: number, r: number): number {
  return kind === 'expShifted' ? Math.exp(v - r) : (v / r) * (v / r);
}

/** out[j] = Σ term(x[i], ref[j]) over the elements i that reduce into slot j of a blocked layout. */
function sumTerms(x: Float64Array, layout: ReductionLayout, ref: Float64Array, kind: Term): Float64Array {
  const out = new Float64Array(layout.outSize);
  const { outer, size, inner } = layout;
  for (let o = 0; o < outer; o++) {
    for (let r = 0; r < size; r++) {
      const src = (o * size + r) * inner;
      const dst = o * inner;
      for (let i = 0; i < inner; i++) out[dst + i]! += term(kind, x[src + i]!, ref[dst + i]!);
    }
  }
  return out;
}

/** A finite shift to subtract before exponentiating; ±∞ and NaN maxima shift by 0 instead. */
const finiteOrZero = (m: number): number => (Number.isFinite(m) ? m : 0);

/**
 * log Σ exp(x) over `axes`, stable: subtracts the maximum m so no exp overflows, and
 * log Σ exp(x − m) ≥ 0 cannot underflow to −∞. All −∞ gives −∞; any +∞ gives +∞.
 */
export function logSumExpAxes(data: Float64Array, shape: Shape, axes: readonly number[]): Float64Array {
  const { x, layout } = arrange(data, shape, axes);
  const shift = reduceBlocked(x, layout, 'max').map(finiteOrZero);
  const s = sumTerms(x, layout, shift, 'expShifted');
  for (let j = 0; j < s.length; j++) s[j] = shift[j]! + Math.log(s[j]!);
  return s;
}

/**
 * The 2-norm over `axes`, scaled by max |x| so squaring neither overflows (|x| ~ 1e200) nor
 * underflows (|x| ~ 1e-200) before the square root.
 */
export function normAxes(data: Float64Array, shape: Shape, axes: readonly number[]): Float64Array {
  const { x, layout } = arrange(data, shape, axes);
  const scale = reduceBlocked(x.map(Math.abs), layout, 'max').map((m) => (m > 0 && Number.isFinite(m) ? m : 1));
  const s = sumTerms(x, layout, scale, 'squareScaled');
  for (let j = 0; j < s.length; j++) s[j] = scale[j]! * Math.sqrt(s[j]!);
  return s;
}

/**
 * Softmax (or log-softmax) along one axis of `shape`, viewed as `[outer, size, inner]`. Subtracts
 * each slice's maximum first, so large inputs do not overflow.
 */
export function softmaxAxis(x: Float64Array, shape: Shape, axis: number, log: boolean): Float64Array {
  const outer = sizeOf(shape.slice(0, axis));
  const size = shape[axis]!;
  const inner = sizeOf(shape.slice(axis + 1));
  const out = new Float64Array(x.length);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * size * inner + i;
      let m = -Infinity;
      for (let r = 0; r < size; r++) m = combine('max', m, x[base + r * inner]!);
      m = finiteOrZero(m);
      let s = 0;
      for (let r = 0; r < size; r++) {
        const k = base + r * inner;
        out[k] = Math.exp(x[k]! - m);
        s += out[k]!;
      }
      const logS = Math.log(s);
      for (let r = 0; r < size; r++) {
        const k = base + r * inner;
        out[k] = log ? x[k]! - m - logS : out[k]! / s;
      }
    }
  }
  return out;
}
