import { add, concat, matmul, mul, sub, symmetrize, type Tensor } from '@argmin/autodiff';
import type { QpParams, QpSolution } from './problem.js';

/**
 * The KKT residual of one QP element (core ranks), square in the solution (z, λ, ν, s):
 *   [ Qz + p + Gᵀλ + Aᵀν ;  λ∘s ;  Az − b ;  s + Gz − h ].
 * Its Jacobian in the solution is nonsingular at a strictly complementary solution with
 * linearly independent active constraints. Q enters through its symmetric part, as in the
 * problem, so its gradient is symmetric.
 */
export function qpOptimality(params: QpParams, solution: QpSolution): Tensor {
  const { p, G, h, A, b } = params;
  const { z, lam, nu, slack } = solution;
  let stationarity = add(matmul(symmetrize(params.Q), z), p);
  const parts: Tensor[] = [];
  if (G && lam.size > 0) stationarity = add(stationarity, matmul(lam, G));
  if (A && nu.size > 0) stationarity = add(stationarity, matmul(nu, A));
  parts.push(stationarity);
  if (G && lam.size > 0) parts.push(mul(lam, slack));
  if (A && nu.size > 0) parts.push(sub(matmul(A, z), b!));
  if (G && lam.size > 0) parts.push(sub(add(slack, matmul(G, z)), h!));
  return parts.length === 1 ? parts[0]! : concat(parts, 0);
}
