/**
 * The dense tail's triangular sweeps, w ← L⁻¹w and w ← L⁻ᵀw (L unit lower, in the strict lower
 * triangle of a t×t block at stride ld), four rows per pass: the rows' products with the solved
 * part of w (or their combination subtracted from it) by a `Rows4` primitive, the 4×4 triangle
 * among the rows here. dense-ldl.ts runs them on a JS array with the loops below, dense-simd.ts
 * on its WebAssembly memory with dense-simd-sweep.ts's f64x2 kernels.
 */

/**
 * The four rows of L from m[r0] (ld apart) against their first `count` columns (a multiple of 4
 * where the row group starts on one): `dots` writes Σ_c L[row k, c]·v[c] to io[at + k]; `axpy`
 * subtracts Σ_k io[at + k]·L[row k, c] from v[c].
 */
export interface Rows4 {
  readonly dots: (r0: number, count: number) => void;
  readonly axpy: (r0: number, count: number) => void;
  readonly io: Float64Array;
  readonly at: number;
}

/** v[x…x+t) ← L⁻¹v, L at m[o…]. */
export function forwardSweep(m: Float64Array, o: number, ld: number, t: number, v: Float64Array, x: number, rows: Rows4): void {
  const { io, at } = rows;
  let i = 0;
  for (; i + 3 < t; i += 4) {
    const r0 = o + i * ld;
    const r1 = r0 + ld;
    const r2 = r1 + ld;
    const r3 = r2 + ld;
    rows.dots(r0, i);
    const w0 = v[x + i]! - io[at]!;
    const w1 = v[x + i + 1]! - io[at + 1]! - m[r1 + i]! * w0;
    const w2 = v[x + i + 2]! - io[at + 2]! - m[r2 + i]! * w0 - m[r2 + i + 1]! * w1;
    v[x + i] = w0;
    v[x + i + 1] = w1;
    v[x + i + 2] = w2;
    v[x + i + 3] = v[x + i + 3]! - io[at + 3]! - m[r3 + i]! * w0 - m[r3 + i + 1]! * w1 - m[r3 + i + 2]! * w2;
  }
  for (; i < t; i++) {
    const ri = o + i * ld;
    let s = 0;
    for (let c = 0; c < i; c++) s += m[ri + c]! * v[x + c]!;
    v[x + i]! -= s;
  }
}

/** v[x…x+t) ← L⁻ᵀv, L at m[o…]; a group of four rows whose entries of v are all zero is skipped. */
export function backwardSweep(m: Float64Array, o: number, ld: number, t: number, v: Float64Array, x: number, rows: Rows4): void {
  const { io, at } = rows;
  let i = t;
  // Rows past the last multiple of 4, one at a time (the highest first).
  for (; i % 4 !== 0; ) {
    i--;
    const ri = o + i * ld;
    const wi = v[x + i]!;
    if (wi === 0) continue;
    for (let c = 0; c < i; c++) v[x + c]! -= m[ri + c]! * wi;
  }
  for (; i > 0; ) {
    i -= 4;
    const r0 = o + i * ld;
    const r1 = r0 + ld;
    const r2 = r1 + ld;
    const r3 = r2 + ld;
    const w3 = v[x + i + 3]!;
    const w2 = v[x + i + 2]! - m[r3 + i + 2]! * w3;
    const w1 = v[x + i + 1]! - m[r3 + i + 1]! * w3 - m[r2 + i + 1]! * w2;
    const w0 = v[x + i]! - m[r3 + i]! * w3 - m[r2 + i]! * w2 - m[r1 + i]! * w1;
    v[x + i + 2] = w2;
    v[x + i + 1] = w1;
    v[x + i] = w0;
    if (w0 === 0 && w1 === 0 && w2 === 0 && w3 === 0) continue;
    io[at] = w0;
    io[at + 1] = w1;
    io[at + 2] = w2;
    io[at + 3] = w3;
    rows.axpy(r0, i);
  }
}

/** The scalar Rows4's operands, set per sweep (sweeps are synchronous and never nested). */
const scalar: { m: Float64Array; ld: number; v: Float64Array; x: number } = { m: new Float64Array(0), ld: 0, v: new Float64Array(0), x: 0 };
const scalarIo = new Float64Array(4);
const SCALAR_ROWS: Rows4 = {
  io: scalarIo,
  at: 0,
  dots(r0, count) {
    const { m, ld, v, x } = scalar;
    const r1 = r0 + ld;
    const r2 = r1 + ld;
    const r3 = r2 + ld;
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    for (let c = 0; c < count; c++) {
      const w = v[x + c]!;
      s0 += m[r0 + c]! * w;
      s1 += m[r1 + c]! * w;
      s2 += m[r2 + c]! * w;
      s3 += m[r3 + c]! * w;
    }
    scalarIo[0] = s0;
    scalarIo[1] = s1;
    scalarIo[2] = s2;
    scalarIo[3] = s3;
  },
  axpy(r0, count) {
    const { m, ld, v, x } = scalar;
    const r1 = r0 + ld;
    const r2 = r1 + ld;
    const r3 = r2 + ld;
    const w0 = scalarIo[0]!;
    const w1 = scalarIo[1]!;
    const w2 = scalarIo[2]!;
    const w3 = scalarIo[3]!;
    for (let c = 0; c < count; c++) v[x + c]! -= m[r0 + c]! * w0 + m[r1 + c]! * w1 + m[r2 + c]! * w2 + m[r3 + c]! * w3;
  },
};

/** Rows4 on a JS array `m` (stride ld) and vector v[x…]: scalar loops, one load of v shared by four rows (no allocation). */
export function scalarRows4(m: Float64Array, ld: number, v: Float64Array, x: number): Rows4 {
  scalar.m = m;
  scalar.ld = ld;
  scalar.v = v;
  scalar.x = x;
  return SCALAR_ROWS;
}
