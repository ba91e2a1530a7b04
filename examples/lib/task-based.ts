/**
 * Task-based end-to-end model learning (Donti, Amos & Kolter, "Task-based End-to-end Model
 * Learning in Stochastic Optimization", 2017), on their generator-scheduling problem:
 *
 *   z*(μ, σ) = argmin_z  E_{y ~ N(μ, σ²)} Σᵢ γ_s[yᵢ − zᵢ]₊ + γ_e[zᵢ − yᵢ]₊ + ½(zᵢ − yᵢ)²
 *              s.t.      |zᵢ − zᵢ₊₁| ≤ c_ramp,
 *
 * 24 hourly generation levels z scheduled against a load y predicted as a Gaussian per hour. A
 * linear model maps a day's features (temperature-like covariates, weekend, season) to (μ, σ).
 * It is trained two ways on the same synthetic data:
 *   - maximum likelihood (Gaussian negative log-likelihood), the usual "predict, then optimize";
 *   - task-based: the realized scheduling cost of z*(μ, σ) on the observed load, with gradients
 *     through the QP layer (`qp` from @argmin/nodes-convex), starting from the MLE model.
 * The load's noise is skewed (a shifted exponential), which a Gaussian cannot represent: MLE fits
 * the variance, but the decision needs the upper tail (γ_s ≫ γ_e), and only task-based training
 * sees that.
 *
 * The decision layer (SQP through the qp node, differentiated at its fixed point) is in
 * task-based-sqp.ts.
 */
import { Rng, Tensor, add, div, log, mean, mul, randn, relu, softplus, sub, sum, valueAndGrad, withCluster, zeros } from '@argmin/autodiff';
import { adam } from '@argmin/nodes-amortized';
import { HOURS, SCHEDULING, rowsOf, scheduleDecision, type DecisionOptions, type SchedulingProblem } from './task-based-sqp.js';

export {
  HOURS,
  SCHEDULING,
  normalCdf,
  rowsOf,
  scheduleDecision,
  type Decision,
  type DecisionOptions,
  type SchedulingProblem,
} from './task-based-sqp.js';

// ---------------------------------------------------------------------------------------------
// Synthetic load data.

export interface LoadData {
  /** Features per day and hour [D, 24, F]: temperature t (scaled), t², weekend flag, season (sin, cos). */
  readonly x: Tensor;
  /** Load [D, 24]. */
  readonly y: Tensor;
}

export const FEATURES = 5;

/** Daily load shape: night base, morning ramp, a day plateau and an evening peak. */
function basePattern(h: number): number {
  const bump = (c: number, w: number) => Math.exp(-0.5 * ((h - c) / w) ** 2);
  return 1 + 0.45 * bump(8, 1.6) + 0.35 * bump(13, 3) + 0.7 * bump(19, 2);
}

/**
 * Days of load with a daily pattern, a weekend dip, a quadratic temperature effect (heating and
 * cooling), and right-skewed noise whose scale grows at the peaks and on extreme days.
 */
export function generateLoadData(days: number, rng: Rng): LoadData {
  const x = new Float64Array(days * HOURS * FEATURES);
  const y = new Float64Array(days * HOURS);
  for (let d = 0; d < days; d++) {
    const season = 2 * Math.PI * rng.uniform();
    const weekend = rng.uniform() < 2 / 7 ? 1 : 0;
    const dayMean = 16 + 9 * Math.sin(season) + 3 * rng.normal();
    let drift = 0;
    for (let h = 0; h < HOURS; h++) {
      drift = 0.8 * drift + 0.6 * rng.normal();
      const temp = dayMean + 5 * Math.sin((2 * Math.PI * (h - 9)) / 24) + drift;
      const extreme = Math.abs(temp - 18) / 10;
      const scale = 0.04 + 0.05 * (basePattern(h) - 1) + 0.04 * extreme;
      const noise = scale * (-Math.log(1 - rng.uniform()) - 1); // Exp(1) − 1: mean 0, skewed right
      y[d * HOURS + h] = basePattern(h) * (1 - 0.1 * weekend) + 0.25 * extreme * extreme + noise;
      const t = (temp - 18) / 10;
      x.set([t, t * t, weekend, Math.sin(season), Math.cos(season)], (d * HOURS + h) * FEATURES);
    }
  }
  return { x: new Tensor(x, [days, HOURS, FEATURES]), y: new Tensor(y, [days, HOURS]) };
}

// ---------------------------------------------------------------------------------------------
// The model and the two losses.

/** Per hour h: μ_h = w_hᵀx_h + b_h and σ_h = softplus(v_hᵀx_h + c_h), a linear model per hour. */
export type Model = { Wmu: Tensor; bmu: Tensor; Wsigma: Tensor; bsigma: Tensor };

export function initModel(rng: Rng): Model {
  return {
    Wmu: randn([HOURS, FEATURES], rng, 0.05),
    bmu: zeros([HOURS]),
    Wsigma: randn([HOURS, FEATURES], rng, 0.05),
    bsigma: zeros([HOURS]),
  };
}

/** The predictive distribution per day and hour: μ [D, 24] and σ [D, 24] > 0. */
export function predict(model: Model, x: Tensor): { mu: Tensor; sigma: Tensor } {
  const mu = add(sum(mul(x, model.Wmu), -1), model.bmu);
  const sigma = add(softplus(add(sum(mul(x, model.Wsigma), -1), model.bsigma)), 1e-3);
  return { mu, sigma };
}

/** Gaussian negative log-likelihood per day (up to the constant), averaged. */
export function nllLoss(model: Model, x: Tensor, y: Tensor): Tensor {
  const { mu, sigma } = predict(model, x);
  const r = div(sub(y, mu), sigma);
  return mean(add(log(sigma), mul(mul(r, r), 0.5)));
}

/** Realized scheduling cost of decisions z against the load y, per day: [D]. */
export function schedulingCost(z: Tensor, y: Tensor, problem: SchedulingProblem = SCHEDULING): Tensor {
  const over = sub(z, y);
  const perHour = add(add(mul(relu(neg1(over)), problem.gammaShort), mul(relu(over), problem.gammaExcess)), mul(mul(over, over), 0.5));
  return sum(perHour, -1);
}

const neg1 = (t: Tensor) => mul(t, -1);
/**
 * Mean realized cost per day of the model's decisions on (x, y). `onSchedule` receives the
 * schedules (to start the next call on the same days from them).
 */
export function taskLoss(model: Model, x: Tensor, y: Tensor, options: DecisionOptions & { onSchedule?: (z: Tensor) => void } = {}): Tensor {
  const { mu, sigma } = withCluster('predict (μ, σ)', 'group', () => predict(model, x));
  const { z } = scheduleDecision(mu, sigma, options);
  options.onSchedule?.(z);
  return withCluster('realized cost', 'group', () => mean(schedulingCost(z, y, options.problem)));
}
// ---------------------------------------------------------------------------------------------
// The experiment.

/** Each day's last schedule, to start the next SQP on that day from it. */
class ScheduleCache {
  private readonly z: Float64Array;
  private readonly known: boolean[];
  constructor(days: number) {
    this.z = new Float64Array(days * HOURS);
    this.known = new Array<boolean>(days).fill(false);
  }
  /** `{ start }` if every row has a schedule (they are all feasible), else nothing. */
  startOf(rows: readonly number[]): { start?: Tensor } {
    if (!rows.every((r) => this.known[r])) return {};
    const out = new Float64Array(rows.length * HOURS);
    rows.forEach((r, i) => out.set(this.z.subarray(r * HOURS, (r + 1) * HOURS), i * HOURS));
    return { start: new Tensor(out, [rows.length, HOURS]) };
  }
  store(rows: readonly number[], z: Tensor): void {
    rows.forEach((r, i) => {
      this.z.set(z.data.subarray(i * HOURS, (i + 1) * HOURS), r * HOURS);
      this.known[r] = true;
    });
  }
}

export interface TaskBasedConfig {
  readonly trainDays?: number;
  readonly testDays?: number;
  /** Adam steps of maximum likelihood (full batch) and of task-based fine-tuning (minibatches). */
  readonly mleSteps?: number;
  readonly taskSteps?: number;
  readonly batch?: number;
  readonly evalEvery?: number;
  readonly seed?: number;
  /** Called after every training step (for progress bars); may return a promise to yield. */
  readonly onStep?: (phase: 'mle' | 'task', step: number) => void | Promise<void>;
}

export interface TaskBasedResult {
  readonly config: Required<Omit<TaskBasedConfig, 'onStep'>>;
  /**
   * Along training, per phase: the mean scheduling cost per day on the held-out days and on (up
   * to 60 of) the training days, the held-out NLL, and the step's own training objective.
   */
  readonly curve: {
    phase: 'mle' | 'task';
    step: number;
    testTaskLoss: number;
    trainTaskLoss: number;
    testNll: number;
    objective: number;
  }[];
  /** Final held-out numbers, with the SQP's iterations and largest last step on those days. */
  readonly mle: FinalScores;
  readonly task: FinalScores;
  /** One test day: load, the two models' μ, and the two schedules. */
  readonly example: { y: number[]; muMle: number[]; muTask: number[]; zMle: number[]; zTask: number[] };
  readonly models: { mle: Model; task: Model };
  readonly data: { train: LoadData; test: LoadData };
  readonly seconds: number;
}

export interface FinalScores {
  readonly testTaskLoss: number;
  readonly testNll: number;
  readonly sqpIterations: number;
  readonly sqpLastStep: number;
}

export async function runTaskBased(config: TaskBasedConfig = {}): Promise<TaskBasedResult> {
  const started = performance.now();
  const cfg = {
    trainDays: config.trainDays ?? 240,
    testDays: config.testDays ?? 120,
    mleSteps: config.mleSteps ?? 600,
    taskSteps: config.taskSteps ?? 80,
    batch: config.batch ?? 32,
    evalEvery: config.evalEvery ?? 10,
    seed: config.seed ?? 0,
  };
  const rng = Rng.seeded(cfg.seed);
  const train = generateLoadData(cfg.trainDays, rng);
  const test = generateLoadData(cfg.testDays, rng);
  const curve: TaskBasedResult['curve'] = [];
  const trainRows = Array.from({ length: Math.min(60, cfg.trainDays) }, (_, i) => i);
  // The model moves little between calls, so each day's SQP starts from its previous schedule.
  const caches = { train: new ScheduleCache(cfg.trainDays), test: new ScheduleCache(cfg.testDays) };
  const allTest = Array.from({ length: cfg.testDays }, (_, i) => i);
  const cost = (model: Model, data: LoadData, rows: readonly number[], cache: ScheduleCache, strategy: 'solve' | 'implicit') =>
    taskLoss(model, rowsOf(data.x, rows), rowsOf(data.y, rows), {
      strategy,
      ...cache.startOf(rows),
      onSchedule: (z) => cache.store(rows, z),
    });
  const evaluate = (phase: 'mle' | 'task', step: number, model: Model, objective: number) => {
    const testTaskLoss = cost(model, test, allTest, caches.test, 'solve').item();
    const trainTaskLoss = cost(model, train, trainRows, caches.train, 'solve').item();
    curve.push({ phase, step, testTaskLoss, trainTaskLoss, testNll: nllLoss(model, test.x, test.y).item(), objective });
  };

  // Maximum likelihood, full batch.
  let model = initModel(rng);
  const mleOpt = adam({ lr: 0.02 });
  let state = mleOpt.init(model);
  const nllGrad = valueAndGrad((m: Model) => nllLoss(m, train.x, train.y));
  for (let s = 1; s <= cfg.mleSteps; s++) {
    const [value, g] = nllGrad(model) as [Tensor, Model];
    ({ params: model, state } = mleOpt.update(model, g, state));
    if (s === cfg.mleSteps) evaluate('mle', s, model, value.item());
    await config.onStep?.('mle', s);
  }
  const mle = model;

  // Task-based fine-tuning from the MLE model, on minibatches of days.
  const taskOpt = adam({ lr: 0.003 });
  let taskState = taskOpt.init(model);
  const taskGrad = valueAndGrad((m: Model, rows: number[]) => cost(m, train, rows, caches.train, 'implicit'));
  const allTrain = Array.from({ length: cfg.trainDays }, (_, i) => i);
  if (cfg.taskSteps > 0) cost(model, train, allTrain, caches.train, 'solve');
  for (let s = 1; s <= cfg.taskSteps; s++) {
    const rows = Array.from({ length: cfg.batch }, () => Math.floor(rng.uniform() * cfg.trainDays));
    const [value, g] = taskGrad(model, rows) as [Tensor, Model];
    ({ params: model, state: taskState } = taskOpt.update(model, g, taskState));
    if (s % cfg.evalEvery === 0 || s === cfg.taskSteps) evaluate('task', cfg.mleSteps + s, model, value.item());
    await config.onStep?.('task', s);
  }

  const summary = (m: Model) => {
    const { mu, sigma } = predict(m, test.x);
    const dec = scheduleDecision(mu, sigma, { strategy: 'solve' });
    const testTaskLoss = mean(schedulingCost(dec.z, test.y)).item();
    return { testTaskLoss, testNll: nllLoss(m, test.x, test.y).item(), sqpIterations: dec.iterations, sqpLastStep: dec.lastStep };
  };
  const day = rowsOf(test.x, [0]);
  const pm = predict(mle, day);
  const pt = predict(model, day);
  const arr = (t: Tensor) => Array.from(t.data);
  return {
    config: cfg,
    curve,
    mle: summary(mle),
    task: summary(model),
    example: {
      y: arr(rowsOf(test.y, [0])),
      muMle: arr(pm.mu),
      muTask: arr(pt.mu),
      zMle: arr(scheduleDecision(pm.mu, pm.sigma, { strategy: 'solve' }).z),
      zTask: arr(scheduleDecision(pt.mu, pt.sigma, { strategy: 'solve' }).z),
    },
    models: { mle, task: model },
    data: { train, test },
    seconds: (performance.now() - started) / 1000,
  };
}
