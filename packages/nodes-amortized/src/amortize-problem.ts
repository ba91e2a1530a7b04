// What amortize needs to know about the problem beside the model: its objective pieces (the node's
// own `objective` spec or the caller's overrides), the layout of the predicted entries in the
// model's output, and the checks on contexts and solves.
import {
  ConvergenceError,
  InvalidInputError,
  ShapeError,
  Tensor,
  add,
  mul,
  slice,
  type NodeOutput,
  type OptimizationNode,
} from '@argmin/autodiff';
import { rankOf, type CoreSpec, type ObjectiveSpec, type SolveControls, type TensorRecord } from '@argmin/autodiff/extend';
import type { AmortizeOptions } from './amortize.js';
import { solutionLayout, type SolutionLayout } from './layout.js';
import type { Model } from './model.js';
import { validateRefinement, type RefineContext } from './refine.js';

export interface ProblemPieces<P extends TensorRecord, S extends TensorRecord, O extends object> {
  readonly nodeOptions: O & SolveControls<S>;
  readonly objective: ObjectiveSpec<P, S, O>['objective'] | undefined;
  readonly project: ObjectiveSpec<P, S, O>['project'] | undefined;
  readonly violation: ObjectiveSpec<P, S, O>['violation'] | undefined;
  /** f(y) + ρ·penalty(y) per context, when the objective is known. */
  readonly total: ((p: P, y: Partial<S>) => Tensor) | undefined;
  readonly refineContext: RefineContext<P, S>;
}

/** The objective, projection, penalty and violation in use (overrides first, then the node's own). */
export function problemPieces<P extends TensorRecord, S extends TensorRecord, O extends object>(
  where: string,
  node: OptimizationNode<P, S, O>,
  options: AmortizeOptions<P, S, O>,
  needsObjective: boolean,
): ProblemPieces<P, S, O> {
  const known = node.objective;
  const nodeOptions = (options.nodeOptions ?? {}) as O & SolveControls<S>;
  const objective = options.objective ?? known?.objective;
  const project = options.project ?? known?.project;
  const penalty = options.penalty ?? known?.penalty;
  const violation = options.violation ?? known?.violation;
  const rho = options.penaltyWeight ?? 10;
  if (!(rho >= 0)) throw new InvalidInputError(`${where}: 'penaltyWeight' must be ≥ 0, got ${rho}`);
  if (needsObjective && !objective) {
    throw new InvalidInputError(
      `${where}: loss 'objective' needs the problem's objective, and ${node.name} defines none; pass options.objective`,
    );
  }
  if (options.refine) validateRefinement(where, options.refine, node, objective !== undefined);
  const total = objective
    ? (p: P, y: Partial<S>) =>
        penalty && rho > 0 ? add(objective(p, y, nodeOptions), mul(penalty(p, y, nodeOptions), rho)) : objective(p, y, nodeOptions)
    : undefined;
  const refineContext: RefineContext<P, S> = {
    where,
    node,
    nodeOptions,
    ...(total ? { total } : {}),
    ...(project ? { project: (p: P, y: Partial<S>) => project(p, y, nodeOptions) } : {}),
  };
  return { nodeOptions, objective, project, violation, total, refineContext };
}

/**
 * The layout of the predicted entries in the model's output, resolved once: from `options.shapes`,
 * or from one solve at the first context when shapes are not given.
 */
export function layoutResolver<P extends TensorRecord, S extends TensorRecord, O extends object, Theta>(
  where: string,
  node: OptimizationNode<P, S, O>,
  model: Model<Theta>,
  options: AmortizeOptions<P, S, O>,
  solveContexts: (x: Tensor) => NodeOutput<S>,
): (x?: Tensor) => SolutionLayout {
  const keys = (options.predict ?? [Object.keys(node.signature.solution)[0]!]) as string[];
  let layout: SolutionLayout | null = null;
  return (x?: Tensor): SolutionLayout => {
    if (layout) return layout;
    let shapes = options.shapes as Record<string, readonly number[]> | undefined;
    if (!shapes || keys.some((k) => !shapes![k])) {
      if (!x) {
        throw new InvalidInputError(
          `${where}: give 'shapes' of the predicted entries, or call with contexts so that one solve can tell them`,
        );
      }
      const one = solveContexts(slice(x, [0, 0], [1, x.shape[1]!]));
      shapes = Object.fromEntries(keys.map((k) => [k, (one as Record<string, Tensor>)[k]?.shape.slice(1) ?? []]));
    }
    const ranks = Object.fromEntries(Object.entries(node.signature.solution).map(([k, spec]) => [k, rankOf(spec as CoreSpec)]));
    layout = solutionLayout(where, keys, shapes, ranks, model.outputSize);
    return layout;
  };
}

/** Contexts are a `[B, dx]` tensor with dx the model's input size. */
export function checkContextShape<Theta>(where: string, model: Model<Theta>, x: unknown): void {
  if (!(x instanceof Tensor) || x.ndim !== 2 || x.shape[1] !== model.inputSize) {
    const got = x instanceof Tensor ? `shape [${x.shape.join(',')}]` : typeof x;
    throw new ShapeError(`${where}: contexts must have shape [B, ${model.inputSize}] (the model's input size), got ${got}`);
  }
}

/** Regression targets must be solutions: every context's solve converged. */
export function requireConverged(where: string, status: readonly string[]): void {
  const bad = status.flatMap((s, b) => (s === 'converged' ? [] : [`${b} (${s})`]));
  if (bad.length === 0) return;
  throw new ConvergenceError(
    `${where}: the solve did not converge for context${bad.length > 1 ? 's' : ''} ${bad.slice(0, 5).join(', ')}${bad.length > 5 ? ', …' : ''}; regression targets must be solutions`,
  );
}
