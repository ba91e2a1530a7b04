import { InvalidInputError } from '../../errors.js';

/**
 * Compressed sparse column storage. Column j's entries are rows `rowIdx[colPtr[j] .. colPtr[j+1])`
 * (strictly increasing within a column) with values at the same positions. A pattern is shared by
 * every matrix that has it, so symbolic work done on a pattern (orderings, elimination trees) is
 * reused across iterations, batch elements and calls.
 */
export interface CscPattern {
  readonly nrows: number;
  readonly ncols: number;
  /** Length ncols + 1, colPtr[0] = 0, colPtr[ncols] = nnz. */
  readonly colPtr: Int32Array;
  /** Length nnz. */
  readonly rowIdx: Int32Array;
}

/** A sparse matrix: a pattern and its nonzero values (length nnz, in pattern order). */
export interface CscMatrix extends CscPattern {
  readonly values: Float64Array;
}

/** Number of stored entries of a pattern. */
export function nnzOf(p: CscPattern): number {
  return p.colPtr[p.ncols]!;
}

/**
 * Throws an InvalidInputError naming `who` unless `p` is a well-formed pattern: colPtr of length
 * ncols + 1, nondecreasing from 0, rows in range and strictly increasing within each column.
 */
export function validateCsc(p: CscPattern, who = 'csc'): void {
  const { nrows, ncols, colPtr, rowIdx } = p;
  if (!Number.isInteger(nrows) || !Number.isInteger(ncols) || nrows < 0 || ncols < 0) {
    throw new InvalidInputError(`${who}: dimensions must be nonnegative integers, got ${nrows}×${ncols}`);
  }
  if (colPtr.length !== ncols + 1 || colPtr[0] !== 0) {
    throw new InvalidInputError(`${who}: colPtr must have length ncols + 1 = ${ncols + 1} and start at 0`);
  }
  if (rowIdx.length < colPtr[ncols]!) throw new InvalidInputError(`${who}: rowIdx is shorter than colPtr[ncols] = ${colPtr[ncols]}`);
  for (let j = 0; j < ncols; j++) {
    const lo = colPtr[j]!;
    const hi = colPtr[j + 1]!;
    if (hi < lo) throw new InvalidInputError(`${who}: colPtr decreases at column ${j}`);
    for (let p = lo; p < hi; p++) {
      const i = rowIdx[p]!;
      if (i < 0 || i >= nrows) throw new InvalidInputError(`${who}: row index ${i} in column ${j} is outside 0..${nrows - 1}`);
      if (p > lo && i <= rowIdx[p - 1]!) throw new InvalidInputError(`${who}: rows of column ${j} are not strictly increasing`);
    }
  }
}

/** The CSC form of a row-major nrows×ncols dense matrix, keeping entries with |a| > dropTol (default: nonzeros). */
export function cscFromDense(a: Float64Array, nrows: number, ncols: number, dropTol = 0): CscMatrix {
  if (a.length !== nrows * ncols) throw new InvalidInputError(`cscFromDense: expected ${nrows * ncols} values, got ${a.length}`);
  const colPtr = new Int32Array(ncols + 1);
  let nnz = 0;
  for (let j = 0; j < ncols; j++) {
    for (let i = 0; i < nrows; i++) if (Math.abs(a[i * ncols + j]!) > dropTol) nnz++;
    colPtr[j + 1] = nnz;
  }
  const rowIdx = new Int32Array(nnz);
  const values = new Float64Array(nnz);
  let p = 0;
  for (let j = 0; j < ncols; j++) {
    for (let i = 0; i < nrows; i++) {
      const v = a[i * ncols + j]!;
      if (Math.abs(v) > dropTol) (rowIdx[p] = i), (values[p++] = v);
    }
  }
  return { nrows, ncols, colPtr, rowIdx, values };
}

/** The row-major dense form of a CSC matrix. */
export function cscToDense(a: CscMatrix): Float64Array {
  const out = new Float64Array(a.nrows * a.ncols);
  for (let j = 0; j < a.ncols; j++) {
    for (let p = a.colPtr[j]!; p < a.colPtr[j + 1]!; p++) out[a.rowIdx[p]! * a.ncols + j] = a.values[p]!;
  }
  return out;
}

/**
 * A CSC matrix from coordinate (COO) triplets; duplicates are summed (the finite-element
 * assembly convention), explicit zeros kept. Also returns `map`: triplet t landed at map[t], so
 * new values on the same triplets can be re-assembled without sorting again.
 */
export function cscFromTriplets(
  nrows: number,
  ncols: number,
  rows: ArrayLike<number>,
  cols: ArrayLike<number>,
  vals: ArrayLike<number>,
): CscMatrix & { readonly map: Int32Array } {
  const t = rows.length;
  if (cols.length !== t || vals.length !== t) {
    throw new InvalidInputError(`cscFromTriplets: rows, cols and values must have one length, got ${t}, ${cols.length}, ${vals.length}`);
  }
  // Counting sort by row, then a stable bucket by column: rows come out increasing per column.
  const byRow = new Int32Array(nrows + 1);
  for (let k = 0; k < t; k++) {
    const i = rows[k]!;
    const j = cols[k]!;
    if (!(i >= 0 && i < nrows && j >= 0 && j < ncols && Number.isInteger(i) && Number.isInteger(j))) {
      throw new InvalidInputError(`cscFromTriplets: triplet ${k} at (${i}, ${j}) is outside the ${nrows}×${ncols} matrix`);
    }
    byRow[i + 1]!++;
  }
  for (let i = 0; i < nrows; i++) byRow[i + 1]! += byRow[i]!;
  const order = new Int32Array(t);
  for (let k = 0; k < t; k++) order[byRow[rows[k]!]!++] = k;
  const byCol = new Int32Array(ncols + 1);
  for (let k = 0; k < t; k++) byCol[cols[k]! + 1]!++;
  for (let j = 0; j < ncols; j++) byCol[j + 1]! += byCol[j]!;
  const sorted = new Int32Array(t);
  for (let q = 0; q < t; q++) {
    const k = order[q]!;
    sorted[byCol[cols[k]!]!++] = k;
  }
  // Merge duplicates (now adjacent).
  const colPtr = new Int32Array(ncols + 1);
  const rowTmp = new Int32Array(t);
  const valTmp = new Float64Array(t);
  const map = new Int32Array(t);
  let nnz = 0;
  let q = 0;
  for (let j = 0; j < ncols; j++) {
    const start = nnz;
    for (; q < t && cols[sorted[q]!] === j; q++) {
      const k = sorted[q]!;
      const i = rows[k]!;
      if (nnz > start && rowTmp[nnz - 1] === i) valTmp[nnz - 1]! += vals[k]!;
      else (rowTmp[nnz] = i), (valTmp[nnz++] = vals[k]!);
      map[k] = nnz - 1;
    }
    colPtr[j + 1] = nnz;
  }
  return { nrows, ncols, colPtr, rowIdx: rowTmp.slice(0, nnz), values: valTmp.slice(0, nnz), map };
}

/** Aᵀ in CSC (rows come out sorted). Also returns `map`: A's entry p is Aᵀ's entry map[p]. */
export function cscTranspose(a: CscMatrix): CscMatrix & { readonly map: Int32Array } {
  const { nrows, ncols, colPtr, rowIdx, values } = a;
  const nnz = colPtr[ncols]!;
  const tPtr = new Int32Array(nrows + 1);
  for (let p = 0; p < nnz; p++) tPtr[rowIdx[p]! + 1]!++;
  for (let i = 0; i < nrows; i++) tPtr[i + 1]! += tPtr[i]!;
  const next = tPtr.slice(0, nrows);
  const tRow = new Int32Array(nnz);
  const tVal = new Float64Array(nnz);
  const map = new Int32Array(nnz);
  for (let j = 0; j < ncols; j++) {
    for (let p = colPtr[j]!; p < colPtr[j + 1]!; p++) {
      const q = next[rowIdx[p]!]!++;
      tRow[q] = j;
      tVal[q] = values[p]!;
      map[p] = q;
    }
  }
  return { nrows: ncols, ncols: nrows, colPtr: tPtr, rowIdx: tRow, values: tVal, map };
}

/**
 * The upper triangle (i ≤ j) of a square CSC matrix, every diagonal entry present (a missing
 * one is stored as an explicit 0: LDLᵀ regularization writes there). `map[p]` is where A's entry
 * p went, −1 if it was below the diagonal.
 */
export function cscUpper(a: CscMatrix): CscMatrix & { readonly map: Int32Array } {
  const { ncols: n, colPtr, rowIdx, values } = a;
  if (a.nrows !== n) throw new InvalidInputError(`cscUpper: matrix must be square, got ${a.nrows}×${n}`);
  const uPtr = new Int32Array(n + 1);
  for (let j = 0; j < n; j++) {
    let c = 0;
    let diag = false;
    for (let p = colPtr[j]!; p < colPtr[j + 1]!; p++) {
      const i = rowIdx[p]!;
      if (i <= j) c++;
      if (i === j) diag = true;
    }
    uPtr[j + 1] = uPtr[j]! + c + (diag ? 0 : 1);
  }
  const nnz = uPtr[n]!;
  const uRow = new Int32Array(nnz);
  const uVal = new Float64Array(nnz);
  const map = new Int32Array(colPtr[n]!).fill(-1);
  for (let j = 0; j < n; j++) {
    let q = uPtr[j]!;
    for (let p = colPtr[j]!; p < colPtr[j + 1]!; p++) {
      const i = rowIdx[p]!;
      if (i < j) (uRow[q] = i), (uVal[q] = values[p]!), (map[p] = q++);
      else if (i === j) (uRow[q] = i), (uVal[q] = values[p]!), (map[p] = q++);
    }
    if (q < uPtr[j + 1]!) (uRow[q] = j), (uVal[q] = 0);
  }
  return { nrows: n, ncols: n, colPtr: uPtr, rowIdx: uRow, values: uVal, map };
}

/** y = A·x (y overwritten, length nrows). */
export function cscMultiply(a: CscMatrix, x: Float64Array, y: Float64Array): Float64Array {
  const { ncols, colPtr, rowIdx, values } = a;
  y.fill(0, 0, a.nrows);
  for (let j = 0; j < ncols; j++) {
    const xj = x[j]!;
    if (xj === 0) continue;
    for (let p = colPtr[j]!; p < colPtr[j + 1]!; p++) y[rowIdx[p]!]! += values[p]! * xj;
  }
  return y;
}

/** y = Aᵀ·x (y overwritten, length ncols). */
export function cscMultiplyTransposed(a: CscMatrix, x: Float64Array, y: Float64Array): Float64Array {
  const { ncols, colPtr, rowIdx, values } = a;
  for (let j = 0; j < ncols; j++) {
    let s = 0;
    for (let p = colPtr[j]!; p < colPtr[j + 1]!; p++) s += values[p]! * x[rowIdx[p]!]!;
    y[j] = s;
  }
  return y;
}

/**
 * y = K·x for the symmetric K whose upper triangle (i ≤ j) is stored in `upper`'s pattern with
 * `values` (entries below the diagonal, if any, are ignored). y overwritten.
 */
export function cscSymmetricMultiply(upper: CscPattern, values: Float64Array, x: Float64Array, y: Float64Array): Float64Array {
  const { ncols: n, colPtr, rowIdx } = upper;
  y.fill(0, 0, n);
  for (let j = 0; j < n; j++) {
    const xj = x[j]!;
    let s = 0;
    for (let p = colPtr[j]!; p < colPtr[j + 1]!; p++) {
      const i = rowIdx[p]!;
      const v = values[p]!;
      if (i < j) {
        y[i]! += v * xj;
        s += v * x[i]!;
      } else if (i === j) s += v * xj;
    }
    y[j]! += s;
  }
  return y;
}
