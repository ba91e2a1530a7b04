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
