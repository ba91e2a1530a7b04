import { ShapeError, formatShape } from '../errors.js';
import { sameShape, sizeOf, stridesOf, type Shape } from '../tensor.js';

/** NumPy broadcasting of two shapes; the error names the op and both shapes. */
export function broadcastShapes(a: Shape, b: Shape, op: string): number[] {
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new ShapeError(
        `${op}: shapes ${formatShape(a)} and ${formatShape(b)} cannot be broadcast together (axis ${i}: ${da} vs ${db})`,
      );
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/** True if `from` broadcasts to `to`. */
export function broadcastsTo(from: Shape, to: Shape): boolean {
  if (from.length > to.length) return false;
  const off = to.length - from.length;
  for (let i = 0; i < from.length; i++) if (from[i] !== 1 && from[i] !== to[off + i]) return false;
  return true;
}

/**
 * For each flat index of `outShape`, the flat index of the element of `inShape` that broadcasts
 * there. Both broadcasting (gather) and its adjoint, summing (scatter-add), are loops over it.
 */
export function broadcastOffsets(inShape: Shape, outShape: Shape): Int32Array {
  const n = sizeOf(outShape);
  const offsets = new Int32Array(n);
  const nd = outShape.length;
  const lead = nd - inShape.length;
  const inStrides = stridesOf(inShape);
  const step = new Array<number>(nd).fill(0);
  for (let d = lead; d < nd; d++) if (inShape[d - lead] !== 1) step[d] = inStrides[d - lead]!;
  const idx = new Array<number>(nd).fill(0);
  let o = 0;
  for (let i = 0; i < n; i++) {
    offsets[i] = o;
    for (let d = nd - 1; d >= 0; d--) {
      idx[d]!++;
      o += step[d]!;
      if (idx[d]! < outShape[d]!) break;
      o -= step[d]! * outShape[d]!;
      idx[d] = 0;
    }
  }
  return offsets;
}

/** out[i] = f(a[ia], b[ib]) under broadcasting, with fast paths for the common layouts. */
export function binaryMap(
  a: Float64Array,
  aShape: Shape,
  b: Float64Array,
  bShape: Shape,
  outShape: Shape,
  f: (x: number, y: number) => number,
): Float64Array {
  const n = sizeOf(outShape);
  const out = new Float64Array(n);
  if (a.length === n && b.length === n) {
    for (let i = 0; i < n; i++) out[i] = f(a[i]!, b[i]!);
  } else if (b.length === 1 && a.length === n) {
    const y = b[0]!;
    for (let i = 0; i < n; i++) out[i] = f(a[i]!, y);
  } else if (a.length === 1 && b.length === n) {
    const x = a[0]!;
    for (let i = 0; i < n; i++) out[i] = f(x, b[i]!);
  } else if (a.length === n && isTrailing(bShape, outShape)) {
    // e.g. [B, n] + [n]: b repeats every b.length elements.
    const m = b.length;
    for (let i = 0; i < n; i += m) for (let j = 0; j < m; j++) out[i + j] = f(a[i + j]!, b[j]!);
  } else {
    const ia = a.length === n ? null : broadcastOffsets(aShape, outShape);
    const ib = b.length === n ? null : broadcastOffsets(bShape, outShape);
    for (let i = 0; i < n; i++) out[i] = f(a[ia ? ia[i]! : i]!, b[ib ? ib[i]! : i]!);
  }
  return out;
}

/** True if `inner` equals the trailing dimensions of `outer` (ignoring leading 1s of `inner`). */
function isTrailing(inner: Shape, outer: Shape): boolean {
  let s = 0;
  while (s < inner.length && inner[s] === 1) s++;
  const tail = inner.slice(s);
  return tail.length <= outer.length && sameShape(tail, outer.slice(outer.length - tail.length));
}

export function unaryMap(x: Float64Array, f: (v: number) => number): Float64Array {
  const out = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = f(x[i]!);
  return out;
}
