import { DifferentiationError } from '@argmin/autodiff';
import { gmres } from '@argmin/autodiff/kernels';
import { applyConeDerivative } from './cones.js';
import type { ConeData } from './data.js';
import { jacobianTransposeTimes, type ResidualPoint } from './residual-map.js';
import { reduceAdjoint, solveReducedAdjoint, type ReducedAdjoint } from './vjp-residual-reduced.js';

/**
 * The exact implicit VJP of a (conic LP) cone program at a polished solution (Agrawal et al. 2019, "Differentiating through a cone
 * program"). At a solution the normalised residual map N(z, Q) = ((Q − I)Π + I)(z/|w|) vanishes,
 * with z = (x, y − s, 1) and Π the projection onto ℝⁿ × K* × ℝ₊; so dz = −M⁻¹·dQ·u with
 * M = (Q − I)DΠ(z) + I and u = Π(z) = (x, y, 1). M is singular along the ray z, which the
 * solution map ignores; we use M̃ = M + u·e_τᵀ (nonsingular, see residual-map.ts). Backward:
 *   z̄ = (x̄,  DΠ*(ȳ + s̄) − s̄,  −xᵀx̄ − yᵀȳ − sᵀs̄),   g = M̃⁻ᵀ z̄,   Q̄ = −g·uᵀ,
 * which Q's skew structure maps to  Ā = g_y·xᵀ − y·g_xᵀ,  b̄ = g_τ·y − g_y,  c̄ = g_τ·x − g_x.
 * Up to `denseMax` rows M̃ᵀ is solved through its reduction by DΠ's eigenbasis (a dense LU of order
 * n + |K| + 1, vjp-residual-reduced.ts), else applied matrix-free in GMRES.
 */

const factors = new WeakMap<ResidualPoint, ReducedAdjoint>();

/** g = M̃⁻ᵀ z̄ for one element. */
function adjointSolve(d: ConeData, p: ResidualPoint, zbar: Float64Array, denseMax: number, element: number): Float64Array {
  const N = d.n + d.m + 1;
  if (N <= denseMax) {
    let f = factors.get(p);
    if (!f) {
      f = reduceAdjoint(d, p, element);
      factors.set(p, f);
    }
    return solveReducedAdjoint(d, p, f, zbar);
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

/**
 * One element's gradients by the residual map, accumulated into gA (row-major m×n at aOff),
 * gb (at bOff) and gc (at cOff); xb, yb, sb are the cotangents (null for zero).
 */
export function residualVjpElement(
  d: ConeData,
  p: ResidualPoint,
  xb: Float64Array | null,
  yb: Float64Array | null,
  sb: Float64Array | null,
  denseMax: number,
  element: number,
  out: { gA: Float64Array | null; aOff: number; gb: Float64Array; bOff: number; gc: Float64Array; cOff: number },
): void {
  const { n, m } = d;
  const N = n + m + 1;
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
  const g = adjointSolve(d, p, zbar, denseMax, element);
  const gt = g[N - 1]!;
  if (out.gA)
    for (let i = 0; i < m; i++) {
      const gy = g[n + i]!;
      const yi = p.y[i]!;
      for (let j = 0; j < n; j++) out.gA[out.aOff + i * n + j]! += gy * p.x[j]! - yi * g[j]!;
    }
  for (let i = 0; i < m; i++) out.gb[out.bOff + i]! += gt * p.y[i]! - g[n + i]!;
  for (let j = 0; j < n; j++) out.gc[out.cOff + j]! += gt * p.x[j]! - g[j]!;
}
