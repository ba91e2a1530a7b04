/**
 * gemm's packed path in WebAssembly with 128-bit SIMD (f64x2), used by gemm-packed.ts when the
 * engine compiles it. The blocking is gemm-packed.ts's (Goto & van de Geijn): a KC×NC block of
 * op(B) packed into NR-column panels, an MC×KC block of op(A) into MR-row panels, a micro-kernel
 * over them; only the micro-kernel is WebAssembly, the packing and the loops stay in TypeScript.
 *
 * Why: no JavaScript engine vectorizes float64 code, and the scalar 3×2 micro-kernel spends ~30
 * instructions per k-step on 6 multiply-adds (loads, their bounds checks, the loop's counter and
 * interrupt check), which holds gemm at ~55–60% of the scalar peak. Wasm loads need no bounds
 * checks (the memory sits in a guard region), and with f64x2 an MR×4 tile does 4·MR multiply-adds
 * per k-step in 2 + MR loads, MR splats and 2·MR vector multiplies and adds.
 *
 * Bit for bit the scalar path's results: each entry's sum over a KC-deep block starts at 0, adds
 * the products in k order (one IEEE multiply and one IEEE add each, no FMA), and is then added to
 * C, block after block in depth order; α is folded into the packed A as there. KC must therefore
 * stay gemm-packed.ts's; MC and NC only change which entries are computed together.
 *
 * The memory has a fixed size and never grows: growing detaches the old ArrayBuffer, and one
 * detach in the process costs every typed-array kernel a third of its speed (docs/performance.md).
 * The packing writes through one Float64Array view of it, a module-level `const` (see
 * gemm-packed.ts's header for why), valid for the life of the process.
 */
import {
  I32,
  V128,
  block,
  br,
  brIf,
  end,
  f64,
  f64x2Splat,
  get,
  i32,
  i32Add,
  i32GeU,
  i32Mul,
  loop,
  set,
  v128Store,
  wasmAllowed,
  wasmModule,
  tileKStep,
} from './wasm-encode.js';

/** Rows of a tile (MR splats per k-step) and its columns (two f64x2 vectors). */
const MR = 4;
const NR = 4;
/** Depth of a packed block: gemm-packed.ts's KC (bit-identical results depend on it). */
const KC = 128;
/** Rows of a packed A block (a multiple of MR) and columns of a packed B block (a multiple of NR). */
const MC = 48;
const NC = 1024;
/** Regions, in doubles: the packed A block, the packed B block, the C block the kernel writes. */
const A_AT = 0;
const B_AT = A_AT + MC * KC;
const C_AT = B_AT + NC * KC;
const PAGES = Math.ceil((8 * (C_AT + MC * NC)) / 65536);

// The kernel's parameters (i32 byte addresses and counts) and locals.
const A_PTR = 0;
const B_PTR = 1;
const C_PTR = 2;
const TILES = 3;
const DEPTH = 4;
const LDS = 5;
const T = 6;
const AP = 7;
const BP = 8;
const AEND = 9;
const CP = 10;
/** acc(2r) holds tile row r's columns 0–1, acc(2r+1) its columns 2–3. */
const acc = (i: number): number => 11 + i;
const ACC = Array.from({ length: 2 * MR }, (_, i) => acc(i));
const B01 = acc(2 * MR);
const B23 = B01 + 1;
const AV = B01 + 2;
const ZERO = B01 + 3;

/**
 * panel(aPtr, bPtr, cPtr, tiles, depth, lds): for each of `tiles` consecutive MR-row panels of
 * packed A (depth·MR doubles each, from aPtr), the MR×4 tile (A panel)·(the B panel at bPtr)
 * stored, rows lds bytes apart, from cPtr (advancing MR rows per tile).
 */
function panelBody(): number[] {
  const kStep = tileKStep({ ap: AP, bp: BP, aend: AEND, acc, b01: B01, b23: B23, av: AV }, MR);
  const store = Array.from({ length: MR }, (_, r) => [
    ...[...get(CP), ...get(acc(2 * r)), ...v128Store(0), ...get(CP), ...get(acc(2 * r + 1)), ...v128Store(16)],
    ...[...get(CP), ...get(LDS), ...i32Add, ...set(CP)],
  ]).flat();
  return [
    ...[...f64(0), ...f64x2Splat, ...set(ZERO), ...get(A_PTR), ...set(AP), ...get(C_PTR), ...set(CP), ...i32(0), ...set(T)],
    ...block,
    ...loop,
    ...[...get(T), ...get(TILES), ...i32GeU, ...brIf(1)],
    ...ACC.flatMap((a) => [...get(ZERO), ...set(a)]),
    // The panel's k-steps: AP runs over this tile's packed rows, BP over the B panel.
    ...[...get(B_PTR), ...set(BP), ...get(AP), ...get(DEPTH), ...i32(8 * MR), ...i32Mul, ...i32Add, ...set(AEND)],
    ...loop,
    ...kStep,
    ...end,
    ...store,
    ...[...get(T), ...i32(1), ...i32Add, ...set(T), ...br(0)],
    ...end,
    ...end,
  ];
}

type Panel = (aPtr: number, bPtr: number, cPtr: number, tiles: number, depth: number, lds: number) => void;

/** The memory (fixed size), its view and the compiled kernel, or nulls where WebAssembly or its SIMD is missing. */
function instantiate(): { heap: Float64Array; panel: Panel | null } {
  const none = { heap: new Float64Array(0), panel: null };
  if (!wasmAllowed()) return none;
  try {
    const bytes = wasmModule(PAGES, [
      {
        name: 'panel',
        params: [I32, I32, I32, I32, I32, I32],
        locals: [
          [5, I32],
          [2 * MR + 4, V128],
        ],
        body: panelBody(),
      },
    ]);
    if (!WebAssembly.validate(bytes)) return none;
    const memory = new WebAssembly.Memory({ initial: PAGES, maximum: PAGES });
    const exports = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } }).exports;
    return { heap: new Float64Array(memory.buffer), panel: exports.panel as unknown as Panel };
  } catch {
    // A content security policy without 'wasm-unsafe-eval', a browser's limit on synchronous
    // compilation, or no address space for the memory's guard region: the scalar path remains.
    return none;
  }
}

const WASM = instantiate();
const HEAP = WASM.heap;
const PANEL = WASM.panel;

/** Whether the SIMD path compiled (checked once, at load). */
export function simdGemmAvailable(): boolean {
  return PANEL !== null;
}

/**
 * C += α·op(A)·op(B) (gemm-packed.ts's gemmPacked, same arguments) on the SIMD path. Callers
 * check simdGemmAvailable() first.
 */
export function gemmSimd(
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
  const panel = PANEL!;
  for (let jc = 0; jc < n; jc += NC) {
    const nc = Math.min(NC, n - jc);
    const lds = roundUp(nc, NR);
    for (let pc = 0; pc < k; pc += KC) {
      const kc = Math.min(KC, k - pc);
      packB(transB, kc, nc, b, bOff, ldb, pc, jc);
      for (let ic = 0; ic < m; ic += MC) {
        const mc = Math.min(MC, m - ic);
        packA(transA, mc, kc, alpha, a, aOff, lda, ic, pc);
        const tiles = roundUp(mc, MR) / MR;
        for (let jr = 0; jr < nc; jr += NR) panel(8 * A_AT, 8 * (B_AT + jr * kc), 8 * (C_AT + jr), tiles, kc, 8 * lds);
        addBlock(mc, nc, lds, c, cOff + ic * ldc + jc, ldc, NO_DIAGONAL);
      }
    }
  }
}

/** A diagonal offset below every entry: addBlock adds the whole block. */
const NO_DIAGONAL = -0x40000000;

/** The lower triangle of C += α·op(A)·op(A)ᵀ (gemm-packed.ts's syrkPacked, same arguments) on the SIMD path. */
export function syrkSimd(
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
  const panel = PANEL!;
  // With one column block and α = 1 the packed A of rows ic… is the packed B's panels from
  // column ic on: the same entries in the same layout (MR = NR, and both pad with zeros to a
  // multiple of 4), so the kernel reads them there and A is not packed.
  const shared = n <= NC && alpha === 1 && MR === NR;
  for (let jc = 0; jc < n; jc += NC) {
    const nc = Math.min(NC, n - jc);
    const lds = roundUp(nc, NR);
    for (let pc = 0; pc < k; pc += KC) {
      const kc = Math.min(KC, k - pc);
      packB(!trans, kc, nc, a, aOff, lda, pc, jc);
      // Row blocks wholly above this column block hold nothing of the lower triangle.
      for (let ic = jc - (jc % MC); ic < n; ic += MC) {
        const mc = Math.min(MC, n - ic);
        if (!shared) packA(trans, mc, kc, alpha, a, aOff, lda, ic, pc);
        const aAt = shared ? B_AT + ic * kc : A_AT;
        const tiles = roundUp(mc, MR) / MR;
        // Columns past the block's last row are above the diagonal, and so are the row tiles
        // wholly above a panel's first column.
        const jEnd = Math.min(nc, ic + mc - jc);
        for (let jr = 0; jr < jEnd; jr += NR) {
          const diag = jc + jr - ic;
          const t0 = diag > 0 ? (diag - (diag % MR)) / MR : 0;
          panel(8 * (aAt + t0 * MR * kc), 8 * (B_AT + jr * kc), 8 * (C_AT + t0 * MR * lds + jr), tiles - t0, kc, 8 * lds);
        }
        addBlock(mc, jEnd, lds, c, cOff + ic * ldc + jc, ldc, jc - ic);
      }
    }
  }
}

function roundUp(x: number, to: number): number {
  return x + ((to - (x % to)) % to);
}

/**
 * C[block] += the kernel's mc×nc block (rows lds doubles apart). With `diag` > NO_DIAGONAL
 * (syrk) only the entries at block row i, column j with j + diag ≤ i, C's lower triangle.
 */
function addBlock(mc: number, nc: number, lds: number, c: Float64Array, cOff: number, ldc: number, diag: number): void {
  const heap = HEAP;
  for (let i = 0, src = C_AT, dst = cOff; i < mc; i++, src += lds, dst += ldc) {
    const w = Math.min(nc, i - diag + 1);
    for (let j = 0; j < w; j++) c[dst + j]! += heap[src + j]!;
  }
}

/** Packs op(B)[pc : pc+kc, jc : jc+nc] as NR-wide panels, k-major: element (p, jr + q) at B_AT + jr·kc + NR·p + q, zero-padded. */
function packB(transB: boolean, kc: number, nc: number, b: Float64Array, bOff: number, ldb: number, pc: number, jc: number): void {
  const d = HEAP;
  let q = B_AT;
  for (let j0 = 0; j0 < nc; j0 += NR) {
    const w = Math.min(NR, nc - j0);
    if (!transB) {
      // Element (p, j) of B is b[(pc+p)·ldb + jc+j]: a k-step of a panel is a contiguous run of b.
      let src = bOff + pc * ldb + jc + j0;
      if (w === NR) {
        for (let p = 0; p < kc; p++, src += ldb, q += NR) {
          d[q] = b[src]!;
          d[q + 1] = b[src + 1]!;
          d[q + 2] = b[src + 2]!;
          d[q + 3] = b[src + 3]!;
        }
      } else {
        for (let p = 0; p < kc; p++, src += ldb, q += NR) for (let t = 0; t < NR; t++) d[q + t] = t < w ? b[src + t]! : 0;
      }
    } else {
      // Element (p, j) of Bᵀ is b[(jc+j)·ldb + pc+p]: each panel column is a contiguous row of b.
      for (let t = 0; t < NR; t++) {
        const src = bOff + (jc + j0 + t) * ldb + pc;
        if (t < w) for (let p = 0; p < kc; p++) d[q + NR * p + t] = b[src + p]!;
        else for (let p = 0; p < kc; p++) d[q + NR * p + t] = 0;
      }
      q += NR * kc;
    }
  }
}

/** Packs α·op(A)[ic : ic+mc, pc : pc+kc] as MR-tall panels, k-major: element (i0 + r, p) at A_AT + i0·kc + MR·p + r, zero-padded. */
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
  const d = HEAP;
  let q = A_AT;
  for (let i0 = 0; i0 < mc; i0 += MR) {
    const h = Math.min(MR, mc - i0);
    if (!transA) {
      // Element (i, p) of A is a[(ic+i)·lda + pc+p]: each panel row is a contiguous row of a.
      for (let r = 0; r < MR; r++) {
        const src = aOff + (ic + i0 + r) * lda + pc;
        if (r < h) for (let p = 0; p < kc; p++) d[q + MR * p + r] = alpha * a[src + p]!;
        else for (let p = 0; p < kc; p++) d[q + MR * p + r] = 0;
      }
      q += MR * kc;
    } else {
      // Element (i, p) of Aᵀ is a[(pc+p)·lda + ic+i]: a panel's k-step is a contiguous run of a.
      let src = aOff + pc * lda + ic + i0;
      if (h === MR) {
        for (let p = 0; p < kc; p++, src += lda, q += MR) {
          d[q] = alpha * a[src]!;
          d[q + 1] = alpha * a[src + 1]!;
          d[q + 2] = alpha * a[src + 2]!;
          d[q + 3] = alpha * a[src + 3]!;
        }
      } else {
        for (let p = 0; p < kc; p++, src += lda, q += MR) for (let r = 0; r < MR; r++) d[q + r] = r < h ? alpha * a[src + r]! : 0;
      }
    }
  }
}
