import {
  ShapeError,
  applyNode,
  broadcastTo,
  defineNode,
  scalar,
  type NodeCallOptions,
  type NodeOutput,
  type Tensor,
} from '@argmin/autodiff';
import { broadcastsTo } from '@argmin/autodiff/kernels';
import type { DynamicsModel } from '../dynamics/model.js';
import { mpcOptimality } from './optimality.js';
import { validateMpc, type MpcOptions, type MpcParams, type MpcSolution } from './problem.js';
import { solveMpc, type MpcSaved } from './solve.js';
import { mpcStep } from './step.js';
import { controlObjectiveSpec } from '../lqr/objective.js';
import { mpcVjp } from './vjp.js';

/**
 * Box-constrained MPC as an optimization node: forward by box-DDP with a line search, implicit
 * VJP at the fixed point with the active bounds pinned (for C, c, x0, the bounds, and F, f or
 * the model parameters θ, including the dynamics' curvature); 'unroll' backpropagates through
 * the DDP iterations. See {@link MpcParams}.
 */
export const mpcNode = defineNode<MpcParams, MpcSolution, MpcOptions>({
  name: 'control.mpc',
  signature: {
    params: { C: 3, c: 2, x0: 1, uLower: 2, uUpper: 2, F: 3, f: 2, theta: 1 },
    solution: { x: 2, u: 2 },
    optional: ['uLower', 'uUpper', 'F', 'f', 'theta'],
  },
  solve: (params, options) => solveMpc(params, options),
  optimality: (params, solution, options) => mpcOptimality(params, solution, options),
  vjp: (params, result, cotangent, options) => mpcVjp(params, result.solution, result.saved as MpcSaved, cotangent, options),
  step: mpcStep,
  objective: controlObjectiveSpec,
});

/** Linear dynamics x_{t+1} = F_t τ_t + f_t, or a differentiable model with its parameters. */
export type MpcDynamics = { readonly F: Tensor; readonly f?: Tensor } | { readonly model: DynamicsModel; readonly params?: Tensor };

export interface MpcInput {
  /** Cost blocks [B,T,n,n] (symmetric part PSD) and linear terms [B,T,n]; batch axis optional. */
  readonly C: Tensor;
  readonly c: Tensor;
  /** Initial state [B,ns]. */
  readonly x0: Tensor;
  readonly dynamics: MpcDynamics;
  /** Control bounds, broadcastable to [B,T,nc] (a number, [nc], [T,nc] or [B,T,nc]); absent = unbounded. */
  readonly uLower?: Tensor | number;
  readonly uUpper?: Tensor | number;
}

/**
 * Solves box-constrained MPC (see {@link MpcParams}) and returns `x [B,T,ns]`, `u [B,T,nc]`
 * and per-element `info` (status, iterations, projected-gradient residual and its history).
 * Warm start with `options.warmStart = { u }`. Gradients (default 'implicit') reach C, c, x0,
 * the bounds and the dynamics (F, f, or the model's params).
 *
 * @throws ShapeError for mismatched horizons or state sizes; InvalidInputError for a bound
 *   above its upper bound, a non-PSD cost block, non-finite values or a model of the wrong size.
 */
export function mpc(input: MpcInput, options: MpcOptions & NodeCallOptions<MpcSolution> = {}): NodeOutput<MpcSolution> {
  const { C, c, x0, dynamics } = input;
  const params: Record<string, Tensor> = { C, c, x0 };
  let opts = options;
  if ('F' in dynamics) {
    params.F = dynamics.F;
    if (dynamics.f) params.f = dynamics.f;
  } else {
    if (dynamics.params) params.theta = dynamics.params;
    opts = { ...options, dynamics: dynamics.model };
  }
  const T = C.shape[C.ndim - 3] ?? 0;
  const nc = (C.shape[C.ndim - 1] ?? 0) - (x0.shape[x0.ndim - 1] ?? 0);
  for (const [name, bound] of [
    ['uLower', input.uLower],
    ['uUpper', input.uUpper],
  ] as const) {
    if (bound === undefined) continue;
    params[name] = expandBound(name, typeof bound === 'number' ? scalar(bound) : bound, T, nc);
  }
  validateMpc(params as MpcParams, opts);
  return applyNode(mpcNode, params as MpcParams, opts);
}

/** A bound broadcast to the node's [T,nc] unless it has a batch axis [B,T,nc]; its gradient sums back. */
function expandBound(name: string, bound: Tensor, T: number, nc: number): Tensor {
  if (bound.ndim === 3) return bound;
  if (bound.ndim === 2 && bound.shape[0] === T && bound.shape[1] === nc) return bound;
  if (!broadcastsTo(bound.shape, [T, nc])) {
    throw new ShapeError(
      `control.mpc: '${name}' of shape [${bound.shape.join(',')}] does not broadcast to [T,nc] = [${T},${nc}] (or give it as [B,T,nc])`,
    );
  }
  return broadcastTo(bound, [T, nc]);
}
