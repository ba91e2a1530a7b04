import { DifferentiationError, type Tensor } from '@argmin/autodiff';
import type { Cotangents } from '@argmin/autodiff/extend';
import { RiccatiFactors, RiccatiWorkspace, costates, riccatiBackward, rolloutLinear, type LqrArrays } from '../lqr/riccati.js';
import { GradientBuffers, accumulateLinear, interleave } from '../lqr/vjp.js';
import { strideOf } from '../shared/shapes.js';
import { constraintCurvature, parameterGradient } from './model-derivatives.js';
import { MPC_RANKS, type MpcOptions, type MpcParams, type MpcSolution } from './problem.js';
import type { MpcSaved } from './solve.js';

/**
 * The implicit VJP of box MPC at its fixed point, with the active bounds pinned. Differentiating
 * the KKT conditions (stationarity with costates λ, dynamics, x_0 = x0, u = bound on the active
 * set) gives again an LQR problem: cost Hessian H_t = C_t + Σ_i λ_{t+1,i} ∇²g_i(τ_t) (just C_t for
 * linear dynamics), linear cost τ̄ (the cotangents), dynamics Jacobians G_t, x_0 = 0, and the
 * active controls fixed at zero. Its solution dτ and costates dλ give
 *   C̄, c̄, x̄0, F̄, f̄ as for LQR;  θ̄ from the dynamics' parameter derivatives;
 *   uLower̄/uUpper̄ at an active control = (H dτ + τ̄)_u + G_uᵀ dλ_{t+1} (the multiplier's change),
 * and zero for inactive ones. mpc.pytorch gives no bound gradients and drops the curvature term.
 */
export function mpcVjp(
  params: MpcParams,
  solution: MpcSolution,
  saved: MpcSaved,
  cot: Cotangents<MpcSolution>,
  options: MpcOptions,
): Cotangents<MpcParams> {
  const { sizes, Csym, dyn, lam, bounds } = saved;
  const { T, ns, nc, n } = sizes;
  const B = sizes.batch ?? 1;
  const x = solution.x.data;
  const u = solution.u.data;
  const tauBar = new Float64Array(B * T * n);
  interleave(cot.x ?? null, cot.u ?? null, tauBar, B * T, ns, nc);
  const all = Array.from({ length: B }, (_, b) => b);
  const model = params.F ? undefined : options.dynamics;

  // Cost Hessians of the VJP's LQR, per element when the dynamics add curvature.
  let H = Csym;
  let sH = strideOf(params.C, 3);
  if (model && T > 1) {
    const curv = constraintCurvature(model, params.theta, all, x, u, lam, T, ns, nc);
    H = new Float64Array(B * T * n * n);
    for (let b = 0; b < B; b++) {
      H.set(Csym.subarray(b * sH, b * sH + T * n * n), b * T * n * n);
      for (let i = 0; i < (T - 1) * n * n; i++) H[b * T * n * n + i]! += curv[b * (T - 1) * n * n + i]!;
    }
    sH = T * n * n;
  }

  const grads = new GradientBuffers(params as Record<string, Tensor | undefined>, MPC_RANKS);
  const ws = new RiccatiWorkspace(T, ns, nc);
  const fac = new RiccatiFactors(T, ns, nc);
  const dx = new Float64Array(B * T * ns);
  const du = new Float64Array(B * T * nc);
  const dlam = new Float64Array(B * T * ns);
  const grad = new Float64Array(T * nc);
  const multiplierChange = new Float64Array(T * nc);
  const sc = strideOf(params.c, 2);
  for (const b of all) {
    const G = { F: dyn.G.data, FOff: b * dyn.G.stride };
    // The side of each active bound, from the sign of ∂J/∂u at the solution.
    costates(
      T,
      ns,
      nc,
      { C: Csym, cOff: b * strideOf(params.C, 3), q: params.c.data, qOff: b * sc, ...G, f: null, fOff: 0 },
      x,
      b * T * ns,
      u,
      b * T * nc,
      new Float64Array(T * ns),
      0,
      grad,
      0,
    );
    const side = new Int8Array(T * nc);
    for (let i = 0; i < T * nc; i++) {
      const ui = u[b * T * nc + i]!;
      // Active: on the bound up to roundoff, with ∂J/∂u pushing outward (or zero: degenerate).
      const lo = bounds.lo(b, i);
      const hi = bounds.hi(b, i);
      const atLo = lo > -Infinity && ui - lo <= 1e-10 * Math.max(1, Math.abs(lo)) && grad[i]! >= 0;
      const atHi = hi < Infinity && hi - ui <= 1e-10 * Math.max(1, Math.abs(hi)) && grad[i]! <= 0;
      side[i] = atLo && atHi ? (grad[i]! < 0 ? 1 : -1) : atLo ? -1 : atHi ? 1 : 0;
      fac.free[i] = side[i] === 0 ? 1 : 0;
    }
    const arrays: LqrArrays = { C: H, cOff: b * sH, q: tauBar, qOff: b * T * n, ...G, f: null, fOff: 0 };
    const t = riccatiBackward(ws, fac, arrays, 'pinned');
    if (t >= 0) {
      throw new DifferentiationError(
        `control.mpc: cannot differentiate batch element ${b}: with the active bounds pinned, the problem's curvature in the free controls is not positive definite at time step ${t} (the solution is not a strict local minimum)`,
      );
    }
    rolloutLinear(fac, T, ns, nc, arrays, null, 0, dx, b * T * ns, du, b * T * nc);
    costates(T, ns, nc, arrays, dx, b * T * ns, du, b * T * nc, dlam, b * T * ns, multiplierChange, 0);
    accumulateLinear(grads, b, sizes, x, u, lam, dx.subarray(b * T * ns), du.subarray(b * T * nc), dlam.subarray(b * T * ns));
    for (const [name, s] of [
      ['uLower', -1],
      ['uUpper', 1],
    ] as const) {
      const g = grads.data[name];
      if (!g) continue;
      const o = grads.offset(name, b);
      for (let i = 0; i < T * nc; i++) if (side[i] === s) g[o + i]! += multiplierChange[i]!;
    }
  }
  const out = grads.result();
  if (model && params.theta) out.theta = parameterGradient(model, params.theta, all, x, u, lam, dx, du, dlam, T, ns, nc);
  return out;
}
