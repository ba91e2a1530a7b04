/**
 * SVG(H) training of a policy π_θ(x) (Heess et al. 2015; Amos et al. 2021): backpropagate the
 * H-step cost of the policy's rollout through the known dynamics, plus a learned terminal value
 * V_φ(x_H) of the rest of the episode,
 *
 *   min_θ E_x0 [ Σ_{t<H} c(x_t, π_θ(x_t)) + V_φ(x_H) ],   x_{t+1} = f(x_t, π_θ(x_t)).
 *
 * V_φ regresses the cost of running the current policy for `valueHorizon` more steps. Start
 * states mix fresh draws with states the policy visits, so the policy is trained where it acts.
 * The parameters kept are the best of periodic checkpoints on validation starts drawn from their
 * own stream (never the held-out starts of the evaluation).
 */
import { Rng, Tensor, add, mean, mul, reshape, sub, tanh, tensor, valueAndGrad } from '@argmin/autodiff';
import { adam, cosineDecay, type Model, mlp, type MlpParams } from '@argmin/nodes-amortized';
import { type ControlTask, stageCost, stageCostOps } from './policy-task.js';

export interface PolicyConfig {
  readonly hidden?: readonly number[];
  /**
   * Rollout length H of the value gradient and the value's horizon (see docs/performance.md for
   * what each choice gave: with H = 20, MPC's own horizon, the policy settles on not pumping
   * energy; a swing-up takes 2–3 s, so H = 60 covers one).
   */
  readonly H?: number;
  readonly valueHorizon?: number;
  readonly steps?: number;
  readonly batch?: number;
  /** Adam's step size, cosine-decayed to `lrFinal`·lr over the steps. */
  readonly lr?: number;
  readonly lrFinal?: number;
  /** Share of each batch's starts drawn fresh (the rest from states the policy visited). */
  readonly fresh?: number;
  /** Value-function updates per policy update. */
  readonly valueSteps?: number;
  /** Make the policy odd under the task's mirror symmetry (when the task has one). */
  readonly symmetric?: boolean;
  /** Checkpoint every this many steps on `nVal` validation starts (their own stream); the best is kept. */
  readonly checkEvery?: number;
  readonly nVal?: number;
  /** Closed-loop evaluation: episode length, held-out starts, MPC horizon. */
  readonly episode?: number;
  readonly nTest?: number;
  readonly mpcHorizon?: number;
  readonly seed?: number;
}

/** The policy's network h: u = uMax·tanh(h(x)), or with a mirror m, uMax·tanh(½(h(x) − h(m ⊙ x))). */
export function policyModel(task: ControlTask, hidden: readonly number[]): Model<MlpParams> {
  return mlp({ sizes: [task.model.nState, ...hidden, task.model.nCtrl], activation: 'tanh', outputScale: 0.1 });
}

/** The policy with ops, x [R, n] → u [R, 1]; odd under the task's mirror when `symmetric`. */
function actOps(task: ControlTask, net: Model<MlpParams>, theta: MlpParams, x: Tensor, symmetric: boolean): Tensor {
  const h = net.apply(theta, x);
  const pre = symmetric && task.mirror ? mul(sub(h, net.apply(theta, mul(x, tensor([...task.mirror])))), 0.5) : h;
  return mul(tanh(pre), task.uMax);
}

/** The same policy on raw arrays (the closed-loop runs, timed per control step). */
export function actRaw(task: ControlTask, policy: Policy, x: Float64Array, rows: number): Float64Array {
  const n = task.model.nState;
  const h = policy.net.predict(policy.theta, new Tensor(x, [rows, n])).data;
  const mirror = policy.symmetric ? task.mirror : undefined;
  let hm: Float64Array | undefined;
  if (mirror) {
    const xm = new Float64Array(rows * n);
    for (let i = 0; i < rows * n; i++) xm[i] = x[i]! * mirror[i % n]!;
    hm = policy.net.predict(policy.theta, new Tensor(xm, [rows, n])).data;
  }
  const u = new Float64Array(rows);
  for (let r = 0; r < rows; r++) u[r] = task.uMax * Math.tanh(hm ? 0.5 * (h[r]! - hm[r]!) : h[r]!);
  return u;
}

/** A policy: the network, its parameters, and whether it is made odd under the task's mirror. */
export interface Policy {
  readonly net: Model<MlpParams>;
  readonly theta: MlpParams;
  readonly symmetric: boolean;
}

/** Rolls the policy on raw arrays: the visited states [L+1][rows·n] and the total cost per row. */
export function rolloutRaw(task: ControlTask, policy: Policy, x0: Float64Array, rows: number, L: number) {
  const n = task.model.nState;
  const states: Float64Array[] = [x0];
  const cost = new Float64Array(rows);
  let x = x0;
  for (let t = 0; t < L; t++) {
    const u = actRaw(task, policy, x, rows);
    for (let r = 0; r < rows; r++) cost[r]! += stageCost(task, x.subarray(r * n, (r + 1) * n), u[r]!);
    const next = new Float64Array(rows * n);
    task.model.stepRaw!(x, u, task.params.data, 0, rows, next);
    states.push(next);
    x = next;
  }
  return { states, cost };
}

/** `rows` start states drawn from `rng`, flat [rows·n]. */
export function drawStarts(task: ControlTask, rows: number, rng: Rng): Float64Array {
  const n = task.model.nState;
  const x = new Float64Array(rows * n);
  for (let r = 0; r < rows; r++) x.set(task.sampleStart(rng), r * n);
  return x;
}

export interface TrainedPolicy extends Policy {
  readonly curve: { readonly step: number[]; readonly loss: number[] };
  /** Validation checkpoints: step and mean episode cost; `best` the step kept. */
  readonly checks: { readonly step: number[]; readonly cost: number[]; readonly best: number };
  readonly seconds: number;
}

/** SVG(H) with a learned terminal value and checkpoint selection on validation starts. */
export function trainPolicy(task: ControlTask, config: Required<PolicyConfig>, rng: Rng): TrainedPolicy {
  const started = performance.now();
  const n = task.model.nState;
  const net = policyModel(task, config.hidden);
  const valueNet = mlp({ sizes: [n, 64, 64, 1], activation: 'tanh' });
  let theta = net.init(rng);
  let phi = valueNet.init(rng);
  const opt = adam({ lr: cosineDecay(config.lr, config.steps, config.lrFinal), clipNorm: 10 });
  const vopt = adam({ lr: 3e-3 });
  let state = opt.init(theta);
  let vstate = vopt.init(phi);
  const visited: number[][] = [];
  const curve = { step: [] as number[], loss: [] as number[] };
  const valStarts = drawStarts(task, config.nVal, Rng.seeded(20_011 + config.seed));
  const checks = { step: [] as number[], cost: [] as number[], best: 0 };
  let best = { cost: Number.POSITIVE_INFINITY, theta };
  const starts = (): Float64Array => {
    const x = new Float64Array(config.batch * n);
    for (let b = 0; b < config.batch; b++) {
      const reuse = visited.length > 0 && rng.uniform() < 1 - config.fresh;
      x.set(reuse ? visited[Math.floor(rng.uniform() * visited.length)]! : task.sampleStart(rng), b * n);
    }
    return x;
  };
  const policyLoss = (th: MlpParams, x0: Tensor, ph: MlpParams) => {
    let x = x0;
    let total: Tensor | null = null;
    for (let t = 0; t < config.H; t++) {
      const u = actOps(task, net, th, x, config.symmetric);
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
    const x0 = starts();
    // Refit the value on where this policy ends up after H steps: the cost of the next valueHorizon steps.
    const head = rolloutRaw(task, { net, theta, symmetric: config.symmetric }, x0, config.batch, config.H);
    const xH = head.states[config.H]!;
    const tail = rolloutRaw(task, { net, theta, symmetric: config.symmetric }, xH, config.batch, config.valueHorizon);
    const target = tail.cost;
    const visitedNow = [...head.states, ...tail.states.slice(1)];
    for (let k = 0; k < config.valueSteps; k++) {
      const [, gv] = gradValue(phi, new Tensor(xH, [config.batch, n]), new Tensor(target, [config.batch])) as [Tensor, MlpParams];
      ({ params: phi, state: vstate } = vopt.update(phi, gv, vstate));
    }
    const [loss, g] = gradPolicy(theta, new Tensor(x0, [config.batch, n]), phi) as [Tensor, MlpParams];
    ({ params: theta, state } = opt.update(theta, g, state));
    // Keep a pool of visited states (bounded), so later starts follow the policy's own distribution.
    for (let r = 0; r < config.batch; r += 8) {
      const t = 1 + Math.floor(rng.uniform() * (config.H + config.valueHorizon - 1));
      const s = Array.from(visitedNow[t]!.subarray(r * n, (r + 1) * n));
      if (visited.length < 4096) visited.push(s);
      else visited[Math.floor(rng.uniform() * visited.length)] = s;
    }
    if (step % 25 === 0 || step === config.steps) {
      curve.step.push(step);
      curve.loss.push(loss.item());
    }
    if (step % config.checkEvery === 0 || step === config.steps) {
      const costs = rolloutRaw(task, { net, theta, symmetric: config.symmetric }, valStarts, config.nVal, config.episode).cost;
      const cost = costs.reduce((a, b) => a + b, 0) / config.nVal;
      checks.step.push(step);
      checks.cost.push(cost);
      if (cost < best.cost) [best, checks.best] = [{ cost, theta }, step];
    }
  }
  return { net, theta: best.theta, symmetric: config.symmetric, curve, checks, seconds: (performance.now() - started) / 1000 };
}
