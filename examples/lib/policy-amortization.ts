/**
 * Control as amortized optimization (Amos, "Tutorial on amortized optimization", 2023, §RL): a
 * policy π_θ(x) is a model that amortizes the control problem min_u Q(x, u) over the states it
 * meets, trained by the model-based stochastic value gradient SVG(H) (Heess et al. 2015; Amos et
 * al. 2021): backpropagate the H-step cost of the policy's rollout through the known dynamics,
 * plus a learned terminal value V_φ(x_H) of the rest of the episode,
 *
 *   min_θ E_x0 [ Σ_{t<H} c(x_t, π_θ(x_t)) + V_φ(x_H) ],   x_{t+1} = f(x_t, π_θ(x_t)).
 *
 * The value V_φ regresses the cost of running the current policy for `valueHorizon` more steps.
 * Start states mix fresh draws with states the policy visits, so the policy is trained where it
 * acts. The comparison is the box-MPC node run at every control step (receding horizon, warm
 * started from the shifted previous plan) on the same held-out starts: closed-loop return,
 * compute per control step, and the amortization gap on MPC's own finite-horizon objective.
 */
import { Rng, Tensor, add, concat, mean, mul, reshape, sub, sum, tanh, tensor, valueAndGrad } from '@argmin/autodiff';
import { type DynamicsModel, mpc } from '@argmin/nodes-control';
import { adam, cosineDecay, type Model, mlp, type MlpParams } from '@argmin/nodes-amortized';

/** A control task: dynamics with parameters, a quadratic stage cost, bounds and start states. */
export interface ControlTask {
  readonly name: string;
  readonly model: DynamicsModel;
  readonly params: Tensor;
  /** Stage cost ½τᵀCτ + cᵀτ on τ = (x, u), the MPC node's convention: C [n+m, n+m] (diagonal), c [n+m]. */
  readonly C: readonly number[][];
  readonly c: readonly number[];
  readonly uMax: number;
  /**
   * The stage cost of the state the task starts from when nothing is done (the pendulum hanging
   * still): the reward of a step is restCost − c(x, u), so a return is positive when the
   * controller does better than doing nothing, and two returns can be compared as a ratio.
   */
  readonly restCost: number;
  /** Draws a start state. */
  sampleStart(rng: Rng): number[];
}

export interface PolicyConfig {
  readonly hidden?: readonly number[];
  /**
   * Rollout length H of the value gradient (default 60 steps, 3 s) and the value's horizon
   * (default 60). With H = 20 (MPC's own horizon) the policy settled on not pumping energy:
   * 26% of MPC's return after 1500 steps; a swing-up takes 2–3 s, so H covers one. Measured on
   * the pendulum's held-out starts: 87% of MPC's return after 800 steps, 90% after 1600 (the
   * default), 86% after 1600 steps with batch 64.
   */
  readonly H?: number;
  readonly valueHorizon?: number;
  readonly steps?: number;
  readonly batch?: number;
  readonly lr?: number;
  /** Closed-loop evaluation: episode length, held-out starts, MPC horizon. */
  readonly episode?: number;
  readonly nTest?: number;
  readonly mpcHorizon?: number;
  readonly seed?: number;
}

/** Stage cost on raw numbers (τ = (x, u)). */
export function stageCost(task: ControlTask, x: ArrayLike<number>, u: number): number {
  const n = task.model.nState;
  const tau = [...Array.from({ length: n }, (_, i) => x[i]!), u];
  let v = 0;
  for (let i = 0; i <= n; i++) {
    v += task.c[i]! * tau[i]!;
    for (let j = 0; j <= n; j++) v += 0.5 * tau[i]! * task.C[i]![j]! * tau[j]!;
  }
  return v;
}

/** Stage cost with ops, per row: x [R, n], u [R, m] → [R] (C is diagonal for every task here). */
function stageCostOps(task: ControlTask, x: Tensor, u: Tensor): Tensor {
  const tau = concat([x, u], -1);
  const halfDiag = tensor(task.C.map((row, i) => 0.5 * row[i]!));
  return sum(add(mul(mul(tau, tau), halfDiag), mul(tau, tensor([...task.c]))), -1);
}

/** The policy: u = uMax·tanh(MLP(x)). */
export function policyModel(task: ControlTask, hidden: readonly number[]): Model<MlpParams> {
  return mlp({ sizes: [task.model.nState, ...hidden, task.model.nCtrl], activation: 'tanh', outputScale: 0.1 });
}

function actOps(net: Model<MlpParams>, theta: MlpParams, x: Tensor, uMax: number): Tensor {
  return mul(tanh(net.apply(theta, x)), uMax);
}

function actRaw(net: Model<MlpParams>, theta: MlpParams, x: Float64Array, rows: number, n: number, uMax: number): Float64Array {
  const out = net.predict(theta, new Tensor(x, [rows, n])).data;
  const u = new Float64Array(rows);
  for (let r = 0; r < rows; r++) u[r] = uMax * Math.tanh(out[r]!);
  return u;
}

/** Rolls the policy on raw arrays: returns the visited states [L+1, rows, n] and the total cost per row. */
function rolloutRaw(task: ControlTask, net: Model<MlpParams>, theta: MlpParams, x0: Float64Array, rows: number, L: number) {
  const n = task.model.nState;
  const states: Float64Array[] = [x0];
  const cost = new Float64Array(rows);
  let x = x0;
  for (let t = 0; t < L; t++) {
    const u = actRaw(net, theta, x, rows, n, task.uMax);
    for (let r = 0; r < rows; r++) cost[r]! += stageCost(task, x.subarray(r * n, (r + 1) * n), u[r]!);
    const next = new Float64Array(rows * n);
    task.model.stepRaw!(x, u, task.params.data, 0, rows, next);
    states.push(next);
    x = next;
  }
  return { states, cost };
}

export interface TrainedPolicy {
  readonly net: Model<MlpParams>;
  readonly theta: MlpParams;
  readonly curve: { readonly step: number[]; readonly loss: number[] };
  readonly seconds: number;
}

/** SVG(H) with a learned terminal value. */
export function trainPolicy(task: ControlTask, config: Required<PolicyConfig>, rng: Rng): TrainedPolicy {
  const started = performance.now();
  const n = task.model.nState;
  const net = policyModel(task, config.hidden);
  const valueNet = mlp({ sizes: [n, 64, 64, 1], activation: 'tanh' });
  let theta = net.init(rng);
  let phi = valueNet.init(rng);
  const opt = adam({ lr: cosineDecay(config.lr, config.steps, 0.05), clipNorm: 10 });
  const vopt = adam({ lr: 3e-3 });
  let state = opt.init(theta);
  let vstate = vopt.init(phi);
  const visited: number[][] = [];
  const curve = { step: [] as number[], loss: [] as number[] };
  const drawStarts = (): Float64Array => {
    const x = new Float64Array(config.batch * n);
    for (let b = 0; b < config.batch; b++) {
      const s = visited.length > 0 && rng.uniform() < 0.5 ? visited[Math.floor(rng.uniform() * visited.length)]! : task.sampleStart(rng);
      x.set(s, b * n);
    }
    return x;
  };
  const policyLoss = (th: MlpParams, x0: Tensor, ph: MlpParams) => {
    let x = x0;
    let total: Tensor | null = null;
    for (let t = 0; t < config.H; t++) {
      const u = actOps(net, th, x, task.uMax);
      const c = stageCostOps(task, x, u);
      total = total === null ? c : add(total, c);
      x = task.model.step(x, u, task.params);
    }
    const terminal = reshape(valueNet.apply(ph, x), [config.batch]);
    return mean(add(total!, terminal));
  };
  const gradPolicy = valueAndGrad(policyLoss);
  const valueLoss = (ph: MlpParams, xs: Tensor, target: Tensor) => {
    const err = sub(reshape(valueNet.apply(ph, xs), [target.size]), target);
    return mean(mul(err, err));
  };
  const gradValue = valueAndGrad(valueLoss);
  for (let step = 1; step <= config.steps; step++) {
    const x0 = drawStarts();
    // Refit the value on where this policy ends up after H steps: the cost of the next valueHorizon steps.
    const ahead = rolloutRaw(task, net, theta, x0, config.batch, config.H + config.valueHorizon);
    const xH = ahead.states[config.H]!;
    const target = new Float64Array(config.batch);
    for (let t = config.H; t < config.H + config.valueHorizon; t++) {
      const xs = ahead.states[t]!;
      const u = actRaw(net, theta, xs, config.batch, n, task.uMax);
      for (let r = 0; r < config.batch; r++) target[r]! += stageCost(task, xs.subarray(r * n, (r + 1) * n), u[r]!);
    }
    for (let k = 0; k < 2; k++) {
      const [, gv] = gradValue(phi, new Tensor(xH, [config.batch, n]), new Tensor(target, [config.batch])) as [Tensor, MlpParams];
      ({ params: phi, state: vstate } = vopt.update(phi, gv, vstate));
    }
    const [loss, g] = gradPolicy(theta, new Tensor(x0, [config.batch, n]), phi) as [Tensor, MlpParams];
    ({ params: theta, state } = opt.update(theta, g, state));
    // Keep a pool of visited states (bounded), so later starts follow the policy's own distribution.
    for (let r = 0; r < config.batch; r += 8) {
      const t = 1 + Math.floor(rng.uniform() * (config.H + config.valueHorizon - 1));
      const s = Array.from(ahead.states[t]!.subarray(r * n, (r + 1) * n));
      if (visited.length < 4096) visited.push(s);
      else visited[Math.floor(rng.uniform() * visited.length)] = s;
    }
    if (step % 25 === 0 || step === config.steps) {
      curve.step.push(step);
      curve.loss.push(loss.item());
    }
  }
  return { net, theta, curve, seconds: (performance.now() - started) / 1000 };
}

/** Closed-loop return Σ (restCost − cost) of the policy from each start, and the time per control step. */
export function evaluatePolicy(task: ControlTask, policy: TrainedPolicy, starts: Float64Array, rows: number, episode: number) {
  const n = task.model.nState;
  const t0 = performance.now();
  let x = starts;
  const ret = new Float64Array(rows);
  for (let t = 0; t < episode; t++) {
    const u = actRaw(policy.net, policy.theta, x, rows, n, task.uMax);
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
  const pol = rolloutRaw(task, policy.net, policy.theta, starts, rows, horizon).cost;
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

/** Pendulum swing-up (mpc.pytorch's cost C = diag(1, 1, 0.1, 0.001), c = (−1, 0, 0, 0); |u| ≤ 2). */
export function pendulumTask(model: DynamicsModel, params: Tensor): ControlTask {
  return {
    name: 'pendulum swing-up',
    model,
    params,
    C: [
      [1, 0, 0, 0],
      [0, 1, 0, 0],
      [0, 0, 0.1, 0],
      [0, 0, 0, 0.001],
    ],
    c: [-1, 0, 0, 0],
    uMax: 2,
    restCost: 1.5,
    sampleStart(rng) {
      const th = Math.PI * (2 * rng.uniform() - 1);
      return [Math.cos(th), Math.sin(th), 2 * rng.uniform() - 1];
    },
  };
}

/**
 * Cart-pole balancing from tilted starts (|θ| ≤ 0.6 rad, θ = 0 upright), |force| ≤ 10, with
 * C = diag(0.1, 0.1, 1, 1, 0.1, 0.001) on (p, ṗ, cos θ, sin θ, θ̇, u) and c = −1 on cos θ.
 */
export function cartpoleTask(model: DynamicsModel, params: Tensor): ControlTask {
  const diag = [0.1, 0.1, 1, 1, 0.1, 0.001];
  return {
    name: 'cart-pole balancing',
    model,
    params,
    C: diag.map((d, i) => diag.map((_, j) => (i === j ? d : 0))),
    c: [0, 0, -1, 0, 0, 0],
    uMax: 10,
    restCost: 1.5,
    sampleStart(rng) {
      const th = 0.6 * (2 * rng.uniform() - 1);
      const r = () => 0.5 * (2 * rng.uniform() - 1);
      return [r(), r(), Math.cos(th), Math.sin(th), r()];
    },
  };
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
  readonly curve: TrainedPolicy['curve'];
}

export function defaults(config: PolicyConfig): Required<PolicyConfig> {
  return {
    hidden: config.hidden ?? [32, 32],
    H: config.H ?? 60,
    valueHorizon: config.valueHorizon ?? 60,
    steps: config.steps ?? 1600,
    batch: config.batch ?? 32,
    lr: config.lr ?? 3e-3,
    episode: config.episode ?? 100,
    nTest: config.nTest ?? 32,
    mpcHorizon: config.mpcHorizon ?? 20,
    seed: config.seed ?? 0,
  };
}

/** Trains the policy, then runs it and MPC on the same held-out starts. */
export function runPolicyAmortization(task: ControlTask, config: Required<PolicyConfig>): PolicyReport {
  const policy = trainPolicy(task, config, Rng.seeded(config.seed));
  const n = task.model.nState;
  // Held-out starts from their own stream: the same states whatever the training consumed.
  const heldOut = Rng.seeded(10_007 + config.seed);
  const starts = new Float64Array(config.nTest * n);
  for (let r = 0; r < config.nTest; r++) starts.set(task.sampleStart(heldOut), r * n);
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
    curve: policy.curve,
  };
}
