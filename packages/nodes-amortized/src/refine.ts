import { InvalidInputError, grad, mul, sub, sum, type OptimizationNode, type Tensor } from '@argmin/autodiff';
import { type AnyNode, applyNode, type TensorRecord } from '@argmin/autodiff/extend';

/**
 * Semi-amortization: the model's prediction followed by K refinement steps, all differentiable,
 * so training goes end to end through them (Kim et al. 2018; Amos 2022, §3.2):
 * - 'gradient': K unrolled (projected) gradient steps ŷ ← Π(ŷ − α ∇_ŷ [f(ŷ) + ρ·penalty(ŷ)])
 *   on the objective; the inner gradient is itself recorded, so θ gets second-order terms;
 * - 'solver': K iterations of the node's own `step`, started at the prediction as `warmStart`
 *   (the node's 'unroll' strategy with maxIter K).
 */
export type Refinement =
  | { readonly kind: 'gradient'; readonly steps: number; readonly stepSize: number }
  | { readonly kind: 'solver'; readonly steps: number };

/** What a refinement needs to know about the problem (see ObjectiveSpec). */
export interface RefineContext<P extends TensorRecord, S extends TensorRecord> {
  readonly where: string;
  readonly node: OptimizationNode<P, S, object>;
  readonly nodeOptions: object;
  /** Objective plus weighted penalty, per batch element [B]. */
  readonly total?: (params: P, prediction: Partial<S>) => Tensor;
  readonly project?: (params: P, prediction: Partial<S>) => Partial<S>;
}

export function validateRefinement(where: string, r: Refinement, node: AnyNode, hasObjective: boolean): void {
  if (r.kind !== 'gradient' && r.kind !== 'solver') {
    throw new InvalidInputError(
      `${where}: unknown refinement kind '${String((r as { kind: unknown }).kind)}' (expected 'gradient' or 'solver')`,
    );
  }
  if (!(Number.isInteger(r.steps) && r.steps >= 1))
    throw new InvalidInputError(`${where}: refinement 'steps' must be a positive integer, got ${r.steps}`);
  if (r.kind === 'gradient') {
    if (!(Number.isFinite(r.stepSize) && r.stepSize > 0))
      throw new InvalidInputError(`${where}: refinement 'stepSize' must be positive, got ${r.stepSize}`);
    if (!hasObjective) throw new InvalidInputError(`${where}: gradient refinement needs the problem's objective; pass options.objective`);
  } else if (!node.step) {
    throw new InvalidInputError(
      `${where}: solver refinement needs the node to define 'step' (${node.name} has none); use { kind: 'gradient' }`,
    );
  }
}

/** Applies the refinement to a (projected) prediction; written with ops, so it is differentiable. */
export function refine<P extends TensorRecord, S extends TensorRecord>(
  ctx: RefineContext<P, S>,
  params: P,
  prediction: Partial<S>,
  r: Refinement,
): Partial<S> {
  const keys = Object.keys(prediction);
  if (r.kind === 'solver') {
    const out = applyNode(ctx.node, params, {
      ...ctx.nodeOptions,
      strategy: 'unroll',
      maxIter: r.steps,
      warmStart: prediction,
    } as never) as Record<string, Tensor>;
    return Object.fromEntries(keys.map((k) => [k, out[k]!])) as Partial<S>;
  }
  const total = ctx.total!;
  const gradient = grad((y: Partial<S>) => sum(total(params, y)));
  let y = prediction;
  for (let k = 0; k < r.steps; k++) {
    const g = gradient(y) as Record<string, Tensor>;
    const next: Record<string, Tensor> = {};
    for (const key of keys) next[key] = sub((y as Record<string, Tensor>)[key]!, mul(g[key]!, r.stepSize));
    y = ctx.project ? ctx.project(params, next as Partial<S>) : (next as Partial<S>);
  }
  return y;
}
