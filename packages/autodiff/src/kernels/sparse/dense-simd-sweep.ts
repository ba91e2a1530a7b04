/**
 * The dense tail's triangular sweeps (dense-ldl.ts's denseForward and denseBackward) on the
 * factor that dense-simd.ts's memory still holds after the factorization: four rows of L per pass,
 * their products with the solved part in f64x2 lanes, the 4×4 triangle among the rows in
 * JavaScript. A sweep reads L once (t²/2 doubles), so an IPM solve of order 1984 is bound by
 * reading 16 MB twice; the scalar loops on the JS copy ran at ~1 ns a multiply–add, these at
 * about the memory's speed, and the copy back into the JS array after each factorization is saved.
 */
import {
  I32,
  V128,
  type WasmFunction,
  block,
  brIf,
  end,
  f64Store,
  f64x2Add,
  f64x2ExtractLane,
  f64x2Mul,
  get,
  i32,
  i32Add,
  i32GeU,
  i32LtU,
  load64Splat,
  loop,
  set,
  tee,
  v128Load,
  v128Store,
} from '../wasm-encode.js';
import { type Rows4, backwardSweep, forwardSweep } from './dense-sweep.js';

const f64x2Sub = [0xfd, 0xf1, 0x01];
const f64Add = [0xa0];

// dots4(row, ld, w, count8, out) and axpy4(row, ld, w, count8, coef): parameters and locals (bytes).
const ROW = 0;
const LD = 1;
const W = 2;
const COUNT = 3;
const OUT = 4;
const C = 5;
/** Local of row k's pointer (k = 0…3). */
const row = (k: number): number => 6 + k;
const V = 10;

/** The four row pointers from `row`, ld bytes apart. */
const rowPointers = [
  ...[...get(ROW), ...tee(row(0)), ...get(LD), ...i32Add, ...tee(row(1)), ...get(LD), ...i32Add, ...tee(row(2))],
  ...[...get(LD), ...i32Add, ...set(row(3))],
];

/** A loop over c = 0, 32, … < count8 (bytes; count8 a multiple of 32), running `body` each time. */
function columnLoop(body: number[]): number[] {
  return [
    ...[...i32(0), ...set(C)],
    ...block,
    ...[...get(C), ...get(COUNT), ...i32GeU, ...brIf(0)],
    ...loop,
    ...body,
    ...[...get(C), ...i32(32), ...i32Add, ...tee(C), ...get(COUNT), ...i32LtU, ...brIf(0)],
    ...end,
    ...end,
  ];
}

/** out[k] = Σ_{c < count} L[row k, c]·w[c], k = 0…3: two f64x2 accumulators per row. */
function dots4Body(): number[] {
  const acc = (k: number, h: number) => V + 2 * k + h;
  const wv = (h: number) => V + 8 + h;
  const body = [
    ...[...get(W), ...get(C), ...i32Add, ...v128Load(0), ...set(wv(0))],
    ...[...get(W), ...get(C), ...i32Add, ...v128Load(16), ...set(wv(1))],
    ...[0, 1, 2, 3].flatMap((k) =>
      [0, 1].flatMap((h) => [
        ...[...get(acc(k, h)), ...get(row(k)), ...get(C), ...i32Add, ...v128Load(16 * h), ...get(wv(h)), ...f64x2Mul],
        ...[...f64x2Add, ...set(acc(k, h))],
      ]),
    ),
  ];
  const store = [0, 1, 2, 3].flatMap((k) => [
    ...[...get(OUT), ...get(acc(k, 0)), ...get(acc(k, 1)), ...f64x2Add, ...tee(wv(0)), ...f64x2ExtractLane(0)],
    ...[...get(wv(0)), ...f64x2ExtractLane(1), ...f64Add, ...f64Store(8 * k)],
  ]);
  return [...rowPointers, ...columnLoop(body), ...store];
}

/** w[c] −= ((L₀c·k₀ + L₁c·k₁) + L₂c·k₂) + L₃c·k₃ for c < count (k = coef[0…3]): denseBackward's order. */
function axpy4Body(): number[] {
  const coef = (k: number) => V + k;
  const x = V + 4;
  const half = (h: number) => [
    ...[...get(W), ...get(C), ...i32Add, ...v128Load(16 * h)],
    ...[0, 1, 2, 3].flatMap((k) => [
      ...[...get(row(k)), ...get(C), ...i32Add, ...v128Load(16 * h), ...get(coef(k)), ...f64x2Mul],
      ...(k > 0 ? f64x2Add : []),
    ]),
    ...[...f64x2Sub, ...set(x)],
    ...[...get(W), ...get(C), ...i32Add, ...get(x), ...v128Store(16 * h)],
  ];
  const splats = [0, 1, 2, 3].flatMap((k) => [...get(OUT), ...load64Splat(8 * k), ...set(coef(k))]);
  return [...rowPointers, ...splats, ...columnLoop([...half(0), ...half(1)])];
}

export function denseSweepFunctions(): WasmFunction[] {
  const params = [I32, I32, I32, I32, I32];
  return [
    {
      name: 'dots4',
      params,
      locals: [
        [5, I32],
        [10, V128],
      ],
      body: dots4Body(),
    },
    {
      name: 'axpy4',
      params,
      locals: [
        [5, I32],
        [5, V128],
      ],
      body: axpy4Body(),
    },
  ];
}

type Sweep4 = (row: number, ld: number, w: number, count8: number, extra: number) => void;

/** The sweep kernels of an instance and the scratch they use on its memory (from wAt: w's entries, then four). */
export interface SweepKernels {
  readonly heap: Float64Array;
  readonly dots4: Sweep4;
  readonly axpy4: Sweep4;
  readonly wAt: number;
  /** Doubles of scratch from wAt. */
  readonly room: number;
}

export function sweepKernels(exports: WebAssembly.Exports, heap: Float64Array, wAt: number, room: number): SweepKernels {
  return { heap, dots4: exports.dots4 as unknown as Sweep4, axpy4: exports.axpy4 as unknown as Sweep4, wAt, room };
}

/** Rows4 (dense-sweep.ts) on the memory, for a matrix at stride ld and the vector at wAt. */
function heapRows4(k: SweepKernels, ld: number, t: number): Rows4 {
  const { heap, dots4, axpy4, wAt } = k;
  // The four products or coefficients after w (t rounded up to 4).
  const at = wAt + ((t + 3) & ~3);
  return {
    io: heap,
    at,
    dots: (r0, count) => dots4(8 * r0, 8 * ld, 8 * wAt, 8 * count, 8 * at),
    axpy: (r0, count) => axpy4(8 * r0, 8 * ld, 8 * wAt, 8 * count, 8 * at),
  };
}

/** w[off…off+t) ← L⁻¹w (or L⁻ᵀw with `transposed`), L the strict lower triangle of the t×t matrix at heap[o…] (stride ld). */
export function heapSweep(k: SweepKernels, o: number, t: number, ld: number, w: Float64Array, off: number, transposed: boolean): void {
  const { heap, wAt } = k;
  heap.set(w.subarray(off, off + t), wAt);
  (transposed ? backwardSweep : forwardSweep)(heap, o, ld, t, heap, wAt, heapRows4(k, ld, t));
  w.set(heap.subarray(wAt, wAt + t), off);
}
