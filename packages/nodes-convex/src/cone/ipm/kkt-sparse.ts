import { analyzeLdl, factorLdl, solveLdl, type CscPattern, type LdlFactor, type LdlSymbolic } from '@argmin/autodiff/kernels';
import type { ConeLayout } from '../problem.js';
import type { IpmCone } from './cone.js';
import type { KktSolver } from './kkt.js';
import type { Matrix } from './matrix.js';

/**
 * KKT solves by sparse LDLᵀ of the quasi-definite matrix K = [[P, Aᵀ], [A, −H]] (upper triangle,
 * CSC, n primal columns then m dual ones), as Clarabel and ECOS do. H is block diagonal: a
 * diagonal for the orthant (and zeros for the zero cone), dense blocks for second-order, PSD and
 * exponential cones. The pattern and its symbolic analysis (AMD ordering, elimination tree, L's
 * pattern) are built once per (A pattern, P pattern, cones) and shared by every iteration,
 * batch element and call; each iteration only rewrites the H entries through a position map.
 */
interface KktPattern {
  readonly upper: CscPattern;
  readonly sym: LdlSymbolic;
  readonly signs: Int8Array;
  /** Where A's entries go (in A's storage order: CSC order, or row-major for a dense A). */
  readonly aMap: Int32Array;
  /** Where P's entries go (CSC order of its upper triangle, or row-major upper for dense P); −1 when absent. */
  readonly pMap: Int32Array;
  /** Per cone, where its H block's upper-triangle entries go (row-major block order, −1 below the diagonal). */
  readonly hMap: readonly Int32Array[];
  /** The P pattern this entry was built for (a second key beside A's). */
  readonly pPattern?: CscPattern | null;
}

const byPattern = new WeakMap<object, Map<string, KktPattern>>();
const denseKey = {};

function layoutKey(layout: ConeLayout): string {
  return layout.blocks.map((b) => `${b.kind}${b.size}`).join(',');
}

/** The cached KKT pattern for A's and P's patterns (dense ones keyed by their sizes). */
function kktPattern(A: Matrix, P: Matrix | null, layout: ConeLayout, cones: readonly IpmCone[]): KktPattern {
  const owner = A.kind === 'csc' ? A.pattern : denseKey;
  let cache = byPattern.get(owner);
  if (!cache) byPattern.set(owner, (cache = new Map()));
  const key = `${A.rows}x${A.cols}|${layoutKey(layout)}|${P ? (P.kind === 'csc' ? 'p' : 'P') : '-'}`;
  let hit = cache.get(key);
  if (hit && P?.kind === 'csc' && hit.pPattern !== P.pattern) hit = undefined;
  if (!hit) {
    hit = { ...buildPattern(A, P, cones), pPattern: P?.kind === 'csc' ? P.pattern : null };
    cache.set(key, hit);
  }
  return hit;
}

function buildPattern(A: Matrix, P: Matrix | null, cones: readonly IpmCone[]): KktPattern {
  const { rows: m, cols: n } = A;
  const N = n + m;
  // Column lists of (row, source) pairs; sources: 0 = P, 1 = A, 2 = H, 3 = empty diagonal.
  const cols: { row: number; kind: number; idx: number }[][] = Array.from({ length: N }, () => []);
  if (P) {
    if (P.kind === 'csc') {
      const { colPtr, rowIdx } = P.pattern;
      for (let j = 0; j < n; j++) for (let q = colPtr[j]!; q < colPtr[j + 1]!; q++) cols[j]!.push({ row: rowIdx[q]!, kind: 0, idx: q });
    } else for (let j = 0; j < n; j++) for (let i = 0; i <= j; i++) cols[j]!.push({ row: i, kind: 0, idx: i * n + j });
  }
  for (let j = 0; j < n; j++) if (!cols[j]!.some((e) => e.row === j)) cols[j]!.push({ row: j, kind: 3, idx: 0 });
  // A's entry (i, j) sits in column n + i, row j.
  if (A.kind === 'csc') {
    const { colPtr, rowIdx } = A.pattern;
    for (let j = 0; j < n; j++) for (let q = colPtr[j]!; q < colPtr[j + 1]!; q++) cols[n + rowIdx[q]!]!.push({ row: j, kind: 1, idx: q });
  } else for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) cols[n + i]!.push({ row: j, kind: 1, idx: i * n + j });
  cones.forEach((c, ci) => {
    const { offset, size } = c;
    const diag = c.kind === 'nonneg' || c.kind === 'zero';
    for (let b = 0; b < size; b++)
      for (let a = diag ? b : 0; a <= b; a++)
        cols[n + offset + b]!.push({ row: n + offset + a, kind: 2, idx: ci * 0x10000000 + a * size + b });
  });
  const colPtr = new Int32Array(N + 1);
  cols.forEach((c, j) => {
    c.sort((u, v) => u.row - v.row);
    colPtr[j + 1] = colPtr[j]! + c.length;
  });
  const nnz = colPtr[N]!;
  const rowIdx = new Int32Array(nnz);
  const aMap = new Int32Array(A.kind === 'csc' ? A.values.length : m * n);
  const pMap = new Int32Array(P ? (P.kind === 'csc' ? P.values.length : n * n) : 0).fill(-1);
  const hMap = cones.map((c) => new Int32Array(c.size * c.size).fill(-1));
  let q = 0;
  for (const col of cols)
    for (const e of col) {
      rowIdx[q] = e.row;
      if (e.kind === 0) pMap[e.idx] = q;
      else if (e.kind === 1) aMap[e.idx] = q;
      else if (e.kind === 2) {
        const ci = Math.floor(e.idx / 0x10000000);
        hMap[ci]![e.idx % 0x10000000] = q;
      }
      q++;
    }
  const upper: CscPattern = { nrows: N, ncols: N, colPtr, rowIdx };
  const signs = new Int8Array(N);
  signs.fill(1, 0, n);
  signs.fill(-1, n);
  return { upper, sym: analyzeLdl(upper, { ordering: 'amd' }), signs, aMap, pMap, hMap };
}

export function sparseKkt(A: Matrix, P: Matrix | null, layout: ConeLayout, cones0: readonly IpmCone[]): KktSolver {
  const pat = kktPattern(A, P, layout, cones0);
  const { rows: m, cols: n } = A;
  const N = n + m;
  const values = new Float64Array(pat.upper.colPtr[N]!);
  const aVals = A.kind === 'csc' ? A.values : A.data;
  for (let q = 0; q < pat.aMap.length; q++) values[pat.aMap[q]!]! += aVals[q]!;
  if (P) {
    const pv = P.kind === 'csc' ? P.values : P.data;
    for (let q = 0; q < pat.pMap.length; q++) if (pat.pMap[q]! >= 0) values[pat.pMap[q]!]! += pv[q]!;
  }
  const hbuf = new Float64Array(Math.max(1, ...cones0.map((c) => (c.kind === 'nonneg' || c.kind === 'zero' ? 1 : c.size * c.size))));
  const rhs = new Float64Array(N);
  const sol = new Float64Array(N);
  let factor: LdlFactor | undefined;
  return {
    factor(cones) {
      cones.forEach((c, ci) => {
        const map = pat.hMap[ci]!;
        const { size } = c;
        if (c.kind === 'zero') {
          for (let i = 0; i < size; i++) values[map[i * size + i]!] = 0;
          return;
        }
        if (c.kind === 'nonneg') {
          // H = diag(w²): read it through apply(W) on unit vectors would be O(size²); the cone
          // gives its diagonal through hessian() only for small blocks, so use W twice on e.
          diagonalH(c, hbuf, values, map);
          return;
        }
        c.hessian(hbuf);
        for (let b = 0; b < size; b++) for (let a = 0; a <= b; a++) values[map[a * size + b]!] = -hbuf[a * size + b]!;
      });
      try {
        factor = factorLdl(pat.sym, values, pat.signs, { static: 1e-8, dynamicEps: 1e-13, dynamicDelta: 2e-7 }, factor);
      } catch {
        return false;
      }
      return true;
    },
    solve(rx, rz, dx, dz) {
      rhs.set(rx, 0);
      rhs.set(rz, n);
      solveLdl(factor!, rhs, sol, { steps: 10, tol: 1e-14 });
      dx.set(sol.subarray(0, n));
      dz.set(sol.subarray(n, N));
    },
    lastResidual: () => factor!.lastSolve.residual,
  };
}

/** −H on an orthant block's diagonal (H = W², W diagonal: W applied to the all-ones vector). */
let ones = new Float64Array(0);
let wbuf = new Float64Array(0);
function diagonalH(c: IpmCone, _tmp: Float64Array, values: Float64Array, map: Int32Array): void {
  const end = c.offset + c.size;
  if (ones.length < end) {
    ones = new Float64Array(end).fill(1);
    wbuf = new Float64Array(end);
  }
  c.apply('W', ones, wbuf, 1, 1);
  for (let i = 0; i < c.size; i++) {
    const w = wbuf[c.offset + i]!;
    values[map[i * c.size + i]!] = -w * w;
  }
}
