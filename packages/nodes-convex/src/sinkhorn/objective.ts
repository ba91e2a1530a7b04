import { type Tensor, add, mul, sum } from '@argmin/autodiff';
import { xlogx } from '../lml/objective.js';

/**
 * The entropic transport objective ⟨P, C⟩ + ε Σ P log P over the last two axes (one value per
 * batch element), written with differentiable ops: the loss for objective-based amortization.
 * The marginal constraints are the caller's business (e.g. a penalty, or a Sinkhorn projection).
 */
export function sinkhornObjective(C: Tensor, plan: Tensor, epsilon: number): Tensor {
  return add(sum(mul(plan, C), [-2, -1]), mul(sum(xlogx(plan), [-2, -1]), epsilon));
}
