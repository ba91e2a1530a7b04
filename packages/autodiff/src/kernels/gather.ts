import { sizeOf, type Shape } from '../tensor.js';

/**
 * Data movement for the shape and indexing ops. Each gather has a scatter as its adjoint, and
 * the ops pair them up the same way (slice ↔ scatterSlice, take ↔ scatterAdd, concat ↔ slices).
 */

/**
 * For each flat index of an array of `shape`, the offset `base + Σ idx[d]·strides[d]` into a
 * source array. Transposing permutes the strides; slicing starts at `base` and scales them by
 * the steps.
 */
export function stridedOffsets(shape: Shape, base: number, strides: readonly number[]): Int32Array {
  const n = sizeOf(shape);
  const offsets = new Int32Array(n);
  const nd = shape.length;
  const idx = new Array<number>(nd).fill(0);
  let o = base;
  for (let i = 0; i < n; i++) {
    offsets[i] = o;
    // Odometer: bump the last axis, carrying into earlier ones.
    for (let d = nd - 1; d >= 0; d--) {
      idx[d]!++;
      o += strides[d]!;
      if (idx[d]! < shape[d]!) break;
      o -= strides[d]! * shape[d]!;
      idx[d] = 0;
    }
  }
  return offsets;
}

/** out[i] = src[offsets[i]]. */
export function gatherAt(src: Float64Array, offsets: Int32Array): Float64Array {
  const out = new Float64Array(offsets.length);
  for (let i = 0; i < offsets.length; i++) out[i] = src[offsets[i]!]!;
  return out;
}

/** A zero array of `size` with out[offsets[i]] = values[i] (offsets are distinct). */
export function scatterAt(values: Float64Array, offsets: Int32Array, size: number): Float64Array {
  const out = new Float64Array(size);
  for (let i = 0; i < offsets.length; i++) out[offsets[i]!] = values[i]!;
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
      for (let i = 0; i < inner; i++) out[to + i] += src[from + i]!;
    }
  }
  return out;
}
