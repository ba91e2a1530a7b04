import type { NodeCallOptions, NodeOutput } from '@argmin/autodiff';
import { applyNode, defineNode } from '@argmin/autodiff/extend';
import { coneOptimality } from './optimality.js';
import { coneOptionFields } from './options.js';
import { coneLayout, validateCone, type ConeParams, type ConeSolution, type ConeSpec } from './problem.js';
import { solveCone, type ConeSolverOptions, type ConeSparsity } from './solve.js';
import { coneStep, type ConeUnroll } from './step.js';
import { coneVjp } from './vjp.js';

/** The cone node's own options: the cones (required), sparsity patterns and the solver's settings. */
export type ConeOptions = {
  readonly cones: ConeSpec;
  /** Patterns of the sparse parameter forms: A for `Aval`, P's upper triangle for `Pval`. */
  readonly sparsity?: ConeSparsity;
  /** The iteration the 'unroll' strategy differentiates (default 'refine'; see step.ts). */
  readonly unroll?: ConeUnroll;
} & ConeSolverOptions;

/**
 * 'convex.cone': min ½xᵀPx + cᵀx s.t. b − Ax = s ∈ K (see problem.ts for K's layout and the
 * dense / sparse parameter forms), solved by a primal-dual interior-point method on the
 * homogeneous self-dual embedding (ipm/: Mehrotra predictor–corrector, Nesterov–Todd scaling
 * for the symmetric cones, dual scaling for the exponential and power cones, Ruiz equilibration, dense or
 * sparse LDLᵀ KKT solves); infeasible and unbounded programs are reported in `info.status` with
 * finite certificates in place of a solution. Gradients by the implicit VJP through the final
 * KKT system (vjp.ts), or by unrolling refinement or ADMM iterations (step.ts).
 * The invariant is optimality(params, solve(params).solution) = 0 (optimality.ts).
 */
export const coneNode = defineNode<ConeParams, ConeSolution, ConeOptions>({
  name: 'convex.cone',
  signature: {
    params: { A: 2, Aval: 1, b: 1, c: 1, P: 2, Pval: 1 },
    solution: { x: 1, y: 1, s: 1 },
    optional: ['A', 'Aval', 'P', 'Pval'],
  },
  options: coneOptionFields,
  check(params, options) {
    validateCone(params, options.cones, options.sparsity);
  },
  solve(params, options) {
    return solveCone(params, coneLayout(options.cones), options, options.sparsity);
  },
  optimality(params, solution, options) {
    return coneOptimality(params, solution, options.cones);
  },
  vjp(params, result, cotangent, options) {
    return coneVjp(params, result, cotangent, coneLayout(options.cones), options.sparsity, options.denseMax);
  },
  step: coneStep,
});

/**
 * Solves min ½xᵀPx + cᵀx s.t. b − Ax ∈ K, batched over a leading axis of any parameter, and
 * returns the primal x, the dual y (Px + Aᵀy + c = 0, y ∈ K*) and the slack s = b − Ax ∈ K.
 *
 * @example
 * // min x₁ + x₂ s.t. ‖(x₁, x₂)‖ ≤ 1 as t − ‖u‖ ≥ 0 with (t, u) = (1, x):
 * cone({ A, b, c }, { cones: { soc: [3] } })
 * // A sparse A: its values on a CSC pattern.
 * cone({ Aval, b, c }, { cones: { nonneg: m }, sparsity: { A: pattern } })
 */
export function cone(params: ConeParams, options: ConeOptions & NodeCallOptions<ConeSolution>): NodeOutput<ConeSolution> {
  return applyNode(coneNode, params, options);
}
