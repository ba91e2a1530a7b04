import { InvalidInputError } from '../errors.js';
import { dot, gemm } from './blas.js';
import { solveRightLowerTransposed, trsm } from './factor-triangular.js';

/** Who asked for a factorization, so errors name the op and its input. */
export interface FactorContext {
  readonly op: string;
  readonly input: string;
}

/**
 * Lower Cholesky factors A = L·Lᵀ of a batch of n×n matrices. Factor once, then solve against
 * any number of right-hand sides (forward passes keep the factor for their backward pass).
 */
export interface CholeskyFactor {
  readonly kind: 'cholesky';
  readonly n: number;
  readonly batch: number;
  /** `batch` row-major n×n lower factors; the strict upper triangle holds zeros. */
  readonly l: Float64Array;
}

const defaultContext: FactorContext = { op: 'cholesky', input: 'A' };

/** " (batch element k)" for batches of more than one matrix, else nothing. */
export function batchLabel(batch: number, k: number): string {
  return batch > 1 ? ` (batch element ${k})` : '';
}

/**
 * Factors `batch` (default: all) row-major n×n symmetric positive definite matrices stored back to back in `a`,
 * reading only their lower triangles. Throws an InvalidInputError naming the op, the input, the
 * batch element and the failing pivot when a matrix is not positive definite. `a` is not written.
 */
export function choleskyFactor(
  a: Float64Array,
  n: number,
  batch: number = a.length / (n * n),
  ctx: FactorContext = defaultContext,
): CholeskyFactor {
  const l = new Float64Array(batch * n * n);
  for (let k = 0; k < batch; k++) {
    const o = k * n * n;
    const pivot = choleskyInto(a, n, l, o, o);
    if (pivot >= 0) {
      throw new InvalidInputError(
        `${ctx.op}: input '${ctx.input}'${batchLabel(batch, k)} is not positive definite: pivot ${pivot} is ${l[o + pivot * n + pivot]} (must be > 0)`,
      );
    }
  }
  return { kind: 'cholesky', n, batch, l };
}

/**
 * Up to this order the factor is unblocked (dot products of contiguous rows): a blocked step's
 * gemm calls cost more than they save on matrices this small.
 */
const UNBLOCKED_MAX = 24;
/** Columns per block of the blocked factor: the order of its diagonal blocks. */
const NB = 24;

/**
 * The lower Cholesky factor of the n×n matrix at a[aOff…] (lower triangle read) into l[lOff…],
 * strict upper triangle zeroed: no allocation and no exception, for solvers that factor many
 * times into one buffer. Returns −1, or the index of the first non-positive pivot (whose value
 * is then left on l's diagonal). `a` and `l` may be the same view (the factor then overwrites A).
 */
export function choleskyInto(a: Float64Array, n: number, l: Float64Array, aOff = 0, lOff = 0): number {
  if (n <= UNBLOCKED_MAX) return choleskyUnblocked(a, n, l, aOff, lOff);
  // Lower triangle of A into L, then a left-looking blocked factor in place: each block column
  // first subtracts all earlier columns in one gemm, L[k0:n, k0:k1] −= L[k0:n, :k0]·L[k0:k1, :k0]ᵀ
  // (nearly all of the n³/6 multiply-adds), then factors its diagonal block and solves the panel
  // below it against that block.
  for (let i = 0; i < n; i++) {
    const rowA = aOff + i * n;
    const rowL = lOff + i * n;
    if (a !== l || aOff !== lOff) for (let j = 0; j <= i; j++) l[rowL + j] = a[rowA + j]!;
    for (let j = i + 1; j < n; j++) l[rowL + j] = 0;
  }
  for (let k0 = 0; k0 < n; k0 += NB) {
    const k1 = Math.min(n, k0 + NB);
    const diag = lOff + k0 * n + k0;
    if (k0 > 0) gemm(false, true, n - k0, k1 - k0, k0, -1, l, lOff + k0 * n, n, l, lOff + k0 * n, n, 1, l, diag, n);
    // The gemm wrote the diagonal block's full square; the unblocked factor zeroes its upper part.
    const pivot = choleskyUnblocked(l, k1 - k0, l, diag, diag, n);
    if (pivot >= 0) return k0 + pivot;
    // The panel below: L₂₁ = A₂₁·L₁₁⁻ᵀ.
    solveRightLowerTransposed(false, n - k1, k1 - k0, l, diag, n, l, diag + (k1 - k0) * n, n);
  }
  return -1;
}

/**
 * Cholesky–Banachiewicz, row by row on an n×n view with leading dimension ld (each entry a dot
 * product of two contiguous rows of L). Same contract as choleskyInto.
 */
function choleskyUnblocked(a: Float64Array, n: number, l: Float64Array, aOff: number, lOff: number, ld = n): number {
  for (let i = 0; i < n; i++) {
    const rowA = aOff + i * ld;
    const rowI = lOff + i * ld;
    for (let j = 0; j <= i; j++) {
      const rowJ = lOff + j * ld;
      const s = a[rowA + j]! - dot(j, l, l, rowI, rowJ);
      if (i === j) {
        if (!(s > 0)) {
          l[rowI + i] = s;
          return i;
        }
        l[rowI + i] = Math.sqrt(s);
      } else {
        l[rowI + j] = s / l[rowJ + j]!;
      }
    }
    for (let j = i + 1; j < n; j++) l[rowI + j] = 0;
  }
  return -1;
}

/** Solves A_k·X = B in place for batch element k: x (n×nrhs at xOff) holds B and receives X. */
export function choleskySolveInto(f: CholeskyFactor, k: number, x: Float64Array, xOff: number, nrhs: number): void {
  const { n, l } = f;
  const lOff = k * n * n;
  trsm({ lower: true }, n, nrhs, l, lOff, n, x, xOff, nrhs);
  trsm({ lower: true, transpose: true }, n, nrhs, l, lOff, n, x, xOff, nrhs);
}

/** X = A⁻¹B for every batch element; `b` holds `batch` n×nrhs blocks (default: one column each) and is not written. */
export function choleskySolve(f: CholeskyFactor, b: Float64Array, nrhs: number = b.length / (f.batch * f.n)): Float64Array {
  const x = Float64Array.from(b);
  const block = f.n * nrhs;
  for (let k = 0; k < f.batch; k++) choleskySolveInto(f, k, x, k * block, nrhs);
  return x;
}

/** log det A_k = 2 Σᵢ log Lᵢᵢ for each batch element. */
export function choleskyLogDet(f: CholeskyFactor): Float64Array {
  const { n, batch, l } = f;
  const out = new Float64Array(batch);
  for (let k = 0; k < batch; k++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += Math.log(l[k * n * n + i * n + i]!);
    out[k] = 2 * s;
  }
  return out;
}
