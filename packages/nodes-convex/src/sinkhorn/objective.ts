import { type Tensor, abs, add, max, maximum, mul, sub, sum } from '@argmin/autodiff';
import type { ObjectiveSpec } from '@argmin/autodiff/extend';
import { xlogx } from '../lml/objective.js';
import { predicted, sumSquares } from '../shared/prediction.js';
import type { SinkhornOptions, SinkhornParams, SinkhornSolution } from './problem.js';

/**
 * The entropic transport objective ⟨P, C⟩ + ε Σ P log P over the last two axes (one value per
 * batch element), written with differentiable ops: the loss for objective-based amortization.
 * The marginal constraints are the caller's business (e.g. a penalty, or a Sinkhorn projection).
 */
export function sinkhornObjective(C: Tensor, plan: Tensor, epsilon: number): Tensor {
  return add(sum(mul(plan, C), [-2, -1]), mul(sum(xlogx(plan), [-2, -1]), epsilon));
}

/** Sinkhorn as a loss on a predicted plan, for amortization: ⟨P, C⟩ + ε Σ P log P with the marginals P1 = a, Pᵀ1 = b as penalty and violation. */
export const sinkhornObjectiveSpec: ObjectiveSpec<SinkhornParams, SinkhornSolution, SinkhornOptions> = {
  objective: (p, s, o) => sinkhornObjective(p.C, predicted('convex.sinkhorn', s, 'plan'), o.epsilon),
  penalty(p, s) {
    const plan = predicted('convex.sinkhorn', s, 'plan');
    return add(sumSquares(sub(sum(plan, -1), p.a)), sumSquares(sub(sum(plan, -2), p.b)));
  },
  violation(p, s) {
    const plan = predicted('convex.sinkhorn', s, 'plan');
    return maximum(max(abs(sub(sum(plan, -1), p.a)), -1), max(abs(sub(sum(plan, -2), p.b)), -1));
  },
};
