/**
 * The dense LDLᵀ's products and triangular-solve bases (dense-ldl.ts) in WebAssembly with 128-bit
 * SIMD (f64x2), on a copy of the tail held in this module's own memory. kernels/gemm-simd.ts keeps
 * its operands in JS arrays, so each of its products is packed by JavaScript and its result added
 * into C by JavaScript, ~5 ns an element here (AMD EPYC): at 992×128×128 that is half as much time
 * again as its micro-kernel, and the recursive LDLᵀ of order 1984 through gemm took 0.42 s against
 * 0.25 s on this memory. Here the matrix itself lives in the memory, so the packing loops and the
 * 4×4 micro-kernel's update of C (C −= A·B, in place) are WebAssembly too (dense-simd-gemm.ts);
 * only the edges of a product (a partial 4-row or 4-column tile) go through a scratch tile added
 * by JavaScript.
 *
 * The memory has a fixed size and never grows (growing detaches the old ArrayBuffer, and one
 * detach in the process costs every typed-array kernel a third of its speed, docs/performance.md).
 * A larger tail than the memory holds gets a new memory (and a module compiled for its size); the
 * old one is left to the garbage collector. The process so keeps one memory the size of the
 * largest tail factored so far, plus 1.1 MiB of packing space per thread (32 MiB in all at
 * t = 1984 and one thread).
 *
 * Kernel threads (parallel/kernel-threads.ts, opt-in) make the memory shared: each thread
 * instantiates the same module, with packing regions of its own past the matrix, and the threads
 * claim shares of a large product's rows or columns of C as they come free.
 */
import { relaxedSimd, wasmAllowed, wasmModule } from '../wasm-encode.js';
import { B_AT, INV_AT, KC, MATRIX_AT, NC, WORKSPACE_LEN, denseSimdFunctions } from './dense-simd-code.js';
import {
  type GemmKernels,
  QUEUE_BY_ROWS,
  QUEUE_MIN,
  QUEUE_PACKED_AT,
  QUEUE_READY,
  QUEUE_TAKEN,
  gemmClaimed,
  gemmKernels,
  gemmOn,
  packAllB,
  packedBLength,
} from './dense-simd-gemm.js';
import { type SweepKernels, heapSweep, sweepKernels } from './dense-simd-sweep.js';

export { MATRIX_AT };

type Trsm = (rowPtr: number, groups: number, l11Ptr: number, uPtr: number, nb8: number, ld: number) => void;

interface Instance {
  /** Doubles the memory holds after MATRIX_AT for the matrix. */
  readonly capacity: number;
  /** Where a shared product's whole packed B goes, and its room (0 without threads). */
  readonly packAt: number;
  readonly packLength: number;
  readonly heap: Float64Array;
  readonly kernels: GemmKernels;
  readonly trsm: Trsm;
  readonly sweeps: SweepKernels;
  readonly shared: boolean;
}

/**
 * Threads that run shares of a product on the shared memory (parallel/kernel-threads.ts).
 * `load` hands each the memory, the module and where its packing regions start (its `bases`
 * entry), returning once they have instantiated it; `start` posts C −= A·B to thread i, which
 * claims shares of it from `queue` (dense-simd-gemm.ts's gemmClaimed, as thread i + 1); `wait`
 * returns when thread i has found nothing left to claim and finished its shares.
 */
export interface DenseHelpers {
  readonly count: number;
  readonly queue: Int32Array;
  load(memory: WebAssembly.Memory, module: WebAssembly.Module, bases: readonly number[]): void;
  start(i: number, m: number, n: number, k: number, aOff: number, lda: number, bOff: number, ldb: number, cOff: number, ldc: number): void;
  wait(i: number): void;
}

/** Products with fewer multiply–adds than this stay on the calling thread (a share's handoff costs ~10–50 µs). */
const SHARE_MIN = 1 << 21;
/** Nor is a side shorter than this per thread cut. */
const MIN_SHARE_SIDE = 32;
/** A claim's least work, in multiply–adds (~0.3 ms): its rows or columns follow from the product's other sides. */
let claimWork = 1 << 21;

/** The current memory and kernels; null before the first use or where they cannot be had. */
let current: Instance | null = null;
/** False once compiling failed (no SIMD, or a policy against compiling): the callers' scalar path remains. */
let available = true;
/** Internal, for tests: false makes denseHeap refuse, so the TS path runs. */
let enabled = true;
let helpers: DenseHelpers | null = null;
/**
 * The JS array (a sparse factor's tail buffer) whose factor the memory holds, and its order:
 * denseLdl leaves L on the memory, where the solves sweep it (dense-simd-sweep.ts), and it is
 * copied back into its array only when the memory is needed for another matrix or replaced.
 */
let resident: { readonly home: Float64Array; readonly t: number; readonly ld: number } | null = null;

/** Copies the resident factor's L back into its array (the memory is about to hold something else). */
function evict(): void {
  if (resident === null || current === null) {
    resident = null;
    return;
  }
  const { home, t, ld } = resident;
  const heap = current.heap;
  for (let i = 1, src = MATRIX_AT + ld, dst = ld; i < t; i++, src += ld, dst += ld) home.set(heap.subarray(src, src + i), dst);
  resident = null;
}

/**
 * Makes `home` (order t, stride ld) the memory's matrix: a different resident is copied back
 * first. The caller then writes the matrix to MATRIX_AT; with `keep` false the memory is only
 * borrowed (the caller copies its result out itself).
 */
export function claimHeap(home: Float64Array, t: number, ld: number, keep: boolean): void {
  if (resident !== null && resident.home !== home) evict();
  resident = keep ? { home, t, ld } : null;
}

/** Copies home's factor back into its array if the memory holds it (denseLdl without `keep`). */
export function returnHeap(home: Float64Array): void {
  if (resident?.home === home) evict();
}

/** Forgets that the memory holds home's factor (its array is being rewritten). */
export function releaseHeap(home: Float64Array): void {
  if (resident?.home === home) resident = null;
}

/** Whether the memory holds the factor of order t whose array is `home`. */
export function heapHolds(home: Float64Array, t: number): boolean {
  if (resident === null || current === null || resident.home !== home || resident.t !== t) return false;
  if (t + 8 <= current.sweeps.room) return true;
  // No room for the sweeps' vector (never at sizes the memory can hold): L back into its array.
  evict();
  return false;
}

/** w[off…off+t) ← L⁻¹w (L⁻ᵀw with `transposed`) with the resident factor (heapHolds(home, t) must be true). */
export function heapSolve(t: number, w: Float64Array, off: number, transposed: boolean): void {
  heapSweep(current!.sweeps, MATRIX_AT, t, resident!.ld, w, off, transposed);
}

let fmaAllowed = true;
/** Internal, for tests: false keeps the micro-kernel to an IEEE multiply and add (true: relaxed multiply–adds where the engine has them); takes effect on a new memory. */
export function useFusedMultiplyAdd(on: boolean): void {
  evict();
  fmaAllowed = on;
  current = null;
}
/**
 * The micro-kernel's C += A·B step as relaxed multiply–adds where the engine validates them
 * (fused on FMA hardware, the same instruction on every kernel thread): 6.7–7.6 against
 * 4.6–5.6·10⁹ multiply–adds/s for a multiply and an add, alternating in one run on Zen 3.
 */
const fused = (): boolean => fmaAllowed && relaxedSimd();

/** Internal, for tests: disables (false) or re-enables the SIMD path; returns whether it is now on (true until a compilation has failed). */
export function useDenseSimd(on: boolean): boolean {
  enabled = on;
  return on && available && wasmAllowed();
}

/** Internal, for tests: a claim's least work (1: claims of one 4-row tile, so shares interleave); returns the old one. */
export function setClaimWork(macs: number): number {
  const old = claimWork;
  claimWork = macs;
  return old;
}

/** Internal, for tests: the rows or columns of the last shared product each thread took (the calling thread's first). */
export function lastShares(): number[] {
  return helpers === null ? [] : Array.from(helpers.queue.subarray(QUEUE_TAKEN, QUEUE_TAKEN + helpers.count + 1));
}

/** Sets (or with null removes) the kernel threads; the next product gets a memory they share. */
export function setDenseHelpers(h: DenseHelpers | null): void {
  evict();
  helpers = h;
  current = null;
}

/**
 * A view of the memory with room for `doubles` doubles from MATRIX_AT, allocating (never growing)
 * one if the current is smaller; null where WebAssembly or its SIMD is missing or disallowed, or
 * the memory cannot be had.
 */
export function denseHeap(doubles: number): Float64Array | null {
  if (!enabled || !available || !wasmAllowed()) return null;
  if (current !== null && current.capacity >= doubles) return current.heap;
  const threads = helpers === null ? 0 : helpers.count;
  // Rounded up to 1 MiB, so a slowly growing tail does not compile a module per size; at most 2 GiB.
  // With threads, room for a quarter of the matrix past their regions: a shared product's B, packed once for all.
  const packLength = threads > 0 ? Math.ceil(doubles / 4) + KC * NC : 0;
  const pages = Math.ceil((8 * (MATRIX_AT + doubles + threads * WORKSPACE_LEN + packLength)) / (1 << 20)) * 16;
  if (pages > 32768) return null;
  const capacity = (pages * 65536) / 8 - MATRIX_AT - threads * WORKSPACE_LEN - packLength;
  const bases = Array.from({ length: threads }, (_, i) => MATRIX_AT + capacity + i * WORKSPACE_LEN);
  let module: WebAssembly.Module;
  try {
    const bytes = wasmModule(pages, denseSimdFunctions(fused()), threads > 0);
    if (!WebAssembly.validate(bytes)) throw new Error('no SIMD');
    module = new WebAssembly.Module(bytes);
  } catch {
    // No SIMD (or threads), a content security policy without 'wasm-unsafe-eval', a browser's
    // limit on synchronous compilation: the scalar path, for good.
    available = false;
    return null;
  }
  // The old memory is let go first, so it is not kept alive while the new one is allocated.
  evict();
  current = null;
  try {
    const memory = new WebAssembly.Memory({ initial: pages, maximum: pages, ...(threads > 0 ? { shared: true } : {}) });
    const exports = new WebAssembly.Instance(module, { env: { memory } }).exports;
    const heap = new Float64Array(memory.buffer);
    if (threads > 0) helpers!.load(memory, module, bases);
    // The sweeps' vector lives in the calling thread's B packing region (no product runs meanwhile).
    const sweeps = sweepKernels(exports, heap, B_AT, KC * NC);
    current = {
      capacity,
      packAt: MATRIX_AT + capacity + threads * WORKSPACE_LEN,
      packLength,
      heap,
      kernels: gemmKernels(exports, heap, 0),
      trsm: exports.trsm as unknown as Trsm,
      sweeps,
      shared: threads > 0,
    };
    return current.heap;
  } catch {
    // No address space for this memory: the scalar path for this tail (a smaller one may fit later).
    return null;
  }
}

/**
 * C −= A·B on the memory returned by denseHeap (A m×k, B k×n, C m×n; offsets and leading
 * dimensions in doubles). C must not overlap A or B. With kernel threads (setDenseHelpers) a large
 * product is shared out along its longer side, in shares the threads claim as they come free.
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
  const cur = current!;
  const parts = helpers === null || cur.shared === false || m * n * k < SHARE_MIN ? 1 : helpers.count + 1;
  // By rows where there are enough of them to share: every thread then reads one packed B.
  const byRows = m >= parts * MIN_SHARE_SIDE;
  if (parts === 1 || (!byRows && n < parts * MIN_SHARE_SIDE)) {
    gemmOn(cur.kernels, m, n, k, aOff, lda, bOff, ldb, cOff, ldc);
    return;
  }
  // Every thread (this one too) claims shares until none is left: see gemmClaimed.
  const queue = helpers!.queue;
  const packAt = byRows && packedBLength(n, k) <= cur.packLength ? cur.packAt : -1;
  queue.fill(0);
  queue[QUEUE_MIN] = 4 * Math.ceil(claimWork / (4 * (byRows ? n : m) * k));
  queue[QUEUE_BY_ROWS] = byRows ? 1 : 0;
  queue[QUEUE_PACKED_AT] = packAt;
  queue[QUEUE_READY] = packAt < 0 ? 1 : 0;
  for (let p = 1; p < parts; p++) helpers!.start(p - 1, m, n, k, aOff, lda, bOff, ldb, cOff, ldc);
  // B is packed while the threads wake.
  if (packAt >= 0) {
    packAllB(cur.kernels, n, k, bOff, ldb, packAt);
    Atomics.store(queue, QUEUE_READY, 1);
    Atomics.notify(queue, QUEUE_READY);
  }
  gemmClaimed(cur.kernels, queue, 0, parts, m, n, k, aOff, lda, bOff, ldb, cOff, ldc);
  for (let p = 1; p < parts; p++) helpers!.wait(p - 1);
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
