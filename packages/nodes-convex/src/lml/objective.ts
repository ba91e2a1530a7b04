import { type Tensor, add, log, maximum, mul, neg, sub, sum } from '@argmin/autodiff';

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
