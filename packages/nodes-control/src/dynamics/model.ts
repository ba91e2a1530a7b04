import { index, type Tensor } from '@argmin/autodiff';

/**
 * A discrete-time dynamics model x_{t+1} = step(x_t, u_t; params), written with differentiable
 * ops so that MPC can take its Jacobians (and second derivatives, for exact gradients) by
 * autodiff and pass gradients to its parameters.
 *
 * `step` works on R independent rows at once: x `[R, ns]`, u `[R, nc]`, and params either `[p]`
 * (shared by every row) or `[R, p]` (one parameter vector per row, for batched parameters), and
 * returns `[R, ns]`. Index the parameters along their last axis (see {@link param}) and the
 * model handles both layouts. Row r of the output may depend on row r of the inputs only.
 */
export interface DynamicsModel {
  /** Display name, e.g. 'pendulum'. */
  readonly name: string;
  readonly nState: number;
  readonly nCtrl: number;
  /** Number of entries of the parameter vector. */
  readonly nParams: number;
  step(x: Tensor, u: Tensor, params: Tensor): Tensor;
  /**
   * Optional: the same map on raw rows, which the solver's rollouts use instead of `step` to skip
   * the ops' overhead (Jacobians and gradients still come from `step`). x [R, ns], u [R, nc],
   * params [p] (pStride 0) or [R, p] (pStride p); writes out [R, ns].
   */
  stepRaw?(x: Float64Array, u: Float64Array, params: Float64Array, pStride: number, rows: number, out: Float64Array): void;
}

/** Column i of a rows × k tensor, as [R]. */
export const column = (x: Tensor, i: number): Tensor => index(x, i, -1);

/** Parameter i: a scalar for shared parameters [p], a column [R] for per-row parameters [R, p]. */
export const param = (params: Tensor, i: number): Tensor => index(params, i, -1);
