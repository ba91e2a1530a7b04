import { gemm } from '../blas.js';
import { backwardSweep, forwardSweep, scalarRows4 } from './dense-sweep.js';
import { MATRIX_AT, claimHeap, denseHeap, heapGemm, heapHolds, heapSolve, heapTrsm, releaseHeap, returnHeap } from './dense-simd.js';

/**
 * Dense LDLᵀ for the trailing block of a sparse factorization, where fill has made the Schur
 * complement dense (a random LP's KKT system: the last ~n columns). Recursive (Gustavson's
 * recursive Cholesky, with D): factor the leading half, solve the rows below it against that
 * half (a recursive triangular solve), subtract their product from the trailing half (a recursive
 * lower-triangular product), factor the trailing half. Nearly all multiply–adds are then matrix
 * products with every dimension large (at the top level of order t/2); only diagonal blocks of
 * order ≤ LDL_BASE (t·LDL_BASE²/6 multiply–adds in all) and the triangular solves' bases of width
 * ≤ TRSM_BASE (~t²·TRSM_BASE/4) are not.
 *
 * Where WebAssembly is allowed and t ≥ SIMD_MIN, the lower triangle is copied into
 * dense-simd.ts's memory and factored there: its products (packing included) and the solves'
 * bases run as f64x2 WebAssembly in place, the rest of this file's loops on the memory's view; L
 * is copied back. Otherwise the products are gemm (kernels/blas.ts) on `a` itself.
 *
 * The strict upper triangle, scratch for the caller, holds U = D·Lᵀ (U[c,i] = L[i,c]·d_c) as the
 * columns are finished: both operands of every product are then read row-major and untransposed
 * (L from the lower triangle, D·Lᵀ from the upper), with no extra buffer.
 *
 * t = 1984 (the n = 2000 sparse LP's tail), AMD EPYC: 0.51 s before (left-looking, 48-column
 * panels, each panel's product re-packing all of L[k0:t, :k0] in JavaScript), ~0.25 s here.
 */

/**
 * Panel width of the grouped Schur updates (numeric.ts's syrkLower calls, whose lp and wp are
 * stride·DENSE_PANEL); wp of that size is also more than denseLdl's work (≤ 4·TRSM_BASE).
 */
export const DENSE_PANEL = 48;

/** Order at or below which a diagonal block is factored by the scalar loop. */
const LDL_BASE = 32;
/** Width at or below which a triangular solve is by substitution, four rows at a time (≤ dense-simd.ts's TRSM_MAX). */
const TRSM_BASE = 16;
/** Order at or below which a diagonal block of the trailing update is one square product. */
const SYRK_BASE = 64;
/**
 * Orders from which the tail is factored on dense-simd.ts's memory (where WebAssembly allows):
 * from t ≈ 64 on it was faster than gemm on `a` (t = 96: 0.11 against 0.14 ms), at 32 slower.
 */
const SIMD_MIN = 64;

/** Row stride of a t×t block in this layout (t rounded up to 4). */
export function denseStride(t: number): number {
  return (t + 3) & ~3;
}

/** n split in two, the first part a multiple of 4 (gemm's tiles are 4 rows and 4 columns). */
function split(n: number): number {
  return ((n >> 1) + 3) & ~3;
}

/**
 * In-place LDLᵀ of the t×t symmetric matrix in `a` (row-major, stride denseStride(t), lower
 * triangle read): on return its strict lower triangle holds L and d[dOff…dOff+t) holds D. Dynamic
 * regularization, pivot by pivot in order: a pivot with signs[k]·d ≤ dynEps becomes
 * signs[k]·dynDelta. `wp` is work of length ≥ 4·min(t, 16) (denseStride(t)·DENSE_PANEL is plenty).
 * Returns the number of pivots regularized. Entries above the diagonal and in the padding are
 * scratch. With `keep`, where the factorization ran on dense-simd.ts's memory, L may stay there
 * (a's lower triangle then holds it only once the memory is claimed for another matrix):
 * denseForward and denseBackward with this `a` find it either way, nothing else should read it.
 */
export function denseLdl(
  a: Float64Array,
  t: number,
  d: Float64Array,
  dOff: number,
  signs: Int8Array,
  dynEps: number,
  dynDelta: number,
  wp: Float64Array,
  keep = false,
  assembled = false,
): number {
  if (t === 0) return 0;
  const ld = denseStride(t);
  const heap = t >= SIMD_MIN ? denseHeap(ld * ld) : null;
  if (heap === null) {
    // denseWorkspace gave out the memory it now refuses: cannot happen between the two calls.
    if (assembled) throw new Error('denseLdl: the matrix was assembled on a memory that is gone');
    releaseHeap(a);
    return ldlRec(a, 0, ld, false, 0, t, d, dOff, signs, dynEps, dynDelta, wp);
  }
  // The lower triangle into the memory (unless denseWorkspace had it assembled there); L back
  // out, or with `keep` left there for denseForward and denseBackward, and copied into `a` only
  // when the memory is claimed for another matrix.
  claimHeap(a, t, ld, true);
  if (!assembled) for (let i = 0, src = 0, dst = MATRIX_AT; i < t; i++, src += ld, dst += ld) heap.set(a.subarray(src, src + i + 1), dst);
  const regularized = ldlRec(heap, MATRIX_AT, ld, true, 0, t, d, dOff, signs, dynEps, dynDelta, wp);
  if (!keep) returnHeap(a);
  return regularized;
}

/**
 * Where a caller assembles the matrix that denseLdl(a, t, …, keep = true, assembled) will factor:
 * dense-simd.ts's memory from MATRIX_AT (claimed for `a`; then pass assembled = true), or `a`
 * itself from 0 (assembled = false). Saves the copy of the lower triangle into the memory.
 */
export function denseWorkspace(a: Float64Array, t: number): { readonly m: Float64Array; readonly o: number } {
  const ld = denseStride(t);
  const heap = t >= SIMD_MIN ? denseHeap(ld * ld) : null;
  if (heap === null) {
    releaseHeap(a);
    return { m: a, o: 0 };
  }
  claimHeap(a, t, ld, false);
  return { m: heap, o: MATRIX_AT };
}

/** a[cOff…] −= a[aOff…]·a[bOff…] (m×k times k×n, all at stride ld): dense-simd.ts's kernel on its memory, or gemm. */
function product(
  a: Float64Array,
  simd: boolean,
  m: number,
  n: number,
  k: number,
  aOff: number,
  bOff: number,
  cOff: number,
  ld: number,
): void {
  if (simd) heapGemm(m, n, k, aOff, ld, bOff, ld, cOff, ld);
  else gemm(false, false, m, n, k, -1, a, aOff, ld, a, bOff, ld, 1, a, cOff, ld);
}

/**
 * Factors the diagonal block [k0, k0+n)² of the t×t matrix at a[o…] (stride ld), whose entries
 * already have every column before k0 subtracted: L below its diagonal, U = D·Lᵀ above, D into d.
 */
function ldlRec(
  a: Float64Array,
  o: number,
  ld: number,
  simd: boolean,
  k0: number,
  n: number,
  d: Float64Array,
  dOff: number,
  signs: Int8Array,
  dynEps: number,
  dynDelta: number,
  wp: Float64Array,
): number {
  if (n <= LDL_BASE) return ldlBase(a, o, ld, k0, n, d, dOff, signs, dynEps, dynDelta);
  const n1 = split(n);
  const k1 = k0 + n1;
  const m = n - n1;
  let regularized = ldlRec(a, o, ld, simd, k0, n1, d, dOff, signs, dynEps, dynDelta, wp);
  trsmRec(a, o, ld, simd, k1, m, k0, n1, d, dOff, wp);
  syrkRec(a, o, ld, simd, k1, m, k0, n1);
  regularized += ldlRec(a, o, ld, simd, k1, m, d, dOff, signs, dynEps, dynDelta, wp);
  return regularized;
}

/** The scalar base of ldlRec: right-looking, one column at a time (n ≤ LDL_BASE). */
function ldlBase(
  a: Float64Array,
  o: number,
  ld: number,
  k0: number,
  n: number,
  d: Float64Array,
  dOff: number,
  signs: Int8Array,
  dynEps: number,
  dynDelta: number,
): number {
  let regularized = 0;
  const k1 = k0 + n;
  for (let j = k0; j < k1; j++) {
    const rj = o + j * ld;
    let dj = a[rj + j]!;
    const s = signs[j]!;
    if (!(s * dj > dynEps)) {
      dj = s * dynDelta;
      regularized++;
    }
    d[dOff + j] = dj;
    const inv = 1 / dj;
    // Column j: U[j,i] = a[i,j] (= L[i,j]·d_j), L[i,j] = a[i,j]/d_j; then row i of the block, up
    // to its diagonal, loses L[i,j]·U[j, j+1…i].
    for (let i = j + 1; i < k1; i++) {
      const ri = o + i * ld;
      const u = a[ri + j]!;
      a[rj + i] = u;
      const l = u * inv;
      a[ri + j] = l;
      for (let c = j + 1; c <= i; c++) a[ri + c]! -= l * a[rj + c]!;
    }
  }
  return regularized;
}

/**
 * Rows [r0, r0+m) of the columns [c0, c0+n) (a factored diagonal block, every earlier column
 * already subtracted from these rows): L[r, blk] = A[r, blk]·U⁻¹ (U = D·Lᵀ of the block, upper
 * triangular with diagonal D), and U[blk, r] = L[r, blk]·D into the upper triangle.
 */
function trsmRec(
  a: Float64Array,
  o: number,
  ld: number,
  simd: boolean,
  r0: number,
  m: number,
  c0: number,
  n: number,
  d: Float64Array,
  dOff: number,
  wp: Float64Array,
): void {
  if (n <= TRSM_BASE) {
    let i = 0;
    if (simd) {
      heapTrsm(o, ld, r0, m, c0, n, d, dOff);
      i = m & ~3;
    }
    for (; i < m; i += 4) trsmRows(a, o, ld, Math.min(4, m - i), r0 + i, c0, n, d, dOff + c0, wp);
    return;
  }
  const n1 = split(n);
  trsmRec(a, o, ld, simd, r0, m, c0, n1, d, dOff, wp);
  // A[r, c0+n1 : c0+n] −= L[r, c0 : c0+n1]·U[c0 : c0+n1, c0+n1 : c0+n].
  product(a, simd, m, n - n1, n1, o + r0 * ld + c0, o + c0 * ld + c0 + n1, o + r0 * ld + c0 + n1, ld);
  trsmRec(a, o, ld, simd, r0, m, c0 + n1, n - n1, d, dOff, wp);
}

/**
 * Rows i…i+live−1 (live ≤ 4) of trsmRec's base at once, sharing every L11 load: forward
 * substitution w_c = a[r,k0+c] − Σ_{q<c} L11[c,q]·w_q (w_c = L[r,k0+c]·d_c, which is U's entry),
 * L[r,k0+c] = w_c/d_c. The w of the four rows are kept interleaved in `wp` so the inner loop reads
 * them contiguously; missing rows compute zeros and are not stored.
 */
function trsmRows(
  a: Float64Array,
  o: number,
  ld: number,
  live: number,
  i: number,
  k0: number,
  nb: number,
  d: Float64Array,
  dk0: number,
  wp: Float64Array,
): void {
  const r0 = o + i * ld + k0;
  const r1 = live > 1 ? r0 + ld : r0;
  const r2 = live > 2 ? r1 + ld : r0;
  const r3 = live > 3 ? r2 + ld : r0;
  for (let c = 0; c < nb; c++) {
    const rc = o + (k0 + c) * ld + k0;
    let v0 = a[r0 + c]!;
    let v1 = a[r1 + c]!;
    let v2 = a[r2 + c]!;
    let v3 = a[r3 + c]!;
    for (let q = 0, w = 0; q < c; q++, w += 4) {
      const l = a[rc + q]!;
      v0 -= l * wp[w]!;
      v1 -= l * wp[w + 1]!;
      v2 -= l * wp[w + 2]!;
      v3 -= l * wp[w + 3]!;
    }
    const w = 4 * c;
    wp[w] = v0;
    wp[w + 1] = v1;
    wp[w + 2] = v2;
    wp[w + 3] = v3;
  }
  // L into the rows, U (= w) into the upper triangle: row k0+c, columns i…i+live−1.
  for (let c = 0; c < nb; c++) {
    const inv = 1 / d[dk0 + c]!;
    const w = 4 * c;
    const u = o + (k0 + c) * ld + i;
    if (live > 3) {
      a[r3 + c] = wp[w + 3]! * inv;
      a[u + 3] = wp[w + 3]!;
    }
    if (live > 2) {
      a[r2 + c] = wp[w + 2]! * inv;
      a[u + 2] = wp[w + 2]!;
    }
    if (live > 1) {
      a[r1 + c] = wp[w + 1]! * inv;
      a[u + 1] = wp[w + 1]!;
    }
    a[r0 + c] = wp[w]! * inv;
    a[u] = wp[w]!;
  }
}

/**
 * The lower triangle of the block [r0, r0+n)² −= L[r0:r0+n, k0:k0+k]·U[k0:k0+k, r0:r0+n]. The
 * strict upper part of each SYRK_BASE diagonal block is computed too (scratch: those entries are
 * above the diagonal and not yet factored).
 */
function syrkRec(a: Float64Array, o: number, ld: number, simd: boolean, r0: number, n: number, k0: number, k: number): void {
  if (n <= SYRK_BASE) {
    product(a, simd, n, n, k, o + r0 * ld + k0, o + k0 * ld + r0, o + r0 * ld + r0, ld);
    return;
  }
  const h = split(n);
  syrkRec(a, o, ld, simd, r0, h, k0, k);
  product(a, simd, n - h, h, k, o + (r0 + h) * ld + k0, o + k0 * ld + r0, o + (r0 + h) * ld + r0, ld);
  syrkRec(a, o, ld, simd, r0 + h, n - h, k0, k);
}

/** Rows per gemm of syrkLower: each call wastes the upper half of its diagonal block. */
const SYRK_ROWS = 96;

/**
 * C[i,j] −= Σ_p lt[p,i]·wt[p,j] for j ≤ i < q (the lower triangle, in row blocks: the strict
 * upper part of each diagonal block is scratch), lt and wt k×q row-major, C at stride ldc.
 */
export function syrkLower(q: number, k: number, lt: Float64Array, wt: Float64Array, c: Float64Array, ldc: number): void {
  for (let i0 = 0; i0 < q; i0 += SYRK_ROWS) {
    const i1 = Math.min(q, i0 + SYRK_ROWS);
    gemm(true, false, i1 - i0, i1, k, -1, lt, i0, q, wt, 0, q, 1, c, i0 * ldc, ldc);
  }
}

/** In place, on w (length ≥ off + t): w ← L⁻¹w (unit lower L in a's strict lower triangle, or where denseLdl kept it). */
export function denseForward(a: Float64Array, t: number, w: Float64Array, off: number): void {
  if (heapHolds(a, t)) heapSolve(t, w, off, false);
  else forwardSweep(a, 0, denseStride(t), t, w, off, scalarRows4(a, denseStride(t), w, off));
}

/** In place, on w: w ← L⁻ᵀw. */
export function denseBackward(a: Float64Array, t: number, w: Float64Array, off: number): void {
  if (heapHolds(a, t)) heapSolve(t, w, off, true);
  else backwardSweep(a, 0, denseStride(t), t, w, off, scalarRows4(a, denseStride(t), w, off));
}
