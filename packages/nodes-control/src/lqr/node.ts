import type { NodeCallOptions, NodeOutput } from '@argmin/autodiff';
import { applyNode, defineNode } from '@argmin/autodiff/extend';
import { lqrOptimality } from './optimality.js';
import { checkHorizonAndState, type LqrParams, type LqrSolution } from './problem.js';
import { solveLqr, type LqrSaved } from './solve.js';
import { lqrStep } from './step.js';
import { controlObjectiveSpec } from './objective.js';
import { lqrVjp } from './vjp.js';

/** LQR has no options of its own: it is solved exactly in one Riccati pass. */
export type LqrOptions = object;

/**
 * Time-varying LQR as an optimization node: forward by the Riccati recursion; implicit VJP as
 * another LQR solve reusing the forward's factors; 'unroll' backpropagates through the Riccati
 * recursion written with differentiable ops. See {@link LqrParams} for the problem and shapes.
 */
export const lqrNode = defineNode<LqrParams, LqrSolution, LqrOptions>({
  name: 'control.lqr',
  signature: {
    params: { C: '(T,n,n)', c: '(T,n)', F: '(T-1,ns,n)', f: '(T-1,ns)', x0: '(ns)' },
    solution: { x: '(T,ns)', u: '(T,n-ns)' },
    optional: ['f'],
    psd: { C: 'symmetric-part' },
    dimLabels: { T: 'time step' },
  },
  options: {},
  check: (_params, _options, { dims }) => checkHorizonAndState('control.lqr', dims),
  solve: (params) => solveLqr(params),
  optimality: (params, solution) => lqrOptimality(params, solution),
  vjp: (params, result, cotangent) => lqrVjp(params, result.solution, result.saved as LqrSaved, cotangent),
  step: lqrStep,
  objective: controlObjectiveSpec,
});

/**
 * Solves min Σ_t ½τ_tᵀC_tτ_t + c_tᵀτ_t s.t. x_{t+1} = F_tτ_t + f_t, x_0 = x0 (τ_t = [x_t; u_t]),
 * returning `x [B,T,ns]`, `u [B,T,nc]` and the per-element `info`. Differentiable in C, c, F, f
 * and x0 by the chosen strategy (default 'implicit').
 *
 * @throws ShapeError for mismatched horizons or state sizes; InvalidInputError for non-finite
 *   values or a cost block whose symmetric part is not positive semidefinite.
 */
export function lqr(params: LqrParams, options: LqrOptions & NodeCallOptions<LqrSolution> = {}): NodeOutput<LqrSolution> {
  return applyNode(lqrNode, params, options);
}
