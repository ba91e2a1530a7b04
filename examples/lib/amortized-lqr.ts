/**
 * Amortizing constrained LQR — box-constrained linear MPC — over initial states (Amos 2022,
 * "Tutorial on amortized optimization", §2 and its control examples): a chain of k masses
 * joined by springs, a force on each, horizon T, |u| ≤ 1,
 *
 *   u*(x₀) = argmin Σ_t ½‖x_t‖²_Q + ½‖u_t‖²_R  s.t.  x_{t+1} = F[x_t; u_t],  −1 ≤ u_t ≤ 1,
 *
 * and a model û_θ(x₀) = clamp(MLP_θ(x₀), −1, 1) trained on that objective (the controls rolled
 * through the dynamics: no MPC solve in the loop). Measured on held-out initial states: the
 * speed-up over the box-DDP solver from scratch, the relative suboptimality, and the iterations
 * the prediction saves box-DDP as its warm start. Last, amortization via a learned latent space:
 * DCEM over a 3-dimensional latent z decoded into the whole control sequence, trained end to end
 * through the search, against plain CEM in the full control space with the same budget.
 */
import { Rng, Tensor, randn } from '@argmin/autodiff';
import {
  adam,
  amortize,
  amortizeLatent,
  compareWarmStart,
  cosineDecay,
  evaluateAmortized,
  mlp,
  parameterCount,
  type AmortizationReport,
  type TrainProgress,
  type WarmStartReport,
} from '@argmin/nodes-amortized';
import { cem, mpcNode, type MpcParams } from '@argmin/nodes-control';

export interface AmortizedLqrConfig {
  /** Masses in the chain (default 3: 6 states, 3 controls) and horizon (default 30). */
  readonly masses?: number;
  readonly T?: number;
  /** Training and held-out initial states (defaults 2048 and 100). */
  readonly nTrain?: number;
  readonly nTest?: number;
  /** Adam steps (default 3000), minibatch (64), peak learning rate (1e-2, cosine decay), hidden widths ([32, 32]). */
  readonly steps?: number;
  readonly batchSize?: number;
  readonly lr?: number;
  readonly hidden?: readonly number[];
  /** Training steps of the latent-space DCEM decoder (default 150; 0 skips that part). */
  readonly latentSteps?: number;
  readonly seed?: number;
  readonly onProgress?: (p: TrainProgress & { readonly phase: 'model' | 'latent' }) => void;
}

/** The chain: dynamics F (shared over time), cost blocks C, c, and the box. */
export interface ChainFamily {
  readonly ns: number;
  readonly nc: number;
  readonly T: number;
  readonly F: Tensor;
  readonly C: Tensor;
  readonly c: Tensor;
  readonly uLower: Tensor;
  readonly uUpper: Tensor;
  problem(x0: Tensor): MpcParams;
}

/**
 * k unit masses on a line, joined to each other and to two walls by unit springs, with light
 * damping, discretized by semi-implicit Euler (dt = 0.1). State [q; v], control: one force per
 * mass. Stage cost ‖x‖² + 0.1‖u‖², terminal 10‖x‖².
 */
export function chainFamily(k: number, T: number, dt = 0.1): ChainFamily {
  const ns = 2 * k;
  const nc = k;
  const n = ns + nc;
  const step = new Float64Array(ns * n);
  for (let i = 0; i < k; i++) {
    const acc = new Float64Array(n);
    acc[i] = -2;
    if (i > 0) acc[i - 1] = 1;
    if (i < k - 1) acc[i + 1] = 1;
    acc[k + i] = -0.1;
    acc[ns + i] = 1;
    for (let j = 0; j < n; j++) {
      const v = (j === k + i ? 1 : 0) + dt * acc[j]!;
      step[(k + i) * n + j] = v;
      step[i * n + j] = (j === i ? 1 : 0) + dt * v;
    }
  }
  const F = new Float64Array((T - 1) * ns * n);
  for (let t = 0; t < T - 1; t++) F.set(step, t * ns * n);
  const C = new Float64Array(T * n * n);
  for (let t = 0; t < T; t++) {
    for (let i = 0; i < ns; i++) C[t * n * n + i * n + i] = t === T - 1 ? 10 : 1;
    for (let i = ns; i < n; i++) C[t * n * n + i * n + i] = 0.1;
  }
  const fam = {
    ns,
    nc,
    T,
    F: new Tensor(F, [T - 1, ns, n]),
    C: new Tensor(C, [T, n, n]),
    c: new Tensor(new Float64Array(T * n), [T, n]),
    uLower: new Tensor(new Float64Array(T * nc).fill(-1), [T, nc]),
    uUpper: new Tensor(new Float64Array(T * nc).fill(1), [T, nc]),
  };
  return { ...fam, problem: (x0) => ({ C: fam.C, c: fam.c, x0, F: fam.F, uLower: fam.uLower, uUpper: fam.uUpper }) };
}

export interface LatentReport {
  /** Mean relative suboptimality of DCEM in the learned latent space (trained decoder). */
  readonly latentGap: number;
  /** The same search with the decoder at its initialization (before training). */
  readonly untrainedLatentGap: number;
  /** Plain CEM over the full control sequence with the same samples and iterations. */
  readonly fullSpaceCemGap: number;
  readonly latentSize: number;
  readonly samples: number;
  readonly iterations: number;
  readonly trainSeconds: number;
}

export interface AmortizedLqrResult {
  readonly config: Required<Omit<AmortizedLqrConfig, 'onProgress'>>;
  readonly parameters: number;
  readonly trainSeconds: number;
  readonly activeFraction: number;
  readonly amortized: AmortizationReport;
  readonly warmStart: WarmStartReport;
  readonly latent: LatentReport | null;
}

export function runAmortizedLqr(config: AmortizedLqrConfig = {}): AmortizedLqrResult {
  const cfg = {
    masses: 3,
    T: 30,
    nTrain: 2048,
    nTest: 100,
    steps: 3000,
    batchSize: 64,
    lr: 1e-2,
    hidden: [32, 32],
    latentSteps: 150,
    seed: 0,
    ...Object.fromEntries(Object.entries(config).filter(([k, v]) => k !== 'onProgress' && v !== undefined)),
  } as Required<Omit<AmortizedLqrConfig, 'onProgress'>>;
  const rng = Rng.seeded(cfg.seed);
  const fam = chainFamily(cfg.masses, cfg.T);
  const xTrain = randn([cfg.nTrain, fam.ns], rng);
  const xTest = randn([cfg.nTest, fam.ns], rng);
  const net = mlp({ sizes: [fam.ns, ...cfg.hidden, cfg.T * fam.nc], activation: 'tanh', linearSkip: true });
  // control.mpc's known objective rolls the controls through F and clamps them onto the box.
  const am = amortize(mpcNode, net, { problem: fam.problem, loss: 'objective', predict: ['u'], shapes: { u: [cfg.T, fam.nc] } });
  const fit = am.fit(
    am.init(rng.split()),
    { x: xTrain },
    {
      steps: cfg.steps,
      batchSize: cfg.batchSize,
      rng: rng.split(),
      optimizer: adam({ lr: cosineDecay(cfg.lr, cfg.steps) }),
      ...(config.onProgress ? { onStep: (p: TrainProgress) => config.onProgress!({ ...p, phase: 'model' }) } : {}),
    },
  );
  const reference = am.solve(xTest);
  let active = 0;
  for (const v of reference.u.data) if (Math.abs(v) >= 1 - 1e-9) active++;
  const amortized = evaluateAmortized(am, fit.params, xTest, { reference });
  const warmStart = compareWarmStart(am, fit.params, xTest);
  const latent = cfg.latentSteps > 0 ? latentExperiment(fam, xTrain, xTest, reference.u, cfg, rng, config.onProgress) : null;
  return {
    config: cfg,
    parameters: parameterCount(fit.params),
    trainSeconds: fit.seconds,
    activeFraction: active / reference.u.size,
    amortized,
    warmStart,
    latent,
  };
}

/** DCEM in a learned 3-D latent space of control sequences vs plain CEM in the full space. */
function latentExperiment(
  fam: ChainFamily,
  xTrain: Tensor,
  xTest: Tensor,
  uStar: Tensor,
  cfg: Required<Omit<AmortizedLqrConfig, 'onProgress'>>,
  rng: Rng,
  onProgress: AmortizedLqrConfig['onProgress'],
): LatentReport {
  const latentSize = 3;
  const search = { latentSize, nSamples: 64, nElite: 8, iters: 4, temperature: 1, seed: cfg.seed + 1 };
  const decoder = mlp({ sizes: [latentSize + fam.ns, 64, cfg.T * fam.nc], activation: 'tanh' });
  const planner = amortizeLatent(mpcNode, decoder, search, {
    problem: fam.problem,
    predict: ['u'],
    shapes: { u: [cfg.T, fam.nc] },
    contextSize: fam.ns,
  });
  const theta0 = planner.init(rng.split());
  const fit = planner.fit(
    theta0,
    { x: xTrain },
    {
      steps: cfg.latentSteps,
      batchSize: 16,
      rng: rng.split(),
      optimizer: adam({ lr: cosineDecay(1e-2, cfg.latentSteps) }),
      ...(onProgress ? { onStep: (p: TrainProgress) => onProgress({ ...p, phase: 'latent' }) } : {}),
    },
  );
  const optimal = planner.assess(xTest, { u: uStar }).objective;
  const gapOf = (f: Float64Array) => f.reduce((s, v, b) => s + (v - optimal[b]!) / Math.abs(optimal[b]!), 0) / f.length;
  const latentGap = gapOf(planner.assess(xTest, planner.infer(fit.params, xTest)).objective);
  const untrainedLatentGap = gapOf(planner.assess(xTest, planner.infer(theta0, xTest)).objective);
  // Plain CEM on the 90 controls directly, same budget: samples clamped onto the box.
  const B = xTest.shape[0]!;
  const N = search.nSamples;
  const ny = cfg.T * fam.nc;
  const repeated = new Tensor(
    Float64Array.from({ length: B * N * fam.ns }, (_, i) => xTest.data[Math.floor(i / (N * fam.ns)) * fam.ns + (i % fam.ns)]!),
    [B * N, fam.ns],
  );
  const score = (ys: Tensor) => {
    const flat = new Tensor(ys.data, [B * N, ny]);
    const f = planner.outputObjective(repeated, flat);
    return new Tensor(f.data, [B, N]);
  };
  const full = cem(
    score,
    { mu0: new Tensor(new Float64Array(B * ny), [B, ny]), sigma0: 0.5, nSamples: N, nElite: search.nElite, iters: search.iters },
    { rng: Rng.seeded(cfg.seed + 2) },
  );
  const clamped = new Tensor(
    full.x.data.map((v) => Math.min(1, Math.max(-1, v))),
    [B, cfg.T, fam.nc],
  );
  const fullSpaceCemGap = gapOf(planner.assess(xTest, { u: clamped }).objective);
  return { latentGap, untrainedLatentGap, fullSpaceCemGap, latentSize, samples: N, iterations: search.iters, trainSeconds: fit.seconds };
}
