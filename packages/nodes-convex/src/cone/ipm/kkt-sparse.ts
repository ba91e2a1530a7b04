import { analyzeLdl, factorLdl, solveLdl, type CscPattern, type LdlFactor, type LdlSymbolic } from '@argmin/autodiff/kernels';
import type { ConeLayout } from '../problem.js';
import type { IpmCone } from './cone.js';
import type { KktSolver } from './kkt.js';
import type { Matrix } from './matrix.js';

/**
 * KKT solves by sparse LDLᵀ of the quasi-definite matrix K = [[P, Aᵀ], [A, −H]] (upper triangle,
 * CSC, n primal columns then m dual ones), as Clarabel and ECOS do. H is block diagonal: a
 * diagonal for the orthant (and zeros for the zero cone), dense blocks for PSD, exponential, power and
 * small second-order cones. A second-order cone of size ≥ SOC_EXPAND_MIN enters expanded, as in
 * ECOS: H = diag(d) + uuᵀ − vvᵀ (soc.ts) is −diag(d) on the block's diagonal plus two columns
 * appended after the m dual ones,
 *   column p: v on the block's rows, −1 on the diagonal;  column r: u on its rows, +1,
 * whose elimination gives back −diag(d) − uuᵀ + vvᵀ = −H. The matrix stays quasi-definite (the
 * negative part [[−diag(d), v], [vᵀ, −1]] is definite because diag(d) − vvᵀ is) and O(size), so
 * a large cone does not densify it. The pattern and its symbolic analysis (AMD ordering, elimination tree, L's
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
  /**
   * Per cone, where its H entries go: the diagonal (map[i]) for the orthant and zero cones; for an
   * expanded second-order cone (see expands) the diagonal, then v's rows 1…size−1, p's diagonal,
   * u's rows and r's diagonal; otherwise the upper triangle in row-major block order (−1 below).
   */
  readonly hMap: readonly Int32Array[];
  /** Order of the matrix: n + m + 2 per expanded cone. */
  readonly order: number;
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

/**
 * Second-order cones from this size on are expanded. A dense block of size k has k(k+1)/2
 * entries and fills a k-clique; the expansion has 3k + 2 entries and two more pivots, which
 * only pays off for cones well past the sizes of a typical SOCP's norms.
 */
export const SOC_EXPAND_MIN = 12;

/** Whether cone c enters the sparse KKT matrix expanded (diagonal plus two columns). */
export function expands(c: { readonly kind: string; readonly size: number }): boolean {
  return c.kind === 'soc' && c.size >= SOC_EXPAND_MIN;
}

const diagonalCone = (c: IpmCone) => c.kind === 'nonneg' || c.kind === 'zero';

function buildPattern(A: Matrix, P: Matrix | null, cones: readonly IpmCone[]): KktPattern {
  const { rows: m, cols: n } = A;
  const extra = cones.filter(expands).length;
  const N = n + m + 2 * extra;
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
  const hMap: Int32Array[] = [];
  let next = n + m;
  cones.forEach((c, ci) => {
    const { offset, size } = c;
    const h = (col: number, row: number, slot: number) => cols[col]!.push({ row, kind: 2, idx: ci * 0x10000000 + slot });
    const z = n + offset;
    if (diagonalCone(c) || expands(c)) for (let b = 0; b < size; b++) h(z + b, z + b, b);
    if (expands(c)) {
      const p = next++;
      const r = next++;
      for (let b = 1; b < size; b++) h(p, z + b, size + b - 1);
      h(p, p, 2 * size - 1);
      for (let b = 0; b < size; b++) h(r, z + b, 2 * size + b);
      h(r, r, 3 * size);
      hMap.push(new Int32Array(3 * size + 1));
    } else if (diagonalCone(c)) hMap.push(new Int32Array(size));
    else {
      for (let b = 0; b < size; b++) for (let a = 0; a <= b; a++) h(z + b, z + a, a * size + b);
      hMap.push(new Int32Array(size * size).fill(-1));
    }
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
  // Each expansion's r column is on the positive side.
  for (let e = 0; e < extra; e++) signs[n + m + 2 * e + 1] = 1;
  return { upper, sym: analyzeLdl(upper, { ordering: 'amd' }), signs, aMap, pMap, hMap, order: N };
}

/**
 * Static shifts of the pivots, tried in this order (ECOS's and Clarabel's 1e-8 first). Late in a
 * solve H spans ~1e-9 … 1e9; an LP's x pivots are then the shift alone, and their elimination can
 * leave pivots of the wrong sign that dynamic regularization replaces by ±2e-7, far from K, so
 * refinement diverges. Another shift avoids that (refinement removes the shift itself): on an LP
 * with three equality rows the refined solve left a residual 2e-6 at 1e-8, and 4e-16 at 1e-6
 * (and 3e-16 at 1e-12), so the solve went on to 1e-16 instead of stalling at 1e-9.
 */
const STATIC_REG: readonly number[] = [1e-8, 1e-6, 1e-12];
/** A refined solve whose residual exceeds this (relative to 1 + ‖rhs‖∞) tries the other shifts. */
const SOLVE_OK = 1e-10;
const REFINE = { steps: 10, tol: 1e-14 } as const;

export function sparseKkt(A: Matrix, P: Matrix | null, layout: ConeLayout, cones0: readonly IpmCone[]): KktSolver {
  const pat = kktPattern(A, P, layout, cones0);
  const { rows: m, cols: n } = A;
  const N = pat.order;
  const values = new Float64Array(pat.upper.colPtr[N]!);
  const aVals = A.kind === 'csc' ? A.values : A.data;
  for (let q = 0; q < pat.aMap.length; q++) values[pat.aMap[q]!]! += aVals[q]!;
  if (P) {
    const pv = P.kind === 'csc' ? P.values : P.data;
    for (let q = 0; q < pat.pMap.length; q++) if (pat.pMap[q]! >= 0) values[pat.pMap[q]!]! += pv[q]!;
  }
  const denseSize = (c: IpmCone) => (diagonalCone(c) ? 1 : expands(c) ? 3 * c.size : c.size * c.size);
  const hbuf = new Float64Array(Math.max(1, ...cones0.map(denseSize)));
  // The expansion columns' right-hand sides stay zero.
  const rhs = new Float64Array(N);
  const sol = new Float64Array(N);
  let factor: LdlFactor | undefined;
  let staticReg: number = STATIC_REG[0]!;
  let retried = false;
  const refactor = (): boolean => {
    retried = false;
    try {
      factor = factorLdl(pat.sym, values, pat.signs, { static: staticReg, dynamicEps: 1e-13, dynamicDelta: 2e-7 }, factor);
    } catch {
      return false;
    }
    return true;
  };
  const finishSolve = (dx: Float64Array, dz: Float64Array) => {
    dx.set(sol.subarray(0, n));
    dz.set(sol.subarray(n, n + m));
  };
  return {
    // One refined solve: two sweeps of L and a product with K for the residual.
    work: { factor: pat.sym.flops, solve: 2 * pat.sym.nnzL + pat.upper.colPtr[N]! + N },
    factor(cones) {
      cones.forEach((c, ci) => {
        const map = pat.hMap[ci]!;
        const { size } = c;
        if (c.kind === 'zero') {
          for (let i = 0; i < size; i++) values[map[i]!] = 0;
          return;
        }
        if (c.kind === 'nonneg') {
          diagonalH(c, values, map);
          return;
        }
        if (expands(c)) {
          expandedH(c, hbuf, values, map);
          return;
        }
        c.hessian(hbuf);
        for (let b = 0; b < size; b++) for (let a = 0; a <= b; a++) values[map[a * size + b]!] = -hbuf[a * size + b]!;
      });
      staticReg = STATIC_REG[0]!;
      return refactor();
    },
    solve(rx, rz, dx, dz) {
      rhs.set(rx, 0);
      rhs.set(rz, n);
      solveLdl(factor!, rhs, sol, REFINE);
      // Refinement that cannot reach the unregularised K means the regularization was wrong for
      // this iteration: try the other static shifts (once per factorization) and keep the best.
      // (The bound is at least SOLVE_OK: below it, no pass over the right-hand side is needed.)
      if (retried || !(factor!.lastSolve.residual > SOLVE_OK)) return finishSolve(dx, dz);
      let bound = 0;
      for (let i = 0; i < N; i++) bound = Math.max(bound, Math.abs(rhs[i]!));
      bound = SOLVE_OK * (1 + bound);
      if (!(factor!.lastSolve.residual > bound)) return finishSolve(dx, dz);
      let best = { reg: staticReg, residual: factor!.lastSolve.residual };
      for (const reg of STATIC_REG) {
        if (reg === best.reg) continue;
        staticReg = reg;
        if (!refactor()) continue;
        solveLdl(factor!, rhs, sol, REFINE);
        if (factor!.lastSolve.residual < best.residual) best = { reg, residual: factor!.lastSolve.residual };
        if (best.residual <= bound) break;
      }
      if (staticReg !== best.reg) {
        staticReg = best.reg;
        refactor();
        solveLdl(factor!, rhs, sol, REFINE);
      }
      retried = true;
      finishSolve(dx, dz);
    },
    lastResidual: () => factor!.lastSolve.residual,
  };
}

/** An expanded second-order cone's entries: −d on the diagonal, v and −1 in column p, u and +1 in column r. */
function expandedH(c: IpmCone, buf: Float64Array, values: Float64Array, map: Int32Array): void {
  const { size } = c;
  const d = buf.subarray(0, size);
  const u = buf.subarray(size, 2 * size);
  const v = buf.subarray(2 * size, 3 * size);
  c.lowRank!(d, u, v);
  for (let i = 0; i < size; i++) {
    values[map[i]!] = -d[i]!;
    values[map[2 * size + i]!] = u[i]!;
  }
  for (let i = 1; i < size; i++) values[map[size + i - 1]!] = v[i]!;
  values[map[2 * size - 1]!] = -1;
  values[map[3 * size]!] = 1;
}

/** −H on an orthant block's diagonal (H = W², W diagonal: W applied to the all-ones vector). */
let ones = new Float64Array(0);
let wbuf = new Float64Array(0);
function diagonalH(c: IpmCone, values: Float64Array, map: Int32Array): void {
  const end = c.offset + c.size;
  if (ones.length < end) {
    ones = new Float64Array(end).fill(1);
    wbuf = new Float64Array(end);
  }
  c.apply('W', ones, wbuf, 1, 1);
  for (let i = 0; i < c.size; i++) {
    const w = wbuf[c.offset + i]!;
    values[map[i]!] = -w * w;
  }
}
