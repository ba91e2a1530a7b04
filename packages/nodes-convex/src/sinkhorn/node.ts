import {
  InvalidInputError,
  Tensor,
  applyNode,
  defineNode,
  type NodeCallOptions,
  type NodeOutput,
  type OptimizationNode,
} from '@argmin/autodiff';
import {
  SINKHORN,
  checkEpsilon,
  validateSinkhorn,
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
import { sinkhornVjp } from './vjp.js';

function shapeOf(s: SinkhornSizes, ...core: number[]): number[] {
  return s.batch === null ? core : [s.batch, ...core];
}

/** A warm-start potential must hold one vector, shared, or one per batch element. */
function checkWarmStart(t: Tensor | undefined, name: 'f' | 'g', len: number, batch: number | null): void {
  if (t === undefined) return;
  if (!(t instanceof Tensor) || (t.size !== len && t.size !== len * (batch ?? 1)) || !t.data.every(Number.isFinite)) {
    throw new InvalidInputError(
      `${SINKHORN}: warmStart.${name} must be a finite tensor of ${len} entries${batch === null ? '' : ` (or ${batch}×${len})`}, got ${t instanceof Tensor ? `shape [${t.shape.join(',')}]` : typeof t}`,
    );
  }
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
  signature: { params: { a: 1, b: 1, C: 2 }, solution: { plan: 2, f: 1, g: 1, value: 0 } },
  solve(params, options) {
    const sizes = validateSinkhorn(params, options.epsilon);
    const warm = options.warmStart;
    checkWarmStart(warm?.f, 'f', sizes.n, sizes.batch);
    checkWarmStart(warm?.g, 'g', sizes.m, sizes.batch);
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
    const epsilon = checkEpsilon(options.epsilon);
    const batch = solution.plan.ndim === 3 ? solution.plan.shape[0]! : null;
    const [n, m] = solution.plan.shape.slice(-2) as [number, number];
    return sinkhornVjp(params, { batch, n, m }, epsilon, solution, cotangent, schurOptions(options));
  },
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
  // Validation (shapes, positive marginals of equal mass, finite costs, ε > 0) runs in the
  // node's solve and its unrolled init, so a direct applyNode(sinkhornNode, …) gets it too.
  return applyNode(sinkhornNode, params, options);
}
