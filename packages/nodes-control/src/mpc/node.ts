import { InvalidInputError, ShapeError, Tensor, broadcastTo, scalar, type NodeCallOptions, type NodeOutput } from '@argmin/autodiff';
import { applyNode, defineNode, describeValue, optionFields } from '@argmin/autodiff/extend';
import { broadcastsTo } from '@argmin/autodiff/kernels';
import type { DynamicsModel } from '../dynamics/model.js';
import { mpcOptimality } from './optimality.js';
import { checkMpc, type MpcOptions, type MpcParams, type MpcSolution } from './problem.js';
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
    params: { C: '(T,n,n)', c: '(T,n)', x0: '(ns)', uLower: '(T,n-ns)', uUpper: '(T,n-ns)', F: '(T-1,ns,n)', f: '(T-1,ns)', theta: '(q)' },
    solution: { x: '(T,ns)', u: '(T,n-ns)' },
    optional: ['uLower', 'uUpper', 'F', 'f', 'theta'],
    psd: { C: 'symmetric-part' },
    dimLabels: { T: 'time step' },
  },
  options: {
    dynamics: optionFields
      .custom<DynamicsModel>(
        (v) => typeof v === 'object' && v !== null && typeof (v as DynamicsModel).nState === 'number',
        'a DynamicsModel',
      )
      .optional(),
    linesearchDecay: optionFields.between(0, 1).optional(),
    maxLinesearch: optionFields.positiveInt().optional(),
  },
  check: checkMpc,
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
  if (input === null || typeof input !== 'object' || input instanceof Tensor) {
    throw new InvalidInputError(
      `control.mpc: the problem must be an object { C, c, x0, dynamics, uLower?, uUpper? }, got ${describeValue(input)}`,
    );
  }
  const { C, c, x0, dynamics, ...rest } = input;
  const { uLower, uUpper, ...unknown } = rest;
  const extra = Object.keys(unknown)[0];
  if (extra !== undefined) {
    throw new InvalidInputError(`control.mpc: unknown entry '${extra}' (expected C, c, x0, dynamics, uLower, uUpper)`);
  }
  if (dynamics === null || typeof dynamics !== 'object' || !('F' in dynamics || 'model' in dynamics)) {
    throw new InvalidInputError(
      `control.mpc: 'dynamics' must be linear dynamics { F, f? } or a model { model, params? }, got ${describeValue(dynamics)}`,
    );
  }
  const params: Record<string, Tensor> = { C, c, x0 };
  let opts = options;
  if ('F' in dynamics) {
    params.F = dynamics.F;
    if (dynamics.f) params.f = dynamics.f;
  } else {
    if (dynamics.params) params.theta = dynamics.params;
    opts = { ...options, dynamics: dynamics.model };
  }
  // The bounds' target shape [T,nc] needs C and x0; if they are not Tensors, applyNode names them.
  const sized = C instanceof Tensor && x0 instanceof Tensor && C.ndim >= 3 && x0.ndim >= 1;
  const T = sized ? C.shape[C.ndim - 3]! : 0;
  const nc = sized ? C.shape[C.ndim - 1]! - x0.shape[x0.ndim - 1]! : 0;
  for (const [name, bound] of [
    ['uLower', uLower],
    ['uUpper', uUpper],
  ] as const) {
    if (bound === undefined) continue;
    if (typeof bound !== 'number' && !(bound instanceof Tensor)) {
      throw new InvalidInputError(
        `control.mpc: '${name}' must be a number or a Tensor broadcastable to [T,nc], got ${describeValue(bound)}`,
      );
    }
    const t = typeof bound === 'number' ? scalar(bound) : bound;
    params[name] = sized ? expandBound(name, t, T, nc) : t;
  }
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
