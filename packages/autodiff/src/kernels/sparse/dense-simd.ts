/**
 * The dense LDLᵀ's products and triangular-solve bases (dense-ldl.ts) in WebAssembly with 128-bit
 * SIMD (f64x2), on a copy of the tail held in this module's own memory. kernels/gemm-simd.ts keeps
 * its operands in JS arrays, so each of its products is packed by JavaScript and its result added
 * into C by JavaScript, ~5 ns an element here (AMD EPYC): at 992×128×128 that is half as much time
 * again as its micro-kernel, and the recursive LDLᵀ of order 1984 through gemm took 0.42 s against
 * 0.25 s on this memory. Here the matrix itself lives in the memory, so the packing loops and the
 * 4×4 micro-kernel's update of C (C −= A·B, in place) are WebAssembly too; only the edges of a
 * product (a partial 4-row or 4-column tile) go through a scratch tile added by JavaScript.
 *
 * Blocking as gemm-simd.ts's (Goto & van de Geijn): a KC×NC block of B packed into 4-column
 * panels, an MC×KC block of A into 4-row panels, k-major. Sums are per 128-deep block as there
 * (each block's products start from 0 and are then subtracted from C), but the results are not
 * meant to equal gemm's bit for bit.
 *
 * The memory has a fixed size and never grows (growing detaches the old ArrayBuffer, and one
 * detach in the process costs every typed-array kernel a third of its speed, docs/performance.md).
 * A larger tail than the memory holds gets a new memory (and a module compiled for its size); the
 * old one is left to the garbage collector. The process so keeps one memory the size of the
 * largest tail factored so far, plus 1.1 MiB of packing space (32 MiB in all at t = 1984).
 */
import { wasmAllowed, wasmModule } from '../wasm-encode.js';
import { A_AT, B_AT, INV_AT, KC, MATRIX_AT, MC, MR, NC, NR, SCRATCH_AT, denseSimdFunctions } from './dense-simd-code.js';

export { MATRIX_AT };

type Panel = (aPtr: number, bPtr: number, cPtr: number, tiles: number, depth: number, ldc: number, panels: number) => void;
type Pack = (src: number, ld: number, count: number, depth: number) => void;
type Trsm = (rowPtr: number, groups: number, l11Ptr: number, uPtr: number, nb8: number, ld: number) => void;

interface Instance {
  /** Doubles the memory holds after MATRIX_AT. */
  readonly capacity: number;
  readonly heap: Float64Array;
  readonly panel: Panel;
  readonly packA: Pack;
  readonly packB: Pack;
  readonly trsm: Trsm;
}

/** The current memory and kernels; null before the first use or where they cannot be had. */
let current: Instance | null = null;
/** False once compiling failed (no SIMD, or a policy against compiling): the callers' scalar path remains. */
let available = true;
/** Internal, for tests: false makes denseHeap refuse, so the TS path runs. */
let enabled = true;

/** Internal, for tests: disables (false) or re-enables the SIMD path; returns whether it is now on (true until a compilation has failed). */
export function useDenseSimd(on: boolean): boolean {
  enabled = on;
  return on && available && wasmAllowed();
}

/**
 * A view of the memory with room for `doubles` doubles from MATRIX_AT, allocating (never growing)
 * one if the current is smaller; null where WebAssembly or its SIMD is missing or disallowed, or
 * the memory cannot be had.
 */
export function denseHeap(doubles: number): Float64Array | null {
  if (!enabled || !available || !wasmAllowed()) return null;
  if (current !== null && current.capacity >= doubles) return current.heap;
  // Rounded up to 1 MiB, so a slowly growing tail does not compile a module per size; at most 2 GiB.
  const pages = Math.ceil((8 * (MATRIX_AT + doubles)) / (1 << 20)) * 16;
  if (pages > 32768) return null;
  let module: WebAssembly.Module;
  try {
    const bytes = wasmModule(pages, denseSimdFunctions());
    if (!WebAssembly.validate(bytes)) throw new Error('no SIMD');
    module = new WebAssembly.Module(bytes);
  } catch {
    // No SIMD, a content security policy without 'wasm-unsafe-eval', a browser's limit on
    // synchronous compilation: the scalar path, for good.
    available = false;
    return null;
  }
  // The old memory is let go first, so it is not kept alive while the new one is allocated.
  current = null;
  try {
    const memory = new WebAssembly.Memory({ initial: pages, maximum: pages });
    const exports = new WebAssembly.Instance(module, { env: { memory } }).exports;
    current = {
      capacity: (pages * 65536) / 8 - MATRIX_AT,
      heap: new Float64Array(memory.buffer),
      panel: exports.panel as unknown as Panel,
      packA: exports.packA as unknown as Pack,
      packB: exports.packB as unknown as Pack,
      trsm: exports.trsm as unknown as Trsm,
    };
    return current.heap;
  } catch {
    // No address space for this memory: the scalar path for this tail (a smaller one may fit later).
    return null;
  }
}

/**
 * C −= A·B on the memory returned by denseHeap (A m×k, B k×n, C m×n; offsets and leading
 * dimensions in doubles). C must not overlap A or B.
 */
export function heapGemm(
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
  const { heap, panel, packA, packB } = current!;
  for (let jc = 0; jc < n; jc += NC) {
    const nc = Math.min(NC, n - jc);
    const panels = nc >> 2;
    const wRem = nc & 3;
    for (let pc = 0; pc < k; pc += KC) {
      const kc = Math.min(KC, k - pc);
      const bSrc = bOff + pc * ldb + jc;
      packB(8 * bSrc, 8 * ldb, panels, kc);
      if (wRem > 0) {
        // The partial last panel, zero-padded.
        for (let p = 0, q = B_AT + panels * NR * kc, src = bSrc + panels * NR; p < kc; p++, q += NR, src += ldb)
          for (let j = 0; j < NR; j++) heap[q + j] = j < wRem ? heap[src + j]! : 0;
      }
      for (let ic = 0; ic < m; ic += MC) {
        const mc = Math.min(MC, m - ic);
        packA(8 * (aOff + ic * lda + pc), 8 * lda, mc, kc);
        const full = mc >> 2;
        const hRem = mc & 3;
        const c0 = cOff + ic * ldc + jc;
        if (full > 0 && panels > 0) panel(8 * A_AT, 8 * B_AT, 8 * c0, full, kc, 8 * ldc, panels);
        if (hRem > 0 && panels > 0) {
          // The partial last row tile, through scratch rows NR·panels wide.
          const lds = NR * panels;
          heap.fill(0, SCRATCH_AT, SCRATCH_AT + MR * lds);
          panel(8 * (A_AT + full * MR * kc), 8 * B_AT, 8 * SCRATCH_AT, 1, kc, 8 * lds, panels);
          for (let r = 0; r < hRem; r++) {
            const dst = c0 + (full * MR + r) * ldc;
            const src = SCRATCH_AT + r * lds;
            for (let j = 0; j < lds; j++) heap[dst + j]! += heap[src + j]!;
          }
        }
        if (wRem > 0) {
          // The partial last column panel, every row tile, through a scratch strip NR wide.
          const tiles = (mc + MR - 1) >> 2;
          heap.fill(0, SCRATCH_AT, SCRATCH_AT + tiles * MR * NR);
          panel(8 * A_AT, 8 * (B_AT + panels * NR * kc), 8 * SCRATCH_AT, tiles, kc, 8 * NR, 1);
          for (let r = 0; r < mc; r++) {
            const dst = c0 + r * ldc + panels * NR;
            const src = SCRATCH_AT + r * NR;
            for (let j = 0; j < wRem; j++) heap[dst + j]! += heap[src + j]!;
          }
        }
      }
    }
  }
}

/**
 * The base of the dense LDLᵀ's triangular solve on the memory, for the first 4·⌊m/4⌋ of rows
 * [r0, r0+m) against the factored block of columns [c0, c0+nb) (nb ≤ TRSM_MAX; offsets in
 * doubles, the matrix at `o` with stride ld): L[r, blk] = A[r, blk]·U⁻¹ in place and U[blk, r] =
 * L[r, blk]·D above the diagonal (dense-ldl.ts's trsmRows, four rows per pass in f64x2 pairs).
 * The caller solves the last m mod 4 rows.
 */
export function heapTrsm(o: number, ld: number, r0: number, m: number, c0: number, nb: number, d: Float64Array, dOff: number): void {
  const { heap, trsm } = current!;
  for (let c = 0; c < nb; c++) heap[INV_AT + c] = 1 / d[dOff + c0 + c]!;
  trsm(8 * (o + r0 * ld + c0), m >> 2, 8 * (o + c0 * ld + c0), 8 * (o + c0 * ld + r0), 8 * nb, 8 * ld);
}
