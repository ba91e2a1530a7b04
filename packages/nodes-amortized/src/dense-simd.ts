// The deployed MLP's forward pass in WebAssembly with 128-bit SIMD (f64x2), for the amortized
// predictions' small products. No JavaScript engine vectorizes float64 code, and the scalar
// kernel of dense-tiled.ts spends ~30 instructions per 3×2 k-step (6 multiply-adds): loads, their
// bounds checks, the loop's counter and interrupt check. Wasm's loads need no bounds checks (the
// memory sits in a guard region), and with f64x2 a 4×4 tile (8 vector accumulators) does 16
// multiply-adds per k-step in about 20 instructions.
//
// Layout (as in dense-tiled.ts, with 4-row panels and 4-column tiles): inputs and hidden
// activations in row panels, k-major with the 4 rows interleaved (element (r, k) of panel t at
// t·stride + 32k + 8r bytes); each layer's weights in 4-column tiles, k-major. A k-step splats
// the 4 rows' values and multiplies them into the two vectors of the tile's weight row. The
// sums run in the order of the other paths (k ascending from 0, then the bias), with the same
// IEEE operations per lane, so the results are theirs bit for bit (gemm's too, up to its 128-deep
// k-blocks). Activations other than
// identity, relu and softsign (no wasm instructions for tanh, exp, log) are left to dense-tiled.
//
// The memory has a fixed size and never grows: growing detaches the old ArrayBuffer, and one
// detach in the process costs every typed-array kernel a third of its speed (docs/performance.md).
import type { Activation, DensePlan } from './dense-infer.js';
import { wasm as encoder } from '@argmin/autodiff/kernels';

const {
  F64,
  I32,
  V128,
  block,
  br,
  brIf,
  end,
  f64,
  f64Store,
  f64x2Abs,
  f64x2Add,
  f64x2Div,
  f64x2ExtractLane,
  f64x2Max,
  f64x2Min,
  f64x2Mul,
  f64x2Splat,
  get,
  i32,
  i32Add,
  i32Eq,
  i32GeU,
  i32LtU,
  i32Mul,
  ifThen,
  load64Splat,
  loop,
  orElse,
  set,
  tee,
  v128Load,
  v128Store,
  wasmModule,
} = encoder;

/** Memory regions in doubles: packed weights and biases, three regions of row panels, the output block. */
const W_LEN = 1 << 16;
const REGION = 1 << 15;
const OUT_LEN = 1 << 16;
const A_AT = W_LEN;
const OUT_AT = A_AT + 3 * REGION;
const PAGES = (8 * (OUT_AT + OUT_LEN)) / 65536;

const ACT_CODE: Partial<Record<Activation, number>> = { identity: 0, relu: 1, softsign: 2 };

// Parameters (i32 unless noted) and locals of both kernels.
const A_PTR = 0;
const A_STRIDE = 1;
const B_PTR = 2;
const DEPTH = 3;
const PANELS = 4;
const BIAS_PTR = 5;
const O_PTR = 6;
const O_STRIDE = 7;
const M = 8;
const ACT = 9;
const LO = 10;
const HI = 11;
const T = 12;
const J = 13;
const AP = 14;
const AEND = 15;
const KB = 16;
const TB = 17;
const BB = 18;
const O = 19;
/** The tile's accumulators (locals 20–27): acc(2r) holds row r's columns j, j+1; acc(2r+1) its columns j+2, j+3. */
const acc = (i: number): number => 20 + i;
const ACC = [0, 1, 2, 3, 4, 5, 6, 7].map(acc);
const B01 = 28;
const B23 = 29;
const AV = 30;
const VLO = 31;
const VHI = 32;
const ONE = 33;
const ZERO = 34;
const LOCALS = [
  [8, I32],
  [15, V128],
] as const;

/** acc[2r], acc[2r+1] (row r, columns j…j+1 and j+2…j+3) ← k-sum over the tile, + bias, σ. */
function tileBody(): number[] {
  const zero = ACC.flatMap((a) => [...get(ZERO), ...set(a)]);
  const kStep = [
    ...get(KB),
    ...v128Load(0),
    ...set(B01),
    ...get(KB),
    ...v128Load(16),
    ...set(B23),
    ...[0, 1, 2, 3].flatMap((r) => [
      ...get(AP),
      ...load64Splat(8 * r),
      ...tee(AV),
      ...get(B01),
      ...f64x2Mul,
      ...get(acc(2 * r)),
      ...f64x2Add,
      ...set(acc(2 * r)),
      ...get(AV),
      ...get(B23),
      ...f64x2Mul,
      ...get(acc(2 * r + 1)),
      ...f64x2Add,
      ...set(acc(2 * r + 1)),
    ]),
    ...[...get(KB), ...i32(32), ...i32Add, ...set(KB)],
    ...[...get(AP), ...i32(32), ...i32Add, ...tee(AP), ...get(AEND), ...i32LtU, ...brIf(0)],
  ];
  const bias = ACC.flatMap((a, i) => [...get(a), ...get(i % 2 === 0 ? B01 : B23), ...f64x2Add, ...set(a)]);
  const softsign = ACC.flatMap((a) => [...get(a), ...get(ONE), ...get(a), ...f64x2Abs, ...f64x2Add, ...f64x2Div, ...set(a)]);
  const relu = ACC.flatMap((a) => [...get(a), ...get(ZERO), ...f64x2Max, ...set(a)]);
  return [
    ...zero,
    // AP ← aPtr + t·aStride, AEND ← AP + 32·depth, KB ← the tile's weights.
    ...[...get(A_PTR), ...get(T), ...get(A_STRIDE), ...i32Mul, ...i32Add, ...tee(AP)],
    ...[...get(DEPTH), ...i32(32), ...i32Mul, ...i32Add, ...set(AEND), ...get(TB), ...set(KB)],
    ...loop,
    ...kStep,
    ...end,
    ...[...get(BB), ...v128Load(0), ...set(B01), ...get(BB), ...v128Load(16), ...set(B23)],
    ...bias,
    ...[...get(ACT), ...i32(2), ...i32Eq, ...ifThen, ...softsign, ...orElse],
    ...[...get(ACT), ...i32(1), ...i32Eq, ...ifThen, ...relu, ...end, ...end],
  ];
}

/** The loops over panels t and tiles j (4 columns at a time) around a tile's body and its stores. */
function layerLoops(store: number[]): number[] {
  return [
    ...[...f64(0), ...f64x2Splat, ...set(ZERO), ...f64(1), ...f64x2Splat, ...set(ONE)],
    ...[...i32(0), ...set(T)],
    ...block,
    ...loop,
    ...[...get(T), ...get(PANELS), ...i32GeU, ...brIf(1)],
    ...[...i32(0), ...set(J), ...get(B_PTR), ...set(TB), ...get(BIAS_PTR), ...set(BB)],
    ...block,
    ...loop,
    ...[...get(J), ...get(M), ...i32GeU, ...brIf(1)],
    ...tileBody(),
    ...store,
    ...[...get(J), ...i32(4), ...i32Add, ...set(J)],
    ...[...get(TB), ...get(DEPTH), ...i32(32), ...i32Mul, ...i32Add, ...set(TB)],
    ...[...get(BB), ...i32(32), ...i32Add, ...set(BB), ...br(0), ...end, ...end],
    ...[...get(T), ...i32(1), ...i32Add, ...set(T), ...br(0), ...end, ...end],
  ];
}

/** Hidden layer: column j+c of the tile into the next layer's panel t (columns past m skipped: they hold the skip's inputs). */
function hiddenStore(): number[] {
  const out: number[] = [
    ...get(O_PTR),
    ...get(T),
    ...get(O_STRIDE),
    ...i32Mul,
    ...i32Add,
    ...get(J),
    ...i32(32),
    ...i32Mul,
    ...i32Add,
    ...set(O),
  ];
  for (let c = 0; c < 4; c++) {
    const stores = [0, 1, 2, 3].flatMap((r) => [
      ...get(O),
      ...get(acc(2 * r + (c >> 1))),
      ...f64x2ExtractLane(c & 1),
      ...f64Store(32 * c + 8 * r),
    ]);
    if (c === 0) out.push(...stores);
    else out.push(...block, ...get(J), ...i32(c), ...i32Add, ...get(M), ...i32GeU, ...brIf(0), ...stores, ...end);
  }
  return out;
}

/** Output layer: clipped onto [lo, hi], rows of the tile into the row-major block (oStride = 8m bytes). */
function outputStore(): number[] {
  const clip = ACC.flatMap((a) => [...get(a), ...get(VLO), ...f64x2Max, ...get(VHI), ...f64x2Min, ...set(a)]);
  const nextRow = [...get(O), ...get(O_STRIDE), ...i32Add, ...set(O)];
  const full = [0, 1, 2, 3].flatMap((r) => [
    ...[...get(O), ...get(acc(2 * r)), ...v128Store(0), ...get(O), ...get(acc(2 * r + 1)), ...v128Store(16)],
    ...nextRow,
  ]);
  const fits = (w: number) => [...get(M), ...get(J), ...i32(w), ...i32Add, ...i32GeU];
  const tail = [0, 1, 2, 3].flatMap((r) => [
    ...[...fits(2), ...ifThen, ...get(O), ...get(acc(2 * r)), ...v128Store(0)],
    ...[...orElse, ...get(O), ...get(acc(2 * r)), ...f64x2ExtractLane(0), ...f64Store(0), ...end],
    ...[...fits(3), ...ifThen, ...get(O), ...get(acc(2 * r + 1)), ...f64x2ExtractLane(0), ...f64Store(16), ...end],
    ...nextRow,
  ]);
  return [
    ...clip,
    // O ← oPtr + 4t·oStride + 8j.
    ...[
      ...get(O_PTR),
      ...get(T),
      ...i32(4),
      ...i32Mul,
      ...get(O_STRIDE),
      ...i32Mul,
      ...i32Add,
      ...get(J),
      ...i32(8),
      ...i32Mul,
      ...i32Add,
      ...set(O),
    ],
    ...[...fits(4), ...ifThen, ...full, ...orElse, ...tail, ...end],
  ];
}

interface Kernels {
  readonly heap: Float64Array;
  readonly hidden: (...args: number[]) => void;
  readonly output: (...args: number[]) => void;
}

let kernels: Kernels | null | undefined;

/** The compiled kernels and their memory, on first use; null where WebAssembly or its SIMD is missing. */
function instance(): Kernels | null {
  if (kernels !== undefined) return kernels;
  kernels = null;
  if (!encoder.wasmAllowed()) return null;
  const common = [I32, I32, I32, I32, I32, I32, I32, I32, I32, I32];
  const bytes = wasmModule(PAGES, [
    // The hidden kernel never reads LO and HI (two f64 locals there) but keeps the numbering.
    { name: 'hidden', params: common, locals: [[2, F64], ...LOCALS], body: layerLoops(hiddenStore()) },
    {
      name: 'output',
      params: [...common, F64, F64],
      locals: LOCALS,
      body: [...get(LO), ...f64x2Splat, ...set(VLO), ...get(HI), ...f64x2Splat, ...set(VHI), ...layerLoops(outputStore())],
    },
  ]);
  if (!WebAssembly.validate(bytes)) return null;
  let exports: WebAssembly.Exports;
  let memory: WebAssembly.Memory;
  try {
    memory = new WebAssembly.Memory({ initial: PAGES, maximum: PAGES });
    exports = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } }).exports;
  } catch {
    // A content security policy without 'wasm-unsafe-eval', or a browser's limit on synchronous
    // compilation on its main thread: the scalar paths remain.
    return null;
  }
  const fn = (key: string) => exports[key] as unknown as (...args: number[]) => void;
  kernels = { heap: new Float64Array(memory.buffer), hidden: fn('hidden'), output: fn('output') };
  return kernels;
}

interface SimdLayer {
  readonly k: number;
  readonly m: number;
  /** Offsets (in doubles) of the layer's weight tiles and its bias. */
  readonly wAt: number;
  readonly bAt: number;
  readonly act: number;
}

/**
 * The network's output `[rows, m_last]` for inputs `x [rows, k_0]`, as a fresh array, or null
 * when this path does not apply (no WebAssembly SIMD, one layer, an activation other than
 * identity, relu or softsign, or widths beyond its memory): the caller then takes another path.
 */
export function simdForward(plan: DensePlan, x: Float64Array, rows: number): Float64Array | null {
  const { layers, skip, bounds } = plan;
  const L = layers.length;
  if (L < 2 || layers.some((l) => ACT_CODE[l.activation] === undefined)) return null;
  const wasm = instance();
  if (wasm === null) return null;
  const heap = wasm.heap;
  const dx = layers[0]!.k;
  const packed = packWeights(heap, plan, dx);
  if (packed === null) return null;
  const last = packed[L - 1]!;
  let kMax = 0;
  for (const layer of packed) kMax = Math.max(kMax, layer.k);
  const block = Math.min(Math.floor(REGION / (4 * kMax)), Math.floor(OUT_LEN / (4 * last.m)));
  if (block < 1) return null;
  const out = new Float64Array(rows * last.m);
  const lo = bounds ? bounds[0] : -Infinity;
  const hi = bounds ? bounds[1] : Infinity;
  const stackAt = layers[L - 2]!.m;
  const panelsAll = Math.ceil(rows / 4);
  for (let p0 = 0; p0 < panelsAll; p0 += block) {
    const panels = Math.min(block, panelsAll - p0);
    const r0 = 4 * p0;
    const rowsHere = Math.min(rows - r0, 4 * panels);
    // Regions as in dense-tiled.ts: region 0 holds the inputs, beside the last layer's other
    // input columns when there is a skip; the other layers write regions 1 and 2 in turn.
    let inAt = A_AT + (skip !== null ? 4 * stackAt : 0);
    let inLd = skip !== null ? last.k : dx;
    packInput(heap, x, r0, rowsHere, dx, panels, inAt, inLd);
    for (let i = 0; i < L - 1; i++) {
      const outAt = A_AT + (i === L - 2 && skip !== null ? 0 : (i % 2 === 0 ? 1 : 2) * REGION);
      const outLd = packed[i + 1]!.k;
      const { k, m, wAt, bAt, act } = packed[i]!;
      wasm.hidden(8 * inAt, 32 * inLd, 8 * wAt, k, panels, 8 * bAt, 8 * outAt, 32 * outLd, m, act);
      inAt = outAt;
      inLd = outLd;
    }
    wasm.output(8 * inAt, 32 * inLd, 8 * last.wAt, last.k, panels, 8 * last.bAt, 8 * OUT_AT, 8 * last.m, last.m, last.act, lo, hi);
    out.set(heap.subarray(OUT_AT, OUT_AT + rowsHere * last.m), r0 * last.m);
  }
  return out;
}

/** Every layer's W (W_skip stacked under the last one) as 4-column tiles, k-major, zero-padded, and the biases; null if they do not fit. */
function packWeights(heap: Float64Array, plan: DensePlan, dx: number): SimdLayer[] | null {
  const { layers, skip } = plan;
  const out: SimdLayer[] = [];
  let at = 0;
  for (let i = 0; i < layers.length; i++) {
    const { W, b, k, m, activation } = layers[i]!;
    const stacked = i === layers.length - 1 && skip !== null;
    const depth = stacked ? k + dx : k;
    const tiles = Math.ceil(m / 4);
    if (at + 4 * tiles * (depth + 1) > W_LEN) return null;
    out.push({ k: depth, m, wAt: at, bAt: at + 4 * tiles * depth, act: ACT_CODE[activation]! });
    for (let j0 = 0; j0 < 4 * tiles; j0 += 4) {
      at = packRows(heap, at, W, k, m, j0);
      if (stacked) at = packRows(heap, at, skip, dx, m, j0);
    }
    for (let j = 0; j < 4 * tiles; j++, at++) heap[at] = j < m ? b[j]! : 0;
  }
  return out;
}

/** Rows 0 … k−1 of columns j0 … j0+3 of src `[k, m]` at `at`, 4 values a row (zeros past column m); returns the next offset. */
function packRows(heap: Float64Array, at: number, src: Float64Array, k: number, m: number, j0: number): number {
  if (j0 + 4 <= m) {
    for (let p = 0, s = j0; p < k; p++, s += m, at += 4) {
      heap[at] = src[s]!;
      heap[at + 1] = src[s + 1]!;
      heap[at + 2] = src[s + 2]!;
      heap[at + 3] = src[s + 3]!;
    }
  } else {
    for (let p = 0, s = j0; p < k; p++, s += m, at += 4) for (let c = 0; c < 4; c++) heap[at + c] = j0 + c < m ? src[s + c]! : 0;
  }
  return at;
}

/** x's rows r0 … r0+rows−1 into columns at/4 … of the 4-row panels of stride 4·ld doubles at `at`; rows past the batch are zeros. */
function packInput(
  heap: Float64Array,
  x: Float64Array,
  r0: number,
  rows: number,
  dx: number,
  panels: number,
  at: number,
  ld: number,
): void {
  for (let t = 0; t < panels; t++) {
    const q = at + 4 * t * ld;
    for (let r = 0; r < 4; r++) {
      const row = t * 4 + r;
      const s = (r0 + row) * dx;
      if (row < rows) for (let p = 0; p < dx; p++) heap[q + 4 * p + r] = x[s + p]!;
      else for (let p = 0; p < dx; p++) heap[q + 4 * p + r] = 0;
    }
  }
}
