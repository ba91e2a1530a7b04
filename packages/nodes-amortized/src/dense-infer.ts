// The MLP's deployed forward pass on raw Float64Arrays, no Tensor, tape or closure per layer.
// denseForward takes the fastest path that runs the plan: WebAssembly SIMD tiles
// (dense-simd.ts), scalar register tiles (dense-tiled.ts), or here one gemm per layer over every
// row of the batch, then one pass that adds the bias and applies the activation (and, on the
// output, the clip onto the box). The three give the same results.
import { gemm } from '@argmin/autodiff/kernels';
import { simdForward } from './dense-simd.js';
import { tiledForward } from './dense-tiled.js';

/** Activations of the hidden layers (and optionally of the output). */
export type Activation = 'relu' | 'tanh' | 'sigmoid' | 'softplus' | 'softsign' | 'identity';

export interface DenseLayer {
  /** Weights `[k, m]` (row-major) and bias `[m]`. */
  readonly W: Float64Array;
  readonly b: Float64Array;
  readonly k: number;
  readonly m: number;
  readonly activation: Activation;
}

export interface DensePlan {
  readonly layers: readonly DenseLayer[];
  /** The linear path x·W_skip `[input, output]` added to the last layer's output, if any. */
  readonly skip: Float64Array | null;
  /** Clip onto [lower, upper] after everything else, if any. */
  readonly bounds: readonly [number, number] | null;
}

/**
 * Buffers kept between calls for what is not part of the result (hidden activations, stacked
 * weights): typed arrays of this size live outside V8's heap, and allocating ~50 KB of them per
 * call (10→16→50, 200 contexts) made the collector run mark-compacts for the external memory
 * every few dozen calls.
 * A scratch grows to the largest batch seen; calls are synchronous, so one per model suffices.
 */
export class DenseScratch {
  private readonly buffers = new Map<string, Float64Array>();

  /** A buffer of at least `size` values under `key`; with `zero`, its first `size` values are 0. */
  take(key: string, size: number, zero: boolean): Float64Array {
    let buffer = this.buffers.get(key);
    if (!buffer || buffer.length < size) {
      buffer = new Float64Array(size);
      this.buffers.set(key, buffer);
    } else if (zero) buffer.fill(0, 0, size);
    return buffer;
  }
}

/**
 * The network's output `[rows, m_last]` for inputs `x [rows, k_0]`, as a fresh array, on the
 * first path that takes the plan: WebAssembly SIMD (dense-simd.ts: identity, relu and softsign
 * layers), then scalar register tiles (dense-tiled.ts), then one gemm per layer. All three give
 * the same bits.
 */
export function denseForward(plan: DensePlan, x: Float64Array, rows: number, scratch: DenseScratch): Float64Array {
  return simdForward(plan, x, rows) ?? tiledForward(plan, x, rows) ?? gemmForward(plan, x, rows, scratch);
}

/** denseForward with one gemm per layer (any sizes; the reference the tiled path is tested against). */
export function gemmForward(plan: DensePlan, x: Float64Array, rows: number, scratch: DenseScratch): Float64Array {
  const { layers, skip, bounds } = plan;
  const L = layers.length;
  const dx = layers[0]!.k;
  // With a skip path, the last layer reads [h | x] against [W_last; W_skip]: one product of
  // depth k + dx instead of two, the layer before writing h into the first k columns.
  const stack = skip !== null && L >= 2;
  let h = x;
  let ld = dx;
  for (let i = 0; i < L; i++) {
    const { W, b, k, m, activation } = layers[i]!;
    const last = i === L - 1;
    const width = stack && i === L - 2 ? m + dx : m;
    // Outputs start at zero (fresh, or cleared): β = 1 spares gemm its pass that writes zeros.
    const out = last ? new Float64Array(rows * width) : scratch.take(`h${i}`, rows * width, true);
    if (last && stack) gemm(false, false, rows, m, k + dx, 1, h, 0, ld, stacked(W, skip, k, dx, m, scratch), 0, m, 1, out, 0, m);
    else gemm(false, false, rows, m, k, 1, h, 0, ld, W, 0, m, 1, out, 0, width);
    // A skip path on a single layer: a second product accumulated before the bias pass.
    if (last && skip && !stack) gemm(false, false, rows, m, dx, 1, x, 0, dx, skip, 0, m, 1, out, 0, m);
    biasActivate(out, rows, m, width, b, activation, last ? bounds : null);
    if (width > m) copyColumns(x, rows, dx, out, width, m);
    h = out;
    ld = width;
  }
  return h;
}

/** dst[r, at + j] ← src[r, j] for the `cols` columns of every row. */
function copyColumns(src: Float64Array, rows: number, cols: number, dst: Float64Array, ld: number, at: number): void {
  for (let r = 0; r < rows; r++) {
    const s = r * cols;
    const d = r * ld + at;
    for (let j = 0; j < cols; j++) dst[d + j] = src[s + j]!;
  }
}

/** [W; W_skip] `[k + dx, m]`, copied every call (θ may change between calls). */
function stacked(W: Float64Array, skip: Float64Array, k: number, dx: number, m: number, scratch: DenseScratch): Float64Array {
  const out = scratch.take('stacked', (k + dx) * m, false);
  out.set(W.subarray(0, k * m), 0);
  out.set(skip.subarray(0, dx * m), k * m);
  return out;
}

/** v clipped onto [lo, hi], NaN kept. */
// biome-ignore lint/complexity/useMathMinMax: compares compile tighter than Math.min/max here (2.6 vs 3.9 ns an element).
const clip = (v: number, lo: number, hi: number): number => (v < lo ? lo : v > hi ? hi : v);

/**
 * out[r, j] ← clip(σ(out[r, j] + b[j])) on rows of stride `ld`; without bounds the clip is
 * onto ±∞, which changes no value. One loop nest per activation, so each body is a straight
 * line the JIT compiles without a call.
 */
function biasActivate(
  out: Float64Array,
  rows: number,
  m: number,
  ld: number,
  b: Float64Array,
  activation: Activation,
  bounds: readonly [number, number] | null,
): void {
  const lo = bounds ? bounds[0] : -Infinity;
  const hi = bounds ? bounds[1] : Infinity;
  switch (activation) {
    case 'identity':
      for (let o = 0; o < rows * ld; o += ld) for (let j = 0; j < m; j++) out[o + j] = clip(out[o + j]! + b[j]!, lo, hi);
      return;
    case 'relu':
      for (let o = 0; o < rows * ld; o += ld) for (let j = 0; j < m; j++) out[o + j] = clip(Math.max(out[o + j]! + b[j]!, 0), lo, hi);
      return;
    case 'softsign':
      for (let o = 0; o < rows * ld; o += ld) {
        for (let j = 0; j < m; j++) {
          const v = out[o + j]! + b[j]!;
          out[o + j] = clip(v / (1 + Math.abs(v)), lo, hi);
        }
      }
      return;
    case 'tanh':
      for (let o = 0; o < rows * ld; o += ld) for (let j = 0; j < m; j++) out[o + j] = clip(Math.tanh(out[o + j]! + b[j]!), lo, hi);
      return;
    case 'sigmoid':
      for (let o = 0; o < rows * ld; o += ld) {
        for (let j = 0; j < m; j++) {
          const v = out[o + j]! + b[j]!;
          out[o + j] = clip(v >= 0 ? 1 / (1 + Math.exp(-v)) : Math.exp(v) / (1 + Math.exp(v)), lo, hi);
        }
      }
      return;
    case 'softplus':
      for (let o = 0; o < rows * ld; o += ld) {
        for (let j = 0; j < m; j++) {
          const v = out[o + j]! + b[j]!;
          out[o + j] = clip(Math.max(v, 0) + Math.log1p(Math.exp(-Math.abs(v))), lo, hi);
        }
      }
      return;
  }
}
