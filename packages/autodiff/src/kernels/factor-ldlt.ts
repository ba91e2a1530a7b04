import { InvalidInputError } from '../errors.js';
import { dot, gemm } from './blas.js';
import { batchLabel, type FactorContext } from './factor-cholesky.js';
import { solveRightLowerTransposed, trsm } from './factor-triangular.js';

/**
 * LDLᵀ factors without pivoting, A = L·D·Lᵀ with L unit lower triangular and D diagonal, of a
 * batch of n×n symmetric matrices whose leading minors are all nonzero: positive definite ones,
 * and quasi-definite ones such as a regularized KKT matrix [[P + δI, Aᵀ], [A, −δI]], where the
 * signs of D give the inertia. Half the work of LU, and no square roots.
 */
export interface LdltFactor {
  readonly kind: 'ldlt';
  readonly n: number;
  readonly batch: number;
  /** `batch` row-major n×n blocks: L strictly below the diagonal, D on it, zeros above. */
  readonly ld: Float64Array;
}

const defaultContext: FactorContext = { op: 'ldlt', input: 'A' };
const EPS = 2 ** -52;

/**
 * Factors `batch` (default: all) row-major n×n symmetric matrices stored back to back in `a`
 * (lower triangles read, `a` not written). A pivot of magnitude at most n·ε·max|Aᵢⱼ| means a
 * leading minor is singular to working precision (this factorization does not pivot): that
 * throws an InvalidInputError naming the op, the input, the batch element and the pivot.
 */
export function ldltFactor(
  a: Float64Array,
  n: number,
  batch: number = a.length / (n * n),
  ctx: FactorContext = defaultContext,
): LdltFactor {
  const ld = new Float64Array(batch * n * n);
  for (let k = 0; k < batch; k++) {
    const o = k * n * n;
    let scale = 0;
    for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) scale = Math.max(scale, Math.abs(a[o + i * n + j]!));
    const pivot = ldltInto(a, n, ld, o, o, n * EPS * scale);
    if (pivot >= 0) {
      throw new InvalidInputError(
        `${ctx.op}: input '${ctx.input}'${batchLabel(batch, k)} has a singular leading minor: pivot ${pivot} is ` +
          `${ld[o + pivot * n + pivot]} (|pivot| must exceed ${(n * EPS * scale).toExponential(2)}; LDLᵀ does not pivot)`,
      );
    }
  }
  return { kind: 'ldlt', n, batch, ld };
}

/** Columns per block of the blocked factor. */
const NB = 24;
/** W = L[k0:k1, :k0]·D for the blocked update, grown on demand and reused across calls. */
let scaledRows = new Float64Array(0);

/**
 * The LDLᵀ factor of the n×n matrix at a[aOff…] (lower triangle read) into ld[lOff…] in the
 * layout of LdltFactor: no exception, and no allocation once a scratch block of NB·n has grown
 * to the largest n seen. `a` and `ld` may be the same view. Returns
 * −1, or the index of the first pivot with |d| ≤ tol (its value then left on the diagonal).
 * Left-looking and blocked: each block column first subtracts all earlier columns in one gemm,
 * L[k0:n, k0:k1] −= L[k0:n, :k0]·(L[k0:k1, :k0]·D)ᵀ, then factors its rows.
 */
export function ldltInto(a: Float64Array, n: number, ld: Float64Array, aOff = 0, lOff = 0, tol = 0): number {
  for (let i = 0; i < n; i++) {
    const rowA = aOff + i * n;
    const rowL = lOff + i * n;
    if (a !== ld || aOff !== lOff) for (let j = 0; j <= i; j++) ld[rowL + j] = a[rowA + j]!;
    for (let j = i + 1; j < n; j++) ld[rowL + j] = 0;
  }
  if (n > NB && scaledRows.length < NB * n) scaledRows = new Float64Array(NB * n);
  const w = scaledRows;
  for (let k0 = 0; k0 < n; k0 += NB) {
    const k1 = Math.min(n, k0 + NB);
    const diag = lOff + k0 * n + k0;
    if (k0 > 0) {
      // W = L[k0:k1, :k0]·D (kb×k0, leading dimension k0), the scaled rows the update multiplies by.
      for (let i = k0; i < k1; i++) {
        for (let p = 0; p < k0; p++) w[(i - k0) * k0 + p] = ld[lOff + i * n + p]! * ld[lOff + p * n + p]!;
      }
      gemm(false, true, n - k0, k1 - k0, k0, -1, ld, lOff + k0 * n, n, w, 0, k0, 1, ld, diag, n);
      for (let i = k0; i < k1; i++) for (let j = i + 1; j < k1; j++) ld[lOff + i * n + j] = 0;
    }
    // The diagonal block's rows, each yielding its pivot: y_j = a_ij − Σ_{p<j} y_p·L_jp, then
    // L_ij = y_j / d_j and d_i = a_ii − Σ_j y_j·L_ij.
    for (let i = k0; i < k1; i++) {
      const row = lOff + i * n + k0;
      const count = i - k0;
      for (let j = 0; j < count; j++) ld[row + j]! -= dot(j, ld, ld, row, lOff + (k0 + j) * n + k0);
      let dSum = 0;
      for (let j = 0; j < count; j++) {
        const y = ld[row + j]!;
        const l = y / ld[lOff + (k0 + j) * n + k0 + j]!;
        dSum += y * l;
        ld[row + j] = l;
      }
      const d = ld[row + count]! - dSum;
      ld[row + count] = d;
      if (!(Math.abs(d) > tol)) return i;
    }
    solvePanel(ld, n, k0, k1, lOff);
  }
  return -1;
}

/**
 * The panel below a diagonal block, L[k1:n, k0:k1] ← A₂₁·L₁₁⁻ᵀ·D₁⁻¹: Y = L₂₁·D₁ solves
 * Y·L₁₁ᵀ = A₂₁ (L₁₁ unit lower), then each column is divided by its pivot.
 */
function solvePanel(ld: Float64Array, n: number, k0: number, k1: number, lOff: number): void {
  const diag = lOff + k0 * n + k0;
  const kb = k1 - k0;
  solveRightLowerTransposed(true, n - k1, kb, ld, diag, n, ld, diag + kb * n, n);
  for (let j = 0; j < kb; j++) {
    const inv = 1 / ld[diag + j * n + j]!;
    for (let r = k1; r < n; r++) ld[lOff + r * n + k0 + j]! *= inv;
  }
}

/** Solves A_k·X = B in place for batch element k: x (n×nrhs at xOff) holds B and receives X. */
export function ldltSolveInto(f: LdltFactor, k: number, x: Float64Array, xOff: number, nrhs: number): void {
  const { n, ld } = f;
  const o = k * n * n;
  trsm({ lower: true, unitDiagonal: true }, n, nrhs, ld, o, n, x, xOff, nrhs);
  for (let i = 0; i < n; i++) {
    const inv = 1 / ld[o + i * n + i]!;
    for (let r = 0; r < nrhs; r++) x[xOff + i * nrhs + r]! *= inv;
  }
  trsm({ lower: true, transpose: true, unitDiagonal: true }, n, nrhs, ld, o, n, x, xOff, nrhs);
}

/** X = A⁻¹B for every batch element; `b` holds `batch` n×nrhs blocks (default: one column each) and is not written. */
export function ldltSolve(f: LdltFactor, b: Float64Array, nrhs: number = b.length / (f.batch * f.n)): Float64Array {
  const x = Float64Array.from(b);
  const block = f.n * nrhs;
  for (let k = 0; k < f.batch; k++) ldltSolveInto(f, k, x, k * block, nrhs);
  return x;
}

/** The number of negative pivots of each batch element: by Sylvester's law, A's count of negative eigenvalues. */
export function ldltNegativePivots(f: LdltFactor): Int32Array {
  const { n, batch, ld } = f;
  const out = new Int32Array(batch);
  for (let k = 0; k < batch; k++) for (let i = 0; i < n; i++) if (ld[k * n * n + i * n + i]! < 0) out[k]!++;
  return out;
}
