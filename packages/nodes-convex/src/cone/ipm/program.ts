import type { CscPattern } from '@argmin/autodiff/kernels';
import type { ConeLayout } from '../problem.js';
import type { IpmCone } from './cone.js';
import { solveIpm, type IpmData, type IpmOptions, type IpmResult } from './engine.js';
import { equilibrate } from './equilibrate.js';
import type { KktSolver } from './kkt.js';
import { denseKkt } from './kkt-dense.js';
import { finalKkt } from './kkt-final.js';
import { expands, sparseKkt } from './kkt-sparse.js';
import type { Matrix } from './matrix.js';
import { certificateTests, kktMeasure, type Measure, type Program, type Units } from './measure.js';
import { ipmCones } from './setup.js';

/** One batch element's data, as views into the node's parameters (never written). */
export interface ProgramInput {
  readonly layout: ConeLayout;
  readonly m: number;
  readonly n: number;
  /** Dense row-major m×n at aOff, or values on `aPattern` at aOff. */
  readonly A: Float64Array;
  readonly aOff: number;
  readonly aPattern?: CscPattern;
  /** Dense n×n at pOff, or values on `pPattern` (upper triangle) at pOff; absent for an LP. */
  readonly P?: Float64Array;
  readonly pOff?: number;
  readonly pPattern?: CscPattern;
  readonly b: Float64Array;
  readonly bOff: number;
  readonly c: Float64Array;
  readonly cOff: number;
}

export type KktChoice = 'auto' | 'dense' | 'sparse';

/** What the VJP needs: the scaled program, its cones and the final scaled point. */
export interface ProgramState {
  readonly data: IpmData;
  readonly cones: readonly IpmCone[];
  readonly result: IpmResult;
  /**
   * A KKT solver for the VJP (factored lazily at the final point), one that stays accurate at
   * μ ≈ 1e-10 where the normal equations of the dense path lose digits (their refinement stalls
   * near cond(S)·ε): for a dense orthant program the reduced system of kkt-final.ts, otherwise
   * the sparse LDLᵀ of the whole quasi-definite matrix.
   */
  readonly kkt: () => KktSolver;
  /** The acceptance measure (measure.ts) of a point (x, y, s) on the caller's, unscaled data. */
  readonly verify: (x: Float64Array, y: Float64Array, s: Float64Array) => number;
}

/** The caller's data as the measures read it (views; a dense P by its symmetric part). */
function callerProgram(p: ProgramInput): Program {
  const { m, n } = p;
  const A: Matrix = p.aPattern
    ? { kind: 'csc', rows: m, cols: n, pattern: p.aPattern, values: p.A.subarray(p.aOff, p.aOff + p.aPattern.colPtr[n]!) }
    : { kind: 'dense', rows: m, cols: n, data: p.A.subarray(p.aOff, p.aOff + m * n) };
  return { A, P: matrices(p, false).P, b: p.b.subarray(p.bOff, p.bOff + m), c: p.c.subarray(p.cOff, p.cOff + n) };
}

/**
 * The engine judged its iterate on the equilibrated data; the reported point is judged again on
 * the caller's data (the same per-row measures in the same units, so this only fails when
 * unscaling overflowed or lost the point): a solution must pass at `tol`, a certificate at
 * `tolInfeasible`, every entry finite, with a factor 2 for the rounding of the unscaling (a
 * point the engine accepted just below its threshold can measure just above it here). A point
 * that fails is reported as not converged.
 */
function checked(raw: Program, units: Units, blocks: ConeLayout['blocks'], measure: Measure, r: IpmResult, opts: IpmOptions): IpmResult {
  const finite = [r.x, r.y, r.s].every((v) => v.every(Number.isFinite));
  let ok = finite;
  if (finite && r.status === 'converged') ok = measure(r.x, r.s, r.y).worst <= 2 * opts.tol;
  else if (finite && r.status === 'infeasible') ok = certificateTests(raw, units, blocks).infeasibility(r.y) <= 2 * opts.tolInfeasible;
  else if (finite && r.status === 'unbounded') ok = certificateTests(raw, units, blocks).unboundedness(r.x, r.s) <= 2 * opts.tolInfeasible;
  if (ok) return r;
  const status = !finite ? 'failed' : r.status === 'converged' ? 'max_iter' : 'failed';
  return { ...r, status, residual: finite ? r.residual : Infinity };
}

/** Copies (and so owns) A and P in the form the chosen KKT path wants. */
function matrices(p: ProgramInput, dense: boolean): { A: Matrix; P: Matrix | null } {
  const { m, n } = p;
  let A: Matrix;
  if (p.aPattern) {
    const nnz = p.aPattern.colPtr[n]!;
    const values = p.A.slice(p.aOff, p.aOff + nnz);
    A = { kind: 'csc', rows: m, cols: n, pattern: p.aPattern, values };
    if (dense) A = densify(A, false);
  } else A = { kind: 'dense', rows: m, cols: n, data: p.A.slice(p.aOff, p.aOff + m * n) };
  let P: Matrix | null = null;
  if (p.P) {
    const off = p.pOff ?? 0;
    if (p.pPattern) {
      P = { kind: 'csc', rows: n, cols: n, pattern: p.pPattern, values: p.P.slice(off, off + p.pPattern.colPtr[n]!) };
      if (dense) P = densify(P, true);
    } else {
      // ½(P + Pᵀ): the objective only sees the symmetric part.
      const data = new Float64Array(n * n);
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) data[i * n + j] = 0.5 * (p.P[off + i * n + j]! + p.P[off + j * n + i]!);
      P = { kind: 'dense', rows: n, cols: n, data };
    }
  }
  return { A, P };
}

function densify(M: Matrix & { kind: 'csc' }, symmetric: boolean): Matrix & { kind: 'dense' } {
  const { rows, cols } = M;
  const data = new Float64Array(rows * cols);
  const { colPtr, rowIdx } = M.pattern;
  for (let j = 0; j < cols; j++)
    for (let q = colPtr[j]!; q < colPtr[j + 1]!; q++) {
      const i = rowIdx[q]!;
      data[i * cols + j] = M.values[q]!;
      if (symmetric) data[j * cols + i] = M.values[q]!;
    }
  return { kind: 'dense', rows, cols, data };
}

/**
 * Dense normal equations for a dense A of moderate size with symmetric cones only: they cost
 * one O(mn²) product per iteration in gemm. Otherwise (sparse A, exponential or power cones, which need
 * the better conditioning of the full quasi-definite system, or a large mostly-zero A) the
 * sparse LDLᵀ of the whole KKT matrix.
 */
function chooseDense(p: ProgramInput, choice: KktChoice): boolean {
  if (choice !== 'auto') return choice === 'dense';
  if (p.aPattern || p.pPattern) return false;
  if (p.layout.blocks.some((b) => b.kind === 'exp' || b.kind === 'power')) return false;
  if (p.n > 1500) return false;
  // PSD and small second-order blocks put dense size×size blocks into the KKT matrix (their
  // scalings are dense; large second-order cones enter expanded, O(size)): when those hold a
  // quarter of m·n entries the sparse factorization works on a dense matrix anyway, slower than
  // the normal equations (SDP of order 15: about 1.8× here).
  let blocks = 0;
  for (const b of p.layout.blocks) if (b.kind === 'psd' || (b.kind === 'soc' && !expands(b))) blocks += b.size * b.size;
  if (blocks >= 0.25 * p.m * p.n) return true;
  const size = p.m * p.n;
  if (size < 4000) return true;
  // Dense once a fifth of the entries are nonzero: the count stops there.
  const enough = 0.2 * size;
  let nz = 0;
  for (let q = 0; q < size; q++) if (p.A[p.aOff + q] !== 0 && ++nz > enough) return true;
  return false;
}

/**
 * Sparse orthant programs with equality rows and at most this many entries of A (1 MB of doubles)
 * are differentiated on a dense copy; above it the dense basis LU (n³/3) costs more than the
 * sparse factor (sparse LP n = 1000, m = 2000: backward 0.58 s dense against 0.22 s sparse).
 * Without equality rows the sparse factor is exact and cheaper at every size (n = 250, m = 500:
 * 2.5 against 5.8 ms).
 */
const DENSE_FINAL_MAX = 1 << 17;

/** Equilibrates, solves by the interior-point method and keeps what the VJP reuses. */
export function solveProgram(p: ProgramInput, opts: IpmOptions & { kkt?: KktChoice }): ProgramState {
  const dense = chooseDense(p, opts.kkt ?? 'auto');
  const { A, P } = matrices(p, dense);
  const b = p.b.slice(p.bOff, p.bOff + p.m);
  const c = p.c.slice(p.cOff, p.cOff + p.n);
  const scaling = equilibrate(p.layout, A, P, b, c);
  const data: IpmData = { n: p.n, m: p.m, A, P, b, c, scaling };
  const cones = ipmCones(p.layout);
  const mz = p.layout.blocks[0]?.kind === 'zero' ? p.layout.blocks[0].size : 0;
  const make = () => (dense ? denseKkt(A as Matrix & { kind: 'dense' }, P, mz) : sparseKkt(A, P, p.layout, cones));
  const raw = callerProgram(p);
  const measure = kktMeasure(raw, scaling, p.layout.blocks, true);
  const result = checked(raw, scaling, p.layout.blocks, measure, solveIpm(data, cones, make(), opts), opts);
  // Orthant programs are differentiated on the reduced final system (kkt-final.ts), a sparse A
  // with equality rows densified for it up to DENSE_FINAL_MAX entries: the sparse LDLᵀ of the
  // whole K at the final iterate (H from μ to 1/μ, P often 0) needs dynamic regularization on LPs
  // with equality rows and then fails to refine (69 of 300 random regular LPs with 3 equality
  // rows, n = 15).
  const blocks = p.layout.blocks;
  const equalities = blocks.some((b) => b.kind === 'zero' && b.size > 0);
  const orthant = blocks.every((b) => b.kind === 'zero' || b.kind === 'nonneg') && (dense || (equalities && p.m * p.n <= DENSE_FINAL_MAX));
  const final = () =>
    orthant
      ? finalKkt(A.kind === 'dense' ? A : densify(A, false), P === null ? null : P.kind === 'dense' ? P : densify(P, true))
      : sparseKkt(A, P, p.layout, cones);
  return { data, cones, result, kkt: final, verify: (x, y, s) => measure(x, s, y).worst };
}
