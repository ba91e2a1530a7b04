import { cg, choleskyFactor, choleskySolveInto, gemm } from '@argmin/autodiff/kernels';
import { residuals, worst, type ConeData } from './data.js';
import { denseJacobian, jacobianTimes, jacobianTransposeTimes, residualAt, sumSquares, type ResidualPoint } from './residual-map.js';

/**
 * Solution refinement (Busseti, Moursi & Boyd 2019): Gauss–Newton on the residual map F(ζ) of
 * the embedding at τ = 1 (see residual-map.ts), with a backtracking line search on ‖F‖. Near a
 * regular solution F is smooth (or semismooth where a projection has a kink) and J has full
 * column rank, so a few steps take an ADMM point at 1e-4…1e-6 to machine precision. Each step
 * solves min ‖Jδ + F‖ by the normal equations: densely (Cholesky) for small programs,
 * matrix-free by CG above `denseMax` unknowns.
 */
export interface RefineOptions {
  readonly maxSteps: number;
  readonly tol: number;
  readonly denseMax: number;
}

export interface RefineResult {
  readonly zx: Float64Array;
  readonly zy: Float64Array;
  readonly point: ResidualPoint;
  /** Worst scaled residual (primal, dual, gap) of the refined point. */
  readonly residual: number;
  readonly steps: number;
}

export function scaledResidual(d: ConeData, p: ResidualPoint): number {
  return worst(residuals(d, p.x, p.y, p.s));
}

export function refine(d: ConeData, zx0: Float64Array, zy0: Float64Array, opts: RefineOptions): RefineResult {
  const { n, m } = d;
  const cols = n + m;
  let zx: Float64Array = Float64Array.from(zx0);
  let zy: Float64Array = Float64Array.from(zy0);
  let point = residualAt(d, zx, zy);
  let residual = scaledResidual(d, point);
  let steps = 0;
  // Newton converges quadratically, so once within tol one or two more steps reach round-off:
  // keep going to 1e-3·tol (cheap) so finite differences of the solution are clean.
  while (steps < opts.maxSteps && residual > Math.min(opts.tol * 1e-3, 1e-13)) {
    const delta = gaussNewtonStep(d, point, cols, opts.denseMax);
    if (delta === null) break;
    const f0 = sumSquares(point.F);
    const next = backtrack(zx, zy, delta, n, f0, (tx, ty) => residualAt(d, tx, ty));
    steps++;
    if (!next) break;
    ({ zx, zy, point } = next);
    if (residual <= opts.tol && sumSquares(point.F) > 0.25 * f0) {
      residual = scaledResidual(d, point);
      break; // within tol and no longer converging fast: round-off reached
    }
    residual = scaledResidual(d, point);
  }
  return { zx, zy, point, residual, steps };
}

/** δ = argmin ‖Jδ + F‖, or null if the normal equations cannot be solved. */
function gaussNewtonStep(d: ConeData, p: ResidualPoint, cols: number, denseMax: number): Float64Array | null {
  const rows = cols + 1;
  const rhs = new Float64Array(cols);
  jacobianTransposeTimes(d, p.D, p.F, rhs);
  for (let i = 0; i < cols; i++) rhs[i] = -rhs[i]!;
  if (cols <= denseMax) {
    const J = denseJacobian(d, p.D);
    const G = new Float64Array(cols * cols);
    gemm(true, false, cols, cols, rows, 1, J, 0, cols, J, 0, cols, 0, G, 0, cols);
    let trace = 0;
    for (let i = 0; i < cols; i++) trace += G[i * cols + i]!;
    // A relative regularisation of 1e-13 keeps Cholesky alive at nearly rank-deficient points and
    // costs nothing in the Newton rate near a regular solution.
    for (let i = 0; i < cols; i++) G[i * cols + i]! += 1e-13 * (trace / cols) + 1e-300;
    try {
      const f = choleskyFactor(G, cols, 1, { op: 'convex.cone', input: 'refinement' });
      choleskySolveInto(f, 0, rhs, 0, 1);
      return rhs.every(Number.isFinite) ? rhs : null;
    } catch {
      return null;
    }
  }
  const tmp = new Float64Array(rows);
  const r = cg(
    (v, out) => {
      jacobianTimes(d, p.D, v, tmp);
      jacobianTransposeTimes(d, p.D, tmp, out);
    },
    rhs,
    { tol: 1e-12, maxIter: 5 * cols },
  );
  return r.x.every(Number.isFinite) ? r.x : null;
}

/**
 * Backtracking line search on ‖F‖² along δ = (δx, δy) from (zx, zy): the first step t = 1, ½, …
 * (at most 20) with ‖F‖² < (1 − 10⁻⁴t)·f0 (Armijo), or null if none.
 */
export function backtrack<P extends { readonly F: Float64Array }>(
  zx: Float64Array,
  zy: Float64Array,
  delta: Float64Array,
  n: number,
  f0: number,
  at: (zx: Float64Array, zy: Float64Array) => P,
): { zx: Float64Array; zy: Float64Array; point: P } | null {
  for (let t = 1, ls = 0; ls < 20; ls++, t *= 0.5) {
    const tx = zx.map((v, j) => v + t * delta[j]!);
    const ty = zy.map((v, i) => v + t * delta[n + i]!);
    const trial = at(tx, ty);
    if (sumSquares(trial.F) < (1 - 1e-4 * t) * f0) return { zx: tx, zy: ty, point: trial };
  }
  return null;
}
