import { sizeOf, type Shape } from '../tensor.js';
import { broadcastOffsets } from './broadcast.js';

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
 * all axes (`outer` = `inner` = 1) and any single axis. Otherwise `index[i]` is the output slot
 * of input element i.
 */
export type ReductionLayout =
  | { readonly kind: 'blocked'; readonly outSize: number; readonly outer: number; readonly size: number; readonly inner: number }
  | { readonly kind: 'indexed'; readonly outSize: number; readonly index: Int32Array };

export function reductionLayout(shape: Shape, axes: readonly number[]): ReductionLayout {
  const reduced = shape.map((_, i) => axes.includes(i));
  const kept = shape.map((d, i) => (reduced[i] ? 1 : d));
  const outSize = sizeOf(kept);
  // Runs of consecutive axes that are all reduced or all kept; size-1 axes move no data.
  const runs: { size: number; reduced: boolean }[] = [];
  shape.forEach((d, i) => {
    if (d === 1) return;
    const last = runs[runs.length - 1];
    if (last && last.reduced === reduced[i]) last.size *= d;
    else runs.push({ size: d, reduced: reduced[i]! });
  });
  const reducedRuns = runs.filter((r) => r.reduced);
  if (reducedRuns.length > 1) return { kind: 'indexed', outSize, index: broadcastOffsets(kept, shape) };
  const at = runs.findIndex((r) => r.reduced);
  const before = at < 0 ? runs : runs.slice(0, at);
  const after = at < 0 ? [] : runs.slice(at + 1);
  const product = (rs: { size: number }[]) => rs.reduce((p, r) => p * r.size, 1);
  return { kind: 'blocked', outSize, outer: product(before), size: at < 0 ? 1 : runs[at]!.size, inner: product(after) };
}

const INITIAL: Record<ReduceKind, number> = { sum: 0, max: -Infinity, min: Infinity };

// NaN propagates through max and min, as through sum: a NaN input is never silently dropped.
const COMBINE: Record<ReduceKind, (acc: number, v: number) => number> = {
  sum: (acc, v) => acc + v,
  max: (acc, v) => (v > acc || v !== v ? v : acc),
  min: (acc, v) => (v < acc || v !== v ? v : acc),
};

/** Sum, max or min of `x` (of `shape`) over `axes`; an empty reduction gives 0, −∞ or +∞. */
export function reduceAxes(x: Float64Array, shape: Shape, axes: readonly number[], kind: ReduceKind): Float64Array {
  return reduceWithLayout(x, reductionLayout(shape, axes), kind);
}

export function reduceWithLayout(x: Float64Array, layout: ReductionLayout, kind: ReduceKind): Float64Array {
  const init = INITIAL[kind];
  const combine = COMBINE[kind];
  const out = new Float64Array(layout.outSize).fill(init);
  if (layout.kind === 'indexed') {
    const index = layout.index;
    for (let i = 0; i < x.length; i++) out[index[i]!] = combine(out[index[i]!]!, x[i]!);
    return out;
  }
  const { outer, size, inner } = layout;
  if (inner === 1) {
    // Each output is one contiguous run: accumulate in a register.
    for (let o = 0; o < outer; o++) {
      let acc = init;
      const base = o * size;
      for (let r = 0; r < size; r++) acc = combine(acc, x[base + r]!);
      out[o] = acc;
    }
    return out;
  }
  // Reduced block in the middle: sweep rows of `inner` contiguous elements into the output row.
  for (let o = 0; o < outer; o++) {
    const dst = o * inner;
    for (let r = 0; r < size; r++) {
      const src = (o * size + r) * inner;
      for (let i = 0; i < inner; i++) out[dst + i] = combine(out[dst + i]!, x[src + i]!);
    }
  }
  return out;
}

/** out[j] = Σ f(x[i], ref[j]) over the input elements i that reduce into slot j. */
function sumMapped(x: Float64Array, layout: ReductionLayout, ref: Float64Array, f: (v: number, r: number) => number): Float64Array {
  const out = new Float64Array(layout.outSize);
  if (layout.kind === 'indexed') {
    const index = layout.index;
    for (let i = 0; i < x.length; i++) out[index[i]!] += f(x[i]!, ref[index[i]!]!);
    return out;
  }
  const { outer, size, inner } = layout;
  for (let o = 0; o < outer; o++) {
    for (let r = 0; r < size; r++) {
      const src = (o * size + r) * inner;
      const dst = o * inner;
      for (let i = 0; i < inner; i++) out[dst + i] += f(x[src + i]!, ref[dst + i]!);
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
export function logSumExpAxes(x: Float64Array, shape: Shape, axes: readonly number[]): Float64Array {
  const layout = reductionLayout(shape, axes);
  const shift = reduceWithLayout(x, layout, 'max').map(finiteOrZero);
  const s = sumMapped(x, layout, shift, (v, m) => Math.exp(v - m));
  for (let j = 0; j < s.length; j++) s[j] = shift[j]! + Math.log(s[j]!);
  return s;
}

/**
 * The 2-norm over `axes`, scaled by max |x| so squaring neither overflows (|x| ~ 1e200) nor
 * underflows (|x| ~ 1e-200) before the square root.
 */
export function normAxes(x: Float64Array, shape: Shape, axes: readonly number[]): Float64Array {
  const layout = reductionLayout(shape, axes);
  const scale = reduceWithLayout(x.map(Math.abs), layout, 'max').map((m) => (m > 0 && Number.isFinite(m) ? m : 1));
  const s = sumMapped(x, layout, scale, (v, m) => (v / m) * (v / m));
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
      for (let r = 0; r < size; r++) m = COMBINE.max(m, x[base + r * inner]!);
      m = finiteOrZero(m);
      let s = 0;
      for (let r = 0; r < size; r++) s += Math.exp(x[base + r * inner]! - m);
      const logS = Math.log(s);
      for (let r = 0; r < size; r++) {
        const k = base + r * inner;
        out[k] = log ? x[k]! - m - logS : Math.exp(x[k]! - m) / s;
      }
    }
  }
  return out;
}
