import { Tensor, add, broadcastTo, concat, expandDims, maximum, minimum, mul, reshape, sigmoid, sub, sum, div } from '@argmin/autodiff';
import type { SolverStep } from '@argmin/autodiff/extend';
import { checkK, type LmlOptions, type LmlParams, type LmlSolution } from './problem.js';
import { lmlBracket } from './solve.js';

/** Largest Newton step on ν in one unrolled iteration (a trust region, in logit units). */
const MAX_STEP = 4;

/**
 * The optimality residual of one row: [y − σ(x + ν); 1ᵀy − k]. Square in (y, ν), with Jacobian
 * [[I, −D1], [1ᵀ, 0]], nonsingular whenever some entry is not saturated (1ᵀD1 > 0).
 */
export function lmlOptimality({ x }: LmlParams, { y, nu }: LmlSolution, { k }: LmlOptions): Tensor {
  return concat([sub(y, sigmoid(add(x, nu))), reshape(sub(sum(y), k), [1])], 0);
}

/**
 * One Newton step on ν written with differentiable ops, for unrolling:
 *   ν ← ν − clip(φ(ν)/φ'(ν), ±4),   φ(ν) = Σ σ(x + ν) − k,   y = σ(x + ν).
 * At the root the step's derivative in ν vanishes (Newton converges quadratically), so the
 * unrolled gradient tends to the implicit one. The start, the midpoint of the order-statistic
 * bracket, is a constant: it carries no gradient, and needs none. From there Newton takes ~5-10
 * steps; the default unrolls 30.
 */
export const lmlStep: SolverStep<LmlParams, LmlSolution, LmlOptions> = {
  defaultSteps: 30,
  init({ x }, { k, warmStart }) {
    const n = x.shape[x.ndim - 1]!;
    checkK(k, n);
    const rows = x.size / n;
    const nuShape = x.ndim === 2 ? [rows] : [];
    let nu: Tensor;
    if (warmStart?.nu) nu = broadcastTo(warmStart.nu, nuShape);
    else {
      const start = new Float64Array(rows);
      const scratch = new Float64Array(n);
      for (let r = 0; r < rows; r++) {
        const [lo, hi] = lmlBracket(x.data, r * n, n, k, scratch);
        start[r] = 0.5 * (lo + hi);
      }
      nu = new Tensor(start, nuShape);
    }
    return { y: sigmoid(add(x, expandDims(nu, -1))), nu };
  },
  update({ x }, { nu }, { k }) {
    const s = sigmoid(add(x, expandDims(nu, -1)));
    const value = sub(sum(s, -1), k);
    const slope = maximum(sum(mul(s, sub(1, s)), -1), 1e-300);
    const step = minimum(maximum(div(value, slope), -MAX_STEP), MAX_STEP);
    const next = sub(nu, step);
    return { y: sigmoid(add(x, expandDims(next, -1))), nu: next };
  },
};
