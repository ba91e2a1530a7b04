/**
 * Control as amortized optimization (Amos, "Tutorial on amortized optimization", 2023, §RL): a
 * policy π_θ(x) is a model that amortizes the control problem min_u Q(x, u) over the states it
 * meets, trained by the model-based stochastic value gradient SVG(H) (./policy-training.ts).
 * The comparison is the box-MPC node run at every control step (receding horizon, warm started
 * from the shifted previous plan) on the same held-out starts: closed-loop return, compute per
 * control step, and the amortization gap on MPC's own finite-horizon objective.
 */
import { Rng, Tensor } from '@argmin/autodiff';
import { mpc } from '@argmin/nodes-control';
import { type ControlTask, stageCost } from './policy-task.js';
import { type PolicyConfig, type TrainedPolicy, actRaw, drawStarts, rolloutRaw, trainPolicy } from './policy-training.js';

export { type ControlTask, cartpoleTask, pendulumTask, stageCost } from './policy-task.js';
export { type PolicyConfig, type TrainedPolicy, policyModel, trainPolicy } from './policy-training.js';

/** Closed-loop return Σ (restCost − cost) of the policy from each start, and the time per control step. */
export function evaluatePolicy(task: ControlTask, policy: TrainedPolicy, starts: Float64Array, rows: number, episode: number) {
  const n = task.model.nState;
  const t0 = performance.now();
  let x = starts;
  const ret = new Float64Array(rows);
  for (let t = 0; t < episode; t++) {
    const u = actRaw(task, policy, x, rows);
    for (let r = 0; r < rows; r++) ret[r]! += task.restCost - stageCost(task, x.subarray(r * n, (r + 1) * n), u[r]!);
    const next = new Float64Array(rows * n);
    task.model.stepRaw!(x, u, task.params.data, 0, rows, next);
    x = next;
  }
  const perStep = (performance.now() - t0) / (episode * rows);
  return { returns: Array.from(ret), msPerStep: perStep };
}

/** The stage cost repeated over a horizon for each row, as the MPC node takes it. */
function costTensors(task: ControlTask, rows: number, horizon: number): { C: Tensor; c: Tensor } {
  const nt = task.model.nState + task.model.nCtrl;
  const Cd = new Float64Array(rows * horizon * nt * nt);
  const cd = new Float64Array(rows * horizon * nt);
  for (let k = 0; k < rows * horizon; k++) {
    for (let i = 0; i < nt; i++) {
      cd[k * nt + i] = task.c[i]!;
      for (let j = 0; j < nt; j++) Cd[k * nt * nt + i * nt + j] = task.C[i]![j]!;
    }
  }
  return { C: new Tensor(Cd, [rows, horizon, nt, nt]), c: new Tensor(cd, [rows, horizon, nt]) };
}

/** The same episode under the box-MPC node, re-solved at every step (warm-started by the shifted plan). */
export function evaluateMpc(task: ControlTask, starts: Float64Array, rows: number, episode: number, horizon: number) {
  const n = task.model.nState;
  const { C, c } = costTensors(task, rows, horizon);
  let x = starts;
  let warm: Tensor | null = null;
  const ret = new Float64Array(rows);
  let solveMs = 0;
  let unconverged = 0;
  for (let t = 0; t < episode; t++) {
    const t0 = performance.now();
    const out = mpc(
      { C, c, x0: new Tensor(x, [rows, n]), dynamics: { model: task.model, params: task.params }, uLower: -task.uMax, uUpper: task.uMax },
      { strategy: 'solve', ...(warm ? { warmStart: { u: warm } } : {}) },
    );
    solveMs += performance.now() - t0;
    unconverged += out.info.status.filter((s) => s !== 'converged').length;
    const u = new Float64Array(rows);
    const shifted = new Float64Array(rows * horizon);
    for (let r = 0; r < rows; r++) {
      u[r] = out.u.data[r * horizon]!;
      for (let k = 0; k < horizon; k++) shifted[r * horizon + k] = out.u.data[r * horizon + Math.min(k + 1, horizon - 1)]!;
    }
    warm = new Tensor(shifted, [rows, horizon, 1]);
    for (let r = 0; r < rows; r++) ret[r]! += task.restCost - stageCost(task, x.subarray(r * n, (r + 1) * n), u[r]!);
    const next = new Float64Array(rows * n);
    task.model.stepRaw!(x, u, task.params.data, 0, rows, next);
    x = next;
  }
  return { returns: Array.from(ret), msPerStep: solveMs / (episode * rows), unconverged };
}

/**
 * The amortization gap on MPC's own problem, per start: the H-step cost of the policy's rollout
 * minus MPC's optimal H-step cost, per step (in the units of the stage cost; relative figures
 * are ill-posed here, since from a hanging start MPC's optimal H-step reward is near zero).
 */
export function amortizationGap(task: ControlTask, policy: TrainedPolicy, starts: Float64Array, rows: number, horizon: number) {
  const pol = rolloutRaw(task, policy, starts, rows, horizon).cost;
  const n = task.model.nState;
  const out = mpc(
    {
      ...costTensors(task, rows, horizon),
      x0: new Tensor(starts, [rows, n]),
      dynamics: { model: task.model, params: task.params },
      uLower: -task.uMax,
      uUpper: task.uMax,
    },
    { strategy: 'solve' },
  );
  const gaps: number[] = [];
  for (let r = 0; r < rows; r++) {
    let opt = 0;
    for (let k = 0; k < horizon; k++) {
      opt += stageCost(task, out.x.data.subarray((r * horizon + k) * n, (r * horizon + k + 1) * n), out.u.data[r * horizon + k]!);
    }
    gaps.push((pol[r]! - opt) / horizon);
  }
  return gaps;
}

export interface PolicyReport {
  readonly task: string;
  readonly policyReturn: number;
  readonly mpcReturn: number;
  /** Mean held-out return of the policy over MPC's. */
  readonly returnRatio: number;
  readonly policyMsPerStep: number;
  readonly mpcMsPerStep: number;
  /** MPC's compute per control step over the policy's. */
  readonly computeRatio: number;
  /** Amortization gap on MPC's H-step objective, per step (see amortizationGap): mean and median over held-out starts. */
  readonly gap: { readonly mean: number; readonly median: number };
  readonly mpcUnconverged: number;
  readonly trainSeconds: number;
  /** The training step whose parameters were kept (best mean episode cost on the validation starts). */
  readonly checkpoint: number;
  readonly curve: TrainedPolicy['curve'];
}

export function defaults(config: PolicyConfig): Required<PolicyConfig> {
  return {
    hidden: config.hidden ?? [32, 32],
    H: config.H ?? 60,
    valueHorizon: config.valueHorizon ?? 60,
    steps: config.steps ?? 1600,
    batch: config.batch ?? 32,
    lr: config.lr ?? 1e-3,
    lrFinal: config.lrFinal ?? 0.05,
    fresh: config.fresh ?? 0.5,
    valueSteps: config.valueSteps ?? 2,
    symmetric: config.symmetric ?? true,
    checkEvery: config.checkEvery ?? 100,
    nVal: config.nVal ?? 32,
    episode: config.episode ?? 100,
    nTest: config.nTest ?? 32,
    mpcHorizon: config.mpcHorizon ?? 20,
    seed: config.seed ?? 0,
  };
}

/** Trains the policy, then runs it and MPC on the same held-out starts. */
export function runPolicyAmortization(task: ControlTask, config: Required<PolicyConfig>): PolicyReport {
  const policy = trainPolicy(task, config, Rng.seeded(config.seed));
  // Held-out starts from their own stream: the same states whatever the training consumed.
  const starts = drawStarts(task, config.nTest, Rng.seeded(10_007 + config.seed));
  // Time the policy on many steps so the figure is not one timer tick.
  const pol = evaluatePolicy(task, policy, starts, config.nTest, config.episode);
  const mpcRun = evaluateMpc(task, starts, config.nTest, config.episode, config.mpcHorizon);
  const gaps = amortizationGap(task, policy, starts, config.nTest, config.mpcHorizon);
  const avg = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const sorted = [...gaps].sort((a, b) => a - b);
  const policyReturn = avg(pol.returns);
  const mpcReturn = avg(mpcRun.returns);
  return {
    task: task.name,
    policyReturn,
    mpcReturn,
    returnRatio: policyReturn / mpcReturn,
    policyMsPerStep: pol.msPerStep,
    mpcMsPerStep: mpcRun.msPerStep,
    computeRatio: mpcRun.msPerStep / pol.msPerStep,
    gap: { mean: avg(gaps), median: sorted[Math.floor(sorted.length / 2)]! },
    mpcUnconverged: mpcRun.unconverged,
    trainSeconds: policy.seconds,
    checkpoint: policy.checks.best,
    curve: policy.curve,
  };
}
