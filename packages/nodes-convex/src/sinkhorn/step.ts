import {
  Tensor,
  add,
  broadcastTo,
  concat,
  div,
  exp,
  expandDims,
  log,
  logsumexp,
  mean,
  mul,
  reshape,
  slice,
  sub,
  sum,
  zeros,
} from '@argmin/autodiff';
import { defineOp, type Op, type SolverStep } from '@argmin/autodiff/extend';
import { sinkhornSizes, type SinkhornOptions, type SinkhornParams, type SinkhornSolution } from './problem.js';

/**
 * Identity on values, centring the cotangent over the last axis. Only sum-zero perturbations of
 * the marginals keep the problem feasible, so their gradients are defined up to a constant; the
 * implicit VJP returns them centred, and routing the marginals through this op makes the
 * unrolled gradient centred too, so that both strategies give the same numbers.
 */
export const centredGradientOp: Op<Record<string, never>> = defineOp({
  name: 'convex.centredGradient',
  forward: ([x]) => new Tensor(x!.data, x!.shape),
  vjp: (cot) => [sub(cot, mean(cot, -1, true))],
});
const centredGradient = (x: Tensor): Tensor => centredGradientOp.apply([x], {});

/** log P = (f ⊕ g − C)/ε, for batched ([B, n], [B, m], [B?, n, m]) or single potentials. */
function logPlan(f: Tensor, g: Tensor, C: Tensor, epsilon: number): Tensor {
  return div(sub(add(expandDims(f, -1), expandDims(g, -2)), C), epsilon);
}

/**
 * The plan exp(L), L = (f ⊕ g)/ε − C/ε, and the value ⟨P, C⟩ + ε Σ P log P, which is
 * Σ P ⊙ (C + εL) = Σ P ⊙ (f ⊕ g): no log, and few ops per unrolled step.
 */
function planAndValue(f: Tensor, g: Tensor, scaledCost: Tensor, epsilon: number): { plan: Tensor; value: Tensor } {
  const fg = add(expandDims(f, -1), expandDims(g, -2));
  const plan = exp(sub(div(fg, epsilon), scaledCost));
  return { plan, value: sum(mul(plan, fg), [-2, -1]) };
}

/**
 * The optimality residual of one element, square in (plan, f, g, value):
 *   plan − exp((f ⊕ g − C)/ε)                          [n·m]
 *   ε(log a − logsumexpⱼ((f ⊕ g − C)/ε))               [n]      rows: P1 = a
 *   ε(log b − logsumexpᵢ((f ⊕ g − C)/ε)), all but last  [m − 1]  columns: Pᵀ1 = b (the last
 *                                                                 follows from equal masses)
 *   mean(f) − mean(g)                                  [1]      the gauge
 *   value − Σ P ⊙ (C + ε log P)                        [1]
 */
export function sinkhornOptimality(
  { a, b, C }: SinkhornParams,
  { plan, f, g, value }: SinkhornSolution,
  { epsilon }: SinkhornOptions,
): Tensor {
  const m = b.shape[0]!;
  const L = logPlan(f, g, C, epsilon);
  const rows = mul(sub(log(a), logsumexp(L, -1)), epsilon);
  const cols = mul(sub(log(b), logsumexp(L, -2)), epsilon);
  return concat(
    [
      reshape(sub(plan, exp(L)), [-1]),
      rows,
      slice(cols, [0], [m - 1]),
      reshape(sub(mean(f), mean(g)), [1]),
      reshape(sub(value, sum(mul(plan, add(C, mul(L, epsilon))))), [1]),
    ],
    0,
  );
}

/**
 * One log-domain Sinkhorn iteration written with differentiable ops, for unrolling:
 *   f ← ε log a − ε logsumexpⱼ((g − C)/ε),  g ← ε log b − ε logsumexpᵢ((f − C)/ε),
 * then the gauge mean(f) = mean(g). Stable for any ε; each iteration keeps a few n×m tensors
 * on the tape, which is the memory price of unrolling (see the benchmark). Unrolling always runs
 * `maxIter` steps (default 200): enough for ε ≳ 0.05 on costs in [0, 1]; smaller ε contracts
 * more slowly and needs a larger `maxIter` (the solver's `info.iterations` says how many).
 */
export const sinkhornStep: SolverStep<SinkhornParams, SinkhornSolution, SinkhornOptions> = {
  defaultSteps: 200,
  init(params, { epsilon, warmStart }) {
    const { batch, n, m } = sinkhornSizes(params);
    const fShape = batch === null ? [n] : [batch, n];
    const gShape = batch === null ? [m] : [batch, m];
    const scaledCost = div(params.C, epsilon);
    const f = warmStart?.f ? broadcastTo(warmStart.f, fShape) : zeros(fShape);
    // A warm f alone is completed by its c-transform, as the solver does.
    const g = warmStart?.g
      ? broadcastTo(warmStart.g, gShape)
      : warmStart?.f
        ? mul(sub(log(centredGradient(params.b)), logsumexp(sub(expandDims(div(f, epsilon), -1), scaledCost), -2)), epsilon)
        : zeros(gShape);
    return { f, g, ...planAndValue(f, g, scaledCost, epsilon) };
  },
  update({ a, b, C }, { g }, { epsilon }) {
    const scaledCost = div(C, epsilon);
    const fNew = mul(sub(log(centredGradient(a)), logsumexp(sub(expandDims(div(g, epsilon), -2), scaledCost), -1)), epsilon);
    const gNew = mul(sub(log(centredGradient(b)), logsumexp(sub(expandDims(div(fNew, epsilon), -1), scaledCost), -2)), epsilon);
    const kappa = expandDims(mul(sub(mean(fNew, -1), mean(gNew, -1)), 0.5), -1);
    const f = sub(fNew, kappa);
    const gFixed = add(gNew, kappa);
    return { f, g: gFixed, ...planAndValue(f, gFixed, scaledCost, epsilon) };
  },
};
