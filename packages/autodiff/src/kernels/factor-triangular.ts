/**
 * Triangular solves on row-major views, the building block of the Cholesky and LU solves.
 * They work in place on the right-hand side (a caller-owned buffer) and read only the named
 * triangle of T, so the factor may share storage with anything in the other triangle.
 */

import { dot, gemm } from './blas.js';

export interface TriangularOptions {
  /** T is lower triangular (else upper). */
  readonly lower: boolean;
  /** Solve Tᵀ X = B instead of T X = B. */
  readonly transpose?: boolean;
  /** Take T's diagonal as ones without reading it (the L of an LU factor). */
  readonly unitDiagonal?: boolean;
}

/** Below this order, or for fewer right-hand sides, rows are resolved one by one. */
const LEAF = 16;
const BLOCKED_MIN_RHS = 4;

/**
 * Solves op(T)·X = B in place: B (n×nrhs, leading dimension ldb) is overwritten with X. T is an
 * n×n view. A zero on T's diagonal gives ±Infinity/NaN; callers that cannot rule it out check first.
 * Large solves recurse on halves: solve the half that comes first, subtract its contribution
 * from the other half's rows in one gemm, solve that half. All but O(n·LEAF·nrhs) of the
 * n²·nrhs/2 multiply-adds land in gemm.
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
  if (n <= LEAF || nrhs < BLOCKED_MIN_RHS) {
    trsmUnblocked(opts, n, nrhs, t, tOff, ldt, b, bOff, ldb);
    return;
  }
  const transpose = opts.transpose ?? false;
  const h = n >> 1;
  const low = bOff + h * ldb;
  const t22 = tOff + h * ldt + h;
  if (opts.lower !== transpose) {
    // op(T) = [[T₁₁, 0], [T₂₁, T₂₂]]: X₁, then B₂ −= op(T)₂₁·X₁; op(T)₂₁ is T's block (h:n, 0:h), or (0:h, h:n) transposed.
    trsm(opts, h, nrhs, t, tOff, ldt, b, bOff, ldb);
    gemm(transpose, false, n - h, nrhs, h, -1, t, transpose ? tOff + h : tOff + h * ldt, ldt, b, bOff, ldb, 1, b, low, ldb);
    trsm(opts, n - h, nrhs, t, t22, ldt, b, low, ldb);
  } else {
    // op(T) = [[T₁₁, T₁₂], [0, T₂₂]]: X₂, then B₁ −= op(T)₁₂·X₂; op(T)₁₂ is T's block (0:h, h:n), or (h:n, 0:h) transposed.
    trsm(opts, n - h, nrhs, t, t22, ldt, b, low, ldb);
    gemm(transpose, false, h, nrhs, n - h, -1, t, transpose ? tOff + h * ldt : tOff + h, ldt, b, low, ldb, 1, b, bOff, ldb);
    trsm(opts, h, nrhs, t, tOff, ldt, b, bOff, ldb);
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
  if (nrhs === 1) {
    solveVector(lower, transpose, unitDiagonal, n, t, tOff, ldt, b, bOff, ldb);
    return;
  }
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
 * One right-hand side, every form of T, reading T by rows (contiguous): without transpose, x_i is
 * its row's dot product with the x already solved; transposed, each solved x_k is subtracted along
 * row k of T (an axpy), last row first for lower T, first row first for upper T.
 */
function solveVector(
  lower: boolean,
  transpose: boolean,
  unitDiagonal: boolean,
  n: number,
  t: Float64Array,
  tOff: number,
  ldt: number,
  b: Float64Array,
  bOff: number,
  ldb: number,
): void {
  if (!transpose) {
    for (let step = 0; step < n; step++) {
      const i = lower ? step : n - 1 - step;
      const row = tOff + i * ldt;
      const j0 = lower ? 0 : i + 1;
      const j1 = lower ? i : n;
      let s = 0;
      if (ldb === 1) s = dot(j1 - j0, t, b, row + j0, bOff + j0);
      else for (let j = j0; j < j1; j++) s += t[row + j]! * b[bOff + j * ldb]!;
      b[bOff + i * ldb] = (b[bOff + i * ldb]! - s) / (unitDiagonal ? 1 : t[row + i]!);
    }
    return;
  }
  for (let step = 0; step < n; step++) {
    const k = lower ? n - 1 - step : step;
    const row = tOff + k * ldt;
    const xk = (b[bOff + k * ldb] = b[bOff + k * ldb]! / (unitDiagonal ? 1 : t[row + k]!));
    if (xk === 0) continue;
    const j0 = lower ? 0 : k + 1;
    const j1 = lower ? k : n;
    for (let j = j0; j < j1; j++) b[bOff + j * ldb]! -= t[row + j]! * xk;
  }
}

/**
 * Solves X·Tᵀ = B in place for X (rows×n, leading dimension ldb, B on entry), T an n×n lower
 * triangular view (unit diagonal not read if `unitDiagonal`). The panel solve of the blocked
 * Cholesky and LDLᵀ factors (n one block), and L⁻¹ applied to many right-hand sides stored as
 * rows. Large n recurses on halves of T's columns: X₁ = B₁T₁₁⁻ᵀ, B₂ −= X₁T₂₁ᵀ in one gemm,
 * X₂ = B₂T₂₂⁻ᵀ, so all but O(rows·n·LEAF) of the rows·n²/2 multiply-adds land in gemm.
 */
export function solveRightLowerTransposed(
  unitDiagonal: boolean,
  rows: number,
  n: number,
  t: Float64Array,
  tOff: number,
  ldt: number,
  b: Float64Array,
  bOff: number,
  ldb: number,
): void {
  if (n <= 2 * LEAF || rows < BLOCKED_MIN_RHS) {
    solveRightLowerTransposedUnblocked(unitDiagonal, rows, n, t, tOff, ldt, b, bOff, ldb);
    return;
  }
  const h = n >> 1;
  solveRightLowerTransposed(unitDiagonal, rows, h, t, tOff, ldt, b, bOff, ldb);
  gemm(false, true, rows, n - h, h, -1, b, bOff, ldb, t, tOff + h * ldt, ldt, 1, b, bOff + h, ldb);
  solveRightLowerTransposed(unitDiagonal, rows, n - h, t, tOff + h * ldt + h, ldt, b, bOff + h, ldb);
}

/** Forward substitution along each row of X, four rows at a time so each entry of T loaded serves four multiply-adds. */
function solveRightLowerTransposedUnblocked(
  unitDiagonal: boolean,
  rows: number,
  n: number,
  t: Float64Array,
  tOff: number,
  ldt: number,
  b: Float64Array,
  bOff: number,
  ldb: number,
): void {
  let i = 0;
  for (; i + 3 < rows; i += 4) {
    const r0 = bOff + i * ldb;
    const r1 = r0 + ldb;
    const r2 = r1 + ldb;
    const r3 = r2 + ldb;
    for (let j = 0; j < n; j++) {
      const rowJ = tOff + j * ldt;
      let s0 = b[r0 + j]!;
      let s1 = b[r1 + j]!;
      let s2 = b[r2 + j]!;
      let s3 = b[r3 + j]!;
      for (let p = 0; p < j; p++) {
        const tjp = t[rowJ + p]!;
        s0 -= b[r0 + p]! * tjp;
        s1 -= b[r1 + p]! * tjp;
        s2 -= b[r2 + p]! * tjp;
        s3 -= b[r3 + p]! * tjp;
      }
      const inv = unitDiagonal ? 1 : 1 / t[rowJ + j]!;
      b[r0 + j] = s0 * inv;
      b[r1 + j] = s1 * inv;
      b[r2 + j] = s2 * inv;
      b[r3 + j] = s3 * inv;
    }
  }
  for (; i < rows; i++) {
    const row = bOff + i * ldb;
    for (let j = 0; j < n; j++) {
      const rowJ = tOff + j * ldt;
      const s = b[row + j]! - dot(j, b, t, row, rowJ);
      b[row + j] = unitDiagonal ? s : s / t[rowJ + j]!;
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
