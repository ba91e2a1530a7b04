/**
 * gemm's unpacked paths, for products where packing panels would cost as much as the product:
 * small ones (a plain dot-product loop) and shallow, narrow untransposed ones (4×4 register tiles
 * read straight from A's and B's rows). Internal to blas.ts, which chooses between the paths.
 */

/** C += α·A·B on 4×4 register tiles read straight from A's rows and B's rows; edges by dot products. */
export function gemmUnpacked(
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
  c: Float64Array,
  cOff: number,
  ldc: number,
): void {
  const m4 = m - (m % 4);
  const n4 = n - (n % 4);
  for (let i = 0; i < m4; i += 4) {
    const a0 = aOff + i * lda,
      a1 = a0 + lda,
      a2 = a1 + lda,
      a3 = a2 + lda;
    for (let j = 0; j < n4; j += 4) {
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
      for (let p = 0, bo = bOff + j; p < k; p++, bo += ldb) {
        const b0 = b[bo]!,
          b1 = b[bo + 1]!,
          b2 = b[bo + 2]!,
          b3 = b[bo + 3]!;
        const x0 = a[a0 + p]!,
          x1 = a[a1 + p]!,
          x2 = a[a2 + p]!,
          x3 = a[a3 + p]!;
        c00 += x0 * b0;
        c01 += x0 * b1;
        c02 += x0 * b2;
        c03 += x0 * b3;
        c10 += x1 * b0;
        c11 += x1 * b1;
        c12 += x1 * b2;
        c13 += x1 * b3;
        c20 += x2 * b0;
        c21 += x2 * b1;
        c22 += x2 * b2;
        c23 += x2 * b3;
        c30 += x3 * b0;
        c31 += x3 * b1;
        c32 += x3 * b2;
        c33 += x3 * b3;
      }
      let o = cOff + i * ldc + j;
      c[o]! += alpha * c00;
      c[o + 1]! += alpha * c01;
      c[o + 2]! += alpha * c02;
      c[o + 3]! += alpha * c03;
      o += ldc;
      c[o]! += alpha * c10;
      c[o + 1]! += alpha * c11;
      c[o + 2]! += alpha * c12;
      c[o + 3]! += alpha * c13;
      o += ldc;
      c[o]! += alpha * c20;
      c[o + 1]! += alpha * c21;
      c[o + 2]! += alpha * c22;
      c[o + 3]! += alpha * c23;
      o += ldc;
      c[o]! += alpha * c30;
      c[o + 1]! += alpha * c31;
      c[o + 2]! += alpha * c32;
      c[o + 3]! += alpha * c33;
    }
  }
  // The last n % 4 columns of the tiled rows, then the last m % 4 rows entirely.
  for (let i = 0; i < m; i++) {
    for (let j = i < m4 ? n4 : 0; j < n; j++) {
      let s = 0;
      for (let p = 0, ka = aOff + i * lda, kb = bOff + j; p < k; p++, kb += ldb) s += a[ka + p]! * b[kb]!;
      c[cOff + i * ldc + j]! += alpha * s;
    }
  }
}

/** Unpacked dot-product loop for small products, where packing would dominate. */
export function gemmSmall(
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
  c: Float64Array,
  cOff: number,
  ldc: number,
): void {
  // Strides of op(A) along (i, p) and of op(B) along (p, j).
  const ai = transA ? 1 : lda;
  const ap = transA ? lda : 1;
  const bp = transB ? 1 : ldb;
  const bj = transB ? ldb : 1;
  for (let i = 0; i < m; i++) {
    const rowA = aOff + i * ai;
    for (let j = 0; j < n; j++) {
      let s = 0;
      let ka = rowA;
      let kb = bOff + j * bj;
      for (let p = 0; p < k; p++, ka += ap, kb += bp) s += a[ka]! * b[kb]!;
      c[cOff + i * ldc + j]! += alpha * s;
    }
  }
}
