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

/**
 * C −= A·B (A m×k, B k×n, C m×n; offsets and leading dimensions in doubles). C must not overlap A
 * or B. `packedB` ≥ 0: B is already packed whole there (packAllB), as every thread of a shared
 * product reads it; otherwise each KC×NC block is packed into this thread's own region.
 */
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
  packedB = -1,
): void {
  const { heap, panel, packA, base } = kern;
  const aAt = base + A_AT;
  const ownB = base + B_AT;
  const scratch = base + SCRATCH_AT;
  for (let jc = 0; jc < n; jc += NC) {
    const nc = Math.min(NC, n - jc);
    const panels = nc >> 2;
    const wRem = nc & 3;
    for (let pc = 0; pc < k; pc += KC) {
      const kc = Math.min(KC, k - pc);
      let bAt = ownB;
      if (packedB >= 0) bAt = packedBlockAt(packedB, jc, pc, k, nc);
      else packBBlock(kern, bOff + pc * ldb + jc, ldb, nc, kc, ownB);
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

/** B's kc×nc block at bSrc (rows ldb apart) as NR-column panels, k-major, at dst; a partial last panel zero-padded. */
function packBBlock(kern: GemmKernels, bSrc: number, ldb: number, nc: number, kc: number, dst: number): void {
  const { heap, packB } = kern;
  const panels = nc >> 2;
  const wRem = nc & 3;
  // packB writes at its base's B region: a base B_AT before dst puts the panels at dst.
  packB(8 * bSrc, 8 * ldb, panels, kc, 8 * (dst - B_AT));
  if (wRem === 0) return;
  for (let p = 0, q = dst + panels * NR * kc, src = bSrc + panels * NR; p < kc; p++, q += NR, src += ldb)
    for (let j = 0; j < NR; j++) heap[q + j] = j < wRem ? heap[src + j]! : 0;
}

/** Where block (jc, pc) of a whole packed B of depth k starts (blocks NC wide, KC deep, in jc-major order). */
function packedBlockAt(at: number, jc: number, pc: number, k: number, nc: number): number {
  return at + jc * k + pc * NR * Math.ceil(nc / NR);
}

/** Doubles a whole packed k×n B takes. */
export function packedBLength(n: number, k: number): number {
  return k * NR * Math.ceil(n / NR);
}

/** Packs all of B (k×n at bOff, rows ldb apart) at `at`, in the blocks gemmOn reads with packedB = at. */
export function packAllB(kern: GemmKernels, n: number, k: number, bOff: number, ldb: number, at: number): void {
  for (let jc = 0; jc < n; jc += NC) {
    const nc = Math.min(NC, n - jc);
    for (let pc = 0; pc < k; pc += KC)
      packBBlock(kern, bOff + pc * ldb + jc, ldb, nc, Math.min(KC, k - pc), packedBlockAt(at, jc, pc, k, nc));
  }
}

/**
 * A shared product's queue (Int32, on shared memory): the next free row (or column) of C, the
 * smallest claim, whether shares are rows (1) or columns, where B is packed whole (−1: each
 * thread packs its own), whether it is packed yet (1), then the rows each thread took. The
 * calling thread fills it before posting, and packs B after.
 */
export const QUEUE_NEXT = 0;
export const QUEUE_MIN = 1;
export const QUEUE_BY_ROWS = 2;
export const QUEUE_PACKED_AT = 3;
export const QUEUE_READY = 4;
export const QUEUE_TAKEN = 5;

/**
 * This thread's part of C −= A·B shared out by rows or columns: shares claimed from the queue
 * until none is left, each 1/(2·parts) of what is left (a multiple of 4, at least
 * queue[QUEUE_MIN]). A thread that wakes late or runs on a busy core so takes less, and nobody
 * waits on a fixed cut. Row shares read one B packed whole (else each claim would repack it).
 * Call once queue[QUEUE_READY] is 1.
 */
export function gemmClaimed(
  kern: GemmKernels,
  queue: Int32Array,
  me: number,
  parts: number,
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
  const byRows = queue[QUEUE_BY_ROWS] === 1;
  const packedB = queue[QUEUE_PACKED_AT]!;
  const side = byRows ? m : n;
  const least = queue[QUEUE_MIN]!;
  for (;;) {
    const lo = Atomics.load(queue, QUEUE_NEXT);
    if (lo >= side) return;
    const len = Math.min(side - lo, Math.max(least, 4 * Math.ceil((side - lo) / (8 * parts))));
    if (Atomics.compareExchange(queue, QUEUE_NEXT, lo, lo + len) !== lo) continue;
    if (byRows) gemmOn(kern, len, n, k, aOff + lo * lda, lda, bOff, ldb, cOff + lo * ldc, ldc, packedB);
    else gemmOn(kern, m, len, k, aOff, lda, bOff + lo, ldb, cOff + lo, ldc);
    queue[QUEUE_TAKEN + me]! += len;
  }
}
