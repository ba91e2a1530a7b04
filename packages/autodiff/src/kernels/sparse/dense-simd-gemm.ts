/**
 * The blocked product C −= A·B on dense-simd.ts's memory, run by whichever thread holds a set of
 * the module's kernels: the calling thread, or a kernel thread (parallel/kernel-thread-serve.ts)
 * given a share of C's rows or columns.
 *
 * Blocking as gemm-simd.ts's (Goto & van de Geijn): a KC×NC block of B packed into 4-column
 * panels, an MC×KC block of A into 4-row panels, k-major. Sums are per 128-deep block as there
 * (each block's products start from 0 and are then subtracted from C), so an entry of C comes out
 * the same whichever thread computes it and however C is shared out.
 */
import { A_AT, B_AT, KC, MC, MR, NC, NR, SCRATCH_AT } from './dense-simd-code.js';

type Panel = (aPtr: number, bPtr: number, cPtr: number, tiles: number, depth: number, ldc: number, panels: number) => void;
type Pack = (src: number, ld: number, count: number, depth: number, base: number) => void;

/** One thread's view of the memory and its kernels; `base`: where its packing regions are (doubles past A_AT…). */
export interface GemmKernels {
  readonly heap: Float64Array;
  readonly panel: Panel;
  readonly packA: Pack;
  readonly packB: Pack;
  readonly base: number;
}

/** The kernels of an instance of the module (dense-simd-code.ts) whose packing regions are at `base`. */
export function gemmKernels(exports: WebAssembly.Exports, heap: Float64Array, base: number): GemmKernels {
  return {
    heap,
    panel: exports.panel as unknown as Panel,
    packA: exports.packA as unknown as Pack,
    packB: exports.packB as unknown as Pack,
    base,
  };
}

/** C −= A·B (A m×k, B k×n, C m×n; offsets and leading dimensions in doubles). C must not overlap A or B. */
export function gemmOn(
  kern: GemmKernels,
  m: number,
  n: number,
  k: number,
  aOff: number,
  lda: number,
  bOff: number,
  ldb: number,
  cOff: number,
  ldc: number,
): void {
  const { heap, panel, packA, packB, base } = kern;
  const aAt = base + A_AT;
  const bAt = base + B_AT;
  const scratch = base + SCRATCH_AT;
  for (let jc = 0; jc < n; jc += NC) {
    const nc = Math.min(NC, n - jc);
    const panels = nc >> 2;
    const wRem = nc & 3;
    for (let pc = 0; pc < k; pc += KC) {
      const kc = Math.min(KC, k - pc);
      const bSrc = bOff + pc * ldb + jc;
      packB(8 * bSrc, 8 * ldb, panels, kc, 8 * base);
      if (wRem > 0) {
        // The partial last panel, zero-padded.
        for (let p = 0, q = bAt + panels * NR * kc, src = bSrc + panels * NR; p < kc; p++, q += NR, src += ldb)
          for (let j = 0; j < NR; j++) heap[q + j] = j < wRem ? heap[src + j]! : 0;
      }
      for (let ic = 0; ic < m; ic += MC) {
        const mc = Math.min(MC, m - ic);
        packA(8 * (aOff + ic * lda + pc), 8 * lda, mc, kc, 8 * base);
        const full = mc >> 2;
        const hRem = mc & 3;
        const c0 = cOff + ic * ldc + jc;
        if (full > 0 && panels > 0) panel(8 * aAt, 8 * bAt, 8 * c0, full, kc, 8 * ldc, panels);
        if (hRem > 0 && panels > 0) {
          // The partial last row tile, through scratch rows NR·panels wide.
          const lds = NR * panels;
          heap.fill(0, scratch, scratch + MR * lds);
          panel(8 * (aAt + full * MR * kc), 8 * bAt, 8 * scratch, 1, kc, 8 * lds, panels);
          for (let r = 0; r < hRem; r++) {
            const dst = c0 + (full * MR + r) * ldc;
            const src = scratch + r * lds;
            for (let j = 0; j < lds; j++) heap[dst + j]! += heap[src + j]!;
          }
        }
        if (wRem > 0) {
          // The partial last column panel, every row tile, through a scratch strip NR wide.
          const tiles = (mc + MR - 1) >> 2;
          heap.fill(0, scratch, scratch + tiles * MR * NR);
          panel(8 * aAt, 8 * (bAt + panels * NR * kc), 8 * scratch, tiles, kc, 8 * NR, 1);
          for (let r = 0; r < mc; r++) {
            const dst = c0 + r * ldc + panels * NR;
            const src = scratch + r * NR;
            for (let j = 0; j < wRem; j++) heap[dst + j]! += heap[src + j]!;
          }
        }
      }
    }
  }
}
