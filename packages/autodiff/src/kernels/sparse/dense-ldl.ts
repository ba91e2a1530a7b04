import { gemm } from '../blas.js';

/**
 * Blocked dense LDLᵀ for the trailing block of a sparse factorization, where fill has made the
 * Schur complement dense (a random LP's KKT system: the last ~n columns). Left-looking: each block
 * column first subtracts every earlier column in one gemm (the packed micro-kernel of
 * kernels/gemm-packed.ts, at depth up to its full 128), then factors its own rows; everything
 * outside that product is O(t²·nb).
 */

/**
 * Block width: a multiple of 4. The panel solve below the diagonal block is scalar and costs
 * t²·nb/4 multiply–adds in all; the product's packing costs ~1/nb of its flops.
 */
export const DENSE_PANEL = 48;

/** Row stride of a t×t block in this layout (t rounded up to 4). */
export function denseStride(t: number): number {
  return (t + 3) & ~3;
}

/**
 * In-place LDLᵀ of the t×t symmetric matrix in `a` (row-major, stride denseStride(t), lower
 * triangle read): on return its strict lower triangle holds L and d[dOff…dOff+t) holds D. Dynamic
 * regularization: a pivot with signs[k]·d ≤ dynEps becomes signs[k]·dynDelta. `wp` is work of
 * length ≥ denseStride(t)·DENSE_PANEL. Returns the number of pivots regularized. Entries above
 * the diagonal and in the padding are scratch.
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
): number {
  const ld = denseStride(t);
  let regularized = 0;
  for (let k0 = 0; k0 < t; k0 += DENSE_PANEL) {
    const nb = Math.min(DENSE_PANEL, t - k0);
    const k1 = k0 + nb;
    if (k0 > 0) {
      // W = L[k0:k1, :k0]·D (nb×k0 at stride k0), then A[k0:t, k0:k1] −= L[k0:t, :k0]·Wᵀ.
      for (let r = 0; r < nb; r++) {
        const src = (k0 + r) * ld;
        const dst = r * k0;
        for (let c = 0; c < k0; c++) wp[dst + c] = a[src + c]! * d[dOff + c]!;
      }
      gemm(false, true, t - k0, nb, k0, -1, a, k0 * ld, ld, wp, 0, k0, 1, a, k0 * ld + k0, ld);
    }
    // Diagonal block, left-looking within the block (earlier blocks are already subtracted).
    for (let j = k0; j < k1; j++) {
      const rj = j * ld;
      let dj = a[rj + j]!;
      for (let c = k0; c < j; c++) {
        const l = a[rj + c]!;
        dj -= l * l * d[dOff + c]!;
      }
      const s = signs[j]!;
      if (!(s * dj > dynEps)) {
        dj = s * dynDelta;
        regularized++;
      }
      d[dOff + j] = dj;
      // Column j of the block: w_c = L[j,c]·d_c for c < j, then L[i,j] = (a[i,j] − Σ L[i,c] w_c) / d_j.
      for (let c = k0; c < j; c++) wp[c - k0] = a[rj + c]! * d[dOff + c]!;
      const inv = 1 / dj;
      for (let i = j + 1; i < k1; i++) {
        const ri = i * ld;
        let v = a[ri + j]!;
        for (let c = k0; c < j; c++) v -= a[ri + c]! * wp[c - k0]!;
        a[ri + j] = v * inv;
      }
    }
    // Panel: rows below the block solve L[i,blk]·D·L11ᵀ = A[i,blk], four rows at a time.
    for (let i = k1; i < t; i += 4) panelRows(a, ld, Math.min(4, t - i), i, k0, nb, d, dOff + k0, wp);
  }
  return regularized;
}

/**
 * Panel rows i…i+live−1 (live ≤ 4) at once, sharing every L11 load: forward substitution
 * w_c = a[r,k0+c] − Σ_{q<c} L11[c,q]·w_q, L[r,k0+c] = w_c/d_c. The w of the four rows are kept
 * interleaved in `wp` so the inner loop reads them contiguously; missing rows compute zeros.
 */
function panelRows(
  a: Float64Array,
  ld: number,
  live: number,
  i: number,
  k0: number,
  nb: number,
  d: Float64Array,
  dk0: number,
  wp: Float64Array,
): void {
  const r0 = i * ld + k0;
  const r1 = live > 1 ? r0 + ld : r0;
  const r2 = live > 2 ? r1 + ld : r0;
  const r3 = live > 3 ? r2 + ld : r0;
  for (let c = 0; c < nb; c++) {
    const rc = (k0 + c) * ld + k0;
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
  // L back into the matrix; rows past `live` aliased row 0 and are dropped (r3 first, r0 last).
  for (let c = 0; c < nb; c++) {
    const inv = 1 / d[dk0 + c]!;
    const w = 4 * c;
    if (live > 3) a[r3 + c] = wp[w + 3]! * inv;
    if (live > 2) a[r2 + c] = wp[w + 2]! * inv;
    if (live > 1) a[r1 + c] = wp[w + 1]! * inv;
    a[r0 + c] = wp[w]! * inv;
  }
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

/** In place, on w (length ≥ off + t): w ← L⁻¹w (unit lower L in a's strict lower triangle). */
export function denseForward(a: Float64Array, t: number, w: Float64Array, off: number): void {
  const ld = denseStride(t);
  for (let i = 1; i < t; i++) {
    const ri = i * ld;
    // Four partial sums: the dot product is latency-bound on one accumulator.
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    let c = 0;
    for (; c + 3 < i; c += 4) {
      s0 += a[ri + c]! * w[off + c]!;
      s1 += a[ri + c + 1]! * w[off + c + 1]!;
      s2 += a[ri + c + 2]! * w[off + c + 2]!;
      s3 += a[ri + c + 3]! * w[off + c + 3]!;
    }
    for (; c < i; c++) s0 += a[ri + c]! * w[off + c]!;
    w[off + i]! -= s0 + s1 + s2 + s3;
  }
}

/** In place, on w: w ← L⁻ᵀw. */
export function denseBackward(a: Float64Array, t: number, w: Float64Array, off: number): void {
  const ld = denseStride(t);
  for (let i = t - 1; i > 0; i--) {
    const ri = i * ld;
    const wi = w[off + i]!;
    if (wi === 0) continue;
    for (let c = 0; c < i; c++) w[off + c]! -= a[ri + c]! * wi;
  }
}
