import { add, concat, expandDims, index, mul, reshape, slice, stack, sub, sum, type Tensor } from '@argmin/autodiff';
import type { LqrParams, LqrSolution } from './problem.js';

/**
 * Written with differentiable ops on ONE batch element (core ranks). Exported for the MPC
 * residual and the amortization losses.
 */

/** τ_t = [x_t; u_t] stacked over time: [T, n]. */
export function trajectory(x: Tensor, u: Tensor): Tensor {
  return concat([x, u], -1);
}

/** sym(C_t) τ_t + c_t for every t: the cost gradient [T, n] (only the symmetric part of C counts). */
export function costGradient(C: Tensor, c: Tensor, tau: Tensor): Tensor {
  const row = sum(mul(C, expandDims(tau, -2)), -1);
  const col = sum(mul(C, expandDims(tau, -1)), -2);
  return add(mul(add(row, col), 0.5), c);
}

/** F_t τ_t (+ f_t) for t < T−1: the next states [T−1, ns] of linear dynamics. */
export function linearNext(F: Tensor, f: Tensor | undefined, tau: Tensor): Tensor {
  const T = tau.shape[0]!;
  const head = slice(tau, [0], [T - 1]);
  const next = sum(mul(F, expandDims(head, -2)), -1);
  return f ? add(next, f) : next;
}

/** [x_0 − x0; x_{t+1} − next_t] as [T, ns]. */
export function dynamicsResidual(x: Tensor, x0: Tensor, next: Tensor): Tensor {
  const T = x.shape[0]!;
  const first = reshape(sub(index(x, 0), x0), [1, -1]);
  if (T === 1) return first;
  return concat([first, sub(slice(x, [1], [T]), next)], 0);
}

/**
 * The reduced gradient of the cost in the controls along the dynamics, by the costate
 * recursion λ_{T−1} = g_{T−1,x}, λ_t = g_{t,x} + J_{t,x}ᵀ λ_{t+1}, and ∂J/∂u_t = g_{t,u} + J_{t,u}ᵀ λ_{t+1},
 * where g is the cost gradient [T, n] and `vjpNext(t, λ)` returns J_tᵀ λ [n] for the dynamics
 * Jacobian J_t = ∂x_{t+1}/∂τ_t. Returns [T, nc].
 */
export function reducedControlGradient(g: Tensor, ns: number, vjpNext: (t: number, lam: Tensor) => Tensor): Tensor {
  const T = g.shape[0]!;
  const n = g.shape[1]!;
  const out: Tensor[] = new Array<Tensor>(T);
  let lam: Tensor | null = null;
  for (let t = T - 1; t >= 0; t--) {
    let gt = index(g, t);
    if (lam) gt = add(gt, vjpNext(t, lam));
    out[t] = slice(gt, [ns], [n]);
    lam = slice(gt, [0], [ns]);
  }
  return stack(out, 0);
}

/**
 * The LQR residual R(params, (x, u)) of size T·n, zero exactly at the solution: the dynamics
 * residuals [T, ns] and the reduced control gradient [T, nc], flattened (x first, as the solution).
 */
export function lqrOptimality(params: LqrParams, { x, u }: LqrSolution): Tensor {
  const { C, c, F, f, x0 } = params;
  const ns = x.shape[1]!;
  const tau = trajectory(x, u);
  const dyn = dynamicsResidual(x, x0, linearNext(F, f, tau));
  const grad = reducedControlGradient(costGradient(C, c, tau), ns, (t, lam) => sum(mul(index(F, t), expandDims(lam, -1)), 0));
  return concat([reshape(dyn, [-1]), reshape(grad, [-1])], 0);
}
