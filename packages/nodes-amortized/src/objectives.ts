import {
  InvalidInputError,
  ShapeError,
  abs,
  add,
  broadcastTo,
  expandDims,
  index,
  matmul,
  max,
  maximum,
  minimum,
  mul,
  relu,
  squeeze,
  stack,
  sub,
  sum,
  type Tensor,
} from '@argmin/autodiff';
import { lmlObjective, qpObjective, sinkhornObjective } from '@argmin/nodes-convex';
import { linearRollout, lqrObjective, type DynamicsModel } from '@argmin/nodes-control';
import { condensedApplies, condensedCost, condenseLqr } from './condensed.js';

type Rec = { readonly [key: string]: Tensor | undefined };

/**
 * What objective-based amortization needs to know about a problem, on batches (one value per
 * batch element): the objective f(ŷ; params), and how to handle its constraints — a
 * differentiable `project`ion onto the feasible set, or a squared-violation `penalty` added to
 * the loss — and the `violation` (largest, ≥ 0) reported beside the suboptimality.
 */
export interface ObjectiveSpec<P = any, S = any, O = any> {
  objective(params: P, prediction: Partial<S>, options: O): Tensor;
  penalty?(params: P, prediction: Partial<S>, options: O): Tensor;
  violation?(params: P, prediction: Partial<S>, options: O): Tensor;
  project?(params: P, prediction: Partial<S>, options: O): Partial<S>;
}

/** M·v for M `[..., r, c]`, v `[..., c]` (batch axes broadcast). */
const mv = (M: Tensor, v: Tensor): Tensor => squeeze(matmul(M, expandDims(v, -1)), -1);
const sumSq = (t: Tensor, axes: number | number[] = -1): Tensor => sum(mul(t, t), axes);

function need(node: string, prediction: Rec, key: string): Tensor {
  const t = prediction[key];
  if (!t) throw new InvalidInputError(`${node}: the objective needs the prediction of '${key}'; add it to amortize's 'predict' list`);
  return t;
}

/**
 * ½zᵀQz + pᵀz. With one Q shared by a batch of z `[B, n]` it is ½Σ z∘(zQ) + pᵀz: one gemm,
 * where `qpObjective`'s quadForm would take B matrix–vector products (several times slower
 * forward and backward); otherwise `qpObjective` itself.
 */
function qpValue(p: Rec, z: Tensor): Tensor {
  const Q = p.Q!;
  if (Q.ndim === 2 && z.ndim === 2) return add(mul(sum(mul(z, matmul(z, Q)), -1), 0.5), sum(mul(p.p!, z), -1));
  return qpObjective(p as { Q: Tensor; p: Tensor }, z);
}

/** The QP ½zᵀQz + pᵀz with Gz ≤ h and Az = b as penalty and violation. */
const qpSpec: ObjectiveSpec<Rec, Rec> = {
  objective: (p, s) => qpValue(p, need('convex.qp', s, 'z')),
  penalty(p, s) {
    const z = need('convex.qp', s, 'z');
    const parts: Tensor[] = [];
    if (p.G) parts.push(sumSq(relu(sub(mv(p.G, z), p.h!))));
    if (p.A) parts.push(sumSq(sub(mv(p.A, z), p.b!)));
    return parts.reduce((a, b) => add(a, b), mul(sum(z, -1), 0));
  },
  violation(p, s) {
    const z = need('convex.qp', s, 'z');
    const parts: Tensor[] = [];
    if (p.G && p.G.shape[p.G.ndim - 2]! > 0) parts.push(max(relu(sub(mv(p.G, z), p.h!)), -1));
    if (p.A && p.A.shape[p.A.ndim - 2]! > 0) parts.push(max(abs(sub(mv(p.A, z), p.b!)), -1));
    return parts.reduce((a, b) => maximum(a, b), mul(sum(z, -1), 0));
  },
};

/**
 * States of controls u `[B,T,nc]` from x0 `[B,ns]` (or `[ns]`): linear dynamics (F, f) by
 * `linearRollout`, a dynamics model by its `step` with the parameters `theta`.
 */
export function rolloutStates(params: Rec, u: Tensor, model?: DynamicsModel): Tensor {
  const x0 = params.x0!;
  if (params.F) return linearRollout({ F: params.F, ...(params.f ? { f: params.f } : {}), x0 }, u);
  if (!model)
    throw new InvalidInputError(
      'control.mpc: rolling out the predicted controls needs linear dynamics (F, f) or the model in nodeOptions.dynamics',
    );
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

/** LQR / MPC: the quadratic cost of the controls' rollout; MPC's bounds as a clamp. */
const controlSpec: ObjectiveSpec<Rec, Rec, { dynamics?: DynamicsModel }> = {
  objective(p, s, o) {
    const u = need('control', s, 'u');
    // Shared linear dynamics and cost: the condensed quadratic (one gemm, same values).
    if (u.ndim === 3 && condensedApplies(p)) return condensedCost(condenseLqr(p.C!, p.c!, p.F!, p.f), p.x0!, u);
    return lqrObjective(p as { C: Tensor; c: Tensor }, { x: rolloutStates(p, u, o?.dynamics), u });
  },
  violation(p, s) {
    const u = need('control', s, 'u');
    let v = mul(sum(u, [-2, -1]), 0);
    if (p.uLower) v = maximum(v, max(relu(sub(p.uLower, u)), [-2, -1]));
    if (p.uUpper) v = maximum(v, max(relu(sub(u, p.uUpper)), [-2, -1]));
    return v;
  },
  project(p, s) {
    let u = need('control', s, 'u');
    if (p.uLower) u = maximum(u, p.uLower);
    if (p.uUpper) u = minimum(u, p.uUpper);
    return { ...s, u };
  },
};

/**
 * LML: −yᵀx − H(y) with 1ᵀy = k as a penalty. 0 ≤ y ≤ 1 is the caller's `project`, e.g. a clamp
 * into (0, 1): it must be a true projection, since refinement applies it again after every step.
 */
const lmlSpec: ObjectiveSpec<Rec, Rec, { k: number }> = {
  objective: (p, s) => lmlObjective(p.x!, need('convex.lml', s, 'y')),
  penalty: (_p, s, o) => mul(sumSq(sub(sum(need('convex.lml', s, 'y'), -1, true), o.k)), 1),
  violation(_p, s, o) {
    const y = need('convex.lml', s, 'y');
    return maximum(abs(sub(sum(y, -1), o.k)), maximum(max(relu(sub(y, 1)), -1), max(relu(mul(y, -1)), -1)));
  },
};

/** Sinkhorn: ⟨P, C⟩ + ε Σ P log P with the marginals P1 = a, Pᵀ1 = b as penalty and violation. */
const sinkhornSpec: ObjectiveSpec<Rec, Rec, { epsilon: number }> = {
  objective: (p, s, o) => sinkhornObjective(p.C!, need('convex.sinkhorn', s, 'plan'), o.epsilon),
  penalty(p, s) {
    const plan = need('convex.sinkhorn', s, 'plan');
    return add(sumSq(sub(sum(plan, -1), p.a!)), sumSq(sub(sum(plan, -2), p.b!)));
  },
  violation(p, s) {
    const plan = need('convex.sinkhorn', s, 'plan');
    return maximum(max(abs(sub(sum(plan, -1), p.a!)), -1), max(abs(sub(sum(plan, -2), p.b!)), -1));
  },
};

const KNOWN: Readonly<Record<string, ObjectiveSpec>> = {
  'convex.qp': qpSpec,
  'control.lqr': controlSpec,
  'control.mpc': controlSpec,
  'convex.lml': lmlSpec,
  'convex.sinkhorn': sinkhornSpec,
};

/** The objective (and constraint handling) of a node of this repository, by its name. */
export function knownObjective(nodeName: string): ObjectiveSpec | undefined {
  return KNOWN[nodeName];
}
