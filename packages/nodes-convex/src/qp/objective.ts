import { abs, add, matmul, max, maximum, mul, quadForm, relu, sub, sum, type Tensor } from '@argmin/autodiff';
import type { ObjectiveSpec } from '@argmin/autodiff/extend';
import { matvec, predicted, sumSquares } from '../shared/prediction.js';
import type { QpOptions, QpParams, QpSolution } from './problem.js';

/**
 * The objective ½zᵀQz + pᵀz written with differentiable ops, batched: z `[..., n]` with Q
 * `[..., n, n]` and p `[..., n]` (batch dimensions broadcast) gives `[...]`.
 */
export function qpObjective(params: Pick<QpParams, 'Q' | 'p'>, z: Tensor): Tensor {
  // One Q shared by a batch of z [B, n]: ½Σ z∘(zQ) + pᵀz is one gemm, where quadForm would take
  // B matrix–vector products (several times slower forward and backward). Same values.
  if (params.Q.ndim === 2 && z.ndim === 2) return add(mul(sum(mul(z, matmul(z, params.Q)), -1), 0.5), sum(mul(params.p, z), -1));
  return add(mul(quadForm(z, params.Q), 0.5), sum(mul(params.p, z), -1));
}

/** The QP as a loss on a predicted z, for amortization: ½zᵀQz + pᵀz, with Gz ≤ h and Az = b as penalty and violation. */
export const qpObjectiveSpec: ObjectiveSpec<QpParams, QpSolution, QpOptions> = {
  objective: (p, s) => qpObjective(p, predicted('convex.qp', s, 'z')),
  penalty(p, s) {
    const z = predicted('convex.qp', s, 'z');
    const parts: Tensor[] = [];
    if (p.G) parts.push(sumSquares(relu(sub(matvec(p.G, z), p.h!))));
    if (p.A) parts.push(sumSquares(sub(matvec(p.A, z), p.b!)));
    return parts.reduce((a, b) => add(a, b), mul(sum(z, -1), 0));
  },
  violation(p, s) {
    const z = predicted('convex.qp', s, 'z');
    const parts: Tensor[] = [];
    if (p.G && p.G.shape[p.G.ndim - 2]! > 0) parts.push(max(relu(sub(matvec(p.G, z), p.h!)), -1));
    if (p.A && p.A.shape[p.A.ndim - 2]! > 0) parts.push(max(abs(sub(matvec(p.A, z), p.b!)), -1));
    return parts.reduce((a, b) => maximum(a, b), mul(sum(z, -1), 0));
  },
};
