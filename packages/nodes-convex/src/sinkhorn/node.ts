import { Tensor, type NodeCallOptions, type NodeOutput, type OptimizationNode } from '@argmin/autodiff';
import { applyNode, defineNode, isRecording, optionFields } from '@argmin/autodiff/extend';
import {
  SINKHORN,
  checkSinkhorn,
  sinkhornSizes,
  type SinkhornCallOptions,
  type SinkhornOptions,
  type SinkhornParams,
  type SinkhornSizes,
  type SinkhornSolution,
} from './problem.js';
import type { SchurOptions } from './schur.js';
import { solveSinkhorn } from './solve.js';
import { sinkhornOptimality, sinkhornStep } from './step.js';
import { sinkhornObjectiveSpec } from './objective.js';
import { sinkhornVjp, sinkhornVjpOps } from './vjp.js';

function shapeOf(s: SinkhornSizes, ...core: number[]): number[] {
  return s.batch === null ? core : [s.batch, ...core];
}

/** The linear solve options of a call, for the potentials' system (symmetric: CG, never GMRES). */
function schurOptions(options: object): SchurOptions {
  const ls = (options as NodeCallOptions).linearSolve;
  if (!ls) return {};
  const method = ls.method === 'dense' ? 'dense' : ls.method === 'cg' || ls.method === 'gmres' ? 'cg' : 'auto';
  return {
    method,
    ...(ls.denseMax !== undefined ? { denseMax: ls.denseMax } : {}),
    ...(ls.tol !== undefined ? { tol: ls.tol } : {}),
    ...(ls.maxIter !== undefined ? { maxIter: ls.maxIter } : {}),
  };
}

/**
 * Entropic optimal transport (Cuturi 2013), POT's convention:
 *   P = argmin ⟨P, C⟩ + ε Σ P log P  s.t.  P1 = a, Pᵀ1 = b,
 * solved by log-stabilized Sinkhorn iterations (solve.ts). Returns the plan, the dual potentials
 * (P = exp((f ⊕ g − C)/ε), gauge mean(f) = mean(g)) and the value. The implicit VJP solves the
 * potentials' linear system through its Schur complement (schur.ts); `step` unrolls log-domain
 * iterations. The invariant is optimality(params, solve(params)) = 0.
 */
export const sinkhornNode: OptimizationNode<SinkhornParams, SinkhornSolution, SinkhornOptions> = defineNode<
  SinkhornParams,
  SinkhornSolution,
  SinkhornOptions
>({
  name: SINKHORN,
  signature: { params: { a: '(n)', b: '(m)', C: '(n,m)' }, solution: { plan: '(n,m)', f: '(n)', g: '(m)', value: '()' } },
  options: { epsilon: optionFields.positive() },
  check: (params) => checkSinkhorn(params, sinkhornSizes(params)),
  solve(params, options) {
    const sizes = sinkhornSizes(params);
    const warm = options.warmStart;
    const raw = solveSinkhorn(params, sizes, options.epsilon, {
      ...(options.tol !== undefined ? { tol: options.tol } : {}),
      ...(options.maxIter !== undefined ? { maxIter: options.maxIter } : {}),
      ...(warm?.f ? { f0: warm.f.data } : {}),
      ...(warm?.g ? { g0: warm.g.data } : {}),
    });
    const { n, m } = sizes;
    return {
      solution: {
        plan: new Tensor(raw.plan, shapeOf(sizes, n, m)),
        f: new Tensor(raw.f, shapeOf(sizes, n)),
        g: new Tensor(raw.g, shapeOf(sizes, m)),
        value: new Tensor(raw.value, shapeOf(sizes)),
      },
      info: { status: raw.status, iterations: raw.iterations, residual: raw.residual },
    };
  },
  optimality: sinkhornOptimality,
  vjp(params, { solution }, cotangent, options) {
    const { epsilon } = options;
    // Ops when the gradient is differentiated again (recorded); raw kernels otherwise.
    if (isRecording()) return sinkhornVjpOps(params, epsilon, solution, cotangent);
    const batch = solution.plan.ndim === 3 ? solution.plan.shape[0]! : null;
    const [n, m] = solution.plan.shape.slice(-2) as [number, number];
    return sinkhornVjp(params, { batch, n, m }, epsilon, solution, cotangent, schurOptions(options));
  },
  vjpRecords: true,
  step: sinkhornStep,
  objective: sinkhornObjectiveSpec,
});

/**
 * Entropic optimal transport between marginals a [n] and b [m] (positive, equal sums) under
 * cost C [n, m], each optionally batched over a leading axis. Returns { plan, f, g, value, info };
 * `info.status` is 'max_iter' for elements that did not converge within `maxIter`, and their
 * gradients follow `onUnconverged`. The gradients for a and b are centred (only sum-zero
 * perturbations of the marginals are feasible).
 */
export function sinkhorn(params: SinkhornParams, options: SinkhornCallOptions): NodeOutput<SinkhornSolution> {
  return applyNode(sinkhornNode, params, options);
}
