import type { NodeCallOptions, NodeOutput } from '@argmin/autodiff';
import { applyNode, defineNode, optionFields } from '@argmin/autodiff/extend';
import { qpObjectiveSpec } from './objective.js';
import { qpOptimality } from './optimality.js';
import type { QpOptions, QpParams, QpSolution } from './problem.js';
import { solveQp } from './solve.js';
import { qpStep } from './step.js';
import { qpVjp } from './vjp.js';

export type { QpOptions, QpParams, QpSolution } from './problem.js';

/**
 * The dense batched QP node (OptNet): z* = argmin ½zᵀQz + pᵀz s.t. Gz ≤ h, Az = b, with its
 * multipliers and slack. The invariant is `optimality(params, solve(params).solution) = 0`.
 *
 * - forward: with Q positive definite, first the primal–dual active-set method (a few rounds of
 *   one Schur complement each, from the warm start's guess of the active set); otherwise, or
 *   when its point fails the acceptance test, a homogeneous self-dual interior-point method with
 *   Mehrotra's predictor–corrector (one n×n Cholesky per iteration), polished on the active set;
 *   infeasible and unbounded problems are detected per batch element; a large, mostly-zero
 *   element is routed to the cone engine's sparse interior point instead (`solver`, route.ts);
 * - 'implicit': OptNet's KKT differentiation, reusing the forward's factorization;
 * - 'unroll': Newton steps of a primal–dual interior-point method written with ops.
 */
export const qpNode = defineNode<QpParams, QpSolution, QpOptions>({
  name: 'convex.qp',
  signature: {
    params: { Q: '(n,n)', p: '(n)', G: '(m,n)', h: '(m)', A: '(k,n)', b: '(k)' },
    solution: { z: '(n)', lam: '(m)', nu: '(k)', slack: '(m)' },
    optional: ['G', 'h', 'A', 'b'],
    together: [
      ['G', 'h'],
      ['A', 'b'],
    ],
    psd: { Q: 'symmetric' },
  },
  options: { polish: optionFields.boolean().optional(), solver: optionFields.oneOf(['auto', 'dense', 'sparse']).optional() },
  solve: solveQp,
  optimality: qpOptimality,
  vjp: (params, result, cotangent) => qpVjp(params, result, cotangent),
  step: qpStep,
  objective: qpObjectiveSpec,
});

/**
 * Solves min ½zᵀQz + pᵀz s.t. Gz ≤ h, Az = b for each batch element (shapes `Q [B,n,n]`,
 * `p [B,n]`, `G [B,m,n]`, `h [B,m]`, `A [B,k,n]`, `b [B,k]`; a parameter without B is shared and
 * receives the summed gradient; G/h and A/b may be omitted). Returns `{ z, lam, nu, slack, info }`
 * with `info.status` per element ('converged', 'infeasible', 'unbounded', 'max_iter', 'failed'),
 * `info.method` ('active-set', 'polish', 'interior', 'degenerate-polish', 'sparse-polish',
 * 'sparse-ipm', 'none'; the two sparse ones mark the elements routed by `solver`) and
 * `info.iterations` (the active-set rounds or the interior point's iterations, each at most `maxIter`).
 * Q must be symmetric positive semidefinite. Options: `tol` (default 1e-10), `maxIter` (50),
 * `warmStart` ({ z, lam, nu, slack }, any subset), `polish` (true), `solver` ('auto'), `strategy`,
 * `onUnconverged`.
 */
export function qp(params: QpParams, options: QpOptions & NodeCallOptions<QpSolution> = {}): NodeOutput<QpSolution> {
  return applyNode(qpNode, params, options);
}
