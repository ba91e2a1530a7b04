import {
  add,
  broadcastTo,
  concat,
  div,
  eye,
  full,
  matrixTranspose,
  mul,
  neg,
  reshape,
  slice,
  solve,
  sub,
  zeros,
  type Tensor,
} from '@argmin/autodiff';
import type { ConeParams, ConeSolution, ConeSpec } from './problem.js';
import { coneProjection } from './projection-op.js';
import type { ConeSolverOptions } from './solve.js';

/** Over-relaxation α of the unrolled ADMM (default 1.5). */
export type StepOptions = { cones: ConeSpec; alpha?: number } & ConeSolverOptions;

/**
 * One iteration of SCS-style operator splitting on the embedding, written with
 * differentiable ops, for the 'unroll' strategy. The state (x, y, s) stands for the embedding's
 * iterate w = (x, y − s, 1) (T is homogeneous, so normalising τ = 1 each step changes nothing):
 *   u = (x, Π*(y − s), 1),  ũ = (I + Q)⁻¹(2u − w),  w⁺ = w + α(ũ − u),
 *   x⁺ = w⁺_x/w⁺_τ,  y⁺ = Π*(w⁺_y/w⁺_τ),  s⁺ = y⁺ − w⁺_y/w⁺_τ.
 * It is plain relaxed ADMM (no Anderson acceleration and no refinement, which are not smooth
 * maps of the iterate), so it converges linearly: unrolled gradients approach the implicit ones
 * at that rate (hundreds of steps on small, well-conditioned programs).
 */
export function admmUpdate(params: ConeParams, { x, y, s }: ConeSolution, options: StepOptions): ConeSolution {
  const { m, n } = dims(params);
  const alpha = options.alpha ?? 1.5;
  const zy = sub(y, s);
  const uy = coneProjection(zy, options.cones, true);
  const one = full(x.ndim === 2 ? [x.shape[0]!, 1] : [1], 1);
  const rhs = concat([x, sub(mul(uy, 2), zy), one], -1);
  const ut = solve(identityPlusQ(params), rhs);
  const part = (from: number, to: number) => slice(ut, x.ndim === 2 ? [0, from] : [from], x.ndim === 2 ? [x.shape[0]!, to] : [to]);
  const wx = add(x, mul(sub(part(0, n), x), alpha));
  const wy = add(zy, mul(sub(part(n, n + m), uy), alpha));
  const wt = add(mul(sub(part(n + m, n + m + 1), 1), alpha), 1);
  const xNext = div(wx, wt);
  const zyNext = div(wy, wt);
  const yNext = coneProjection(zyNext, options.cones, true);
  return { x: xNext, y: yNext, s: sub(yNext, zyNext) };
}

/** The cold start of ADMM: w = (0, 0, 1). */
export function admmInit(params: ConeParams): ConeSolution {
  const { batch, m, n } = dims(params);
  const shape = (k: number) => (batch === null ? [k] : [batch, k]);
  return { x: zeros(shape(n)), y: zeros(shape(m)), s: zeros(shape(m)) };
}

export function dims({ A: a, b, c }: ConeParams): { batch: number | null; m: number; n: number } {
  const A = a!;
  const batch = A.ndim === 3 ? A.shape[0]! : b.ndim === 2 ? b.shape[0]! : c.ndim === 2 ? c.shape[0]! : null;
  return { batch, m: A.shape[A.ndim - 2]!, n: A.shape[A.ndim - 1]! };
}

/** I + Q = [[I, Aᵀ, c], [−A, I, b], [−cᵀ, −bᵀ, 1]], batched like the parameters. */
export function broadcastParams(params: ConeParams): { A: Tensor; b: Tensor; c: Tensor; lead: number[] } {
  const { batch, m, n } = dims(params);
  const lead = batch === null ? [] : [batch];
  return {
    A: broadcastTo(params.A!, [...lead, m, n]),
    b: broadcastTo(params.b, [...lead, m]),
    c: broadcastTo(params.c, [...lead, n]),
    lead,
  };
}

function identityPlusQ(params: ConeParams): Tensor {
  const { m, n } = dims(params);
  const { A, lead, ...vectors } = broadcastParams(params);
  const b = reshape(vectors.b, [...lead, m, 1]);
  const c = reshape(vectors.c, [...lead, n, 1]);
  const I = (k: number) => broadcastTo(eye(k), [...lead, k, k]);
  const top = concat([I(n), matrixTranspose(A), c], -1);
  const mid = concat([neg(A), I(m), b], -1);
  const bottom = concat([neg(matrixTranspose(c)), neg(matrixTranspose(b)), full([...lead, 1, 1], 1)], -1);
  return concat([top, mid, bottom], -2);
}
