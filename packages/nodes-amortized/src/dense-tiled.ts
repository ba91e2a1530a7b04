// The deployed MLP's forward pass as register-tiled loops over module-level packed buffers, for
// the small products of amortized predictions (depths 10–64, widths 12–64, batches of hundreds).
//
// gemm (kernels/gemm-packed.ts) reaches ~60% of the scalar peak on large products, but a layer
// of a small MLP is a product of depth 10–22: there the k-loop is short and what surrounds it
// weighs as much (per call: packing A through the caller's array, zeroing the output, then a
// separate pass for bias and activation, another to copy the skip's inputs beside the hidden
// units). Here a layer's tile adds the bias and writes its 3×2 results straight into the packed
// panels the next layer reads (the activation runs over each panel row while it is in L1), so the
// hidden activations never leave the packed layout, the skip's inputs are packed once beside
// them, and the last layer clips onto the box as it writes the result.
//
// The same V8 rules as gemm-packed.ts hold (docs/performance.md, "Dense kernels"): the buffers
// are module-level `const` views read into locals before the loops (their data pointers and
// lengths fold into the code), one view per row of an A panel and per column of a B panel (one
// bounds check per group of loads), offsets masked so that index sums provably do not overflow,
// and a 3×2 tile, the largest whose accumulators and operands fit the 15 double registers.
//
// The sums run in gemm's order (k ascending from 0, the bias added after), so the results are
// the ones of denseForward's gemm path, bit for bit, for depths up to gemm's 128-deep k-blocks.
import type { Activation, DensePlan } from './dense-infer.js';

const MR = 3;
const NR = 2;
/** Values per A view in each of the three regions (x, and the hidden layers' ping-pong pair). */
const REGION = 4096;
const A_LEN = 3 * REGION;
/** Values per B view: every layer's packed weights, one after the other. */
const B_LEN = 1 << 15;
/** Bias entries of every layer, each layer's padded to an even width. */
const BIAS_LEN = 1 << 12;
/** Masks ≥ every offset into the views (see gemm-packed.ts's header: they change no value). */
const A_MASK = 0x3fff;
const B_MASK = 0x7fff;
const BIAS_MASK = 0xfff;
const DEPTH_MASK = 0xfff;

const A_BUF = new ArrayBuffer(8 * MR * A_LEN);
const A0 = new Float64Array(A_BUF, 0, A_LEN);
const A1 = new Float64Array(A_BUF, 8 * A_LEN, A_LEN);
const A2 = new Float64Array(A_BUF, 16 * A_LEN, A_LEN);
const B_BUF = new ArrayBuffer(8 * (NR * B_LEN + BIAS_LEN));
const B0 = new Float64Array(B_BUF, 0, B_LEN);
const B1 = new Float64Array(B_BUF, 8 * B_LEN, B_LEN);
const BIAS = new Float64Array(B_BUF, 16 * B_LEN, BIAS_LEN);

const ACT_CODE: Record<Activation, number> = { identity: 0, relu: 1, softsign: 2, tanh: 3, sigmoid: 4, softplus: 5 };

/** σ(v) as denseForward's biasActivate computes it (the same expressions, so the same bits). */
function activate(v: number, act: number): number {
  switch (act) {
    case 0:
      return v;
    case 1:
      return Math.max(v, 0);
    case 2:
      return v / (1 + Math.abs(v));
    case 3:
      return Math.tanh(v);
    case 4:
      return v >= 0 ? 1 / (1 + Math.exp(-v)) : Math.exp(v) / (1 + Math.exp(v));
    default:
      return Math.max(v, 0) + Math.log1p(Math.exp(-Math.abs(v)));
  }
}

interface TiledLayer {
  /** Depth (input width, with the skip's inputs stacked on the last layer) and output width. */
  readonly k: number;
  readonly m: number;
  /** Offsets of the layer's packed weights in the B views and of its bias in BIAS. */
  readonly wAt: number;
  readonly bAt: number;
  readonly act: number;
}

/**
 * The network's output `[rows, m_last]` for inputs `x [rows, k_0]`, as a fresh array, or null
 * when the plan does not fit this path (one layer, or widths beyond the buffers): the caller
 * then runs the gemm path.
 */
export function tiledForward(plan: DensePlan, x: Float64Array, rows: number): Float64Array | null {
  const { layers, skip, bounds } = plan;
  const L = layers.length;
  if (L < 2) return null;
  const dx = layers[0]!.k;
  const packed = packWeights(plan, dx);
  if (packed === null) return null;
  let kMax = 0;
  for (const layer of packed) kMax = Math.max(kMax, layer.k);
  // Row panels per block: each region holds a block's panels of any layer's input.
  const block = Math.floor(REGION / kMax);
  if (block < 1) return null;
  const last = packed[L - 1]!;
  const out = new Float64Array(rows * last.m);
  const lo = bounds ? bounds[0] : -Infinity;
  const hi = bounds ? bounds[1] : Infinity;
  const stackAt = layers[L - 2]!.m;
  const panelsAll = Math.ceil(rows / MR);
  for (let p0 = 0; p0 < panelsAll; p0 += block) {
    const panels = Math.min(block, panelsAll - p0);
    const r0 = p0 * MR;
    const rowsHere = Math.min(rows - r0, panels * MR);
    // Region 0 holds the inputs; with the skip, they sit in the last layer's input panels beside
    // the columns the layer before it writes, so they are packed once and never copied. The other
    // layers write regions 1 and 2 in turn.
    let inAt = skip !== null ? stackAt : 0;
    let inLd = skip !== null ? last.k : dx;
    packInput(x, r0, rowsHere, dx, panels, inAt, inLd);
    for (let i = 0; i < L - 1; i++) {
      const outAt = i === L - 2 && skip !== null ? 0 : (i % 2 === 0 ? 1 : 2) * REGION;
      const outLd = packed[i + 1]!.k;
      const layer = packed[i]!;
      hiddenLayer(panels, layer.k, inAt, inLd, layer.m, outAt, outLd, layer.wAt, layer.bAt, layer.act);
      inAt = outAt;
      inLd = outLd;
    }
    outputLayer(panels, rowsHere, last.k, inAt, last.m, last.wAt, last.bAt, last.act, out, r0 * last.m, lo, hi);
  }
  return out;
}

/** Packs every layer's W (with W_skip stacked under the last one) as 2-column panels, and the biases; null if they do not fit. */
function packWeights(plan: DensePlan, dx: number): TiledLayer[] | null {
  const { layers, skip } = plan;
  const L = layers.length;
  let wAt = 0;
  let bAt = 0;
  const out: TiledLayer[] = [];
  for (let i = 0; i < L; i++) {
    const { W, b, k, m, activation } = layers[i]!;
    const stacked = i === L - 1 && skip !== null;
    const depth = stacked ? k + dx : k;
    const pairs = Math.ceil(m / NR);
    if (wAt + pairs * depth > B_LEN || bAt + NR * pairs > BIAS_LEN || depth > DEPTH_MASK) return null;
    out.push({ k: depth, m, wAt, bAt, act: ACT_CODE[activation] });
    const d0 = B0;
    const d1 = B1;
    let q = wAt;
    for (let j = 0; j < m; j += NR, q += depth) {
      const two = j + 1 < m;
      for (let p = 0; p < k; p++) {
        d0[q + p] = W[p * m + j]!;
        d1[q + p] = two ? W[p * m + j + 1]! : 0;
      }
      if (stacked) {
        for (let p = 0; p < dx; p++) {
          d0[q + k + p] = skip[p * m + j]!;
          d1[q + k + p] = two ? skip[p * m + j + 1]! : 0;
        }
      }
    }
    for (let j = 0; j < m; j++) BIAS[bAt + j] = b[j]!;
    if (m % NR !== 0) BIAS[bAt + m] = 0;
    wAt = q;
    bAt += NR * pairs;
  }
  return out;
}

/** x's rows r0 … r0+rows−1 into columns at … at+dx of row panels of stride ld in region 0; rows past the batch are zeros. */
function packInput(x: Float64Array, r0: number, rows: number, dx: number, panels: number, at: number, ld: number): void {
  const d0 = A0;
  const d1 = A1;
  const d2 = A2;
  for (let t = 0, q = at; t < panels; t++, q += ld) {
    const r = r0 + t * MR;
    const h = Math.min(MR, r0 + rows - r);
    const s0 = r * dx;
    for (let p = 0; p < dx; p++) {
      d0[q + p] = x[s0 + p]!;
      d1[q + p] = h > 1 ? x[s0 + dx + p]! : 0;
      d2[q + p] = h > 2 ? x[s0 + 2 * dx + p]! : 0;
    }
  }
}

/**
 * σ(A·W + b) for the row panels at `inAt` (depth k, stride ldIn), written into the first m
 * columns of the row panels at `outAt` of stride `ldOut` (the next layer's depth). Padding rows
 * compute from zeros and are never read into the result.
 */
function hiddenLayer(
  panels: number,
  k: number,
  inAt: number,
  ldIn: number,
  m: number,
  outAt: number,
  ldOut: number,
  wAt: number,
  bAt: number,
  act: number,
): void {
  const a0s = A0;
  const a1s = A1;
  const a2s = A2;
  const b0s = B0;
  const b1s = B1;
  const bs = BIAS;
  const depth = k & DEPTH_MASK;
  const ldA = ldIn & DEPTH_MASK;
  const ld = ldOut & DEPTH_MASK;
  for (let t = 0; t < panels; t++) {
    const aBase = (inAt + t * ldA) & A_MASK;
    const aEnd = aBase + depth;
    const o = (outAt + t * ld) & A_MASK;
    for (let j = 0, wb = wAt & B_MASK; j < m; j += NR, wb += depth) {
      // Masked, wb's range is known, so the index sum below needs no overflow check (~10%).
      const shift = (wb & B_MASK) - aBase;
      let c00 = 0;
      let c01 = 0;
      let c10 = 0;
      let c11 = 0;
      let c20 = 0;
      let c21 = 0;
      for (let qa = aBase; qa < aEnd; qa++) {
        const qb = qa + shift;
        const a0 = a0s[qa]!;
        const a1 = a1s[qa]!;
        const a2 = a2s[qa]!;
        const b0 = b0s[qb]!;
        const b1 = b1s[qb]!;
        c00 += a0 * b0;
        c01 += a0 * b1;
        c10 += a1 * b0;
        c11 += a1 * b1;
        c20 += a2 * b0;
        c21 += a2 * b1;
      }
      const bj = (bAt + j) & BIAS_MASK;
      const beta0 = bs[bj]!;
      const q = o + j;
      a0s[q] = c00 + beta0;
      a1s[q] = c10 + beta0;
      a2s[q] = c20 + beta0;
      if (j + 1 < m) {
        const beta1 = bs[bj + 1]!;
        a0s[q + 1] = c01 + beta1;
        a1s[q + 1] = c11 + beta1;
        a2s[q + 1] = c21 + beta1;
      }
    }
    activatePanel(o, m, act);
  }
}

/**
 * σ applied in place to the m entries at o of the three row views, while they are in L1: one
 * loop per activation, since `activate` called from the tile's epilogue was not inlined.
 */
function activatePanel(o: number, m: number, act: number): void {
  const a0s = A0;
  const a1s = A1;
  const a2s = A2;
  const end = o + m;
  switch (act) {
    case 0:
      return;
    case 1:
      for (let q = o; q < end; q++) {
        a0s[q] = Math.max(a0s[q]!, 0);
        a1s[q] = Math.max(a1s[q]!, 0);
        a2s[q] = Math.max(a2s[q]!, 0);
      }
      return;
    case 2:
      for (let q = o; q < end; q++) {
        const v0 = a0s[q]!;
        const v1 = a1s[q]!;
        const v2 = a2s[q]!;
        a0s[q] = v0 / (1 + Math.abs(v0));
        a1s[q] = v1 / (1 + Math.abs(v1));
        a2s[q] = v2 / (1 + Math.abs(v2));
      }
      return;
    default:
      for (let q = o; q < end; q++) {
        a0s[q] = activate(a0s[q]!, act);
        a1s[q] = activate(a1s[q]!, act);
        a2s[q] = activate(a2s[q]!, act);
      }
  }
}

/** clip(σ(A·W + b)) for the panels at `inAt`, written row-major into `out` from `outOff` (the block's `rows` rows only). */
function outputLayer(
  panels: number,
  rows: number,
  k: number,
  inAt: number,
  m: number,
  wAt: number,
  bAt: number,
  act: number,
  out: Float64Array,
  outOff: number,
  lo: number,
  hi: number,
): void {
  const a0s = A0;
  const a1s = A1;
  const a2s = A2;
  const b0s = B0;
  const b1s = B1;
  const bs = BIAS;
  const depth = k & DEPTH_MASK;
  for (let t = 0; t < panels; t++) {
    const aBase = (inAt + t * depth) & A_MASK;
    const aEnd = aBase + depth;
    const h = Math.min(MR, rows - t * MR);
    const o = outOff + t * MR * m;
    for (let j = 0, wb = wAt & B_MASK; j < m; j += NR, wb += depth) {
      // Masked, wb's range is known, so the index sum below needs no overflow check (~10%).
      const shift = (wb & B_MASK) - aBase;
      let c00 = 0;
      let c01 = 0;
      let c10 = 0;
      let c11 = 0;
      let c20 = 0;
      let c21 = 0;
      for (let qa = aBase; qa < aEnd; qa++) {
        const qb = qa + shift;
        const a0 = a0s[qa]!;
        const a1 = a1s[qa]!;
        const a2 = a2s[qa]!;
        const b0 = b0s[qb]!;
        const b1 = b1s[qb]!;
        c00 += a0 * b0;
        c01 += a0 * b1;
        c10 += a1 * b0;
        c11 += a1 * b1;
        c20 += a2 * b0;
        c21 += a2 * b1;
      }
      const bj = (bAt + j) & BIAS_MASK;
      const two = j + 1 < m;
      const beta0 = bs[bj]!;
      const beta1 = two ? bs[bj + 1]! : 0;
      let v00 = c00 + beta0;
      let v01 = c01 + beta1;
      let v10 = c10 + beta0;
      let v11 = c11 + beta1;
      let v20 = c20 + beta0;
      let v21 = c21 + beta1;
      if (act !== 0) {
        v00 = activate(v00, act);
        v01 = activate(v01, act);
        v10 = activate(v10, act);
        v11 = activate(v11, act);
        v20 = activate(v20, act);
        v21 = activate(v21, act);
      }
      // The clip written out: a helper called per entry was not inlined (TurboFan's budget is
      // spent on this function), and Math.min/max measured faster here than compares.
      const q = o + j;
      out[q] = Math.min(Math.max(v00, lo), hi);
      if (two) out[q + 1] = Math.min(Math.max(v01, lo), hi);
      if (h > 1) {
        out[q + m] = Math.min(Math.max(v10, lo), hi);
        if (two) out[q + m + 1] = Math.min(Math.max(v11, lo), hi);
      }
      if (h > 2) {
        out[q + 2 * m] = Math.min(Math.max(v20, lo), hi);
        if (two) out[q + 2 * m + 1] = Math.min(Math.max(v21, lo), hi);
      }
    }
  }
}
