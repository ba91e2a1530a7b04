/**
 * gemm's unpacked path, for products so small (a few hundred multiply-adds) that even packing
 * the operands once costs more than it saves: a plain dot-product loop over strided views.
 * Internal to blas.ts, which chooses between the paths.
 */

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
