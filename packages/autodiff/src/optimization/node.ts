import type { Tensor } from '../tensor.js';

/** Named tensors: the parameters or the solution of an optimization node. */
export type TensorRecord = { readonly [name: string]: Tensor };

/** Cotangents of a record: a missing or null entry is the symbolic zero. */
export type Cotangents<T extends TensorRecord> = { readonly [K in keyof T]?: Tensor | null };

/** How a solve ended, per batch element. Only 'converged' solutions carry trusted gradients. */
export type SolveStatus = 'converged' | 'max_iter' | 'infeasible' | 'unbounded' | 'failed';

/** The solver's report, one entry per batch element (length 1 for an unbatched call). */
export interface SolveInfo {
  readonly status: readonly SolveStatus[];
  readonly iterations: readonly number[];
  /** Final optimality residual (∞-norm, or the node's own measure). */
  readonly residual: readonly number[];
  /** Residual per iteration, per batch element, when the solver records it. */
  readonly history?: readonly (readonly number[])[];
}

export interface SolveResult<S extends TensorRecord> {
  readonly solution: S;
  readonly info: SolveInfo;
  /** Anything the node's own `vjp` reuses, e.g. the factorization of the KKT matrix. */
  readonly saved?: unknown;
}

/** Iteration controls every node's `solve` and `step` understand. */
export interface SolveControls<S extends TensorRecord = TensorRecord> {
  /** Convergence tolerance (node-specific default). */
  readonly tol?: number;
  /** Iteration budget (node-specific default). */
  readonly maxIter?: number;
  /** Initial point, e.g. a previous solution or an amortized prediction. */
  readonly warmStart?: Partial<S>;
}

/**
 * The core rank of each parameter and solution output. A parameter given with one more leading
 * axis than its core rank is batched over it; one given at its core rank is shared by the whole
 * batch (and receives the sum of the per-element gradients).
 */
export interface NodeSignature<P extends TensorRecord, S extends TensorRecord> {
  readonly params: { readonly [K in keyof P]-?: number };
  readonly solution: { readonly [K in keyof S]-?: number };
  /** Parameters that may be omitted (e.g. a QP without inequality constraints). */
  readonly optional?: readonly (keyof P & string)[];
  /** Parameters that receive no gradient (e.g. integer sizes, masks). */
  readonly nondifferentiable?: readonly (keyof P & string)[];
}

/** One iteration of the solver, written with differentiable ops, for the 'unroll' strategy. */
export interface SolverStep<P extends TensorRecord, S extends TensorRecord, O> {
  /** The starting point (must honour `options.warmStart`). */
  init(params: P, options: O & SolveControls<S>): S;
  update(params: P, state: S, options: O & SolveControls<S>): S;
  /** Iterations to unroll when the caller gives no `maxIter`. */
  readonly defaultSteps: number;
}

/**
 * An optimization problem as a node of the autodiff graph: solution(params) ∈ argmin.
 * The invariant is `optimality(params, solve(params).solution) = 0`.
 *
 * - `solve` is the fast numeric forward (raw kernels, batched over a leading axis).
 * - `optimality` is the residual R(params, solution), written with differentiable ops, on ONE
 *   batch element (core ranks). Its Jacobian in the solution must be square and nonsingular at
 *   the solution; the generic implicit VJP differentiates it.
 * - `vjp` optionally replaces the generic implicit VJP with a specialised one (e.g. reusing the
 *   forward factorization); it receives and returns batched tensors.
 * - `step` optionally gives one solver iteration for unrolling.
 */
export interface OptimizationNode<P extends TensorRecord, S extends TensorRecord, O extends object = object> {
  /** Namespaced by the plugin, e.g. 'convex.qp'. */
  readonly name: string;
  readonly signature: NodeSignature<P, S>;
  solve(params: P, options: O & SolveControls<S>): SolveResult<S>;
  optimality?(params: P, solution: S, options: O): Tensor;
  vjp?(params: P, result: SolveResult<S>, cotangent: Cotangents<S>, options: O): Cotangents<P>;
  step?: SolverStep<P, S, O>;
}

/** Identity with type inference, the way to declare a node. */
export function defineNode<P extends TensorRecord, S extends TensorRecord, O extends object = object>(
  node: OptimizationNode<P, S, O>,
): OptimizationNode<P, S, O> {
  return node;
}
