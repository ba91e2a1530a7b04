import { add, concat, matmul, sub, type Tensor } from '@argmin/autodiff';
import type { ConeParams, ConeSolution, ConeSpec } from './problem.js';
import { coneProjection } from './projection-op.js';

/**
 * The optimality conditions of one cone program as a square residual in (x, y, s):
 *   Aᵀy + c = 0,   Ax + s − b = 0,   s − Π_K(s − y) = 0.
 * The last block says s ∈ K, y ∈ K* and sᵀy = 0 at once (Moreau: s − y splits into its parts on
 * K and on the polar cone exactly when they are orthogonal). Its Jacobian is nonsingular at
 * regular (unique, strictly complementary) solutions, so the generic implicit VJP applies too;
 * the node's own VJP (vjp.ts) is the faster path.
 */
export function coneOptimality({ A, b, c }: ConeParams, { x, y, s }: ConeSolution, cones: ConeSpec): Tensor {
  const dual = add(matmul(y, A), c);
  const primal = sub(add(matmul(A, x), s), b);
  const complementarity = sub(s, coneProjection(sub(s, y), cones, false));
  return concat([dual, primal, complementarity], 0);
}
