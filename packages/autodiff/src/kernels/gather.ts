import { sizeOf, type Shape } from '../tensor.js';

/**
 * Data movement for the shape and indexing ops. Each gather has a scatter as its adjoint, and
 * the ops pair them up the same way (slice ↔ scatterSlice, take ↔ scatterAdd, concat ↔ slices).
 */

/**
 * Visits the rows (runs along the last axis) of an array of `shape` laid over a source array
 * with offset `base + Σ idx[d]·strides[d]`: `visit(offset, flat)` gets the source offset and the
 * row-major flat index of each row's first element. The odometer runs once per row, so the
 * per-element loops in the callers stay tight.
 */
function forEachRow(shape: Shape, base: number, strides: readonly number[], visit: (offset: number, flat: number) => void): void {
  const nd = shape.length;
  const rowLength = nd === 0 ? 1 : shape[nd - 1]!;
  const rows = rowLength === 0 ? 0 : sizeOf(shape) / rowLength;
  const idx = new Array<number>(Math.max(nd - 1, 0)).fill(0);
  let o = base;
  for (let r = 0; r < rows; r++) {
    visit(o, r * rowLength);
    // Odometer over the leading axes: bump the last of them, carrying into earlier ones.
    for (let d = nd - 2; d >= 0; d--) {
      idx[d]!++;
      o += strides[d]!;
      if (idx[d]! < shape[d]!) break;
      o -= strides[d]! * shape[d]!;
      idx[d] = 0;
    }
  }
}

/**
 * out[i] = src[base + Σ idx[d]·strides[d]] for each multi-index idx of `shape`, in row-major
 * order. Transposing permutes the strides; slicing starts at `base` and scales them by the steps.
 */
export function stridedGather(src: Float64Array, shape: Shape, base: number, strides: readonly number[]): Float64Array {
  const out = new Float64Array(sizeOf(shape));
  const len = shape.length === 0 ? 1 : shape[shape.length - 1]!;
  const step = shape.length === 0 ? 0 : strides[shape.length - 1]!;
  forEachRow(shape, base, strides, (o, flat) => {
    for (let k = 0; k < len; k++) out[flat + k] = src[o + k * step]!;
  });
  return out;
}

/** The adjoint of {@link stridedGather}: zeros of `size` with `values` written where it reads (positions distinct). */
export function stridedScatter(values: Float64Array, shape: Shape, base: number, strides: readonly number[], size: number): Float64Array {
  const out = new Float64Array(size);
  const len = shape.length === 0 ? 1 : shape[shape.length - 1]!;
  const step = shape.length === 0 ? 0 : strides[shape.length - 1]!;
  forEachRow(shape, base, strides, (o, flat) => {
    for (let k = 0; k < len; k++) out[o + k * step] = values[flat + k]!;
  });
  return out;
}

/**
 * Concatenation of parts laid out as `[outer, block_k]`: for each outer index, the k-th part
 * contributes its contiguous block of `blocks[k]` elements in turn. concat along an axis has
 * `block_k = shape_k[axis]·inner`; stack has `block_k = inner`.
 */
export function interleaveBlocks(parts: readonly Float64Array[], blocks: readonly number[], outer: number): Float64Array {
  let total = 0;
  for (const b of blocks) total += b;
  const out = new Float64Array(outer * total);
  let pos = 0;
  for (let o = 0; o < outer; o++) {
    for (let k = 0; k < parts.length; k++) {
      const b = blocks[k]!;
      out.set(parts[k]!.subarray(o * b, (o + 1) * b), pos);
      pos += b;
    }
  }
  return out;
}

/** src viewed as `[outer, dim, inner]`; picks `indices` along the middle axis. */
export function takeBlocks(src: Float64Array, outer: number, dim: number, inner: number, indices: readonly number[]): Float64Array {
  const m = indices.length;
  const out = new Float64Array(outer * m * inner);
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < m; j++) {
      const from = (o * dim + indices[j]!) * inner;
      out.set(src.subarray(from, from + inner), (o * m + j) * inner);
    }
  }
  return out;
}

/**
 * The adjoint of {@link takeBlocks}: src viewed as `[outer, indices.length, inner]` is added into
 * a zero `[outer, size, inner]` at `indices`; a repeated index accumulates.
 */
export function scatterAddBlocks(src: Float64Array, outer: number, size: number, inner: number, indices: readonly number[]): Float64Array {
  const m = indices.length;
  const out = new Float64Array(outer * size * inner);
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < m; j++) {
      const from = (o * m + j) * inner;
      const to = (o * size + indices[j]!) * inner;
      for (let i = 0; i < inner; i++) out[to + i]! += src[from + i]!;
    }
  }
  return out;
}
