/**
 * BLAS-style kernels on row-major Float64Array views. A matrix operand is (array, offset, leading
 * dimension): element (i, j) of an r×c view lives at `a[off + i * ld + j]`, so sub-matrices and
 * batch elements are addressed without copying. Kernels write only their output argument and
 * never allocate in inner loops; they do no argument validation (the ops above them do).
 */
import { gemmSmall, gemmUnpacked } from './gemm-unpacked.js';

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

// Blocking (after Goto & van de Geijn): a KC×NC block of op(B) is packed into NR-column panels and
// an MC×KC block of op(A) into MR-row panels, both in the order the micro-kernel reads them, so its
// inner loop streams two small contiguous buffers. An MR×NR = 4×4 tile of C stays in 16 locals,
// which V8 keeps in registers; measured against 2×4, 4×2 and 3×4 tiles it was the fastest.
const MR = 4;
const NR = 4;
const KC = 256;
const MC = 64;
const NC = 1024;
/** Below this many multiply-adds the packing costs more than it saves. */
const SMALL = 4096;
/**
 * Untransposed products this shallow (k) and narrow (n) run on unpacked 4×4 tiles: packing A
 * would cost about as much as the product, and B (≤ 128 KiB) stays in cache. This is the shape
 * of an MLP's layers on a batch (measured 10–40% faster than packing at k ≤ 64, n ≤ 90).
 */
const UNPACKED_K = 64;
const UNPACKED_N = 256;

// Scratch panels, reused across calls: gemm runs to completion without calling out, so a single
// buffer cannot be shared by two live calls.
let packedA = new Float64Array(0);
let packedB = new Float64Array(0);
const edgeTile = new Float64Array(MR * NR);

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
  for (let i = 0; i < m; i++) scal(n, beta, c, cOff + i * ldc);
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
  if (!transA && !transB && k <= UNPACKED_K && n <= UNPACKED_N) {
    gemmUnpacked(m, n, k, alpha, a, aOff, lda, b, bOff, ldb, c, cOff, ldc);
    return;
  }
  ensureScratch();
  for (let jc = 0; jc < n; jc += NC) {
    const nc = Math.min(NC, n - jc);
    for (let pc = 0; pc < k; pc += KC) {
      const kc = Math.min(KC, k - pc);
      packB(transB, kc, nc, b, bOff, ldb, pc, jc);
      for (let ic = 0; ic < m; ic += MC) {
        const mc = Math.min(MC, m - ic);
        packA(transA, mc, kc, a, aOff, lda, ic, pc);
        for (let jr = 0; jr < nc; jr += NR) {
          const nr = Math.min(NR, nc - jr);
          for (let ir = 0; ir < mc; ir += MR) {
            microKernel(kc, ir * kc, jr * kc, alpha, c, cOff + (ic + ir) * ldc + jc + jr, ldc, Math.min(MR, mc - ir), nr);
          }
        }
      }
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

function ensureScratch(): void {
  if (packedA.length === 0) {
    packedA = new Float64Array(MC * KC);
    packedB = new Float64Array(KC * Math.ceil(NC / NR) * NR);
  }
}

/** Packs op(B)[pc : pc+kc, jc : jc+nc] as NR-wide column panels, p-major, zero-padded. */
function packB(transB: boolean, kc: number, nc: number, b: Float64Array, bOff: number, ldb: number, pc: number, jc: number): void {
  const dst = packedB;
  let q = 0;
  for (let j0 = 0; j0 < nc; j0 += NR) {
    const w = Math.min(NR, nc - j0);
    for (let p = 0; p < kc; p++) {
      // Element (p, j) of op(B): b[p*ldb + j] untransposed, b[j*ldb + p] transposed.
      let src = transB ? bOff + (jc + j0) * ldb + pc + p : bOff + (pc + p) * ldb + jc + j0;
      const step = transB ? ldb : 1;
      for (let jj = 0; jj < w; jj++, src += step) dst[q + jj] = b[src]!;
      for (let jj = w; jj < NR; jj++) dst[q + jj] = 0;
      q += NR;
    }
  }
}

/** Packs op(A)[ic : ic+mc, pc : pc+kc] as MR-tall row panels, p-major, zero-padded. */
function packA(transA: boolean, mc: number, kc: number, a: Float64Array, aOff: number, lda: number, ic: number, pc: number): void {
  const dst = packedA;
  let q = 0;
  for (let i0 = 0; i0 < mc; i0 += MR) {
    const h = Math.min(MR, mc - i0);
    for (let p = 0; p < kc; p++) {
      let src = transA ? aOff + (pc + p) * lda + ic + i0 : aOff + (ic + i0) * lda + pc + p;
      const step = transA ? 1 : lda;
      for (let ii = 0; ii < h; ii++, src += step) dst[q + ii] = a[src]!;
      for (let ii = h; ii < MR; ii++) dst[q + ii] = 0;
      q += MR;
    }
  }
}

/** C[tile] += α · (packed A panel)·(packed B panel) for one MR×NR tile, of which mr×nr is valid. */
function microKernel(
  kc: number,
  ia: number,
  ib: number,
  alpha: number,
  c: Float64Array,
  c0: number,
  ldc: number,
  mr: number,
  nr: number,
): void {
  const pa = packedA;
  const pb = packedB;
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
  const end = ia + MR * kc;
  for (; ia < end; ia += MR, ib += NR) {
    const a0 = pa[ia]!,
      a1 = pa[ia + 1]!,
      a2 = pa[ia + 2]!,
      a3 = pa[ia + 3]!;
    const b0 = pb[ib]!,
      b1 = pb[ib + 1]!,
      b2 = pb[ib + 2]!,
      b3 = pb[ib + 3]!;
    c00 += a0 * b0;
    c01 += a0 * b1;
    c02 += a0 * b2;
    c03 += a0 * b3;
    c10 += a1 * b0;
    c11 += a1 * b1;
    c12 += a1 * b2;
    c13 += a1 * b3;
    c20 += a2 * b0;
    c21 += a2 * b1;
    c22 += a2 * b2;
    c23 += a2 * b3;
    c30 += a3 * b0;
    c31 += a3 * b1;
    c32 += a3 * b2;
    c33 += a3 * b3;
  }
  if (mr === MR && nr === NR) {
    c[c0]! += alpha * c00;
    c[c0 + 1]! += alpha * c01;
    c[c0 + 2]! += alpha * c02;
    c[c0 + 3]! += alpha * c03;
    c0 += ldc;
    c[c0]! += alpha * c10;
    c[c0 + 1]! += alpha * c11;
    c[c0 + 2]! += alpha * c12;
    c[c0 + 3]! += alpha * c13;
    c0 += ldc;
    c[c0]! += alpha * c20;
    c[c0 + 1]! += alpha * c21;
    c[c0 + 2]! += alpha * c22;
    c[c0 + 3]! += alpha * c23;
    c0 += ldc;
    c[c0]! += alpha * c30;
    c[c0 + 1]! += alpha * c31;
    c[c0 + 2]! += alpha * c32;
    c[c0 + 3]! += alpha * c33;
    return;
  }
  const t = edgeTile;
  t[0] = c00;
  t[1] = c01;
  t[2] = c02;
  t[3] = c03;
  t[4] = c10;
  t[5] = c11;
  t[6] = c12;
  t[7] = c13;
  t[8] = c20;
  t[9] = c21;
  t[10] = c22;
  t[11] = c23;
  t[12] = c30;
  t[13] = c31;
  t[14] = c32;
  t[15] = c33;
  for (let i = 0; i < mr; i++) for (let j = 0; j < nr; j++) c[c0 + i * ldc + j]! += alpha * t[i * NR + j]!;
}
