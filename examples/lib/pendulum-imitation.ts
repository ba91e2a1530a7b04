/**
 * Learning a pendulum model by differentiating through MPC (Amos et al., "Differentiable MPC
 * for End-to-end Planning and Control", 2018), and the objective-mismatch experiment: the same
 * model class trained two ways from the same expert trajectories,
 *
 *   - imitation: θ ← θ − lr ∇_θ ‖τ_MPC(θ) − τ*‖², gradients through MPC's implicit VJP;
 *   - system identification: θ ← θ − lr ∇_θ Σ_t ‖g(x*_t, u*_t; θ) − x*_{t+1}‖², no MPC.
 *
 * The expert controls a pendulum with friction (θ̈ gets −b·θ̇) that the learner's model
 * (mpc.pytorch's simple pendulum, parameters g, m, l) cannot represent: the best one-step
 * predictor is then not the model whose MPC controls best imitate the expert, and each method
 * wins on its own objective. With `damping: 0` the model is well specified and both recover
 * the expert. The function returns the loss curves; the demo writes them to JSON.
 */
import { Rng, Tensor, add, cos, div, exp, index, mean, mul, pow, sin, stack, sub, tensor, valueAndGrad } from '@argmin/autodiff';
import { mpc, pendulum, type DynamicsModel } from '@argmin/nodes-control';

export interface ImitationConfig {
  /** Expert trajectories for training and for the held-out evaluation (default 8 each). */
  readonly nTrain?: number;
  readonly nTest?: number;
  /** Horizon (default 20, dt = 0.05 s). */
  readonly T?: number;
  /** Adam steps per method (default 120) and learning rate on log-parameters (default 0.05). */
  readonly steps?: number;
  readonly lr?: number;
  /** Friction of the expert's pendulum (default 0.5; 0 = the learner's model is exact). */
  readonly damping?: number;
  /** A constant wind on the expert's pendulum, as an angular acceleration (default 0). */
  readonly wind?: number;
  /** The learner's initial (g, m, l) (default (6, 1.6, 0.7)); the expert's are (10, 1, 1). */
  readonly init?: readonly [number, number, number];
  /** Evaluate every this many steps (default 5). */
  readonly evalEvery?: number;
  readonly seed?: number;
}

export interface Curve {
  readonly step: number[];
  /** Imitation loss ‖τ_MPC(θ) − τ*‖² (mean over entries) on the training and held-out starts. */
  readonly imitationTrain: number[];
  readonly imitationTest: number[];
  /** One-step prediction error on the expert's training transitions (mean squared). */
  readonly sysid: number[];
  /** (g, m, l) at each evaluation. */
  readonly params: number[][];
}

export interface ImitationResult {
  readonly config: Required<Omit<ImitationConfig, 'init'>> & { init: readonly number[] };
  readonly expert: { readonly params: readonly number[]; readonly damping: number; readonly wind: number };
  readonly imitation: Curve;
  readonly sysid: Curve;
  /** Training MPC solves (one per start and step) whose gradient `onUnconverged: 'zero'` dropped. */
  readonly dropped: { readonly solves: number; readonly of: number };
  readonly seconds: number;
}

/**
 * The expert's pendulum: friction b and a constant wind a (an angular acceleration) on top of the
 * learner's model, θ̇' = θ̇ + dt(3g/(2l) sin θ + 3τ/(ml²) − b θ̇ + a); params (g, m, l, b, a).
 */
export const windyPendulum: DynamicsModel = {
  name: 'windy-pendulum',
  nState: 3,
  nCtrl: 1,
  nParams: 5,
  step(x, u, p) {
    const [g, m, l, b, a] = [0, 1, 2, 3, 4].map((i) => index(p, i, -1)) as [Tensor, Tensor, Tensor, Tensor, Tensor];
    const [c, s, w] = [0, 1, 2].map((i) => index(x, i, -1)) as [Tensor, Tensor, Tensor];
    const torque = index(u, 0, -1);
    const accel = add(sub(add(mul(div(g, l), mul(s, 1.5)), div(mul(torque, 3), mul(m, mul(l, l)))), mul(b, w)), a);
    const w1 = add(w, mul(accel, DT));
    const r = pow(add(mul(c, c), mul(s, s)), 0.5);
    const [cn, sn] = [div(c, r), div(s, r)];
    const d = mul(w1, DT);
    return stack([sub(mul(cn, cos(d)), mul(sn, sin(d))), add(mul(sn, cos(d)), mul(cn, sin(d))), w1], -1);
  },
};

const DT = 0.05;
const TRUTH = [10, 1, 1] as const;

/** The swing-up cost of mpc.pytorch's pendulum example: C = diag(1, 1, 0.1, 0.001), c = (−1, 0, 0, 0). */
export function swingUpCost(B: number, T: number): { C: Tensor; c: Tensor } {
  const C = new Float64Array(B * T * 16);
  const c = new Float64Array(B * T * 4);
  for (let k = 0; k < B * T; k++) {
    [1, 1, 0.1, 0.001].forEach((v, i) => (C[k * 16 + i * 5] = v));
    c[k * 4] = -1;
  }
  return { C: new Tensor(C, [B, T, 4, 4]), c: new Tensor(c, [B, T, 4]) };
}

function initialStates(n: number, rng: Rng): Tensor {
  return tensor(
    Array.from({ length: n }, () => {
      const th = Math.PI * (2 * rng.uniform() - 1);
      return [Math.cos(th), Math.sin(th), 2 * rng.uniform() - 1];
    }),
  );
}

interface Demos {
  readonly x0: Tensor;
  readonly x: Tensor;
  readonly u: Tensor;
  readonly cost: { C: Tensor; c: Tensor };
}

function expertDemos(n: number, T: number, damping: number, wind: number, rng: Rng): Demos {
  const x0 = initialStates(n, rng);
  const cost = swingUpCost(n, T);
  const out = mpc(
    { ...cost, x0, dynamics: { model: windyPendulum, params: tensor([...TRUTH, damping, wind]) }, uLower: -2, uUpper: 2 },
    { strategy: 'solve' },
  );
  return { x0, x: out.x, u: out.u, cost };
}

/** ‖τ − τ*‖² as a mean over entries. */
function trajectoryError(x: Tensor, u: Tensor, demo: Demos): Tensor {
  const dx = sub(x, demo.x);
  const du = sub(u, demo.u);
  return add(mean(mul(dx, dx)), mean(mul(du, du)));
}

/** MPC with the learner's model, warm-started from the previous solution of the same starts. */
function learnerMpc(theta: Tensor, demo: Demos, warm: Map<Demos, Tensor>, strategy: 'implicit' | 'solve') {
  const w = warm.get(demo);
  const out = mpc(
    { ...demo.cost, x0: demo.x0, dynamics: { model: pendulum, params: theta }, uLower: -2, uUpper: 2 },
    {
      strategy,
      onUnconverged: 'zero',
      ...(w ? { warmStart: { u: w } } : {}),
    },
  );
  warm.set(demo, new Tensor(out.u.data, out.u.shape));
  return out;
}

/** One-step prediction error of the model on the demos' transitions. */
function sysidLoss(theta: Tensor, demo: Demos): Tensor {
  const [B, T] = demo.x.shape as [number, number];
  const rows = B * (T - 1);
  const X = new Float64Array(rows * 3);
  const U = new Float64Array(rows);
  const Y = new Float64Array(rows * 3);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T - 1; t++) {
      const r = b * (T - 1) + t;
      X.set(demo.x.data.subarray((b * T + t) * 3, (b * T + t + 1) * 3), r * 3);
      Y.set(demo.x.data.subarray((b * T + t + 1) * 3, (b * T + t + 2) * 3), r * 3);
      U[r] = demo.u.data[b * T + t]!;
    }
  }
  const pred = pendulum.step(new Tensor(X, [rows, 3]), new Tensor(U, [rows, 1]), theta);
  const err = sub(pred, new Tensor(Y, [rows, 3]));
  return mean(mul(err, err));
}

/** Adam on the log-parameters φ (θ = exp φ keeps g, m, l positive). */
function adam(lr: number) {
  const m = new Float64Array(3);
  const v = new Float64Array(3);
  let t = 0;
  return (phi: Tensor, g: Tensor): Tensor => {
    t++;
    const next = Float64Array.from(phi.data);
    for (let i = 0; i < 3; i++) {
      m[i] = 0.9 * m[i]! + 0.1 * g.data[i]!;
      v[i] = 0.999 * v[i]! + 0.001 * g.data[i]! ** 2;
      next[i]! -= (lr * (m[i]! / (1 - 0.9 ** t))) / (Math.sqrt(v[i]! / (1 - 0.999 ** t)) + 1e-8);
    }
    return new Tensor(next, [3]);
  };
}

/** Runs both methods from the same initial model and returns their curves. */
export function runPendulumImitation(config: ImitationConfig = {}): ImitationResult {
  const started = performance.now();
  const cfg = {
    nTrain: config.nTrain ?? 8,
    nTest: config.nTest ?? 8,
    T: config.T ?? 20,
    steps: config.steps ?? 120,
    lr: config.lr ?? 0.05,
    damping: config.damping ?? 0.5,
    wind: config.wind ?? 0,
    init: config.init ?? ([6, 1.6, 0.7] as const),
    evalEvery: config.evalEvery ?? 5,
    seed: config.seed ?? 0,
  };
  const rng = Rng.seeded(cfg.seed);
  const train = expertDemos(cfg.nTrain, cfg.T, cfg.damping, cfg.wind, rng);
  const test = expertDemos(cfg.nTest, cfg.T, cfg.damping, cfg.wind, rng);
  const warm = new Map<Demos, Tensor>();
  const dropped = { solves: 0, of: 0 };
  const imitationLoss = (phi: Tensor) => {
    const out = learnerMpc(exp(phi), train, warm, 'implicit');
    dropped.solves += out.info.status.filter((s) => s !== 'converged').length;
    dropped.of += out.info.status.length;
    return trajectoryError(out.x, out.u, train);
  };
  const methods = {
    imitation: valueAndGrad(imitationLoss),
    sysid: valueAndGrad((phi: Tensor) => sysidLoss(exp(phi), train)),
  };
  const curves = {} as Record<'imitation' | 'sysid', Curve>;
  for (const method of ['imitation', 'sysid'] as const) {
    warm.clear();
    const curve: Curve = { step: [], imitationTrain: [], imitationTest: [], sysid: [], params: [] };
    const evalWarm = new Map<Demos, Tensor>();
    const evaluate = (step: number, phi: Tensor) => {
      const theta = exp(phi);
      const tr = learnerMpc(theta, train, evalWarm, 'solve');
      const te = learnerMpc(theta, test, evalWarm, 'solve');
      curve.step.push(step);
      curve.imitationTrain.push(trajectoryError(tr.x, tr.u, train).item());
      curve.imitationTest.push(trajectoryError(te.x, te.u, test).item());
      curve.sysid.push(sysidLoss(theta, train).item());
      curve.params.push(Array.from(theta.data));
    };
    let phi = tensor(cfg.init.map(Math.log));
    const step = adam(cfg.lr);
    evaluate(0, phi);
    for (let s = 1; s <= cfg.steps; s++) {
      const [, g] = methods[method](phi) as [Tensor, Tensor];
      phi = step(phi, g);
      if (s % cfg.evalEvery === 0 || s === cfg.steps) evaluate(s, phi);
    }
    curves[method] = curve;
  }
  return {
    config: cfg,
    expert: { params: TRUTH, damping: cfg.damping, wind: cfg.wind },
    ...curves,
    dropped,
    seconds: (performance.now() - started) / 1000,
  };
}
