import { type Tensor, abs, add, log, max, maximum, mul, neg, relu, sub, sum } from '@argmin/autodiff';
import type { ObjectiveSpec } from '@argmin/autodiff/extend';
import { predicted, sumSquares } from '../shared/prediction.js';
import type { LmlOptions, LmlParams, LmlSolution } from './problem.js';

/** Below this, y log y is evaluated at the floor: 0·log 0 = 0 without a NaN in the gradient. */
const FLOOR = 1e-300;

/** y log y with the limit 0 at y = 0 (and a finite, if steep, gradient there). */
export function xlogx(y: Tensor): Tensor {
  return mul(y, log(maximum(y, FLOOR)));
}

/**
 * The LML objective −yᵀx − H_b(y) = Σᵢ −xᵢyᵢ + yᵢ log yᵢ + (1 − yᵢ) log(1 − yᵢ), summed over
 * the last axis (one value per row), written with differentiable ops: the loss for
 * objective-based amortization. Feasibility (0 ≤ y ≤ 1, 1ᵀy = k) is the caller's business.
 */
export function lmlObjective(x: Tensor, y: Tensor): Tensor {
  return sum(add(neg(mul(x, y)), add(xlogx(y), xlogx(sub(1, y)))), -1);
}

/**
 * LML as a loss on a predicted y, for amortization: −yᵀx − H(y) with 1ᵀy = k as a penalty.
 * 0 ≤ y ≤ 1 is the caller's `project`, e.g. a clamp into (0, 1): it must be a true projection,
 * since refinement applies it again after every step.
 */
export const lmlObjectiveSpec: ObjectiveSpec<LmlParams, LmlSolution, LmlOptions> = {
  objective: (p, s) => lmlObjective(p.x, predicted('convex.lml', s, 'y')),
  penalty: (_p, s, o) => sumSquares(sub(sum(predicted('convex.lml', s, 'y'), -1, true), o.k)),
  violation(_p, s, o) {
    const y = predicted('convex.lml', s, 'y');
    return maximum(abs(sub(sum(y, -1), o.k)), maximum(max(relu(sub(y, 1)), -1), max(relu(mul(y, -1)), -1)));
  },
};
