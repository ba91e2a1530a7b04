import { InvalidInputError } from '../errors.js';
import { batchLabel, type FactorContext } from './factor-cholesky.js';
import { gemm } from './blas.js';
import { trsm } from './factor-triangular.js';

/**
 * LU factors with partial pivoting, P·A = L·U, of a batch of n×n matrices. Factor once, then
 * solve with A or Aᵀ against any number of right-hand sides.
 */
export interface LuFactor {
  readonly kind: 'lu';
  readonly n: number;
  readonly batch: number;
  /** `batch` row-major n×n blocks: U on and above the diagonal, L (unit diagonal, not stored) below. */
  readonly lu: Float64Array;
  /** LAPACK-style row interchanges: at step j of element k, row j was swapped with row `pivots[k*n + j]`. */
  readonly pivots: Int32Array;
}

const defaultContext: FactorContext = { op: 'lu', input: 'A' };
const EPS = 2 ** -52;

/**
 * Factors `batch` (default: all) row-major n×n matrices stored back to back in `a` (not written). A pivot of
 * magnitude at most n·ε·max|Aᵢⱼ| means the matrix is singular to working precision: that throws
 * an InvalidInputError naming the op, the input, the batch element and the column, rather than
 * returning a factor whose solves would be noise.
 */
export function luFactor(a: Float64Array, n: number, batch: number = a.length / (n * n), ctx: FactorContext = defaultContext): LuFactor {
  const lu = Float64Array.from(a);
  const pivots = new Int32Array(batch * n);
  for (let k = 0; k < batch; k++) {
    const o = k * n * n;
    let scale = 0;
    for (let i = 0; i < n * n; i++) scale = Math.max(scale, Math.abs(lu[o + i]!));
    const tol = n * EPS * scale;
    const j = luInPlace(lu, n, o, pivots, k * n, tol);
    if (j >= 0) {
      let best = 0;
      for (let i = j; i < n; i++) best = Math.max(best, Math.abs(lu[o + i * n + j]!));
      throw new InvalidInputError(
        `${ctx.op}: input '${ctx.input}'${batchLabel(batch, k)} is singular to working precision: ` +
          `no pivot in column ${j} exceeds ${tol.toExponential(2)} in magnitude (largest is ${best})`,
      );
    }
  }
  return { kind: 'lu', n, batch, lu, pivots };
}

/**
 * The LU factor of the n×n matrix at a[aOff…] (not written) into `lu` and `pivots` (luFactor's
 * layout, batch element 0), without allocating or throwing: for solvers that try a factor and
 * fall back to another method when it is singular. Returns −1, or the first column with no pivot
 * above n·ε·max|Aᵢⱼ| (the factor is then incomplete).
 */
export function luInto(a: Float64Array, n: number, lu: Float64Array, pivots: Int32Array, aOff = 0): number {
  let scale = 0;
  for (let i = 0; i < n * n; i++) {
    const v = a[aOff + i]!;
    lu[i] = v;
    scale = Math.max(scale, Math.abs(v));
  }
  return luInPlace(lu, n, 0, pivots, 0, n * EPS * scale);
}

/** Panel width at which the recursion below stops: such a panel is factored column by column. */
const NB = 16;

/**
 * LU with partial pivoting of the n×n matrix at lu[o…], in place; row interchanges go to
 * pivots[pOff…]. Recursive on columns (Toledo's LU): factor the left half of the panel, solve
 * U₁₂ = L₁₁⁻¹A₁₂, update A₂₂ −= L₂₁·U₁₂ in one gemm, factor the right half. The products then
 * have shapes of order n/2 instead of a fixed panel's depth, so nearly all n³/3 multiply-adds run
 * at gemm's speed. Rows are swapped whole, so every column sees every interchange.
 * Returns −1, or the first column with no pivot above `tol` (the factor is then incomplete).
 */
function luInPlace(lu: Float64Array, n: number, o: number, pivots: Int32Array, pOff: number, tol: number): number {
  return luPanel(lu, n, o, pivots, pOff, tol, 0, n);
}

/** Factors the columns c0…c0+w−1 on rows c0…n−1 (earlier columns' updates already applied). */
function luPanel(lu: Float64Array, n: number, o: number, pivots: Int32Array, pOff: number, tol: number, c0: number, w: number): number {
  if (w <= NB) return luColumns(lu, n, o, pivots, pOff, tol, c0, c0 + w);
  // A multiple of NB on the left keeps the leaves full.
  const h = Math.max(NB, Math.floor(w / 2 / NB) * NB);
  const left = luPanel(lu, n, o, pivots, pOff, tol, c0, h);
  if (left >= 0) return left;
  const c1 = c0 + h;
  const r = w - h;
  trsm({ lower: true, unitDiagonal: true }, h, r, lu, o + c0 * n + c0, n, lu, o + c0 * n + c1, n);
  if (c1 < n) gemm(false, false, n - c1, r, h, -1, lu, o + c1 * n + c0, n, lu, o + c0 * n + c1, n, 1, lu, o + c1 * n + c1, n);
  return luPanel(lu, n, o, pivots, pOff, tol, c1, r);
}

/** Unblocked right-looking LU of columns k0…k1−1 on rows k0…n−1 (updates stay inside the panel). */
function luColumns(lu: Float64Array, n: number, o: number, pivots: Int32Array, pOff: number, tol: number, k0: number, k1: number): number {
  for (let j = k0; j < k1; j++) {
    let p = j;
    let best = Math.abs(lu[o + j * n + j]!);
    for (let i = j + 1; i < n; i++) {
      const v = Math.abs(lu[o + i * n + j]!);
      if (v > best) {
        best = v;
        p = i;
      }
    }
    if (!(best > tol)) return j;
    pivots[pOff + j] = p;
    if (p !== j) swapRows(lu, o + j * n, o + p * n, n);
    // Scale the column below the pivot, then subtract its outer product with the pivot row
    // from the rest of the panel, one contiguous row segment at a time.
    const rowJ = o + j * n;
    const inv = 1 / lu[rowJ + j]!;
    for (let i = j + 1; i < n; i++) {
      const rowI = o + i * n;
      const lij = (lu[rowI + j]! *= inv);
      if (lij === 0) continue;
      for (let c = j + 1; c < k1; c++) lu[rowI + c]! -= lij * lu[rowJ + c]!;
    }
  }
  return -1;
}

function swapRows(x: Float64Array, r1: number, r2: number, width: number): void {
  for (let c = 0; c < width; c++) {
    const t = x[r1 + c]!;
    x[r1 + c] = x[r2 + c]!;
    x[r2 + c] = t;
  }
}

/**
 * Solves A_k·X = B (or A_kᵀ·X = B with `transpose`) in place for batch element k: x (n×nrhs at
 * xOff) holds B and receives X.
 */
export function luSolveInto(f: LuFactor, k: number, x: Float64Array, xOff: number, nrhs: number, transpose = false): void {
  const { n, lu, pivots } = f;
  const o = k * n * n;
  if (!transpose) {
    // A = Pᵀ L U: apply the interchanges in order, then L⁻¹ and U⁻¹.
    for (let j = 0; j < n; j++) {
      const p = pivots[k * n + j]!;
      if (p !== j) swapRows(x, xOff + j * nrhs, xOff + p * nrhs, nrhs);
    }
    trsm({ lower: true, unitDiagonal: true }, n, nrhs, lu, o, n, x, xOff, nrhs);
    trsm({ lower: false }, n, nrhs, lu, o, n, x, xOff, nrhs);
  } else {
    // Aᵀ = Uᵀ Lᵀ P: U⁻ᵀ, then L⁻ᵀ, then the interchanges in reverse order.
    trsm({ lower: false, transpose: true }, n, nrhs, lu, o, n, x, xOff, nrhs);
    trsm({ lower: true, transpose: true, unitDiagonal: true }, n, nrhs, lu, o, n, x, xOff, nrhs);
    for (let j = n - 1; j >= 0; j--) {
      const p = pivots[k * n + j]!;
      if (p !== j) swapRows(x, xOff + j * nrhs, xOff + p * nrhs, nrhs);
    }
  }
}

/**
 * X = A⁻¹B (or A⁻ᵀB) for every batch element; `b` holds `batch` n×nrhs blocks (default: one column
 * each) and is not written.
 */
export function luSolve(f: LuFactor, b: Float64Array, nrhs: number = b.length / (f.batch * f.n), transpose = false): Float64Array {
  const x = Float64Array.from(b);
  const block = f.n * nrhs;
  for (let k = 0; k < f.batch; k++) luSolveInto(f, k, x, k * block, nrhs, transpose);
  return x;
}

/** sign(det A_k) and log|det A_k| for each batch element (no overflow for large n). */
export function luLogAbsDet(f: LuFactor): { readonly sign: Float64Array; readonly logAbsDet: Float64Array } {
  const { n, batch, lu, pivots } = f;
  const sign = new Float64Array(batch);
  const logAbsDet = new Float64Array(batch);
  for (let k = 0; k < batch; k++) {
    let s = 1;
    let l = 0;
    for (let j = 0; j < n; j++) {
      const u = lu[k * n * n + j * n + j]!;
      if (pivots[k * n + j] !== j) s = -s;
      if (u < 0) s = -s;
      l += Math.log(Math.abs(u));
    }
    sign[k] = s;
    logAbsDet[k] = l;
  }
  return { sign, logAbsDet };
}

/** det A_k for each batch element. */
export function luDet(f: LuFactor): Float64Array {
  const { sign, logAbsDet } = luLogAbsDet(f);
  // The direct product is exact for small n; fall back to exp(log) only where it would over/underflow.
  const { n, batch, lu } = f;
  const out = new Float64Array(batch);
  for (let k = 0; k < batch; k++) {
    let p = 1;
    for (let j = 0; j < n; j++) p *= Math.abs(lu[k * n * n + j * n + j]!);
    out[k] = sign[k]! * (p === 0 || !Number.isFinite(p) ? Math.exp(logAbsDet[k]!) : p);
  }
  return out;
}
