import { InvalidInputError } from '../errors.js';
import type { LinearSolveOptions } from './linear-solve.js';
import type { AnyNode, SolveControls, TensorRecord } from './node.js';
import type { WorkerPool } from '../parallel/pool.js';

/**
 * How gradients pass through an optimization node, chosen per call:
 * - 'implicit': differentiate the optimality conditions at the solution (the node's own `vjp`,
 *   or the generic root VJP of `optimality`);
 * - 'unroll': run the solver's `step` as differentiable ops and backpropagate through them;
 * - 'solve': forward only; the gradient with respect to the parameters is zero by declaration.
 */
export type Strategy = 'implicit' | 'unroll' | 'solve';

/**
 * A strategy as a value that carries its own options; the strings are shorthands for the
 * objects without options. `steps` is the unroll length (default: the node's `defaultSteps`),
 * independent of the forward's `maxIter`; `linearSolve` configures the implicit VJP's solve.
 */
export type StrategySpec =
  | Strategy
  | { readonly kind: 'implicit'; readonly linearSolve?: LinearSolveOptions }
  | { readonly kind: 'unroll'; readonly steps?: number }
  | { readonly kind: 'solve' };

/**
 * What the implicit VJP does for batch elements whose solve did not converge:
 * 'error' (default) throws, 'zero' gives them a zero gradient, 'unroll-fallback' differentiates
 * them by unrolling the solver instead.
 */
export type GradientPolicy = 'error' | 'zero' | 'unroll-fallback';

/** Options every node call accepts, beside the node's own. */
export interface NodeCallOptions<S extends TensorRecord = TensorRecord> extends SolveControls<S> {
  readonly strategy?: StrategySpec;
  readonly onUnconverged?: GradientPolicy;
  /** Linear solve of the generic implicit VJP (the same as `strategy: { kind: 'implicit', linearSolve }`). */
  readonly linearSolve?: LinearSolveOptions;
  /** Label shown for this node in traced graphs. */
  readonly label?: string;
  /**
   * Solve the batch (and its implicit backward) in slices on this many workers of the open pool
   * (`openWorkerPool` from '@argmin/autodiff/parallel'), or on the given pool. Off by default.
   */
  readonly workers?: number | WorkerPool;
}

/** A call's resolved strategy: what `applyNode` executes. */
export type Plan =
  | {
      readonly kind: 'implicit';
      readonly policy: GradientPolicy;
      readonly linearSolve?: LinearSolveOptions;
      readonly fallbackSteps: number;
    }
  | { readonly kind: 'unroll'; readonly policy: GradientPolicy; readonly steps: number }
  | { readonly kind: 'solve'; readonly policy: GradientPolicy };

/**
 * The one place a call's strategy is resolved and checked against what the node provides.
 * The string 'unroll' with a `maxIter` and no `steps` unrolls `maxIter` steps, as before the
 * strategy carried its length (kept while callers move to `{ kind: 'unroll', steps }`).
 */
export function resolvePlan(node: AnyNode, options: NodeCallOptions): Plan {
  const spec = options.strategy ?? 'implicit';
  const kind = typeof spec === 'string' ? spec : spec?.kind;
  const policy = options.onUnconverged ?? 'error';
  if (kind !== 'implicit' && kind !== 'unroll' && kind !== 'solve') {
    throw new InvalidInputError(`${node.name}: unknown strategy '${String(kind)}' (expected 'implicit', 'unroll' or 'solve')`);
  }
  if (policy !== 'error' && policy !== 'zero' && policy !== 'unroll-fallback') {
    throw new InvalidInputError(
      `${node.name}: unknown onUnconverged policy '${String(policy)}' (expected 'error', 'zero' or 'unroll-fallback')`,
    );
  }
  const supported = supportedStrategies(node);
  if (!supported.includes(kind)) {
    const needs = kind === 'implicit' ? 'optimality or vjp' : 'step';
    throw new InvalidInputError(`${node.name}: strategy '${kind}' needs the node to define ${needs} (it supports ${supported.join(', ')})`);
  }
  if (policy === 'unroll-fallback' && !node.step) {
    throw new InvalidInputError(`${node.name}: onUnconverged 'unroll-fallback' needs the node to define step`);
  }
  if (kind === 'unroll') {
    const steps = typeof spec === 'object' && spec.kind === 'unroll' ? spec.steps : undefined;
    return { kind, policy, steps: steps ?? (typeof spec === 'string' ? options.maxIter : undefined) ?? node.step!.defaultSteps };
  }
  if (kind === 'implicit') {
    const own = typeof spec === 'object' && spec.kind === 'implicit' ? spec.linearSolve : undefined;
    if (own && options.linearSolve && own !== options.linearSolve) {
      throw new InvalidInputError(`${node.name}: linearSolve is given twice (in the strategy and as an option); give it once`);
    }
    const linearSolve = own ?? options.linearSolve;
    // The fallback differentiates the iterations that produced the (unconverged) output.
    const fallbackSteps = options.maxIter ?? node.step?.defaultSteps ?? 0;
    return linearSolve ? { kind, policy, linearSolve, fallbackSteps } : { kind, policy, fallbackSteps };
  }
  return { kind, policy };
}

/** The strategy and policy of a call (the older entry point): see {@link resolvePlan}. */
export function resolveStrategy(node: AnyNode, options: NodeCallOptions): { strategy: Strategy; policy: GradientPolicy } {
  const plan = resolvePlan(node, options);
  return { strategy: plan.kind, policy: plan.policy };
}

/** The strategies a node can run: 'solve' always, 'implicit' with optimality or vjp, 'unroll' with step. */
export function supportedStrategies(node: AnyNode): Strategy[] {
  const out: Strategy[] = [];
  if (node.vjp || node.optimality) out.push('implicit');
  if (node.step) out.push('unroll');
  out.push('solve');
  return out;
}
