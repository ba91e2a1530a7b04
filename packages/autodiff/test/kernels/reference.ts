/** Naive reference implementations the kernel property tests compare against. */

/** Element (i, j) of op(X) for a row-major view (x, off, ld). */
export function at(x: Float64Array, off: number, ld: number, trans: boolean, i: number, j: number): number {
  return trans ? x[off + j * ld + i]! : x[off + i * ld + j]!;
}

/** The triple loop: returns a copy of c with c ← α·op(A)·op(B) + β·c on the m×n view. */
export function refGemm(
  transA: boolean,
  transB: boolean,
  m: number,
  n: number,
  k: number,
  alpha: number,
  a: Float64Array,
  aOff: number,
  lda: number,
  b: Float64Array,
  bOff: number,
  ldb: number,
  beta: number,
  c: Float64Array,
  cOff: number,
  ldc: number,
): Float64Array {
  const out = Float64Array.from(c);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += at(a, aOff, lda, transA, i, p) * at(b, bOff, ldb, transB, p, j);
      const prev = beta === 0 ? 0 : beta * c[cOff + i * ldc + j]!;
      out[cOff + i * ldc + j] = alpha * s + prev;
    }
  }
  return out;
}

/** Row-major product of an m×k and a k×n matrix. */
export function refMatmul(a: Float64Array, b: Float64Array, m: number, k: number, n: number): Float64Array {
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += a[i * k + p]! * b[p * n + j]!;
      out[i * n + j] = s;
    }
  return out;
}

/** The transpose of a row-major r×c matrix. */
export function refTranspose(a: Float64Array, r: number, c: number): Float64Array {
  const out = new Float64Array(r * c);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[j * r + i] = a[i * c + j]!;
  return out;
}

/** Determinant by cofactor expansion (small n only). */
export function refDet(a: Float64Array, n: number): number {
  if (n === 0) return 1;
  if (n === 1) return a[0]!;
  let det = 0;
  for (let j = 0; j < n; j++) {
    const minor = new Float64Array((n - 1) * (n - 1));
    let q = 0;
    for (let r = 1; r < n; r++) for (let c = 0; c < n; c++) if (c !== j) minor[q++] = a[r * n + c]!;
    det += (j % 2 === 0 ? 1 : -1) * a[j]! * refDet(minor, n - 1);
  }
  return det;
}

export function maxAbs(x: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]!));
  return m;
}

export function maxAbsDiff(x: ArrayLike<number>, y: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]! - y[i]!));
  return m;
}

/** A seeded uniform [-1, 1) array (mulberry32), for inputs too large to draw through fast-check. */
export function randomArray(n: number, seed: number): Float64Array {
  let s = seed >>> 0;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  }
  return out;
}
