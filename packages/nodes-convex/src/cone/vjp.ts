import { DifferentiationError, Tensor, type Cotangents, type SolveResult } from '@argmin/autodiff';
import { gmres, luFactor, luSolve, type LuFactor } from '@argmin/autodiff/kernels';
import { applyConeDerivative } from './cones.js';
import type { ConeData } from './data.js';
import type { ConeLayout, ConeParams, ConeSolution } from './problem.js';
import { denseJacobian, jacobianTransposeTimes, type ResidualPoint } from './residual-map.js';
import type { ConeSaved, ConeSolverOptions } from './solve.js';

/**
 * The implicit VJP of a cone program (Agrawal et al. 2019, "Differentiating through a cone
 * program"). At a solution the normalised residual map N(z, Q) = ((Q − I)Π + I)(z/|w|) vanishes,
 * with z = (x, y − s, 1) and Π the projection onto ℝⁿ × K* × ℝ₊; so dz = −M⁻¹·dQ·u with
 * M = (Q − I)DΠ(z) + I and u = Π(z) = (x, y, 1). M is singular along the ray z, which the
 * solution map ignores; we use M̃ = M + u·e_τᵀ (nonsingular, see residual-map.ts). Backward:
 *   z̄ = (x̄,  DΠ*(ȳ + s̄) − s̄,  −xᵀx̄ − yᵀȳ − sᵀs̄),   g = M̃⁻ᵀ z̄,   Q̄ = −g·uᵀ,
 * which Q's skew structure maps to  Ā = g_y·xᵀ − y·g_xᵀ,  b̄ = g_τ·y − g_y,  c̄ = g_τ·x − g_x.
 * M̃ is factored (LU) densely up to `denseMax` rows, else M̃ᵀ is applied matrix-free in GMRES.
 */

const factors = new WeakMap<ResidualPoint, LuFactor>();

/** M̃ as a dense row-major N×N matrix: [J | (c + x, b + y, 1)]. */
function denseResidualMatrix(d: ConeData, p: ResidualPoint): Float64Array {
  const { n, m } = d;
  const N = n + m + 1;
  const J = denseJacobian(d, p.D);
  const M = new Float64Array(N * N);
  for (let i = 0; i < N; i++) M.set(J.subarray(i * (N - 1), (i + 1) * (N - 1)), i * N);
  for (let j = 0; j < n; j++) M[j * N + N - 1] = d.c[d.cOff + j]! + p.x[j]!;
  for (let i = 0; i < m; i++) M[(n + i) * N + N - 1] = d.b[d.bOff + i]! + p.y[i]!;
  M[N * N - 1] = 1;
  return M;
}

/** g = M̃⁻ᵀ z̄ for one element. */
function adjointSolve(d: ConeData, p: ResidualPoint, zbar: Float64Array, denseMax: number, element: number): Float64Array {
  const N = d.n + d.m + 1;
  if (N <= denseMax) {
    let f = factors.get(p);
    if (!f) {
      try {
        f = luFactor(denseResidualMatrix(d, p), N, 1, { op: 'convex.cone', input: 'residual map' });
      } catch {
        throw new DifferentiationError(
          `convex.cone: cannot differentiate batch element ${element}: the derivative of the residual map is singular (the solution is not unique or not strictly complementary)`,
        );
      }
      factors.set(p, f);
    }
    return luSolve(f, zbar, 1, true);
  }
  const { n, m } = d;
  const r = gmres(
    (g, out) => {
      jacobianTransposeTimes(d, p.D, g, out);
      let last = g[N - 1]!;
      for (let j = 0; j < n; j++) last += (d.c[d.cOff + j]! + p.x[j]!) * g[j]!;
      for (let i = 0; i < m; i++) last += (d.b[d.bOff + i]! + p.y[i]!) * g[n + i]!;
      out[N - 1] = last;
    },
    zbar,
    { tol: 1e-11, maxIter: 20 * N, restart: 60 },
  );
  if (!r.converged) {
    throw new DifferentiationError(
      `convex.cone: implicit differentiation failed at batch element ${element}: GMRES on the adjoint residual map did not converge (residual ${r.residual.toExponential(2)} after ${r.iterations} iterations)`,
    );
  }
  return r.x;
}

export function coneVjp(
  params: ConeParams,
  result: SolveResult<ConeSolution>,
  cot: Cotangents<ConeSolution>,
  layout: ConeLayout,
  opts: ConeSolverOptions,
): Cotangents<ConeParams> {
  const { A, b, c } = params;
  const m = A.shape[A.ndim - 2]!;
  const n = A.shape[A.ndim - 1]!;
  const points = (result.saved as ConeSaved).points;
  const B = points.length;
  const batchedOut = result.solution.x.ndim === 2;
  const gA = new Float64Array(A.size);
  const gb = new Float64Array(b.size);
  const gc = new Float64Array(c.size);
  const N = n + m + 1;
  const slice = (t: Tensor | null | undefined, e: number, k: number) =>
    t ? t.data.subarray(batchedOut ? e * k : 0, (batchedOut ? e * k : 0) + k) : null;
  for (let e = 0; e < B; e++) {
    const p = points[e];
    const xb = slice(cot.x, e, n);
    const yb = slice(cot.y, e, m);
    const sb = slice(cot.s, e, m);
    if (!p || (!xb && !yb && !sb)) continue; // unconverged elements are masked by applyNode's policy
    const d: ConeData = {
      m,
      n,
      layout,
      A: A.data,
      aOff: A.ndim === 3 ? e * m * n : 0,
      b: b.data,
      bOff: b.ndim === 2 ? e * m : 0,
      c: c.data,
      cOff: c.ndim === 2 ? e * n : 0,
    };
    const zbar = new Float64Array(N);
    const ys = new Float64Array(m);
    let last = 0;
    for (let j = 0; j < n; j++) {
      const v = xb ? xb[j]! : 0;
      zbar[j] = v;
      last -= p.x[j]! * v;
    }
    for (let i = 0; i < m; i++) {
      const yv = yb ? yb[i]! : 0;
      const sv = sb ? sb[i]! : 0;
      ys[i] = yv + sv;
      last -= p.y[i]! * yv + p.s[i]! * sv;
    }
    applyConeDerivative(p.D, ys, zbar, 0, n);
    if (sb) for (let i = 0; i < m; i++) zbar[n + i]! -= sb[i]!;
    zbar[N - 1] = last;
    const g = adjointSolve(d, p, zbar, opts.denseMax ?? 400, e);
    const gt = g[N - 1]!;
    const aOff = A.ndim === 3 ? e * m * n : 0;
    for (let i = 0; i < m; i++) {
      const gy = g[n + i]!;
      const yi = p.y[i]!;
      for (let j = 0; j < n; j++) gA[aOff + i * n + j]! += gy * p.x[j]! - yi * g[j]!;
    }
    const bOff = b.ndim === 2 ? e * m : 0;
    for (let i = 0; i < m; i++) gb[bOff + i]! += gt * p.y[i]! - g[n + i]!;
    const cOff = c.ndim === 2 ? e * n : 0;
    for (let j = 0; j < n; j++) gc[cOff + j]! += gt * p.x[j]! - g[j]!;
  }
  return { A: new Tensor(gA, A.shape), b: new Tensor(gb, b.shape), c: new Tensor(gc, c.shape) };
}
