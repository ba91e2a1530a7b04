import { InvalidInputError, add, concat, matmul, sub, type Tensor } from '@argmin/autodiff';
import type { ConeParams, ConeSolution, ConeSpec } from './problem.js';
import { coneProjection } from './projection-op.js';

/**
 * The optimality conditions of one cone program as a square residual in (x, y, s):
 *   Px + Aᵀy + c = 0,   Ax + s − b = 0,   s − Π_K(s − y) = 0.
 * The last block says s ∈ K, y ∈ K* and sᵀy = 0 at once (Moreau: s − y splits into its parts on
 * K and on the polar cone exactly when they are orthogonal). Its Jacobian is nonsingular at
 * regular (unique, strictly complementary) solutions, so the generic implicit VJP applies too;
 * the node's own VJP (vjp.ts) is the faster path. Written for the dense forms (A, P).
 */
export function coneOptimality({ A, Aval, b, c, P, Pval }: ConeParams, { x, y, s }: ConeSolution, cones: ConeSpec): Tensor {
  if (!A || Aval || Pval)
    throw new InvalidInputError(
      "convex.cone: the optimality residual (generic implicit strategy) needs the dense forms 'A' and 'P'; use the node's own VJP for 'Aval' / 'Pval'",
    );
  let dual = add(matmul(y, A), c);
  if (P) dual = add(dual, matmul(P, x));
  const primal = sub(add(matmul(A, x), s), b);
  const complementarity = sub(s, coneProjection(sub(s, y), cones, false));
  return concat([dual, primal, complementarity], 0);
}
