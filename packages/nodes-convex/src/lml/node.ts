import { InvalidInputError, ShapeError, Tensor, type NodeOutput, type OptimizationNode } from '@argmin/autodiff';
import { defineNode, describeValue, isRecording, optionFields } from '@argmin/autodiff/extend';
import { applyOverLastAxis } from '../layers/last-axis.js';
import { checkK, LML, type LmlCallOptions, type LmlOptions, type LmlParams, type LmlSolution } from './problem.js';
import { solveLmlRows } from './solve.js';
import { lmlOptimality, lmlStep } from './step.js';
import { lmlObjectiveSpec } from './objective.js';
import { lmlVjp, lmlVjpOps } from './vjp.js';

/**
 * The limited multi-label projection (Amos, Koltun & Kolter, 2019), a smooth top-k:
 *   y = argmin −yᵀx − H_b(y)  s.t.  0 ≤ y ≤ 1, 1ᵀy = k,
 * with H_b the binary entropy Σ −yᵢ log yᵢ − (1 − yᵢ) log(1 − yᵢ). Its solution is
 * y = σ(x + ν) with the scalar ν found by bracketed root finding (see solve.ts). The implicit VJP
 * is closed-form and O(n); `step` unrolls Newton's method on ν.
 * The invariant is optimality(x, solve(x)) = 0.
 */
export const lmlNode: OptimizationNode<LmlParams, LmlSolution, LmlOptions> = defineNode<LmlParams, LmlSolution, LmlOptions>({
  name: LML,
  signature: { params: { x: '(n)' }, solution: { y: '(n)', nu: '()' } },
  options: { k: optionFields.finite() },
  check: (_params, { k }, { dims }) => void checkK(k, dims.n!),
  solve({ x }, options) {
    const n = x.shape[x.ndim - 1]!;
    const { k } = options;
    const rows = x.size / n;
    const warm = options.warmStart?.nu;
    const out = solveLmlRows(x.data, rows, n, k, {
      ...(options.tol !== undefined ? { tol: options.tol } : {}),
      ...(options.maxIter !== undefined ? { maxIter: options.maxIter } : {}),
      ...(warm ? { nu0: warm.data } : {}),
    });
    return {
      solution: { y: new Tensor(out.y, x.shape), nu: new Tensor(out.nu, x.ndim === 2 ? [rows] : []) },
      info: { status: out.status, iterations: out.iterations, residual: out.residual },
    };
  },
  optimality: lmlOptimality,
  // Raw kernels for the gradient; ops when it is differentiated again (recorded).
  vjp: ({ x }, { solution: { y, nu } }, { y: yBar, nu: nuBar }) => ({
    x: isRecording() ? lmlVjpOps(x, nu, yBar ?? null, nuBar ?? null) : lmlVjp(y, yBar ?? null, nuBar ?? null, { x, nu }),
  }),
  vjpRecords: true,
  step: lmlStep,
  objective: lmlObjectiveSpec,
});

/**
 * Soft top-k over the last axis of `x` (any rank; leading axes are a batch): the LML projection
 * with 1ᵀy = k, called as every node is, `lml({ x }, { k, ...options })`. Returns `{ y, nu, info }`:
 * y of the shape of x with entries in (0, 1) summing to k per row, the multiplier ν per row and
 * the solver's report. The older form `lml(x, { k }, options)` returns y alone.
 */
export function lml(params: LmlParams, options: LmlOptions & LmlCallOptions): NodeOutput<LmlSolution>;
export function lml(x: Tensor, k: LmlOptions, options?: LmlCallOptions): Tensor;
export function lml(
  first: LmlParams | Tensor,
  second: LmlOptions & LmlCallOptions,
  options: LmlCallOptions = {},
): NodeOutput<LmlSolution> | Tensor {
  if (first instanceof Tensor) return lmlSolve(first, { k: second?.k }, options).y;
  if (first === null || typeof first !== 'object') {
    throw new InvalidInputError(`${LML}: parameters must be an object { x }, got ${describeValue(first)}`);
  }
  const unknown = Object.keys(first).find((key) => key !== 'x');
  if (unknown !== undefined) throw new InvalidInputError(`${LML}: unknown parameter '${unknown}' (expected x)`);
  return lmlSolve(first.x, second, {});
}

/** The older form of {@link lml} with the multiplier ν and the solver's report: `lmlSolve(x, { k }, options)`. */
export function lmlSolve(x: Tensor, k: LmlOptions, options: LmlCallOptions = {}): NodeOutput<LmlSolution> {
  if (!(x instanceof Tensor)) throw new InvalidInputError(`${LML}: parameter 'x' must be a Tensor, got ${describeValue(x)}`);
  if (x.ndim === 0) throw new ShapeError(`${LML}: parameter 'x' must have rank ≥ 1 (a vector, or a batch of them), got a scalar`);
  if (k === null || typeof k !== 'object')
    throw new InvalidInputError(`${LML}: options must be an object { k, … }, got ${describeValue(k)}`);
  return applyOverLastAxis(lmlNode, x, { ...options, ...k });
}
