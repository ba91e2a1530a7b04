import { applyNode, defineNode, type NodeCallOptions, type NodeOutput } from '@argmin/autodiff';
import { coneOptimality } from './optimality.js';
import { coneLayout, validateCone, type ConeLayout, type ConeParams, type ConeSolution, type ConeSpec } from './problem.js';
import { solveCone, type ConeSolverOptions } from './solve.js';
import { coneStep, type ConeUnroll } from './step.js';
import { coneVjp } from './vjp.js';

/** The cone node's own options: the cones (required) and the solver's settings. */
export type ConeOptions = {
  readonly cones: ConeSpec;
  /** The iteration the 'unroll' strategy differentiates (default 'refine'; see step.ts). */
  readonly unroll?: ConeUnroll;
} & ConeSolverOptions;

const layouts = new WeakMap<ConeSpec, ConeLayout>();
function layoutOf(spec: ConeSpec): ConeLayout {
  let l = layouts.get(spec);
  if (!l) {
    l = coneLayout(spec);
    layouts.set(spec, l);
  }
  return l;
}

/**
 * 'convex.cone': min cᵀx s.t. b − Ax = s ∈ K (see problem.ts for K's layout), solved by
 * operator splitting on the homogeneous self-dual embedding with Anderson acceleration and
 * Gauss–Newton refinement (solve.ts); infeasible and unbounded programs are reported in
 * `info.status` with finite certificates in place of a solution. Gradients for A, b and c by
 * the implicit VJP of the residual map (vjp.ts), or by unrolling the refinement or ADMM
 * iterations (step.ts).
 * The invariant is optimality(params, solve(params).solution) = 0 (optimality.ts).
 */
export const coneNode = defineNode<ConeParams, ConeSolution, ConeOptions>({
  name: 'convex.cone',
  signature: { params: { A: 2, b: 1, c: 1 }, solution: { x: 1, y: 1, s: 1 } },
  solve(params, options) {
    const layout = validateCone(params, options.cones);
    return solveCone(params, layout, options, options.warmStart);
  },
  optimality(params, solution, options) {
    return coneOptimality(params, solution, options.cones);
  },
  vjp(params, result, cotangent, options) {
    return coneVjp(params, result, cotangent, layoutOf(options.cones), options);
  },
  step: coneStep,
});

/**
 * Solves min cᵀx s.t. b − Ax ∈ K, batched over a leading axis of A, b or c, and returns the
 * primal x, the dual y (Aᵀy + c = 0, y ∈ K*) and the slack s = b − Ax ∈ K.
 *
 * @example
 * // min x₁ + x₂ s.t. ‖(x₁, x₂)‖ ≤ 1 as t − ‖u‖ ≥ 0 with (t, u) = (1, x):
 * cone({ A, b, c }, { cones: { soc: [3] } })
 */
export function cone(params: ConeParams, options: ConeOptions & NodeCallOptions<ConeSolution>): NodeOutput<ConeSolution> {
  validateCone(params, options?.cones);
  return applyNode(coneNode, params, options);
}
