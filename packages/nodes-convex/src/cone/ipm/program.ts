import type { CscPattern } from '@argmin/autodiff/kernels';
import type { ConeLayout } from '../problem.js';
import type { IpmCone } from './cone.js';
import { solveIpm, type IpmData, type IpmOptions, type IpmResult } from './engine.js';
import { equilibrate } from './equilibrate.js';
import type { KktSolver } from './kkt.js';
import { denseKkt } from './kkt-dense.js';
import { sparseKkt } from './kkt-sparse.js';
import type { Matrix } from './matrix.js';
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
   * A KKT solver for the VJP (factored lazily at the final point): always the sparse LDLᵀ of
   * the whole quasi-definite matrix, which stays accurate at μ ≈ 1e-10 where the normal
   * equations of the dense path lose digits (their refinement stalls near cond(S)·ε).
   */
  readonly kkt: () => KktSolver;
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
 * one O(mn²) product per iteration in gemm. Otherwise (sparse A, exponential cones, which need
 * the better conditioning of the full quasi-definite system, or a large mostly-zero A) the
 * sparse LDLᵀ of the whole KKT matrix.
 */
function chooseDense(p: ProgramInput, choice: KktChoice): boolean {
  if (choice !== 'auto') return choice === 'dense';
  if (p.aPattern || p.pPattern) return false;
  if (p.layout.blocks.some((b) => b.kind === 'exp')) return false;
  if (p.n > 1500) return false;
  let nz = 0;
  const size = p.m * p.n;
  for (let q = 0; q < size; q++) if (p.A[p.aOff + q] !== 0) nz++;
  return nz > 0.2 * size || p.m * p.n < 4000;
}

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
  const result = solveIpm(data, cones, make(), opts);
  return { data, cones, result, kkt: () => sparseKkt(A, P, p.layout, cones) };
}
