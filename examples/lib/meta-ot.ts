/**
 * Meta OT on images made in code (shared by examples/meta-ot.ts and the demo's part): per grid,
 * train pairs and a test split from different seeds, an MLP trained by the semi-dual only, and
 * on the test split Sinkhorn from zero potentials against Sinkhorn from the prediction, and
 * against an unlearned reference start: the exact solve on the 2× coarser grid, extended by its
 * c-transform (`coarseStart`), its coarse solve included in its time.
 */
import { Rng, Tensor } from '@argmin/autodiff';
import {
  coarseStart,
  evaluateMetaOt,
  gridGeometry,
  marginalErrorCurve,
  measurePairs,
  metaOt,
  trainMetaOt,
  type MetaOt,
  type MetaOtReport,
  type MlpParams,
} from '@argmin/nodes-amortized';
import { sinkhorn } from '@argmin/nodes-convex';

export interface MetaOtGridConfig {
  readonly side: number;
  readonly hidden: readonly number[];
  readonly nTrain: number;
  readonly nTest: number;
  readonly steps: number;
  /** Stop training after this many seconds (the machine may be loaded); steps done are reported. */
  readonly budgetSeconds: number;
  /** Test pairs also solved at the small ε. */
  readonly nTestSmallEps: number;
}

export interface MetaOtGridResult {
  readonly side: number;
  readonly stepsDone: number;
  readonly trainSeconds: number;
  readonly losses: readonly number[];
  readonly report: MetaOtReport;
  /** The same model's prediction as the start at ε = 0.001. */
  readonly reportSmallEps: MetaOtReport;
  readonly meta: MetaOt;
  readonly theta: MlpParams;
  /** One test pair for the pictures, with both starts' marginal error per iteration. */
  readonly picture: {
    readonly a: Float64Array;
    readonly b: Float64Array;
    readonly predictedPlan: Float64Array;
    readonly exactPlan: Float64Array;
    readonly iterations: readonly number[];
    readonly cold: readonly number[];
    readonly warm: readonly number[];
    /** From the unlearned coarse-grid start. */
    readonly coarse: readonly number[];
  };
}

export const EPSILON = 0.01;
export const SMALL_EPSILON = 0.001;

export function metaOtConfigs(quick: boolean): MetaOtGridConfig[] {
  return quick
    ? [
        { side: 16, hidden: [256], nTrain: 1000, nTest: 4, steps: 60, budgetSeconds: 8, nTestSmallEps: 1 },
        { side: 28, hidden: [128], nTrain: 100, nTest: 2, steps: 5, budgetSeconds: 3, nTestSmallEps: 1 },
      ]
    : [
        { side: 16, hidden: [512, 512], nTrain: 4000, nTest: 20, steps: 700, budgetSeconds: 200, nTestSmallEps: 5 },
        { side: 28, hidden: [256, 256], nTrain: 2000, nTest: 10, steps: 200, budgetSeconds: 200, nTestSmallEps: 3 },
      ];
}

const rows = (t: Tensor, k: number) => new Tensor(t.data.slice(0, k * t.shape[1]!), [k, t.shape[1]!]);

export function runMetaOtGrid(cfg: MetaOtGridConfig, onStep?: (step: number, loss: number) => void): MetaOtGridResult {
  const geometry = gridGeometry(cfg.side);
  const train = measurePairs(cfg.side, cfg.nTrain, 1000 + cfg.side);
  const test = measurePairs(cfg.side, cfg.nTest, 2000 + cfg.side);
  const meta = metaOt({ cost: geometry.cost, epsilon: EPSILON, hidden: cfg.hidden });
  const start = performance.now();
  const trained = trainMetaOt(meta, meta.init(Rng.seeded(cfg.side)), train, {
    steps: cfg.steps,
    batchSize: 32,
    lr: 1e-3,
    rng: Rng.seeded(1),
    shouldStop: () => (performance.now() - start) / 1000 > cfg.budgetSeconds,
    ...(onStep ? { onStep: (p: { step: number; loss: number }) => onStep(p.step, p.loss) } : {}),
  });
  const theta = trained.params;
  const coarse = coarseStart(geometry, EPSILON);
  const report = evaluateMetaOt(meta, theta, test, { tol: 1e-4, repeats: 3, coarse });
  const small = { a: rows(test.a, cfg.nTestSmallEps), b: rows(test.b, cfg.nTestSmallEps) };
  const reportSmallEps = evaluateMetaOt(meta, theta, small, {
    tol: 1e-4,
    epsilon: SMALL_EPSILON,
    repeats: 1,
    exactTol: 1e-9,
    coarse: coarseStart(geometry, SMALL_EPSILON),
  });

  const n = geometry.size;
  const a = new Tensor(test.a.data.slice(0, n), [1, n]);
  const b = new Tensor(test.b.data.slice(0, n), [1, n]);
  const f = meta.predict(theta, a, b);
  const params = { a, b, C: geometry.cost };
  const iterations = Array.from({ length: Math.ceil(report.pairs[0]!.coldIterations * 1.1) + 2 }, (_, k) => k);
  return {
    side: cfg.side,
    stepsDone: trained.steps,
    trainSeconds: trained.seconds,
    losses: trained.losses,
    report,
    reportSmallEps,
    meta,
    theta,
    picture: {
      a: a.data,
      b: b.data,
      predictedPlan: marginalPlan(params, f),
      exactPlan: marginalPlan(params),
      iterations,
      cold: marginalErrorCurve(params, EPSILON, iterations),
      warm: marginalErrorCurve(params, EPSILON, iterations, f),
      coarse: marginalErrorCurve(params, EPSILON, iterations, coarse.predict(a, b).f),
    },
  };
}

/** The plan of the raw prediction (0 iterations from f) or the exact plan (f omitted). */
function marginalPlan(params: { a: Tensor; b: Tensor; C: Tensor }, f?: Tensor): Float64Array {
  const out = f
    ? sinkhorn(params, { epsilon: EPSILON, maxIter: 0, warmStart: { f } })
    : sinkhorn(params, { epsilon: EPSILON, tol: 1e-10, maxIter: 100000 });
  return out.plan.data;
}

/** The figures of a grid's result, as the examples print and docs/performance.md quotes them. */
export function summarize(r: MetaOtGridResult) {
  const s = (x: MetaOtReport) => ({
    meanColdIterations: x.meanColdIterations,
    meanWarmIterations: x.meanWarmIterations,
    iterReduction: x.iterReduction,
    timeSpeedup: x.timeSpeedup,
    maxPlanDiff: x.maxPlanDiff,
    meanRawMarginalError: x.meanRawMarginalError,
    meanPotentialError: x.meanPotentialError,
    meanDualGap: x.meanDualGap,
    meanRelativeDualGap: x.meanRelativeDualGap,
    coldMsTotal: x.pairs.reduce((t, p) => t + p.coldMs, 0),
    warmMsTotal: x.pairs.reduce((t, p) => t + p.warmMs, 0),
    predictMsTotal: x.pairs.reduce((t, p) => t + p.predictMs, 0),
    testPairs: x.pairs.length,
    allConverged: x.allConverged,
    ...(x.coarse ? { coarseStart: x.coarse } : {}),
  });
  return { side: r.side, stepsDone: r.stepsDone, trainSeconds: r.trainSeconds, eps001: s(r.report), eps0001: s(r.reportSmallEps) };
}
