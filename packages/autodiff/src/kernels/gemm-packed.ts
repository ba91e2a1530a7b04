/**
 * gemm's packed path (after Goto & van de Geijn): a KC×NC block of op(B) is packed into NR-column
 * panels and an MC×KC block of op(A) into MR-row panels, both in the order the micro-kernel reads
 * them, so its inner loop streams short contiguous runs. Internal to blas.ts, which chooses
 * between gemm's paths.
 *
 * What V8 makes of the micro-kernel decides everything here (Node 20 on x64: TurboFan, 15
 * allocatable double registers and ~12 general ones; no JS engine vectorizes float64 code):
 * - The tile is MR×NR = 3×2. TurboFan schedules every product of a k-step before any of the
 *   accumulating adds, so a tile keeps 2·MR·NR doubles live; 3×2 (12) is the largest that does not
 *   spill. 4×2 and 2×4 keep two accumulators on the stack (a store and a reload on every k-step),
 *   3×3 spills too; on Zen 3 they ran at 60–85% of 3×2's speed, as did a k-unroll by 2. 6×1 and
 *   4×1 (each A load folded into its multiply) run out of general registers for the row views'
 *   data pointers and reload them on every k-step: 60–85%. 2×3 measured the same as 3×2.
 * - Each row of a packed A panel and each column of a packed B panel has its own Float64Array, all
 *   views of one ArrayBuffer, indexed by the k-step. A k-step loads a0s[qa], a1s[qa], a2s[qa],
 *   b0s[qb], b1s[qb]: the three A loads share one index and one length, as do the two B loads, so
 *   TurboFan keeps one bounds check per group (two per k-step, not five) and no index is
 *   materialized just to be checked: the loop went from 38 instructions per k-step (12 flops) to
 *   30, and gemm from 5.4 to 6.2–6.6 GFLOP/s at n = 512 on Zen 3. More views cost more: past
 *   about five, TurboFan runs out of general registers for their data pointers.
 * - The views are module-level `const`s read into locals before the loops. The JIT then folds each
 *   view's data pointer and length into the code as constants; an array passed as an argument,
 *   kept in a `let`, or read from the module scope inside the loop is re-checked (map, length,
 *   data pointer) on every k-step. For the same reason nothing the loop reads is exported: an
 *   exported `const` is read through a module cell, with a hole check, on every use.
 * - Panel offsets and the depth are masked to a known range before the loop. The masks never
 *   change a value (the views are shorter than them), but they let the JIT prove the index sums
 *   cannot overflow, which removes an overflow check from every index update. (They do not remove
 *   the bounds checks: V8 keeps a check it can prove redundant, as hardening.)
 */

import { gemmSimd, simdGemmAvailable, syrkSimd } from './gemm-simd.js';

/**
 * Whether gemmPacked and syrkPacked hand their work to gemm-simd.ts's WebAssembly SIMD kernel
 * (same blocking and summation order, so the same bits, at about twice the speed), which compiles
 * wherever WebAssembly with SIMD does; the scalar kernel below is the fallback.
 */
let simd = simdGemmAvailable();

/** Internal, for tests: forces the scalar path (false) or restores the SIMD one where it compiled; returns whether SIMD is now used. */
export function useSimdGemm(on: boolean): boolean {
  simd = on && simdGemmAvailable();
  return simd;
}

const MR = 3;
const NR = 2;
/**
 * Depth and rows of a packed A block (MC a multiple of MR): the MC×KC block (48 KiB) streams from
 * L2 while one KC×2 B panel (2 KiB) stays in L1. Block sizes from 12×256 to 96×256 and 48×128
 * measured within a few percent of each other at n = 256 and 512 on Intel; on Zen 3 (32 KiB L1d)
 * 24×128 and 30×128, whose A block fits L1, and 48×64 measured no faster.
 */
const KC = 128;
const MC = 48;
/**
 * Columns of op(B) per packed block (a multiple of NR). A is packed again for every block of
 * columns, and in JS that copy is not free: at n = 512, NC = 1024 (A packed once) measured
 * ~10% faster than NC = 256.
 */
const NC = 1024;
/** Length of one row view of the packed A block and of one column view of the packed B block. */
const A_LEN = (MC / MR) * KC;
const B_LEN = (NC / NR) * KC;
/**
 * The packed blocks (1.1 MiB in all), allocated once at load; the OS maps its pages when a product
 * first touches them, so small products use few. gemm runs to completion without calling out, so
 * one buffer cannot be shared by two live calls.
 */
const PACK = new ArrayBuffer(8 * (MR * A_LEN + NR * B_LEN));
const PACK_A0 = new Float64Array(PACK, 0, A_LEN);
const PACK_A1 = new Float64Array(PACK, 8 * A_LEN, A_LEN);
const PACK_A2 = new Float64Array(PACK, 16 * A_LEN, A_LEN);
const PACK_B0 = new Float64Array(PACK, 8 * MR * A_LEN, B_LEN);
const PACK_B1 = new Float64Array(PACK, 8 * (MR * A_LEN + B_LEN), B_LEN);
/** 2¹¹ − 1 ≥ every tile offset into an A view (< A_LEN = 2048), 2¹⁶ − 1 into a B view, 255 ≥ KC: see the header. */
const A_MASK = 0x7ff;
const B_MASK = 0xffff;
const DEPTH_MASK = 0xff;

/**
 * C += α·op(A)·op(B) on the packed path. Views are (array, offset, leading dimension) of the
 * stored matrices; C must not overlap A or B.
 */
export function gemmPacked(
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
  if (simd) {
    gemmSimd(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, c, cOff, ldc);
    return;
  }
  for (let jc = 0; jc < n; jc += NC) {
    const nc = Math.min(NC, n - jc);
    for (let pc = 0; pc < k; pc += KC) {
      const kc = Math.min(KC, k - pc);
      packB(transB, kc, nc, b, bOff, ldb, pc, jc);
      for (let ic = 0; ic < m; ic += MC) {
        const mc = Math.min(MC, m - ic);
        packA(transA, mc, kc, alpha, a, aOff, lda, ic, pc);
        for (let jr = 0; jr < nc; jr += NR) {
          panelKernel(mc, Math.min(NR, nc - jr), kc, (jr / NR) * kc, c, cOff + ic * ldc + jc + jr, ldc, NO_DIAGONAL);
        }
      }
    }
  }
}

/** A diagonal offset below every tile: panelKernel writes the whole strip. */
const NO_DIAGONAL = -0x40000000;

/**
 * The lower triangle of C += α·op(A)·op(A)ᵀ (op(A) is n×k: A, or Aᵀ of a stored k×n A) on the
 * packed path, gemm's blocking with the tiles strictly above the diagonal skipped and the
 * straddling ones written below it only: half gemm's work, and C's strict upper triangle is
 * neither read nor written. op(A)ᵀ is packed as the B operand, once per depth block.
 */
export function syrkPacked(
  trans: boolean,
  n: number,
  k: number,
  alpha: number,
  a: Float64Array,
  aOff: number,
  lda: number,
  c: Float64Array,
  cOff: number,
  ldc: number,
): void {
  if (simd) {
    syrkSimd(trans, n, k, alpha, a, aOff, lda, c, cOff, ldc);
    return;
  }
  for (let jc = 0; jc < n; jc += NC) {
    const nc = Math.min(NC, n - jc);
    for (let pc = 0; pc < k; pc += KC) {
      const kc = Math.min(KC, k - pc);
      packB(!trans, kc, nc, a, aOff, lda, pc, jc);
      // Row blocks wholly above this column block hold nothing of the lower triangle.
      for (let ic = jc - (jc % MC); ic < n; ic += MC) {
        const mc = Math.min(MC, n - ic);
        packA(trans, mc, kc, alpha, a, aOff, lda, ic, pc);
        // Columns past the block's last row are above the diagonal.
        const jEnd = Math.min(nc, ic + mc - jc);
        for (let jr = 0; jr < jEnd; jr += NR) {
          panelKernel(mc, Math.min(NR, nc - jr), kc, (jr / NR) * kc, c, cOff + ic * ldc + jc + jr, ldc, jc + jr - ic);
        }
      }
    }
  }
}

/** Packs op(B)[pc : pc+kc, jc : jc+nc] as NR-wide column panels: panel j0/NR at [(j0/NR)·kc, …) of each B view, zero-padded. */
function packB(transB: boolean, kc: number, nc: number, b: Float64Array, bOff: number, ldb: number, pc: number, jc: number): void {
  const d0 = PACK_B0;
  const d1 = PACK_B1;
  let q = 0;
  for (let j0 = 0; j0 < nc; j0 += NR) {
    const w = Math.min(NR, nc - j0);
    if (!transB) {
      // Element (p, j) of B is b[(pc+p)·ldb + jc+j].
      let src = bOff + pc * ldb + jc + j0;
      if (w === NR) {
        for (let p = 0; p < kc; p++, src += ldb, q++) {
          d0[q] = b[src]!;
          d1[q] = b[src + 1]!;
        }
      } else {
        for (let p = 0; p < kc; p++, src += ldb, q++) {
          d0[q] = b[src]!;
          d1[q] = 0;
        }
      }
    } else {
      // Element (p, j) of Bᵀ is b[(jc+j)·ldb + pc+p]: each panel column is a contiguous row of b.
      const src0 = bOff + (jc + j0) * ldb + pc;
      const src1 = src0 + ldb;
      for (let p = 0; p < kc; p++, q++) {
        d0[q] = b[src0 + p]!;
        d1[q] = w === NR ? b[src1 + p]! : 0;
      }
    }
  }
}

/** Packs op(A)[ic : ic+mc, pc : pc+kc] as MR-tall row panels: panel i0/MR at [(i0/MR)·kc, …) of each A view, zero-padded. */
function packA(
  transA: boolean,
  mc: number,
  kc: number,
  alpha: number,
  a: Float64Array,
  aOff: number,
  lda: number,
  ic: number,
  pc: number,
): void {
  const d0 = PACK_A0;
  const d1 = PACK_A1;
  const d2 = PACK_A2;
  let q = 0;
  for (let i0 = 0; i0 < mc; i0 += MR) {
    const h = Math.min(MR, mc - i0);
    if (!transA) {
      // Element (i, p) of A is a[(ic+i)·lda + pc+p]: each panel row is a contiguous row of a.
      const r0 = aOff + (ic + i0) * lda + pc;
      const r1 = r0 + lda;
      const r2 = r1 + lda;
      if (h === MR) {
        for (let p = 0; p < kc; p++, q++) {
          d0[q] = alpha * a[r0 + p]!;
          d1[q] = alpha * a[r1 + p]!;
          d2[q] = alpha * a[r2 + p]!;
        }
      } else {
        for (let p = 0; p < kc; p++, q++) {
          d0[q] = alpha * a[r0 + p]!;
          d1[q] = h > 1 ? alpha * a[r1 + p]! : 0;
          d2[q] = 0;
        }
      }
    } else {
      // Element (i, p) of Aᵀ is a[(pc+p)·lda + ic+i]: a panel's k-step is a contiguous run of a.
      let src = aOff + pc * lda + ic + i0;
      for (let p = 0; p < kc; p++, src += lda, q++) {
        d0[q] = alpha * a[src]!;
        d1[q] = h > 1 ? alpha * a[src + 1]! : 0;
        d2[q] = h > 2 ? alpha * a[src + 2]! : 0;
      }
    }
  }
}

/**
 * C[block rows, 2 columns] += (packed A block)·(packed B panel at ib): the mc×nr strip of C under
 * one B panel, MR rows at a time (α is already in the packed A). Six accumulators and the five
 * loaded values fit the register file; see the header. With `diag` ≥ 0 (syrk) only the entries
 * on or below C's diagonal are touched: those at strip row r, column q with r − q ≥ diag; the
 * row tiles wholly above it are skipped.
 */
function panelKernel(mc: number, nr: number, kc: number, ib: number, c: Float64Array, cOff: number, ldc: number, diag: number): void {
  const a0s = PACK_A0;
  const a1s = PACK_A1;
  const a2s = PACK_A2;
  const b0s = PACK_B0;
  const b1s = PACK_B1;
  const bBase = ib & B_MASK;
  const depth = kc & DEPTH_MASK;
  const ir0 = diag > 0 ? diag - (diag % MR) : 0;
  for (let ir = ir0, tile = ir0 / MR; ir < mc; ir += MR, tile++) {
    const aBase = (tile * depth) & A_MASK;
    const aEnd = aBase + depth;
    // One induction variable: B's index is A's plus a constant of the tile.
    const shift = bBase - aBase;
    let c00 = 0;
    let c01 = 0;
    let c10 = 0;
    let c11 = 0;
    let c20 = 0;
    let c21 = 0;
    for (let qa = aBase; qa < aEnd; qa++) {
      const qb = qa + shift;
      const a0 = a0s[qa]!;
      const a1 = a1s[qa]!;
      const a2 = a2s[qa]!;
      const b0 = b0s[qb]!;
      const b1 = b1s[qb]!;
      c00 += a0 * b0;
      c01 += a0 * b1;
      c10 += a1 * b0;
      c11 += a1 * b1;
      c20 += a2 * b0;
      c21 += a2 * b1;
    }
    const mr = mc - ir;
    const c0 = cOff + ir * ldc;
    // Columns of the tile written in row t: all when the tile is below the diagonal, else those q ≤ ir + t − diag.
    const below = ir - diag >= NR - 1;
    const w0 = below ? nr : Math.min(nr, ir - diag + 1);
    if (w0 > 0) c[c0]! += c00;
    if (w0 > 1) c[c0 + 1]! += c01;
    if (mr > 1) {
      const w1 = below ? nr : Math.min(nr, ir - diag + 2);
      if (w1 > 0) c[c0 + ldc]! += c10;
      if (w1 > 1) c[c0 + ldc + 1]! += c11;
    }
    if (mr > 2) {
      const w2 = below ? nr : Math.min(nr, ir - diag + 3);
      if (w2 > 0) c[c0 + 2 * ldc]! += c20;
      if (w2 > 1) c[c0 + 2 * ldc + 1]! += c21;
    }
  }
}
