/**
 * The WebAssembly code of dense-simd.ts: its memory layout, and the four functions (the 4×4
 * f64x2 micro-kernel updating C in place, the two packing loops, the triangular-solve base),
 * encoded with wasm-encode.ts.
 */
import {
  I32,
  V128,
  type WasmFunction,
  block,
  br,
  brIf,
  end,
  f64,
  f64Store,
  f64x2Mul,
  f64x2RelaxedNmadd,
  f64x2ExtractLane,
  f64x2Splat,
  get,
  i32,
  i32Add,
  i32GeU,
  i32LtU,
  i32Mul,
  load64Splat,
  loop,
  set,
  tee,
  uleb,
  v128Load,
  v128Store,
  tileKStep,
} from '../wasm-encode.js';
import { denseSweepFunctions } from './dense-simd-sweep.js';

// Instructions wasm-encode.ts does not export (WebAssembly 2.0 opcodes).
const f64Load = (offset: number): number[] => [0x2b, 0x03, ...uleb(offset)];
const select = [0x1b];
const i32Sub = [0x6b];
const i32Eqz = [0x45];
const f64x2Sub = [0xfd, 0xf1, 0x01];
const f64x2ReplaceLane = (lane: number): number[] => [0xfd, 0x22, lane];

export const MR = 4;
export const NR = 4;
/** Depth of a packed block, rows of a packed A block (a multiple of MR), columns of a packed B block (a multiple of NR). */
export const KC = 128;
export const MC = 64;
export const NC = 1024;
/** Regions, in doubles: packed A, packed B, a zero row (packA's missing rows), the edge scratch, then the matrix (64-byte aligned). */
export const A_AT = 0;
export const B_AT = A_AT + MC * KC;
export const ZERO_AT = B_AT + KC * NC;
export const SCRATCH_AT = ZERO_AT + KC;
/** Scratch: MR rows of a full block width (the partial row tile) or MC rows of one panel (the partial column panel). */
export const SCRATCH_LEN = Math.max(MR * (NC + NR), MC * NR);
/** The triangular solve's reciprocal pivots and its four rows' interleaved w (TRSM_MAX columns at most). */
export const TRSM_MAX = 64;
export const INV_AT = SCRATCH_AT + SCRATCH_LEN;
/** Doubles of one thread's packing regions (A_AT to the end of the scratch). */
export const WORKSPACE_LEN = INV_AT;
export const W_AT = INV_AT + TRSM_MAX;
export const MATRIX_AT = W_AT + 4 * TRSM_MAX + ((8 - ((W_AT + 4 * TRSM_MAX) % 8)) % 8);

// panel(aPtr, bPtr, cPtr, tiles, depth, ldc, panels): parameters and locals.
const A_PTR = 0;
const B_PTR = 1;
const C_PTR = 2;
const TILES = 3;
const DEPTH = 4;
const LDC = 5;
const PANELS = 6;
const T = 7;
const AP = 8;
const BP = 9;
const AEND = 10;
const CP = 11;
const J = 12;
const acc = (i: number): number => 13 + i;
const ACC = Array.from({ length: 2 * MR }, (_, i) => acc(i));
const B01 = acc(2 * MR);
const B23 = B01 + 1;
const AV = B01 + 2;
const ZERO = B01 + 3;

/**
 * For each of `panels` consecutive B panels (depth·NR doubles each, from bPtr) and each of `tiles`
 * consecutive A panels (depth·MR doubles each, from aPtr): the MR×NR tile C −= (A panel)·(B panel),
 * C's rows ldc bytes apart from cPtr (MR rows further per tile, NR columns further per B panel).
 */
function panelBody(fma: boolean): number[] {
  const kStep = tileKStep({ ap: AP, bp: BP, aend: AEND, acc, b01: B01, b23: B23, av: AV }, MR, fma);
  const update = Array.from({ length: MR }, (_, r) => [
    ...[...get(CP), ...get(CP), ...v128Load(0), ...get(acc(2 * r)), ...f64x2Sub, ...v128Store(0)],
    ...[...get(CP), ...get(CP), ...v128Load(16), ...get(acc(2 * r + 1)), ...f64x2Sub, ...v128Store(16)],
    ...[...get(CP), ...get(LDC), ...i32Add, ...set(CP)],
  ]).flat();
  const tileLoop = [
    ...[...get(A_PTR), ...set(AP), ...get(C_PTR), ...set(CP), ...i32(0), ...set(T)],
    ...block,
    ...loop,
    ...[...get(T), ...get(TILES), ...i32GeU, ...brIf(1)],
    ...ACC.flatMap((a) => [...get(ZERO), ...set(a)]),
    ...[...get(B_PTR), ...set(BP), ...get(AP), ...get(DEPTH), ...i32(8 * MR), ...i32Mul, ...i32Add, ...set(AEND)],
    ...loop,
    ...kStep,
    ...end,
    ...update,
    ...[...get(T), ...i32(1), ...i32Add, ...set(T), ...br(0)],
    ...end,
    ...end,
  ];
  return [
    ...[...f64(0), ...f64x2Splat, ...set(ZERO), ...i32(0), ...set(J)],
    ...block,
    ...loop,
    ...[...get(J), ...get(PANELS), ...i32GeU, ...brIf(1)],
    ...tileLoop,
    // Next B panel (depth·NR doubles on), next NR columns of C.
    ...[...get(B_PTR), ...get(DEPTH), ...i32(8 * NR), ...i32Mul, ...i32Add, ...set(B_PTR)],
    ...[...get(C_PTR), ...i32(8 * NR), ...i32Add, ...set(C_PTR)],
    ...[...get(J), ...i32(1), ...i32Add, ...set(J), ...br(0)],
    ...end,
    ...end,
  ];
}

// packA(src, lda, mc, kc, base): parameters and locals (bytes; base: the thread's packing regions).
const SRC = 0;
const LD = 1;
const COUNT = 2;
const KDEPTH = 3;
const BASE = 4;
const I0 = 5;
const R0 = 6;
const R1 = 7;
const R2 = 8;
const R3 = 9;
const Q = 10;
const P = 11;
/** The address `at` doubles into the calling thread's packing regions. */
const inWorkspace = (at: number): number[] => [...get(BASE), ...i32(8 * at), ...i32Add];

/**
 * Packs the mc×kc block at byte address src (rows lda bytes apart) as MR-row panels, k-major,
 * into the A region; rows past mc read the zero row.
 */
function packABody(): number[] {
  const row = (r: number, dst: number) => [
    ...[...get(R0), ...get(LD), ...i32(r), ...i32Mul, ...i32Add, ...inWorkspace(ZERO_AT)],
    ...[...get(I0), ...i32(r), ...i32Add, ...get(COUNT), ...i32LtU, ...select, ...set(dst)],
  ];
  const step = [R0, R1, R2, R3].flatMap((reg, r) => [...get(Q), ...get(reg), ...f64Load(0), ...f64Store(8 * r)]);
  const advance = [R0, R1, R2, R3].flatMap((reg) => [...get(reg), ...i32(8), ...i32Add, ...set(reg)]);
  return [
    ...[...inWorkspace(A_AT), ...set(Q), ...i32(0), ...set(I0)],
    ...block,
    ...loop,
    ...[...get(I0), ...get(COUNT), ...i32GeU, ...brIf(1)],
    ...[...get(SRC), ...get(I0), ...get(LD), ...i32Mul, ...i32Add, ...set(R0)],
    ...row(1, R1),
    ...row(2, R2),
    ...row(3, R3),
    ...[...get(KDEPTH), ...set(P)],
    ...block,
    ...loop,
    ...[...get(P), ...i32Eqz, ...brIf(1)],
    ...step,
    ...advance,
    ...[...get(Q), ...i32(8 * MR), ...i32Add, ...set(Q)],
    ...[...get(P), ...i32(1), ...i32Sub, ...set(P), ...br(0)],
    ...end,
    ...end,
    ...[...get(I0), ...i32(MR), ...i32Add, ...set(I0), ...br(0)],
    ...end,
    ...end,
  ];
}

/**
 * packB(src, ldb, panels, kc, base): packs `panels` full NR-column panels of the kc-deep block at byte
 * address src (rows ldb bytes apart), k-major, into the B region.
 */
function packBBody(): number[] {
  // Reuses packA's local numbering: COUNT = panels, I0 = panel index, R0 = source row pointer.
  return [
    ...[...inWorkspace(B_AT), ...set(Q), ...i32(0), ...set(I0)],
    ...block,
    ...loop,
    ...[...get(I0), ...get(COUNT), ...i32GeU, ...brIf(1)],
    ...[...get(SRC), ...get(I0), ...i32(8 * NR), ...i32Mul, ...i32Add, ...set(R0)],
    ...[...get(KDEPTH), ...set(P)],
    ...block,
    ...loop,
    ...[...get(P), ...i32Eqz, ...brIf(1)],
    ...[...get(Q), ...get(R0), ...v128Load(0), ...v128Store(0)],
    ...[...get(Q), ...get(R0), ...v128Load(16), ...v128Store(16)],
    ...[...get(R0), ...get(LD), ...i32Add, ...set(R0)],
    ...[...get(Q), ...i32(8 * NR), ...i32Add, ...set(Q)],
    ...[...get(P), ...i32(1), ...i32Sub, ...set(P), ...br(0)],
    ...end,
    ...end,
    ...[...get(I0), ...i32(1), ...i32Add, ...set(I0), ...br(0)],
    ...end,
    ...end,
  ];
}

// trsm(rowPtr, groups, l11Ptr, uPtr, nb, ld): parameters and locals (bytes).
const ROW = 0;
const GROUPS = 1;
const L11 = 2;
const UPTR = 3;
const NB8 = 4;
const LDB = 5;
const G = 6;
const S0 = 7;
const S1 = 8;
const S2 = 9;
const S3 = 10;
const C8 = 11;
const LROW = 12;
const UROW = 13;
const WP = 14;
const WEND = 15;
const LP = 16;
const V01 = 17;
const V23 = 18;
const LV = 19;
const X = 20;

/**
 * Forward substitution for `groups` groups of 4 rows against a factored nb-column block: row r
 * (byte address rowPtr + r·ld of its entry in the block's first column) gets
 * w_c = a[r,c] − Σ_{q<c} L11[c,q]·w_q, L[r,c] = w_c·inv_c, and U[c,r] = w_c at uPtr + c·ld + 8r.
 * L11's row c starts at l11Ptr + c·ld; the reciprocal pivots are at INV_AT. Rows pair up in
 * f64x2 lanes (r0, r1) and (r2, r3); the w of a group are kept interleaved at W_AT.
 */
function trsmBody(fma: boolean): number[] {
  // v −= l·w (w from the interleaved row pairs at WP + offset): one relaxed negated multiply–add, or a multiply and a subtraction.
  const subtractProduct = (v: number, offset: number): number[] =>
    fma
      ? [...get(LV), ...get(WP), ...v128Load(offset), ...get(v), ...f64x2RelaxedNmadd, ...set(v)]
      : [...get(v), ...get(LV), ...get(WP), ...v128Load(offset), ...f64x2Mul, ...f64x2Sub, ...set(v)];
  const pair = (v: number, ra: number, rb: number) => [
    ...[...get(ra), ...get(C8), ...i32Add, ...f64Load(0), ...f64x2Splat],
    ...[...get(rb), ...get(C8), ...i32Add, ...f64Load(0), ...f64x2ReplaceLane(1), ...set(v)],
  ];
  const storeL = (v: number, ra: number, rb: number) => [
    ...[...get(v), ...get(LV), ...f64x2Mul, ...set(X)],
    ...[...get(ra), ...get(C8), ...i32Add, ...get(X), ...f64x2ExtractLane(0), ...f64Store(0)],
    ...[...get(rb), ...get(C8), ...i32Add, ...get(X), ...f64x2ExtractLane(1), ...f64Store(0)],
  ];
  const columnLoop = [
    ...[...i32(0), ...set(C8), ...get(L11), ...set(LROW), ...get(UPTR), ...set(UROW)],
    ...block,
    ...loop,
    ...[...get(C8), ...get(NB8), ...i32GeU, ...brIf(1)],
    ...pair(V01, S0, S1),
    ...pair(V23, S2, S3),
    // The dot products with the solved columns q < c.
    ...[
      ...i32(8 * W_AT),
      ...set(WP),
      ...get(LROW),
      ...set(LP),
      ...i32(8 * W_AT),
      ...get(C8),
      ...i32(4),
      ...i32Mul,
      ...i32Add,
      ...set(WEND),
    ],
    ...block,
    ...loop,
    ...[...get(WP), ...get(WEND), ...i32GeU, ...brIf(1)],
    ...[...get(LP), ...load64Splat(0), ...set(LV)],
    ...subtractProduct(V01, 0),
    ...subtractProduct(V23, 16),
    ...[...get(WP), ...i32(32), ...i32Add, ...set(WP), ...get(LP), ...i32(8), ...i32Add, ...set(LP), ...br(0)],
    ...end,
    ...end,
    ...[...get(WP), ...get(V01), ...v128Store(0), ...get(WP), ...get(V23), ...v128Store(16)],
    ...[...get(UROW), ...get(V01), ...v128Store(0), ...get(UROW), ...get(V23), ...v128Store(16)],
    ...[...get(C8), ...i32(8 * INV_AT), ...i32Add, ...load64Splat(0), ...set(LV)],
    ...storeL(V01, S0, S1),
    ...storeL(V23, S2, S3),
    ...[...get(C8), ...i32(8), ...i32Add, ...set(C8)],
    ...[...get(LROW), ...get(LDB), ...i32Add, ...set(LROW), ...get(UROW), ...get(LDB), ...i32Add, ...set(UROW), ...br(0)],
    ...end,
    ...end,
  ];
  return [
    ...[...i32(0), ...set(G)],
    ...block,
    ...loop,
    ...[...get(G), ...get(GROUPS), ...i32GeU, ...brIf(1)],
    ...[
      ...get(ROW),
      ...tee(S0),
      ...get(LDB),
      ...i32Add,
      ...tee(S1),
      ...get(LDB),
      ...i32Add,
      ...tee(S2),
      ...get(LDB),
      ...i32Add,
      ...set(S3),
    ],
    ...columnLoop,
    ...[...get(S3), ...get(LDB), ...i32Add, ...set(ROW), ...get(UPTR), ...i32(32), ...i32Add, ...set(UPTR)],
    ...[...get(G), ...i32(1), ...i32Add, ...set(G), ...br(0)],
    ...end,
    ...end,
  ];
}

/**
 * The module's functions: panel, packA, packB, trsm, and the sweeps' dots4 and axpy4
 * (dense-simd-sweep.ts). The packing functions take the byte
 * address of the calling thread's packing regions (A_AT to SCRATCH_AT + SCRATCH_LEN, shifted), so
 * that threads share one module, and with it V8's optimised code for it.
 */
export function denseSimdFunctions(fma: boolean): WasmFunction[] {
  return [
    {
      name: 'panel',
      params: [I32, I32, I32, I32, I32, I32, I32],
      locals: [
        [6, I32],
        [2 * MR + 4, V128],
      ],
      body: panelBody(fma),
    },
    { name: 'packA', params: [I32, I32, I32, I32, I32], locals: [[7, I32]], body: packABody() },
    { name: 'packB', params: [I32, I32, I32, I32, I32], locals: [[7, I32]], body: packBBody() },
    {
      name: 'trsm',
      params: [I32, I32, I32, I32, I32, I32],
      locals: [
        [11, I32],
        [4, V128],
      ],
      body: trsmBody(fma),
    },
    ...denseSweepFunctions(),
  ];
}
