import { InvalidInputError, Tensor } from '@argmin/autodiff';
import { sinkhorn } from '@argmin/nodes-convex';
import { otSemiDual } from './meta-ot-dual.js';
import type { MetaOt } from './meta-ot.js';
import type { MlpParams } from './mlp.js';

/**
 * Meta OT against the cold start, per held-out pair: Sinkhorn iterations and wall time to a
 * marginal error `tol` (the node's: L1 row error over the mass; columns are exact) from zero
 * potentials and from the prediction (its time included), both timed interleaved and taken as
 * medians over `repeats`; the plans of both starts solved to `exactTol`, compared entrywise; and
 * the raw prediction's marginal error and dual gap value* − D(f̂) ≥ 0.
 */
export interface MetaOtEvalOptions {
  /** Marginal error to reach (default 1e-4). */
  readonly tol?: number;
  /** Tolerance of the solves whose plans are compared (default 1e-10). */
  readonly exactTol?: number;
  /** ε of the solves (default the model's). */
  readonly epsilon?: number;
  readonly maxIter?: number;
  /** Timed runs per pair and start (default 3; the median is kept). */
  readonly repeats?: number;
}

export interface MetaOtPairReport {
  readonly coldIterations: number;
  readonly warmIterations: number;
  readonly coldMs: number;
  /** Prediction plus warm-started solve. */
  readonly warmMs: number;
  readonly predictMs: number;
  /** Marginal error of the plan of (f̂, c-transform of f̂), before any iteration. */
  readonly rawMarginalError: number;
  /** value* − D(f̂), absolute and over |value*|. */
  readonly dualGap: number;
  readonly relativeDualGap: number;
  /** max |P_cold − P_warm| of the two starts solved to exactTol. */
  readonly planDiff: number;
  readonly converged: boolean;
}

export interface MetaOtReport {
  readonly epsilon: number;
  readonly tol: number;
  readonly pairs: readonly MetaOtPairReport[];
  readonly meanColdIterations: number;
  readonly meanWarmIterations: number;
  /** Mean cold iterations over mean warm iterations. */
  readonly iterReduction: number;
  /** Total cold time over total warm time (prediction included). */
  readonly timeSpeedup: number;
  readonly maxPlanDiff: number;
  readonly meanDualGap: number;
  readonly meanRelativeDualGap: number;
  readonly meanRawMarginalError: number;
  /** All solves reached tol within maxIter. */
  readonly allConverged: boolean;
}

const median = (xs: number[]): number => {
  const s = xs.slice().sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};

const row = (t: Tensor, k: number): Tensor => {
  const len = t.shape[1]!;
  return new Tensor(t.data.slice(k * len, (k + 1) * len), [1, len]);
};

export function evaluateMetaOt(
  meta: MetaOt,
  theta: MlpParams,
  pairs: { readonly a: Tensor; readonly b: Tensor },
  options: MetaOtEvalOptions = {},
): MetaOtReport {
  const { tol = 1e-4, exactTol = 1e-10, epsilon = meta.epsilon, maxIter = 100000, repeats = 3 } = options;
  if (!(Number.isInteger(repeats) && repeats >= 1)) throw new InvalidInputError(`evaluateMetaOt: 'repeats' must be a positive integer`);
  const C = meta.cost;
  const reports: MetaOtPairReport[] = [];
  for (let k = 0; k < pairs.a.shape[0]!; k++) {
    const a = row(pairs.a, k);
    const b = row(pairs.b, k);
    const params = { a, b, C };
    const coldT: number[] = [];
    const warmT: number[] = [];
    const predT: number[] = [];
    let cold = sinkhorn(params, { epsilon, tol, maxIter });
    let warm = cold;
    let f = meta.predict(theta, a, b);
    for (let r = 0; r < repeats; r++) {
      const t0 = performance.now();
      cold = sinkhorn(params, { epsilon, tol, maxIter });
      const t1 = performance.now();
      f = meta.predict(theta, a, b);
      const t2 = performance.now();
      warm = sinkhorn(params, { epsilon, tol, maxIter, warmStart: { f } });
      const t3 = performance.now();
      coldT.push(t1 - t0);
      warmT.push(t3 - t1);
      predT.push(t2 - t1);
    }
    const raw = sinkhorn(params, { epsilon, maxIter: 0, warmStart: { f } });
    const exactCold = sinkhorn(params, { epsilon, tol: exactTol, maxIter });
    const exactWarm = sinkhorn(params, { epsilon, tol: exactTol, maxIter, warmStart: { f } });
    let planDiff = 0;
    exactCold.plan.data.forEach((v, i) => (planDiff = Math.max(planDiff, Math.abs(v - exactWarm.plan.data[i]!))));
    const value = exactCold.value.data[0]!;
    const gap = value - otSemiDual(f, a, b, C, epsilon).data[0]!;
    reports.push({
      coldIterations: cold.info.iterations[0]!,
      warmIterations: warm.info.iterations[0]!,
      coldMs: median(coldT),
      warmMs: median(warmT),
      predictMs: median(predT),
      rawMarginalError: raw.info.residual[0]!,
      dualGap: gap,
      relativeDualGap: gap / Math.abs(value),
      planDiff,
      converged: [cold, warm, exactCold, exactWarm].every((s) => s.info.status[0] === 'converged'),
    });
  }
  const mean = (key: keyof MetaOtPairReport) => reports.reduce((s, r) => s + (r[key] as number), 0) / reports.length;
  const total = (key: keyof MetaOtPairReport) => reports.reduce((s, r) => s + (r[key] as number), 0);
  return {
    epsilon,
    tol,
    pairs: reports,
    meanColdIterations: mean('coldIterations'),
    meanWarmIterations: mean('warmIterations'),
    iterReduction: mean('coldIterations') / Math.max(mean('warmIterations'), 1e-12),
    timeSpeedup: total('coldMs') / total('warmMs'),
    maxPlanDiff: Math.max(...reports.map((r) => r.planDiff)),
    meanDualGap: mean('dualGap'),
    meanRelativeDualGap: mean('relativeDualGap'),
    meanRawMarginalError: mean('rawMarginalError'),
    allConverged: reports.every((r) => r.converged),
  };
}

/** Marginal error after k = 0, 1, … iterations from a start (for the iterations curve). */
export function marginalErrorCurve(
  params: { a: Tensor; b: Tensor; C: Tensor },
  epsilon: number,
  iterations: readonly number[],
  f?: Tensor,
): number[] {
  return iterations.map(
    (k) => sinkhorn(params, { epsilon, maxIter: k, tol: 1e-300, ...(f ? { warmStart: { f } } : {}) }).info.residual[0]!,
  );
}
