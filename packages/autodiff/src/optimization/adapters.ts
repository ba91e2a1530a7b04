import { InvalidInputError } from '../errors.js';
import { add, mul, sub } from '../ops/elementwise.js';
import { concat } from '../ops/index-ops.js';
import { sum } from '../ops/reduce.js';
import { reshape } from '../ops/shape.js';
import type { Tensor } from '../tensor.js';
import { grad } from '../transforms.js';
import type { TensorRecord } from './node.js';

/** Flattens named residual parts into one vector, in the given key order. */
export function flattenResidual(parts: readonly Tensor[]): Tensor {
  const flat = parts.map((p) => reshape(p, [-1]));
  return flat.length === 1 ? flat[0]! : concat(flat, 0);
}

/**
 * The optimality residual of a fixed point s = T(p, s) (jaxopt's `custom_fixed_point`):
 * R(p, s) = T(p, s) − s, flattened over the solution's entries in key order.
 */
export function fixedPointResidual<P extends TensorRecord, S extends TensorRecord>(
  map: (params: P, solution: S) => S,
): (params: P, solution: S) => Tensor {
  return (params, solution) => {
    const next = map(params, solution);
    return flattenResidual(Object.keys(solution).map((k) => sub(next[k]!, solution[k]!)));
  };
}

/** The pieces of a smooth constrained problem min f(x) s.t. eq(x) = 0, ineq(x) ≤ 0. */
export interface KktProblem<P extends TensorRecord> {
  readonly objective: (x: Tensor, params: P) => Tensor;
  readonly eq?: (x: Tensor, params: P) => Tensor;
  readonly ineq?: (x: Tensor, params: P) => Tensor;
}

/**
 * The KKT residual (jaxopt's `make_kkt_optimality_fun`) of a solution `{ x, nu?, lam? }`:
 *   [∇ₓ(f + νᵀeq + λᵀineq); eq(x); λ ⊙ ineq(x)].
 * ∇ₓ comes from `grad` inside the residual, so the implicit VJP sees the exact Hessian of the
 * Lagrangian through nested tapes. It is square and nonsingular at a solution that satisfies
 * strict complementarity and the second-order sufficient conditions.
 */
export function kktResidual<P extends TensorRecord>(
  problem: KktProblem<P>,
): (params: P, solution: { x: Tensor; nu?: Tensor; lam?: Tensor }) => Tensor {
  return (params, { x, nu, lam }) => {
    if (problem.eq && !nu) throw new InvalidInputError("kktResidual: a problem with equality constraints needs 'nu' in the solution");
    if (problem.ineq && !lam) throw new InvalidInputError("kktResidual: a problem with inequality constraints needs 'lam' in the solution");
    const lagrangian = (z: Tensor): Tensor => {
      let l = problem.objective(z, params);
      if (problem.eq) l = add(l, sum(mul(nu!, problem.eq(z, params))));
      if (problem.ineq) l = add(l, sum(mul(lam!, problem.ineq(z, params))));
      return l;
    };
    const parts: Tensor[] = [grad(lagrangian)(x)];
    if (problem.eq) parts.push(problem.eq(x, params));
    if (problem.ineq) parts.push(mul(lam!, problem.ineq(x, params)));
    return flattenResidual(parts);
  };
}
