/**
 * Triangular solves on row-major views, the building block of the Cholesky and LU solves.
 * They work in place on the right-hand side (a caller-owned buffer) and read only the named
 * triangle of T, so the factor may share storage with anything in the other triangle.
 */

import { gemm } from './blas.js';

export interface TriangularOptions {
  /** T is lower triangular (else upper). */
  readonly lower: boolean;
  /** Solve Tᵀ X = B instead of T X = B. */
  readonly transpose?: boolean;
  /** Take T's diagonal as ones without reading it (the L of an LU factor). */
  readonly unitDiagonal?: boolean;
}

/** Row blocks of the blocked solve; below this order, or for fewer right-hand sides, the rows are resolved one by one. */
const NB = 32;
const BLOCKED_MIN_RHS = 4;

/**
 * Solves op(T)·X = B in place: B (n×nrhs, leading dimension ldb) is overwritten with X. T is an
 * n×n view. A zero on T's diagonal gives ±Infinity/NaN; callers that cannot rule it out check first.
 * Large solves are blocked: before a block of NB rows is resolved, the contribution of every row
 * already solved is subtracted from it in one gemm, which holds nearly all of the n²·nrhs/2
 * multiply-adds.
 */
export function trsm(
  opts: TriangularOptions,
  n: number,
  nrhs: number,
  t: Float64Array,
  tOff: number,
  ldt: number,
  b: Float64Array,
  bOff: number,
  ldb: number,
): void {
  if (n <= NB || nrhs < BLOCKED_MIN_RHS) {
    trsmUnblocked(opts, n, nrhs, t, tOff, ldt, b, bOff, ldb);
    return;
  }
  const transpose = opts.transpose ?? false;
  const forward = opts.lower !== transpose;
  for (let step = 0; step < n; step += NB) {
    // Rows i0..i1 of X, taken first to last (forward) or last to first.
    const i0 = forward ? step : Math.max(0, n - step - NB);
    const i1 = forward ? Math.min(n, step + NB) : n - step;
    const rows = i1 - i0;
    if (forward && i0 > 0) {
      // B[i0:i1] −= op(T)[i0:i1, 0:i0]·X[0:i0]; op(T)'s block is T's rows (or, transposed, its columns).
      const aOff = transpose ? tOff + i0 : tOff + i0 * ldt;
      gemm(transpose, false, rows, nrhs, i0, -1, t, aOff, ldt, b, bOff, ldb, 1, b, bOff + i0 * ldb, ldb);
    } else if (!forward && i1 < n) {
      // B[i0:i1] −= op(T)[i0:i1, i1:n]·X[i1:n].
      const aOff = transpose ? tOff + i1 * ldt + i0 : tOff + i0 * ldt + i1;
      gemm(transpose, false, rows, nrhs, n - i1, -1, t, aOff, ldt, b, bOff + i1 * ldb, ldb, 1, b, bOff + i0 * ldb, ldb);
    }
    trsmUnblocked(opts, rows, nrhs, t, tOff + i0 * ldt + i0, ldt, b, bOff + i0 * ldb, ldb);
  }
}

/** trsm one row at a time: each row of X is its row of B minus multiples of the rows already solved. */
function trsmUnblocked(
  opts: TriangularOptions,
  n: number,
  nrhs: number,
  t: Float64Array,
  tOff: number,
  ldt: number,
  b: Float64Array,
  bOff: number,
  ldb: number,
): void {
  const { lower, transpose = false, unitDiagonal = false } = opts;
  // Element (i, j) of op(T) sits at tOff + i*si + j*sj.
  const si = transpose ? 1 : ldt;
  const sj = transpose ? ldt : 1;
  // op(T) is lower triangular exactly when T is lower and not transposed, or upper and transposed:
  // then rows are resolved first to last (forward substitution), else last to first.
  const forward = lower !== transpose;
  for (let step = 0; step < n; step++) {
    const i = forward ? step : n - 1 - step;
    const rowI = bOff + i * ldb;
    const jStart = forward ? 0 : i + 1;
    const jEnd = forward ? i : n;
    // Row i of X = (row i of B − Σⱼ op(T)ᵢⱼ · row j of X) / op(T)ᵢᵢ, with the rows j already solved.
    for (let j = jStart; j < jEnd; j++) {
      const tij = t[tOff + i * si + j * sj]!;
      if (tij === 0) continue;
      const rowJ = bOff + j * ldb;
      for (let r = 0; r < nrhs; r++) b[rowI + r]! -= tij * b[rowJ + r]!;
    }
    if (!unitDiagonal) {
      const inv = 1 / t[tOff + i * ldt + i]!;
      for (let r = 0; r < nrhs; r++) b[rowI + r]! *= inv;
    }
  }
}

/**
 * The index of the first zero or non-finite diagonal entry of an n×n view, or −1 if none: a
 * triangular matrix is singular exactly when its diagonal has a zero.
 */
export function findZeroDiagonal(n: number, t: Float64Array, tOff: number, ldt: number): number {
  for (let i = 0; i < n; i++) {
    const d = t[tOff + i * ldt + i]!;
    if (d === 0 || !Number.isFinite(d)) return i;
  }
  return -1;
}
