import { add, broadcastTo, concat, index, mul, quadForm, stack, sum, type Tensor } from '@argmin/autodiff';
import { matvec } from './step.js';

/**
 * The LQR cost Σ_t ½ τ_tᵀ C_t τ_t + c_tᵀ τ_t of trajectories, written with differentiable ops,
 * per batch element: x [B,T,ns], u [B,T,nc], C [B,T,n,n], c [B,T,n] (batch axes optional and
 * broadcast) give [B] (or a scalar). For objective-based amortization losses: a model predicts
 * u, {@link linearRollout} gives x, and this is the loss.
 */
export function lqrObjective(
  params: { readonly C: Tensor; readonly c: Tensor },
  trajectory: { readonly x: Tensor; readonly u: Tensor },
): Tensor {
  const tau = concat([trajectory.x, trajectory.u], -1);
  const stage = add(mul(quadForm(tau, params.C), 0.5), sum(mul(params.c, tau), -1));
  return sum(stage, -1);
}

/**
 * x_0 = x0, x_{t+1} = F_t [x_t; u_t] + f_t as ops: the states [B,T,ns] (or [T,ns]) that controls
 * u [B,T,nc] produce under linear dynamics F [B,T−1,ns,n], f [B,T−1,ns] (batch axes optional).
 */
export function linearRollout(dynamics: { readonly F: Tensor; readonly f?: Tensor; readonly x0: Tensor }, u: Tensor): Tensor {
  const { F, f, x0 } = dynamics;
  const T = u.shape[u.ndim - 2]!;
  const ns = x0.shape[x0.ndim - 1]!;
  const lead = [u, F, x0].map((t, i) => (t.ndim > [2, 3, 1][i]! ? t.shape[0]! : 0)).find((b) => b > 0);
  let x = lead !== undefined && x0.ndim === 1 ? broadcastTo(x0, [lead, ns]) : x0;
  const xs = [x];
  for (let t = 0; t < T - 1; t++) {
    const next = matvec(index(F, t, -3), concat([x, index(u, t, -2)], -1));
    x = f ? add(next, index(f, t, -2)) : next;
    xs.push(x);
  }
  return stack(xs, -2);
}
