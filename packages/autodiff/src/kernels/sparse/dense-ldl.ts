/**
 * Blocked dense LDLᵀ for the trailing block of a sparse factorization, where fill has made the
 * Schur complement dense (a random LP's KKT system: the last ~n columns). The flops are in the
 * symmetric rank-nb update of the trailing matrix, done on packed panels by a 4×4 register tile;
 * everything else is O(t²·nb).
 */

/** Panel width: a multiple of 4; 48 keeps two packed panels of a few thousand rows in L2. */
export const DENSE_PANEL = 48;

/** Row stride of a t×t block in this layout (t rounded up to 4, so tiles never straddle the edge). */
export function denseStride(t: number): number {
  return (t + 3) & ~3;
}

/**
 * In-place LDLᵀ of the t×t symmetric matrix in `a` (row-major, stride denseStride(t), lower
 * triangle read): on return its strict lower triangle holds L and d[dOff…dOff+t) holds D. Dynamic
 * regularization: a pivot with signs[k]·d ≤ dynEps becomes signs[k]·dynDelta. `lp` and `wp`
 * are packed-panel work of length ≥ denseStride(t)·DENSE_PANEL. Returns the number of pivots
 * regularized. Entries above the diagonal and in the padding are scratch.
 */
export function denseLdl(
  a: Float64Array,
  t: number,
  d: Float64Array,
  dOff: number,
  signs: Int8Array,
  dynEps: number,
  dynDelta: number,
  lp: Float64Array,
  wp: Float64Array,
): number {
  const ld = denseStride(t);
  let regularized = 0;
  for (let k0 = 0; k0 < t; k0 += DENSE_PANEL) {
    const nb = Math.min(DENSE_PANEL, t - k0);
    const k1 = k0 + nb;
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
    if (k1 >= t) break;
    // Panel: rows below the block solve L[i,blk]·D·L11ᵀ = A[i,blk]. L (lp) and L·D (wp) are packed
    // in groups of 4 rows, column-major inside a group, so the tile kernel reads both contiguously.
    const rows = ld - k1;
    for (let i = k1; i < ld; i += 4) panelRows(a, ld, t, i, k0, nb, d, dOff + k0, lp, wp, ((i - k1) >> 2) * nb * 4);
    syrkTiles(a, ld, k1, rows, nb, lp, wp);
  }
  return regularized;
}

/**
 * Four panel rows i…i+3 at once (they share every L11 load): forward substitution
 * w_c = a[r,k0+c] − Σ_{q<c} L11[c,q]·w_q, L[r,k0+c] = w_c/d_c, written to a, lp and wp (group
 * offset o, 4 interleaved rows). Rows past t are padding and packed as zeros.
 */
function panelRows(
  a: Float64Array,
  ld: number,
  t: number,
  i: number,
  k0: number,
  nb: number,
  d: Float64Array,
  dk0: number,
  lp: Float64Array,
  wp: Float64Array,
  o: number,
): void {
  const r0 = i * ld + k0;
  const r1 = r0 + ld;
  const r2 = r1 + ld;
  const r3 = r2 + ld;
  const live = t - i; // rows of the group inside the matrix (≥ 1 except in pure padding)
  for (let c = 0; c < nb; c++) {
    const rc = (k0 + c) * ld + k0;
    let v0 = live > 0 ? a[r0 + c]! : 0;
    let v1 = live > 1 ? a[r1 + c]! : 0;
    let v2 = live > 2 ? a[r2 + c]! : 0;
    let v3 = live > 3 ? a[r3 + c]! : 0;
    for (let q = 0, w = o; q < c; q++, w += 4) {
      const l = a[rc + q]!;
      v0 -= l * wp[w]!;
      v1 -= l * wp[w + 1]!;
      v2 -= l * wp[w + 2]!;
      v3 -= l * wp[w + 3]!;
    }
    const inv = 1 / d[dk0 + c]!;
    const w = o + 4 * c;
    wp[w] = v0;
    wp[w + 1] = v1;
    wp[w + 2] = v2;
    wp[w + 3] = v3;
    lp[w] = v0 * inv;
    lp[w + 1] = v1 * inv;
    lp[w + 2] = v2 * inv;
    lp[w + 3] = v3 * inv;
  }
  // L back into the matrix (rows inside it only).
  for (let c = 0; c < nb; c++) {
    const w = o + 4 * c;
    if (live > 0) a[r0 + c] = lp[w]!;
    if (live > 1) a[r1 + c] = lp[w + 1]!;
    if (live > 2) a[r2 + c] = lp[w + 2]!;
    if (live > 3) a[r3 + c] = lp[w + 3]!;
  }
}

/**
 * a[i,j] −= Σ_c lp[i,c]·wp[j,c] over 4×4 tiles with j ≤ i (tile-wise), rows/cols k1…k1+rows
 * (rows a multiple of 4), the panels packed by groups of 4 rows: element (r, c) at
 * (r >> 2)·4·nb + 4c + (r & 3).
 */
export function syrkTiles(a: Float64Array, ld: number, k1: number, rows: number, nb: number, lp: Float64Array, wp: Float64Array): void {
  for (let ti = 0; ti < rows; ti += 4) {
    const li = ti * nb;
    const r0 = (k1 + ti) * ld + k1;
    const r1 = r0 + ld;
    const r2 = r1 + ld;
    const r3 = r2 + ld;
    for (let tj = 0; tj <= ti; tj += 4) {
      let c00 = 0,
        c01 = 0,
        c02 = 0,
        c03 = 0,
        c10 = 0,
        c11 = 0,
        c12 = 0,
        c13 = 0;
      let c20 = 0,
        c21 = 0,
        c22 = 0,
        c23 = 0,
        c30 = 0,
        c31 = 0,
        c32 = 0,
        c33 = 0;
      const end = li + 4 * nb;
      for (let p = li, q = tj * nb; p < end; p += 4, q += 4) {
        const x0 = lp[p]!;
        const x1 = lp[p + 1]!;
        const x2 = lp[p + 2]!;
        const x3 = lp[p + 3]!;
        const y0 = wp[q]!;
        const y1 = wp[q + 1]!;
        const y2 = wp[q + 2]!;
        const y3 = wp[q + 3]!;
        c00 += x0 * y0;
        c01 += x0 * y1;
        c02 += x0 * y2;
        c03 += x0 * y3;
        c10 += x1 * y0;
        c11 += x1 * y1;
        c12 += x1 * y2;
        c13 += x1 * y3;
        c20 += x2 * y0;
        c21 += x2 * y1;
        c22 += x2 * y2;
        c23 += x2 * y3;
        c30 += x3 * y0;
        c31 += x3 * y1;
        c32 += x3 * y2;
        c33 += x3 * y3;
      }
      a[r0 + tj]! -= c00;
      a[r0 + tj + 1]! -= c01;
      a[r0 + tj + 2]! -= c02;
      a[r0 + tj + 3]! -= c03;
      a[r1 + tj]! -= c10;
      a[r1 + tj + 1]! -= c11;
      a[r1 + tj + 2]! -= c12;
      a[r1 + tj + 3]! -= c13;
      a[r2 + tj]! -= c20;
      a[r2 + tj + 1]! -= c21;
      a[r2 + tj + 2]! -= c22;
      a[r2 + tj + 3]! -= c23;
      a[r3 + tj]! -= c30;
      a[r3 + tj + 1]! -= c31;
      a[r3 + tj + 2]! -= c32;
      a[r3 + tj + 3]! -= c33;
    }
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
