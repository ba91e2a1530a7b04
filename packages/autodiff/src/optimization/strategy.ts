import { InvalidInputError } from '../errors.js';
import type { LinearSolveOptions } from './linear-solve.js';
import type { OptimizationNode, SolveControls, TensorRecord } from './node.js';

/**
 * How gradients pass through an optimization node, chosen per call:
 * - 'implicit': differentiate the optimality conditions at the solution (the node's own `vjp`,
 *   or the generic root VJP of `optimality`);
 * - 'unroll': run the solver's `step` as differentiable ops and backpropagate through them;
 * - 'solve': forward only; the gradient with respect to the parameters is zero by declaration.
 */
export type Strategy = 'implicit' | 'unroll' | 'solve';

/**
 * What the implicit VJP does for batch elements whose solve did not converge:
 * 'error' (default) throws, 'zero' gives them a zero gradient, 'unroll-fallback' differentiates
 * them by unrolling the solver instead.
 */
export type GradientPolicy = 'error' | 'zero' | 'unroll-fallback';

/** Options every node call accepts, beside the node's own. */
export interface NodeCallOptions<S extends TensorRecord = TensorRecord> extends SolveControls<S> {
  readonly strategy?: Strategy;
  readonly onUnconverged?: GradientPolicy;
  /** Linear solve of the generic implicit VJP. */
  readonly linearSolve?: LinearSolveOptions;
  /** Label shown for this node in traced graphs. */
  readonly label?: string;
}

/** The one place a call's strategy is resolved and checked against what the node provides. */
export function resolveStrategy(
  node: OptimizationNode<any, any, any>,
  options: NodeCallOptions,
): { strategy: Strategy; policy: GradientPolicy } {
  const strategy = options.strategy ?? 'implicit';
  const policy = options.onUnconverged ?? 'error';
  if (strategy !== 'implicit' && strategy !== 'unroll' && strategy !== 'solve') {
    throw new InvalidInputError(`${node.name}: unknown strategy '${String(strategy)}' (expected 'implicit', 'unroll' or 'solve')`);
  }
  if (policy !== 'error' && policy !== 'zero' && policy !== 'unroll-fallback') {
    throw new InvalidInputError(
      `${node.name}: unknown onUnconverged policy '${String(policy)}' (expected 'error', 'zero' or 'unroll-fallback')`,
    );
  }
  if (strategy === 'implicit' && !node.vjp && !node.optimality) {
    throw new InvalidInputError(`${node.name}: strategy 'implicit' needs the node to define optimality or vjp`);
  }
  if ((strategy === 'unroll' || policy === 'unroll-fallback') && !node.step) {
    throw new InvalidInputError(
      `${node.name}: ${strategy === 'unroll' ? "strategy 'unroll'" : "onUnconverged 'unroll-fallback'"} needs the node to define step`,
    );
  }
  return { strategy, policy };
}

/** The strategies a node can run: 'solve' always, 'implicit' with optimality or vjp, 'unroll' with step. */
export function supportedStrategies(node: OptimizationNode<any, any, any>): Strategy[] {
  const out: Strategy[] = [];
  if (node.vjp || node.optimality) out.push('implicit');
  if (node.step) out.push('unroll');
  out.push('solve');
  return out;
}
