import { concat, expandDims, index, maximum, minimum, mul, reshape, slice, sub, sum, vjp, zeros, type Tensor } from '@argmin/autodiff';
import { costGradient, dynamicsResidual, linearNext, reducedControlGradient, trajectory } from '../lqr/optimality.js';
import type { MpcOptions, MpcParams, MpcSolution } from './problem.js';

/**
 * The MPC residual R(params, (x, u)) of size T·n on ONE batch element, written with ops:
 * the dynamics residuals [T, ns] and the projected-gradient residual of the controls
 *   u − clamp(u − ∂J/∂u, uLower, uUpper)   [T, nc],
 * where ∂J/∂u is the reduced gradient along the dynamics (by costates). It is zero exactly at
 * a KKT point of the box-constrained problem; on the active set it reads u − bound, which is
 * how the implicit derivative pins the active controls.
 */
export function mpcOptimality(params: MpcParams, { x, u }: MpcSolution, options: MpcOptions): Tensor {
  const { C, c, x0, F, f, theta, uLower, uUpper } = params;
  const T = x.shape[0]!;
  const ns = x.shape[1]!;
  const tau = trajectory(x, u);
  const model = options.dynamics;
  let next: Tensor | null = null;
  let vjpNext: (t: number, lam: Tensor) => Tensor;
  if (F) {
    next = T > 1 ? linearNext(F, f, tau) : null;
    vjpNext = (t, lam) => sum(mul(index(F, t), expandDims(lam, -1)), 0);
  } else {
    const params1 = theta ?? zeros([0]);
    if (T > 1) next = model!.step(slice(x, [0], [T - 1]), slice(u, [0], [T - 1]), params1);
    vjpNext = (t, lam) => {
      const row = (a: Tensor) => slice(a, [t], [t + 1]);
      const { pullback } = vjp((xx: Tensor, uu: Tensor) => model!.step(xx, uu, params1), row(x), row(u));
      const [gx, gu] = pullback(reshape(lam, [1, ns])) as [Tensor, Tensor];
      return reshape(concat([gx, gu], -1), [-1]);
    };
  }
  const dyn = next ? dynamicsResidual(x, x0, next) : reshape(sub(index(x, 0), x0), [1, ns]);
  const grad = reducedControlGradient(costGradient(C, c, tau), ns, vjpNext);
  let projected = sub(u, grad);
  if (uLower) projected = maximum(projected, uLower);
  if (uUpper) projected = minimum(projected, uUpper);
  return concat([reshape(dyn, [-1]), reshape(sub(u, projected), [-1])], 0);
}
