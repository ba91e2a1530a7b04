import type { z } from 'zod';
import type { Tensor } from '../tensor.js';
import type { NodeLayout } from './batch.js';
import type { PsdMode } from './checks.js';
import type { CoreSpec } from './signature.js';

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
  /**
   * How each element's solution was obtained, when the solver has several paths (e.g. the QP's
   * 'active-set', 'polish', 'interior', 'degenerate-polish' after a stalled interior point, 'none').
   */
  readonly method?: readonly string[];
  /**
   * Per element, the constraints without strict complementarity (multiplier and slack both ≈ 0):
   * there the solution is not differentiable in the data and the gradient is a one-sided one.
   */
  readonly weaklyActive?: readonly (readonly number[])[];
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
 * The core shape of each parameter and solution output, with named dimensions as in jax's
 * `vectorize` (`{ Q: '(n,n)', p: '(n)', G: '(m,n)' }`; a plain number is the core rank alone).
 * A parameter given with one more leading axis than its core rank is batched over it; one given
 * at its core rank is shared by the whole batch (and receives the sum of the per-element
 * gradients). `applyNode` checks a call against it once (see `resolveLayout`), so solve, vjp and
 * step receive parameters that fit, and the resolved layout.
 */
export interface NodeSignature<P extends TensorRecord, S extends TensorRecord> {
  readonly params: { readonly [K in keyof P]-?: CoreSpec };
  readonly solution: { readonly [K in keyof S]-?: CoreSpec };
  /** Parameters that may be omitted (e.g. a QP without inequality constraints). */
  readonly optional?: readonly (keyof P & string)[];
  /** Optional parameters that are given together or not at all (e.g. G with h). */
  readonly together?: readonly (readonly (keyof P & string)[])[];
  /** Parameters that receive no gradient (e.g. integer sizes, masks). */
  readonly nondifferentiable?: readonly (keyof P & string)[];
  /** Matrices (trailing two axes) that must be positive semidefinite; see `assertPsdBlocks`. */
  readonly psd?: { readonly [K in keyof P]?: PsdMode };
  /** Parameters that may hold ±∞ (never NaN), e.g. absent bounds; all others must be finite. */
  readonly infinite?: readonly (keyof P & string)[];
  /** Readable names of dimensions for messages, e.g. `{ T: 'time step' }`. */
  readonly dimLabels?: { readonly [dim: string]: string };
}

/** One iteration of the solver, written with differentiable ops, for the 'unroll' strategy. */
export interface SolverStep<P extends TensorRecord, S extends TensorRecord, O> {
  /** The starting point (must honour `options.warmStart`). */
  init(params: P, options: O & SolveControls<S>, layout: NodeLayout): S;
  update(params: P, state: S, options: O & SolveControls<S>, layout: NodeLayout): S;
  /** Iterations to unroll when the strategy gives no `steps`. */
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
/** Any node, for tables that hold nodes of different parameter, solution and option types. */
// biome-ignore lint/suspicious/noExplicitAny: a heterogeneous table's element type; users narrow by name.
export type AnyNode = OptimizationNode<any, any, any>;

export interface OptimizationNode<P extends TensorRecord, S extends TensorRecord, O extends object = object> {
  /** Namespaced by the plugin, e.g. 'convex.qp'. */
  readonly name: string;
  readonly signature: NodeSignature<P, S>;
  /**
   * The node's own options as zod fields (merged with the common call options into one strict
   * object: unknown keys and wrong types are typed errors naming the node and the option).
   * A node without it gets the common options checked and its other keys passed through.
   */
  readonly options?: z.ZodRawShape;
  /**
   * What only the node knows about valid inputs (e.g. positive marginals of equal mass, cones
   * that take A's rows), run once per call after the signature and the options are checked.
   */
  check?(params: P, options: O & SolveControls<S>, layout: NodeLayout): void;
  solve(params: P, options: O & SolveControls<S>, layout: NodeLayout): SolveResult<S>;
  optimality?(params: P, solution: S, options: O): Tensor;
  vjp?(params: P, result: SolveResult<S>, cotangent: Cotangents<S>, options: O, layout: NodeLayout): Cotangents<P>;
  /**
   * True if `vjp`, called while a transform records (`isRecording()`), computes with
   * differentiable ops on its arguments: then a derivative of the node's gradient (a
   * Hessian-vector product) runs it recorded. Otherwise that case takes the generic root VJP
   * through `optimality`, recorded.
   */
  readonly vjpRecords?: boolean;
  step?: SolverStep<P, S, O>;
  /** The problem as a loss on a predicted solution, for amortization (the family defines it beside its objective). */
  readonly objective?: ObjectiveSpec<P, S, O>;
}

/**
 * The node's problem as a loss on a prediction, for objective-based amortization and refinement
 * (`@argmin/nodes-amortized`), on batches (one value per batch element): the objective
 * f(ŷ; params), and its constraints as a differentiable `project`ion onto the feasible set or a
 * squared-violation `penalty`, and the largest `violation` (≥ 0) reported beside suboptimality.
 */
export interface ObjectiveSpec<P = TensorRecord, S = TensorRecord, O = object> {
  objective(params: P, prediction: Partial<S>, options: O): Tensor;
  penalty?(params: P, prediction: Partial<S>, options: O): Tensor;
  violation?(params: P, prediction: Partial<S>, options: O): Tensor;
  project?(params: P, prediction: Partial<S>, options: O): Partial<S>;
}

/** Identity with type inference, the way to declare a node. */
export function defineNode<P extends TensorRecord, S extends TensorRecord, O extends object = object>(
  node: OptimizationNode<P, S, O>,
): OptimizationNode<P, S, O> {
  return node;
}
