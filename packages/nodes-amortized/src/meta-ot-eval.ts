import { InvalidInputError, Tensor } from '@argmin/autodiff';
import { sinkhorn } from '@argmin/nodes-convex';
import { otSemiDual } from './meta-ot-dual.js';
import type { CoarseStart } from './meta-ot-coarse.js';
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
  /** Also time this unlearned start (coarse solve included), interleaved with the others. */
  readonly coarse?: CoarseStart;
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
  /** ‖f̂ − f*‖ in units of ε, a-weighted RMS, f̂ shifted to f*'s gauge (see `potentialError`). */
  readonly potentialError: number;
  /** value* − D(f̂), absolute and over |value*|. */
  readonly dualGap: number;
  readonly relativeDualGap: number;
  /** max |P_cold − P_warm| of the two starts solved to exactTol. */
  readonly planDiff: number;
  readonly converged: boolean;
  /** With `coarse`: fine iterations from its start, its coarse iterations, time (all included), raw error. */
  readonly coarse?: {
    readonly iterations: number;
    readonly coarseIterations: number;
    readonly ms: number;
    readonly rawMarginalError: number;
    readonly potentialError: number;
  };
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
  readonly meanPotentialError: number;
  /** All solves reached tol within maxIter. */
  readonly allConverged: boolean;
  /** With `coarse`: its mean fine iterations, cold over them, and the time ratio. */
  readonly coarse?: {
    readonly meanIterations: number;
    readonly iterReduction: number;
    readonly timeSpeedup: number;
    readonly meanRawMarginalError: number;
    readonly meanPotentialError: number;
  };
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
    const coarseT: number[] = [];
    let coarseRun: { iterations: number; coarseIterations: number; f: Tensor } | null = null;
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
      if (options.coarse) {
        const t4 = performance.now();
        const start = options.coarse.predict(a, b);
        const solved = sinkhorn(params, { epsilon, tol, maxIter, warmStart: { f: start.f } });
        coarseT.push(performance.now() - t4);
        coarseRun = { iterations: solved.info.iterations[0]!, coarseIterations: start.iterations, f: start.f };
      }
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
      potentialError: potentialError(f.data, exactCold.f.data, a.data, epsilon),
      dualGap: gap,
      relativeDualGap: gap / Math.abs(value),
      planDiff,
      converged: [cold, warm, exactCold, exactWarm].every((s) => s.info.status[0] === 'converged'),
      ...(coarseRun
        ? {
            coarse: {
              iterations: coarseRun.iterations,
              coarseIterations: coarseRun.coarseIterations,
              ms: median(coarseT),
              rawMarginalError: sinkhorn(params, { epsilon, maxIter: 0, warmStart: { f: coarseRun.f } }).info.residual[0]!,
              potentialError: potentialError(coarseRun.f.data, exactCold.f.data, a.data, epsilon),
            },
          }
        : {}),
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
    meanPotentialError: mean('potentialError'),
    allConverged: reports.every((r) => r.converged),
    ...(options.coarse ? { coarse: coarseSummary(reports) } : {}),
  };
}

/**
 * (Σᵢ aᵢ (f̂ᵢ − f*ᵢ − κ)²)^½ / ε with κ = Σᵢ aᵢ (f̂ᵢ − f*ᵢ), the a-weighted gauge: how far a start is
 * from the solution in units of ε, which is what sets Sinkhorn's iterations from it (errors of
 * a few hundredths of ε still cost ~5–8 iterations at ε = 0.01 on a 16×16 grid).
 */
export function potentialError(f: Float64Array, fStar: Float64Array, a: Float64Array, epsilon: number): number {
  let kappa = 0;
  for (let i = 0; i < f.length; i++) kappa += a[i]! * (f[i]! - fStar[i]!);
  let s = 0;
  for (let i = 0; i < f.length; i++) s += a[i]! * (f[i]! - fStar[i]! - kappa) ** 2;
  return Math.sqrt(s) / epsilon;
}

function coarseSummary(reports: readonly MetaOtPairReport[]) {
  const runs = reports.map((r) => r.coarse!);
  const meanIterations = runs.reduce((s, c) => s + c.iterations, 0) / runs.length;
  const cold = reports.reduce((s, r) => s + r.coldIterations, 0) / reports.length;
  return {
    meanIterations,
    iterReduction: cold / Math.max(meanIterations, 1e-12),
    timeSpeedup: reports.reduce((s, r) => s + r.coldMs, 0) / runs.reduce((s, c) => s + c.ms, 0),
    meanRawMarginalError: runs.reduce((s, c) => s + c.rawMarginalError, 0) / runs.length,
    meanPotentialError: runs.reduce((s, c) => s + c.potentialError, 0) / runs.length,
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
