import type { CscPattern } from '@argmin/autodiff/kernels';
import { coneLayout, type ConeLayout } from '../cone/problem.js';
import type { QpElement } from './dense.js';

/**
 * One QP element in the cone engine's form (cone/ipm/program.ts):
 *   min ½zᵀQz + pᵀz  s.t.  [b; h] − [A; G]·z ∈ {0}ᵏ × ℝᵐ₊,
 * so the engine's dual y is (ν, λ) and its slack (0, h − Gz). Q enters as the upper triangle of
 * its symmetric part (the element's Q is already symmetrized), C = [A; G] with the equalities
 * first (the engine expects the zero cone as its first block). Both in CSC, the caller's units.
 */
export interface SparseQp {
  readonly n: number;
  readonly k: number;
  readonly m: number;
  readonly layout: ConeLayout;
  /** Upper triangle of Q (with every diagonal entry, zero or not). */
  readonly P: { readonly pattern: CscPattern; readonly values: Float64Array };
  /** [A; G], (k + m) × n. */
  readonly C: { readonly pattern: CscPattern; readonly values: Float64Array };
  /** [b; h]. */
  readonly rhs: Float64Array;
}

/**
 * The element in CSC (a counting pass and a filling pass over each dense matrix, row-major, so
 * every column comes out sorted). With `maxNnz`, null as soon as the counts show that Q (both
 * triangles), G and A hold more nonzeros than that: the router's test, without a pass of its own.
 */
export function sparseQp(el: QpElement): SparseQp;
export function sparseQp(el: QpElement, maxNnz: number): SparseQp | null;
export function sparseQp(el: QpElement, maxNnz = Infinity): SparseQp | null {
  const { n, m, k, Q, G, A, b, h } = el;
  // Counts first. Upper triangle of Q: column j holds rows i ≤ j, the diagonal always stored;
  // C = [A; G]: row r < k is A's row r, row k + i is G's row i.
  const pCount = new Int32Array(n + 1);
  let seen = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      if (Q[i * n + j] === 0) continue;
      pCount[j + 1]!++;
      seen++;
    }
    // Dense data are told apart within the first rows of Q, before any pass over G and A.
    if (2 * seen > maxNnz) return null;
  }
  const rows = k + m;
  const rowOf = (r: number) => (r < k ? A.subarray(r * n, (r + 1) * n) : G.subarray((r - k) * n, (r - k + 1) * n));
  const cCount = new Int32Array(n + 1);
  for (let r = 0; r < rows; r++) {
    const row = rowOf(r);
    for (let j = 0; j < n; j++) if (row[j] !== 0) cCount[j + 1]!++;
  }
  let nnz = 0;
  for (let j = 0; j < n; j++) nnz += 2 * pCount[j + 1]! + cCount[j + 1]! + (Q[j * n + j] !== 0 ? 1 : 0);
  if (nnz > maxNnz) return null;
  for (let j = 0; j < n; j++) {
    pCount[j + 1]! += pCount[j]! + 1;
    cCount[j + 1]! += cCount[j]!;
  }
  const pRows = new Int32Array(pCount[n]!);
  const pVals = new Float64Array(pCount[n]!);
  const pNext = pCount.slice(0, n);
  for (let i = 0; i < n; i++) {
    const d = pNext[i]!++;
    pRows[d] = i;
    pVals[d] = Q[i * n + i]!;
    for (let j = i + 1; j < n; j++) {
      const v = Q[i * n + j]!;
      if (v === 0) continue;
      const q = pNext[j]!++;
      pRows[q] = i;
      pVals[q] = v;
    }
  }
  const cRows = new Int32Array(cCount[n]!);
  const cVals = new Float64Array(cCount[n]!);
  const cNext = cCount.slice(0, n);
  for (let r = 0; r < rows; r++) {
    const row = rowOf(r);
    for (let j = 0; j < n; j++) {
      const v = row[j]!;
      if (v === 0) continue;
      const q = cNext[j]!++;
      cRows[q] = r;
      cVals[q] = v;
    }
  }
  const rhs = new Float64Array(rows);
  rhs.set(b);
  rhs.set(h, k);
  return {
    n,
    k,
    m,
    layout: coneLayout({ zero: k, nonneg: m }),
    P: { pattern: canonical({ nrows: n, ncols: n, colPtr: pCount, rowIdx: pRows }), values: pVals },
    C: { pattern: canonical({ nrows: rows, ncols: n, colPtr: cCount, rowIdx: cRows }), values: cVals },
    rhs,
  };
}

/**
 * Patterns seen recently, by content. The engine's symbolic analysis (AMD, elimination tree) and
 * the polish's are cached per pattern object (WeakMaps), so a pattern rebuilt from dense data
 * must be the same object each time for the analysis to be reused across calls and elements.
 */
const recent = new Map<string, CscPattern[]>();
const RECENT_MAX = 32;

function canonical(p: CscPattern): CscPattern {
  const key = `${p.nrows}x${p.ncols}:${p.colPtr[p.ncols]}:${hash(p)}`;
  const list = recent.get(key);
  const hit = list?.find((q) => same(p, q));
  if (hit) {
    // Most recently used last, so the oldest key is evicted first.
    recent.delete(key);
    recent.set(key, list!);
    return hit;
  }
  if (list) list.push(p);
  else {
    recent.set(key, [p]);
    if (recent.size > RECENT_MAX) recent.delete(recent.keys().next().value!);
  }
  return p;
}

/** FNV-1a over the column pointers and row indices. */
function hash(p: CscPattern): number {
  let x = 0x811c9dc5;
  const mix = (v: number) => {
    x ^= v;
    x = Math.imul(x, 0x01000193);
  };
  for (let j = 0; j <= p.ncols; j++) mix(p.colPtr[j]!);
  const nnz = p.colPtr[p.ncols]!;
  for (let q = 0; q < nnz; q++) mix(p.rowIdx[q]!);
  return x >>> 0;
}

function same(a: CscPattern, b: CscPattern): boolean {
  if (a.nrows !== b.nrows || a.ncols !== b.ncols) return false;
  for (let j = 0; j <= a.ncols; j++) if (a.colPtr[j] !== b.colPtr[j]) return false;
  const nnz = a.colPtr[a.ncols]!;
  for (let q = 0; q < nnz; q++) if (a.rowIdx[q] !== b.rowIdx[q]) return false;
  return true;
}

/** y ← C·z for the CSC C, and |C|·|z| into `abs` (each row's magnitude, for relative tests). */
export function cscMulAbs(C: SparseQp['C'], z: Float64Array, y: Float64Array, abs: Float64Array): void {
  const { colPtr, rowIdx, ncols } = C.pattern;
  y.fill(0);
  abs.fill(0);
  for (let j = 0; j < ncols; j++) {
    const zj = z[j]!;
    if (zj === 0) continue;
    for (let q = colPtr[j]!; q < colPtr[j + 1]!; q++) {
      const v = C.values[q]! * zj;
      y[rowIdx[q]!]! += v;
      abs[rowIdx[q]!]! += Math.abs(v);
    }
  }
}
