import { InvalidInputError } from '../../errors.js';
import type { CscPattern } from './csc.js';

/**
 * The symbolic LDLᵀ analysis of a symmetric pattern under a symmetric permutation, done once per
 * pattern and shared by every numeric factorization of it (iterations, batch elements, calls).
 * Indices named "pivot" are positions in the permuted order; the others are the caller's.
 */
export interface LdlSymbolic {
  readonly n: number;
  /** The analysed pattern (upper triangle incl. diagonal), in the caller's order. */
  readonly upper: CscPattern;
  /** perm[k] = the caller's index eliminated k-th; iperm is its inverse. */
  readonly perm: Int32Array;
  readonly iperm: Int32Array;
  /** Permuted upper triangle C = (PKPᵀ)upper: column k's rows, and for each entry the caller's entry it came from. */
  readonly cColPtr: Int32Array;
  readonly cRowIdx: Int32Array;
  readonly cSource: Int32Array;
  /** Elimination tree of C (parent[k] = −1 at a root). */
  readonly parent: Int32Array;
  /** Entries of L's strict lower triangle per column. */
  readonly colCounts: Int32Array;
  /**
   * Pivots tailStart…n−1 form the dense tail: fill has made that trailing block (nearly) full, so
   * it is factored as one dense t×t block (t = n − tailStart, 0 for none) by a blocked kernel.
   */
  readonly tailStart: number;
  /** For each sparse column j < tailStart: the first position of L's column j with a row in the tail. */
  readonly tailSplit: Int32Array;
  /**
   * Runs of consecutive sparse columns whose tail rows are identical (supernodes, e.g. the dual
   * rows of a dense-A LP): their Schur updates are one dense product. Group g is columns
   * schurGroups[g] … schurGroups[g+1]−1; schurMaxRows is the most tail rows of a multi-column group.
   */
  readonly schurGroups: Int32Array;
  readonly schurMaxRows: number;
  /** 1 for the sparse columns whose Schur terms are scattered one by one: groups too small for panels. */
  readonly schurLone: Uint8Array;
  /** L's strict lower pattern by columns (rows increasing), for the sparse columns j < tailStart (later columns are empty here). */
  readonly lColPtr: Int32Array;
  readonly lRowIdx: Int32Array;
  /** L's pattern by rows, sparse columns only: row k holds columns rColIdx[rRowPtr[k]..rRowPtr[k+1]) (increasing), stored at lRowIdx/values position rPos. */
  readonly rRowPtr: Int32Array;
  readonly rColIdx: Int32Array;
  readonly rPos: Int32Array;
  /** nnz of L's strict lower triangle (tail included, counted as its pattern). */
  readonly nnzL: number;
  /** Multiply–adds of one numeric factorization, Σ c(c+3)/2 over L's column counts c. */
  readonly flops: number;
}

/** Checks that `p` is a permutation of 0..n−1 and returns its inverse. */
export function invertPermutation(p: Int32Array, n: number, who: string): Int32Array {
  if (p.length !== n) throw new InvalidInputError(`${who}: ordering must have length ${n}, got ${p.length}`);
  const inv = new Int32Array(n).fill(-1);
  for (let k = 0; k < n; k++) {
    const i = p[k]!;
    if (!(i >= 0 && i < n) || inv[i] !== -1)
      throw new InvalidInputError(`${who}: ordering is not a permutation of 0..${n - 1} (entry ${k} is ${i})`);
    inv[i] = k;
  }
  return inv;
}

/** The upper triangle of PKPᵀ from K's upper triangle, rows sorted, with each entry's source. */
function permuteUpper(upper: CscPattern, iperm: Int32Array): { colPtr: Int32Array; rowIdx: Int32Array; source: Int32Array } {
  const n = upper.ncols;
  const { colPtr, rowIdx } = upper;
  const nnz = colPtr[n]!;
  // Bucket by the smaller permuted index (the row), then stably by the larger (the column): sorted rows.
  const rowStart = new Int32Array(n + 1);
  for (let j = 0; j < n; j++) {
    for (let p = colPtr[j]!; p < colPtr[j + 1]!; p++) rowStart[Math.min(iperm[rowIdx[p]!]!, iperm[j]!) + 1]!++;
  }
  for (let k = 0; k < n; k++) rowStart[k + 1]! += rowStart[k]!;
  const byRow = new Int32Array(nnz);
  const colOf = new Int32Array(nnz);
  for (let j = 0; j < n; j++) {
    for (let p = colPtr[j]!; p < colPtr[j + 1]!; p++) {
      const a = iperm[rowIdx[p]!]!;
      const b = iperm[j]!;
      const q = rowStart[Math.min(a, b)]!++;
      byRow[q] = p;
      colOf[q] = Math.max(a, b);
    }
  }
  const cPtr = new Int32Array(n + 1);
  for (let q = 0; q < nnz; q++) cPtr[colOf[q]! + 1]!++;
  for (let k = 0; k < n; k++) cPtr[k + 1]! += cPtr[k]!;
  const next = cPtr.slice(0, n);
  const cRow = new Int32Array(nnz);
  const source = new Int32Array(nnz);
  for (let r = 0, q = 0; r < n; r++) {
    for (const end = rowStart[r]!; q < end; q++) {
      const t = next[colOf[q]!]!++;
      cRow[t] = r;
      source[t] = byRow[q]!;
    }
  }
  return { colPtr: cPtr, rowIdx: cRow, source };
}

/**
 * Elimination tree, column counts and L's pattern (by columns and by rows) of the permuted upper
 * pattern, in O(nnz(L)): row k of L is the set of etree paths from C's column-k rows up to k.
 * With `denseTail`, a trailing block dense enough to pay for a dense factorization is split off.
 */
export function symbolicFactor(
  upper: CscPattern,
  perm: Int32Array,
  iperm: Int32Array,
  denseTail = true,
  tailFrom?: number,
  wholeDense = true,
): LdlSymbolic {
  const n = upper.ncols;
  const { colPtr: cPtr, rowIdx: cRow, source } = permuteUpper(upper, iperm);
  const parent = new Int32Array(n).fill(-1);
  const colCounts = new Int32Array(n);
  const mark = new Int32Array(n).fill(-1);
  for (let k = 0; k < n; k++) {
    mark[k] = k;
    for (let p = cPtr[k]!; p < cPtr[k + 1]!; p++) {
      let i = cRow[p]!;
      if (i >= k) continue;
      // Walk up from i until a node already visited for row k; the first root met gets parent k.
      while (mark[i] !== k) {
        if (parent[i] === -1) parent[i] = k;
        colCounts[i]!++;
        mark[i] = k;
        i = parent[i]!;
      }
    }
  }
  const tailStart = denseTail ? Math.min(wholeDense && allDense(colCounts) ? 0 : chooseTail(colCounts, parent), tailFrom ?? n) : n;
  // Pass 2, over sparse columns only: a row's etree walk stops at the tail (ancestors only grow).
  const rowCounts = new Int32Array(n);
  mark.fill(-1);
  for (let k = 0; k < n; k++) {
    mark[k] = k;
    for (let p = cPtr[k]!; p < cPtr[k + 1]!; p++) {
      for (let i = cRow[p]!; i < k && i < tailStart && mark[i] !== k; i = parent[i]!) {
        mark[i] = k;
        rowCounts[k]!++;
      }
    }
  }
  const lColPtr = new Int32Array(n + 1);
  const rRowPtr = new Int32Array(n + 1);
  let flops = 0;
  let nnzL = 0;
  for (let k = 0; k < n; k++) {
    lColPtr[k + 1] = lColPtr[k]! + (k < tailStart ? colCounts[k]! : 0);
    rRowPtr[k + 1] = rRowPtr[k]! + rowCounts[k]!;
    flops += colCounts[k]! * (colCounts[k]! + 3) * 0.5;
    nnzL += colCounts[k]!;
  }
  const stored = lColPtr[n]!;
  const lRowIdx = new Int32Array(stored);
  const rColIdx = new Int32Array(stored);
  const rPos = new Int32Array(stored);
  const next = lColPtr.slice(0, n);
  mark.fill(-1);
  const stack = new Int32Array(n);
  for (let k = 0; k < n; k++) {
    mark[k] = k;
    let top = 0;
    for (let p = cPtr[k]!; p < cPtr[k + 1]!; p++) {
      for (let i = cRow[p]!; i < k && i < tailStart && mark[i] !== k; i = parent[i]!) {
        stack[top++] = i;
        mark[i] = k;
      }
    }
    // Row k's columns, sorted (increasing is a topological order of the etree).
    const row = stack.subarray(0, top);
    row.sort();
    let r = rRowPtr[k]!;
    for (let t = 0; t < top; t++) {
      const i = row[t]!;
      const q = next[i]!++;
      lRowIdx[q] = k;
      rColIdx[r] = i;
      rPos[r++] = q;
    }
  }
  const tailSplit = new Int32Array(tailStart);
  for (let j = 0; j < tailStart; j++) {
    let p = lColPtr[j]!;
    while (p < lColPtr[j + 1]! && lRowIdx[p]! < tailStart) p++;
    tailSplit[j] = p;
  }
  const { schurGroups, schurMaxRows } = groupTailSegments(tailStart, lColPtr, lRowIdx, tailSplit);
  const schurLone = loneColumns(tailStart, lColPtr, tailSplit, schurGroups);
  return {
    n,
    upper,
    perm,
    iperm,
    cColPtr: cPtr,
    cRowIdx: cRow,
    cSource: source,
    parent,
    colCounts,
    tailStart,
    tailSplit,
    schurGroups,
    schurMaxRows,
    schurLone,
    lColPtr,
    lRowIdx,
    rRowPtr,
    rColIdx,
    rPos,
    nnzL,
    flops,
  };
}

/**
 * Whether the whole matrix is cheaper as one dense block: n ≤ ALL_DENSE_MAX and n³/6 at most
 * ALL_DENSE_RATIO times the sparse factor's multiply–adds Σ c_k(c_k+1)/2. The tail search below
 * only extends a trailing chain of the elimination tree, and the columns hanging off it update
 * the tail by indexed scatters (~15× slower per multiply–add than gemm); a small KKT matrix with
 * a dense PSD block (SDP of order 15: n = 379, a 243-tail, 4.6·10⁶ multiply–adds, 9 ms) is
 * faster dense (9.1·10⁶, ~2 ms).
 */
function allDense(colCounts: Int32Array): boolean {
  const n = colCounts.length;
  if (n > ALL_DENSE_MAX || n < MIN_TAIL) return false;
  let sparse = 0;
  for (let k = 0; k < n; k++) sparse += (colCounts[k]! * (colCounts[k]! + 1)) / 2;
  return (n * n * n) / 6 <= ALL_DENSE_RATIO * sparse;
}
const ALL_DENSE_MAX = 1200;
const ALL_DENSE_RATIO = 2.5;

/** Sparse scalar multiply–adds cost about this many dense blocked ones (measured: ~0.4 vs ~3 GFLOP/s). */
const SPARSE_TO_DENSE_COST = 6;
const MIN_TAIL = 16;

/**
 * Start of the dense tail: the s maximizing the time saved by factoring pivots s…n−1 densely,
 * Σ_{k≥s} c_k(c_k+1)/2 sparse multiply–adds against t³/6 dense ones (t = n − s); n for no tail.
 * Only a trailing chain of the elimination tree (parent[k] = k + 1) is considered: a dense block
 * is one, and columns hanging off it (a dense-A LP's dual rows) are cheaper as grouped Schur updates.
 */
function chooseTail(colCounts: Int32Array, parent: Int32Array): number {
  const n = colCounts.length;
  let chain = n - 1;
  while (chain > 0 && parent[chain - 1] === chain) chain--;
  let best = n;
  let bestSaving = 0;
  let sparse = 0;
  for (let s = n - 1; s >= Math.max(0, chain); s--) {
    const c = colCounts[s]!;
    sparse += (c * (c + 1)) / 2;
    const t = n - s;
    const saving = sparse - (t * t * t) / 6 / SPARSE_TO_DENSE_COST;
    if (t >= MIN_TAIL && saving > bestSaving) (bestSaving = saving), (best = s);
  }
  return best;
}

/** Splits the sparse columns into runs with identical tail row sets (see LdlSymbolic.schurGroups). */
function groupTailSegments(
  s: number,
  lColPtr: Int32Array,
  lRowIdx: Int32Array,
  tailSplit: Int32Array,
): { schurGroups: Int32Array; schurMaxRows: number } {
  const starts: number[] = [];
  let maxRows = 0;
  for (let j = 0; j < s; ) {
    const lo = tailSplit[j]!;
    const q = lColPtr[j + 1]! - lo;
    let e = j + 1;
    for (; e < s && lColPtr[e + 1]! - tailSplit[e]! === q; e++) {
      const lo2 = tailSplit[e]!;
      let same = true;
      for (let a = 0; a < q && same; a++) same = lRowIdx[lo + a] === lRowIdx[lo2 + a];
      if (!same) break;
    }
    starts.push(j);
    if (e - j > 1) maxRows = Math.max(maxRows, q);
    j = e;
  }
  starts.push(s);
  return { schurGroups: Int32Array.from(starts), schurMaxRows: maxRows };
}

/** Below this many tail rows a group's update is scattered column by column. */
const MIN_GROUP_ROWS = 8;

/** LdlSymbolic.schurLone: single columns, and groups with fewer than MIN_GROUP_ROWS tail rows. */
function loneColumns(s: number, lColPtr: Int32Array, tailSplit: Int32Array, schurGroups: Int32Array): Uint8Array {
  const lone = new Uint8Array(s);
  for (let g = 0; g + 1 < schurGroups.length; g++) {
    const j0 = schurGroups[g]!;
    const j1 = schurGroups[g + 1]!;
    if (j1 - j0 < 2 || lColPtr[j0 + 1]! - tailSplit[j0]! < MIN_GROUP_ROWS) lone.fill(1, j0, j1);
  }
  return lone;
}
