import {
  InvalidInputError,
  ShapeError,
  add,
  broadcastTo,
  concat,
  index,
  max,
  maximum,
  minimum,
  mul,
  quadForm,
  relu,
  stack,
  sub,
  sum,
  type Tensor,
} from '@argmin/autodiff';
import type { ObjectiveSpec } from '@argmin/autodiff/extend';
import type { DynamicsModel } from '../dynamics/model.js';
import { condensedApplies, condensedCost, condenseLqr } from './condensed.js';
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

type Rec = { readonly [key: string]: Tensor | undefined };

/**
 * States of controls u `[B,T,nc]` from x0 `[B,ns]` (or `[ns]`): linear dynamics (F, f) by
 * `linearRollout`, a dynamics model by its `step` with the parameters `theta`.
 */
export function rolloutStates(params: Rec, u: Tensor, model?: DynamicsModel): Tensor {
  const x0 = params.x0!;
  if (params.F) return linearRollout({ F: params.F, ...(params.f ? { f: params.f } : {}), x0 }, u);
  if (!model) {
    throw new InvalidInputError(
      'control.mpc: rolling out the predicted controls needs linear dynamics (F, f) or the model in nodeOptions.dynamics',
    );
  }
  if (u.ndim !== 3) throw new ShapeError(`control.mpc: predicted controls must be batched [B,T,nc], got [${u.shape.join(',')}]`);
  const T = u.shape[1]!;
  let x = x0.ndim === 1 ? broadcastTo(x0, [u.shape[0]!, x0.shape[0]!]) : x0;
  const xs = [x];
  for (let t = 0; t < T - 1; t++) {
    x = model.step(x, index(u, t, -2), params.theta!);
    xs.push(x);
  }
  return stack(xs, -2);
}

function predictedControls(prediction: Rec): Tensor {
  const u = prediction.u;
  if (!u) throw new InvalidInputError("control: the objective needs the prediction of 'u'; add it to amortize's 'predict' list");
  return u;
}

/**
 * LQR and box MPC as a loss on predicted controls, for amortization: the quadratic cost of the
 * controls' rollout, and MPC's bounds as a clamp (`project`) and a `violation`.
 */
export const controlObjectiveSpec: ObjectiveSpec<Rec, Rec, { readonly dynamics?: DynamicsModel }> = {
  objective(p, s, o) {
    const u = predictedControls(s);
    // Shared linear dynamics and cost: the condensed quadratic (one gemm, same values).
    if (u.ndim === 3 && condensedApplies(p)) return condensedCost(condenseLqr(p.C!, p.c!, p.F!, p.f), p.x0!, u);
    return lqrObjective(p as { C: Tensor; c: Tensor }, { x: rolloutStates(p, u, o?.dynamics), u });
  },
  violation(p, s) {
    const u = predictedControls(s);
    let v = mul(sum(u, [-2, -1]), 0);
    if (p.uLower) v = maximum(v, max(relu(sub(p.uLower, u)), [-2, -1]));
    if (p.uUpper) v = maximum(v, max(relu(sub(u, p.uUpper)), [-2, -1]));
    return v;
  },
  project(p, s) {
    let u = predictedControls(s);
    if (p.uLower) u = maximum(u, p.uLower);
    if (p.uUpper) u = minimum(u, p.uUpper);
    return { ...s, u };
  },
};
