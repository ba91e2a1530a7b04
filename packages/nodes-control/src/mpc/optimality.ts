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
export function mpcOptimality(params: MpcParams, solution: MpcSolution, options: MpcOptions): Tensor {
  const { x, u } = solution;
  const { x0, uLower, uUpper } = params;
  const ns = x.shape[1]!;
  const next = nextStates(params, solution, options);
  const dyn = next ? dynamicsResidual(x, x0, next) : reshape(sub(index(x, 0), x0), [1, ns]);
  let projected = sub(u, mpcControlGradient(params, solution, options));
  if (uLower) projected = maximum(projected, uLower);
  if (uUpper) projected = minimum(projected, uUpper);
  return concat([reshape(dyn, [-1]), reshape(sub(u, projected), [-1])], 0);
}

/** g(x_t, u_t) for t < T−1 on one element, [T−1, ns] (null for T = 1). */
function nextStates(params: MpcParams, { x, u }: MpcSolution, options: MpcOptions): Tensor | null {
  const T = x.shape[0]!;
  if (T < 2) return null;
  if (params.F) return linearNext(params.F, params.f, trajectory(x, u));
  return options.dynamics!.step(slice(x, [0], [T - 1]), slice(u, [0], [T - 1]), params.theta ?? zeros([0]));
}

/**
 * ∂J/∂u [T, nc] on one element: the gradient of the cost in the controls along the dynamics (by
 * costates). Zero at free controls of a solution; at an active control, minus its bound's
 * multiplier (positive at a lower bound, negative at an upper one).
 */
export function mpcControlGradient(params: MpcParams, { x, u }: MpcSolution, options: MpcOptions): Tensor {
  const { C, c, F, theta } = params;
  const ns = x.shape[1]!;
  let vjpNext: (t: number, lam: Tensor) => Tensor;
  if (F) {
    vjpNext = (t, lam) => sum(mul(index(F, t), expandDims(lam, -1)), 0);
  } else {
    const model = options.dynamics!;
    const p = theta ?? zeros([0]);
    vjpNext = (t, lam) => {
      const row = (a: Tensor) => slice(a, [t], [t + 1]);
      const { pullback } = vjp((xx: Tensor, uu: Tensor) => model.step(xx, uu, p), row(x), row(u));
      const [gx, gu] = pullback(reshape(lam, [1, ns])) as [Tensor, Tensor];
      return reshape(concat([gx, gu], -1), [-1]);
    };
  }
  return reducedControlGradient(costGradient(C, c, trajectory(x, u)), ns, vjpNext);
}
