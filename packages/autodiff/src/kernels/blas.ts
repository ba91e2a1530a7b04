/**
 * BLAS-style kernels on row-major Float64Array views. A matrix operand is (array, offset, leading
 * dimension): element (i, j) of an r×c view lives at `a[off + i * ld + j]`, so sub-matrices and
 * batch elements are addressed without copying. Kernels write only their output argument and
 * never allocate in inner loops; they do no argument validation (the ops above them do).
 */
import { gemmPacked, syrkPacked } from './gemm-packed.js';
import { gemmSmall } from './gemm-unpacked.js';

// --- level 1 -----------------------------------------------------------------------------------

/** Σᵢ x[xOff + i] · y[yOff + i] over n elements. */
export function dot(n: number, x: Float64Array, y: Float64Array, xOff = 0, yOff = 0): number {
  let s0 = 0;
  let s1 = 0;
  let i = 0;
  // Two partial sums break the add dependency chain.
  for (; i + 1 < n; i += 2) {
    s0 += x[xOff + i]! * y[yOff + i]!;
    s1 += x[xOff + i + 1]! * y[yOff + i + 1]!;
  }
  if (i < n) s0 += x[xOff + i]! * y[yOff + i]!;
  return s0 + s1;
}

/** y ← αx + y over n elements (y is written in place). */
export function axpy(n: number, alpha: number, x: Float64Array, y: Float64Array, xOff = 0, yOff = 0): void {
  if (alpha === 0) return;
  for (let i = 0; i < n; i++) y[yOff + i]! += alpha * x[xOff + i]!;
}

/** x ← αx over n elements (in place). α = 0 writes exact zeros, so NaN in x does not survive. */
export function scal(n: number, alpha: number, x: Float64Array, xOff = 0): void {
  if (alpha === 1) return;
  if (alpha === 0) x.fill(0, xOff, xOff + n);
  else for (let i = 0; i < n; i++) x[xOff + i]! *= alpha;
}

// --- level 2 -----------------------------------------------------------------------------------

/**
 * y ← α·op(A)·x + β·y with A an m×n view and op(A) = A or Aᵀ (so y has m or n entries).
 * β = 0 overwrites y without reading it.
 */
export function gemv(
  trans: boolean,
  m: number,
  n: number,
  alpha: number,
  a: Float64Array,
  aOff: number,
  lda: number,
  x: Float64Array,
  xOff: number,
  beta: number,
  y: Float64Array,
  yOff: number,
): void {
  const ny = trans ? n : m;
  scal(ny, beta, y, yOff);
  if (alpha === 0) return;
  if (!trans) {
    for (let i = 0; i < m; i++) y[yOff + i]! += alpha * dot(n, a, x, aOff + i * lda, xOff);
  } else {
    // Aᵀx as a sum of scaled rows keeps the reads of A contiguous.
    for (let i = 0; i < m; i++) axpy(n, alpha * x[xOff + i]!, a, y, aOff + i * lda, yOff);
  }
}

// --- level 3 -----------------------------------------------------------------------------------

/**
 * Below this many multiply-adds (about 5³) even packing the operands once costs more than it
 * saves. Above it the packed path won at every shape measured, small ones included (6³: 3.1 vs
 * 1.3 GFLOP/s for the dot-product loop; 32×64×64: 8.3 vs 5.3 for unpacked 3×2 register tiles,
 * which pay the JIT's per-iteration checks on the caller's arrays): with n ≤ 1024 each operand
 * is copied exactly once.
 */
const SMALL = 128;

/**
 * C ← α·op(A)·op(B) + β·C, where op(X) is X or Xᵀ, op(A) is m×k, op(B) is k×n and C is m×n.
 * Views are (array, offset, leading dimension) of the stored (untransposed) matrices. β = 0
 * overwrites C without reading it. C must not overlap A or B.
 */
export function gemm(
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
): void {
  if (m === 0 || n === 0) return;
  scaleRows(m, n, beta, c, cOff, ldc);
  if (k === 0 || alpha === 0) return;
  if (n === 1) {
    // C is a column: a matrix-vector product, with B's column read at stride ldb (or 1 if transposed).
    const xs = transB ? 1 : ldb;
    for (let i = 0; i < m; i++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += (transA ? a[aOff + p * lda + i]! : a[aOff + i * lda + p]!) * b[bOff + p * xs]!;
      c[cOff + i * ldc]! += alpha * s;
    }
    return;
  }
  if (m * n * k <= SMALL) {
    gemmSmall(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, c, cOff, ldc);
    return;
  }
  gemmPacked(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, c, cOff, ldc);
}

/**
 * C ← β·C on an m×n view, in a plain loop: a small C would spend more in m calls of
 * TypedArray.fill than in the product. β = 0 writes exact zeros (NaN in C does not survive).
 */
function scaleRows(m: number, n: number, beta: number, c: Float64Array, cOff: number, ldc: number): void {
  if (beta === 1) return;
  for (let i = 0, row = cOff; i < m; i++, row += ldc) {
    if (beta === 0) for (let j = 0; j < n; j++) c[row + j] = 0;
    else for (let j = 0; j < n; j++) c[row + j]! *= beta;
  }
}

/**
 * The lower triangle of C ← α·op(A)·op(A)ᵀ + β·C, where op(A) is A (an n×k view) or Aᵀ (A a k×n
 * view), C an n×n view. Half of gemm's multiply-adds; C's strict upper triangle is neither read
 * nor written. β = 0 overwrites the triangle without reading it.
 */
export function syrk(
  trans: boolean,
  n: number,
  k: number,
  alpha: number,
  a: Float64Array,
  aOff: number,
  lda: number,
  beta: number,
  c: Float64Array,
  cOff: number,
  ldc: number,
): void {
  for (let i = 0, row = cOff; i < n && beta !== 1; i++, row += ldc) {
    if (beta === 0) for (let j = 0; j <= i; j++) c[row + j] = 0;
    else for (let j = 0; j <= i; j++) c[row + j]! *= beta;
  }
  if (n === 0 || k === 0 || alpha === 0) return;
  if (n * n * k > 2 * SMALL) {
    syrkPacked(trans, n, k, alpha, a, aOff, lda, c, cOff, ldc);
    return;
  }
  const ai = trans ? 1 : lda;
  const ap = trans ? lda : 1;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let p = 0, qi = aOff + i * ai, qj = aOff + j * ai; p < k; p++, qi += ap, qj += ap) s += a[qi]! * a[qj]!;
      c[cOff + i * ldc + j]! += alpha * s;
    }
  }
}

/**
 * gemm over a batch: for each b, C_b ← α·op(A_b)·op(B_b) + β·C_b, with A_b at `aOffsets[b]`, etc.
 * Offsets may repeat (a broadcast operand), but C offsets must be distinct.
 */
export function gemmBatched(
  batch: number,
  transA: boolean,
  transB: boolean,
  m: number,
  n: number,
  k: number,
  alpha: number,
  a: Float64Array,
  aOffsets: ArrayLike<number>,
  lda: number,
  b: Float64Array,
  bOffsets: ArrayLike<number>,
  ldb: number,
  beta: number,
  c: Float64Array,
  cOffsets: ArrayLike<number>,
  ldc: number,
): void {
  for (let t = 0; t < batch; t++) {
    gemm(transA, transB, m, n, k, alpha, a, aOffsets[t]!, lda, b, bOffsets[t]!, ldb, beta, c, cOffsets[t]!, ldc);
  }
}
