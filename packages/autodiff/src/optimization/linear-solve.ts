import { luFactor, luSolve } from '../kernels/factor.js';
import { cg, gmres } from '../kernels/krylov.js';

/** How the linear system of an implicit VJP is solved. */
export interface LinearSolveOptions {
  /**
   * 'dense' forms the matrix column by column and factors it (LU); 'gmres' and 'cg' are
   * matrix-free ('cg' only for symmetric positive definite systems). 'auto' (default) is dense
   * up to `denseMax` unknowns, GMRES above.
   */
  readonly method?: 'auto' | 'dense' | 'gmres' | 'cg';
  /** Relative residual tolerance of the Krylov solvers (default 1e-10). */
  readonly tol?: number;
  readonly maxIter?: number;
  /** GMRES restart length (default 50). */
  readonly restart?: number;
  /** Largest system solved densely under 'auto' (default 200). */
  readonly denseMax?: number;
}

export interface LinearSolveResult {
  readonly x: Float64Array;
  readonly converged: boolean;
  readonly singular: boolean;
  readonly residual: number;
  readonly iterations: number;
  readonly method: 'dense' | 'gmres' | 'cg';
}

/** Solves A x = b for an n×n operator given as a matvec. */
export function solveLinear(
  matvec: (x: Float64Array, out: Float64Array) => void,
  b: Float64Array,
  n: number,
  options: LinearSolveOptions = {},
): LinearSolveResult {
  const { method = 'auto', tol = 1e-10, denseMax = 200 } = options;
  const maxIter = options.maxIter ?? Math.max(100, 10 * n);
  const chosen = method === 'auto' ? (n <= denseMax ? 'dense' : 'gmres') : method;
  if (chosen === 'dense') {
    const A = new Float64Array(n * n);
    const e = new Float64Array(n);
    const col = new Float64Array(n);
    for (let j = 0; j < n; j++) {
      e.fill(0);
      e[j] = 1;
      matvec(e, col);
      for (let i = 0; i < n; i++) A[i * n + j] = col[i]!;
    }
    try {
      const lu = luFactor(A, n);
      const x = luSolve(lu, b);
      return { x, converged: true, singular: false, residual: 0, iterations: 1, method: 'dense' };
    } catch {
      return { x: new Float64Array(n), converged: false, singular: true, residual: Infinity, iterations: 0, method: 'dense' };
    }
  }
  const r = chosen === 'cg' ? cg(matvec, b, { tol, maxIter }) : gmres(matvec, b, { tol, maxIter, restart: options.restart ?? 50 });
  return { x: r.x, converged: r.converged, singular: false, residual: r.residual, iterations: r.iterations, method: chosen };
}
