/**
 * Objective mismatch (Amos et al. 2018; Lambert et al. 2020): when the model class cannot
 * represent the true system, the model that predicts one step best (system identification) need
 * not be the model whose controller does the task best. The expert is a pendulum with friction
 * and a constant wind; the learner's model is the frictionless, windless pendulum with unknown
 * (g, m, l). Both methods start from the same model and train on the same expert trajectories;
 * each is scored on the task loss — how closely its MPC imitates the expert — on held-out start
 * states, over several seeds (new expert data and held-out starts per seed).
 */
import { type ImitationResult, runPendulumImitation } from './pendulum-imitation.js';

export interface MismatchConfig {
  readonly seeds?: number;
  readonly steps?: number;
  readonly nTrain?: number;
  readonly nTest?: number;
  /** The expert's friction (default 0.5) and wind (default 0.5 rad/s², a twelfth of the largest control acceleration). */
  readonly damping?: number;
  readonly wind?: number;
}

export interface Spread {
  readonly mean: number;
  readonly std: number;
  readonly min: number;
  readonly max: number;
  readonly values: readonly number[];
}

export interface MismatchResult {
  /** Held-out imitation (task) loss of the model learned through MPC, per seed. */
  readonly taskLoss: Spread;
  /** Held-out imitation loss of the model learned by system identification, per seed. */
  readonly sysid: Spread;
  /** One-step prediction error on the training transitions, per method. */
  readonly oneStep: { readonly taskLoss: Spread; readonly sysid: Spread };
  /** Seeds on which the task-loss model had the lower held-out loss. */
  readonly taskLossWins: number;
  readonly seeds: number;
  /** Each seed's run, with both methods' curves. */
  readonly runs: readonly ImitationResult[];
  readonly config: Required<MismatchConfig>;
  readonly seconds: number;
}

export function spread(values: readonly number[]): Spread {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const std = Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / Math.max(1, values.length - 1));
  return { mean, std, min: Math.min(...values), max: Math.max(...values), values };
}

export function runObjectiveMismatch(config: MismatchConfig = {}): MismatchResult {
  const started = performance.now();
  const cfg: Required<MismatchConfig> = {
    seeds: config.seeds ?? 5,
    steps: config.steps ?? 120,
    nTrain: config.nTrain ?? 8,
    nTest: config.nTest ?? 16,
    damping: config.damping ?? 0.5,
    wind: config.wind ?? 0.5,
  };
  const last = (xs: readonly number[]): number => xs[xs.length - 1]!;
  const task: number[] = [];
  const sys: number[] = [];
  const taskStep: number[] = [];
  const sysStep: number[] = [];
  const runs: ImitationResult[] = [];
  for (let seed = 0; seed < cfg.seeds; seed++) {
    const r = runPendulumImitation({
      seed: 1000 + seed,
      steps: cfg.steps,
      nTrain: cfg.nTrain,
      nTest: cfg.nTest,
      damping: cfg.damping,
      wind: cfg.wind,
      evalEvery: Math.max(1, Math.round(cfg.steps / 12)),
    });
    runs.push(r);
    task.push(last(r.imitation.imitationTest));
    sys.push(last(r.sysid.imitationTest));
    taskStep.push(last(r.imitation.sysid));
    sysStep.push(last(r.sysid.sysid));
  }
  return {
    taskLoss: spread(task),
    sysid: spread(sys),
    oneStep: { taskLoss: spread(taskStep), sysid: spread(sysStep) },
    taskLossWins: task.filter((v, i) => v < sys[i]!).length,
    seeds: cfg.seeds,
    runs,
    config: cfg,
    seconds: (performance.now() - started) / 1000,
  };
}
