/**
 * gemm's packed path (after Goto & van de Geijn): a KC×NC block of op(B) is packed into NR-column
 * panels and an MC×KC block of op(A) into MR-row panels, both in the order the micro-kernel reads
 * them, so its inner loop streams two small contiguous runs of one buffer. Internal to blas.ts,
 * which chooses between gemm's paths.
 *
 * What V8 makes of the micro-kernel decides everything here, and three things were measured to
 * matter (micro-kernels alone, Node 20 on x64, which has 15 allocatable double registers):
 * - The tile is MR×NR = 3×2. TurboFan schedules every product of a k-step before any of the
 *   accumulating adds, so a tile keeps 2·MR·NR doubles live; 3×2 (12) is the largest that does not
 *   spill. 4×4 spills ~17 values per k-step and ran at ~60% of 3×2's speed; 4×3, 3×4 and 2×4
 *   at 50–65%. 3×2 reaches ~77% of the scalar peak that bench/kernels.bench.ts measures.
 * - Both panels live in one module-level `const` buffer. The JIT then folds the array's base and
 *   length into the code as constants; a buffer passed as an argument or kept in a `let` is
 *   re-checked (map, length, base pointer) on every k-step, because the loop's interrupt check
 *   may run code that could change them. For the same reason nothing the loop reads is exported:
 *   an exported `const` is read through a module cell, with a hole check, on every use.
 * - Panel offsets and the depth are masked to a known range before the loop. The masks never
 *   change a value (the buffer is smaller than them), but they let the JIT prove the index sums
 *   cannot overflow, which removes an overflow check from every load.
 */

const MR = 3;
const NR = 2;
/**
 * Depth and rows of a packed A block (MC a multiple of MR): the MC×KC block (48 KiB) and one KC×2
 * B panel (2 KiB) stay near L1. Block sizes from 12×256 to 96×256 and 48×128 measured within a
 * few percent of each other at n = 256 and 512; this one was the fastest.
 */
const KC = 128;
const MC = 48;
/**
 * Columns of op(B) per packed block (a multiple of NR). A is packed again for every block of
 * columns, and in JS that copy is not free: at n = 512, NC = 1024 (A packed once) measured
 * ~10% faster than NC = 256.
 */
const NC = 1024;
const A_SIZE = MC * KC;
/**
 * The packed A block at [0, A_SIZE), the packed B block after it (1.1 MiB in all). Allocated once
 * at load; the OS maps its pages when a product first touches them, so small products use few. gemm runs to completion without calling
 * out, so one buffer cannot be shared by two live calls.
 */
const PACK = new Float64Array(A_SIZE + KC * NC);
/** 2¹⁸ − 1 ≥ every offset into PACK (its length is 137 216), and 255 ≥ KC: see the header. */
const OFFSET_MASK = 0x3ffff;
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
  for (let jc = 0; jc < n; jc += NC) {
    const nc = Math.min(NC, n - jc);
    for (let pc = 0; pc < k; pc += KC) {
      const kc = Math.min(KC, k - pc);
      packB(transB, kc, nc, b, bOff, ldb, pc, jc);
      for (let ic = 0; ic < m; ic += MC) {
        const mc = Math.min(MC, m - ic);
        packA(transA, mc, kc, alpha, a, aOff, lda, ic, pc);
        for (let jr = 0; jr < nc; jr += NR) {
          panelKernel(mc, Math.min(NR, nc - jr), kc, A_SIZE + jr * kc, c, cOff + ic * ldc + jc + jr, ldc, NO_DIAGONAL);
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
          panelKernel(mc, Math.min(NR, nc - jr), kc, A_SIZE + jr * kc, c, cOff + ic * ldc + jc + jr, ldc, jc + jr - ic);
        }
      }
    }
  }
}

/** Packs op(B)[pc : pc+kc, jc : jc+nc] as NR-wide column panels, p-major, zero-padded, after A's block. */
function packB(transB: boolean, kc: number, nc: number, b: Float64Array, bOff: number, ldb: number, pc: number, jc: number): void {
  const dst = PACK;
  let q = A_SIZE;
  for (let j0 = 0; j0 < nc; j0 += NR) {
    const w = Math.min(NR, nc - j0);
    if (!transB) {
      // Element (p, j) of B is b[(pc+p)·ldb + jc+j].
      let src = bOff + pc * ldb + jc + j0;
      if (w === NR) {
        for (let p = 0; p < kc; p++, src += ldb, q += NR) {
          dst[q] = b[src]!;
          dst[q + 1] = b[src + 1]!;
        }
      } else {
        for (let p = 0; p < kc; p++, src += ldb, q += NR) {
          dst[q] = b[src]!;
          dst[q + 1] = 0;
        }
      }
    } else {
      // Element (p, j) of Bᵀ is b[(jc+j)·ldb + pc+p]: each panel column is a contiguous row of b.
      const src0 = bOff + (jc + j0) * ldb + pc;
      const src1 = src0 + ldb;
      for (let p = 0; p < kc; p++, q += NR) {
        dst[q] = b[src0 + p]!;
        dst[q + 1] = w === NR ? b[src1 + p]! : 0;
      }
    }
  }
}

/** Packs op(A)[ic : ic+mc, pc : pc+kc] as MR-tall row panels, p-major, zero-padded. */
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
  const dst = PACK;
  let q = 0;
  for (let i0 = 0; i0 < mc; i0 += MR) {
    const h = Math.min(MR, mc - i0);
    if (!transA) {
      // Element (i, p) of A is a[(ic+i)·lda + pc+p]: each panel row is a contiguous row of a.
      const r0 = aOff + (ic + i0) * lda + pc;
      const r1 = r0 + lda;
      const r2 = r1 + lda;
      if (h === MR) {
        for (let p = 0; p < kc; p++, q += MR) {
          dst[q] = alpha * a[r0 + p]!;
          dst[q + 1] = alpha * a[r1 + p]!;
          dst[q + 2] = alpha * a[r2 + p]!;
        }
      } else {
        for (let p = 0; p < kc; p++, q += MR) {
          dst[q] = alpha * a[r0 + p]!;
          dst[q + 1] = h > 1 ? alpha * a[r1 + p]! : 0;
          dst[q + 2] = 0;
        }
      }
    } else {
      // Element (i, p) of Aᵀ is a[(pc+p)·lda + ic+i]: a panel's k-step is a contiguous run of a.
      let src = aOff + pc * lda + ic + i0;
      for (let p = 0; p < kc; p++, src += lda, q += MR) {
        dst[q] = alpha * a[src]!;
        dst[q + 1] = h > 1 ? alpha * a[src + 1]! : 0;
        dst[q + 2] = h > 2 ? alpha * a[src + 2]! : 0;
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
  const pk = PACK;
  const bBase = ib & OFFSET_MASK;
  const depth = kc & DEPTH_MASK;
  for (let ir = diag > 0 ? diag - (diag % MR) : 0; ir < mc; ir += MR) {
    const aBase = (ir * kc) & OFFSET_MASK;
    let c00 = 0;
    let c01 = 0;
    let c10 = 0;
    let c11 = 0;
    let c20 = 0;
    let c21 = 0;
    for (let p = 0; p < depth; p++) {
      const qa = aBase + p * MR;
      const qb = bBase + p * NR;
      const a0 = pk[qa]!;
      const a1 = pk[qa + 1]!;
      const a2 = pk[qa + 2]!;
      const b0 = pk[qb]!;
      const b1 = pk[qb + 1]!;
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
