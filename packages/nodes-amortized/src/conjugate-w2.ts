import { InvalidInputError, Rng, Tensor, add, mean, mul, reshape, sub, sum, valueAndGrad } from '@argmin/autodiff';
import { adam, cosineDecay, type AdamState } from './adam.js';
import { conjugate, type ConjugateOptions, type ConjugateResult } from './conjugate.js';
import type { Icnn, IcnnParams } from './icnn.js';
import { mlp, type MlpParams } from './mlp.js';
import type { Model } from './model.js';

/**
 * W2 by the Kantorovich dual with an amortized conjugate (Makkuva et al. 2020; Amos 2023,
 * "On amortizing convex conjugates for optimal transport"): minimize over convex f (an ICNN)
 *   J(f) = E_α f(x) + E_β f*(y),   f*(y) = max_x xᵀy − f(x),
 * whose minimizer's gradient ∇f is the optimal map from α to β. Each step solves the conjugates
 * of a batch by L-BFGS started at an amortized x̂_φ(y), takes the θ-gradient of J by the
 * envelope theorem (∂f*(y)/∂θ = −∂f(x*)/∂θ, x* fixed; rows whose inner solve did not converge
 * are left out of the step and counted), and fits x̂_φ to the solutions by regression.
 */
export interface W2DualOptions {
  readonly potential: Icnn;
  /** x̂_φ(y) (default an MLP [d, 64, 64, d] with a linear skip). */
  readonly amortizer?: Model<MlpParams>;
  /** n samples [n, d] of α and of β. */
  readonly sampleSource: (n: number, rng: Rng) => Float64Array;
  readonly sampleTarget: (n: number, rng: Rng) => Float64Array;
  readonly steps: number;
  /** Default 256. */
  readonly batchSize?: number;
  /** Peak learning rates (cosine decay) of f and of x̂ (defaults 5e-3 and 3e-3). */
  readonly lr?: number;
  readonly amortizerLr?: number;
  readonly inner?: ConjugateOptions;
  /**
   * Regression steps of x̂ after f is trained (default 0), on minibatches of a pool of the final
   * f's conjugates: x̂ chases a moving target while f learns, and these fit it to the f that is
   * deployed. The pool is solved once, so many steps are cheap.
   */
  readonly polishSteps?: number;
  /** Target samples in the polishing pool (default 8192). */
  readonly polishSamples?: number;
  /**
   * Start each inner L-BFGS with the curvature of f at x̂, H₀ = ∇²f(x̂)⁻¹ (default true): the
   * amortized start then supplies the position and the curvature the quasi-Newton would
   * otherwise spend its first iterations building.
   */
  readonly curvature?: boolean;
  readonly rng?: Rng;
  readonly onStep?: (step: W2Step) => void;
}

export interface W2Step {
  readonly step: number;
  /** The minibatch dual objective J (at the inner solutions). */
  readonly dual: number;
  readonly meanInnerIterations: number;
  /** Rows of this step whose inner solve did not reach the tolerance. */
  readonly unconverged: number;
  /** RMS over the batch of ‖x̂(y) − x*(y)‖: how far the amortized start was from the solution. */
  readonly amortizerError: number;
}

export interface W2DualResult {
  readonly theta: IcnnParams;
  readonly phi: MlpParams;
  readonly amortizer: Model<MlpParams>;
  readonly history: readonly W2Step[];
  /** Over all inner solves of training (and polishing): the fraction that did not converge. */
  readonly unconvergedFraction: number;
  readonly meanInnerIterations: number;
  readonly seconds: number;
}

/** ∇f(x) for rows x [n, d]: the learned transport map. */
export function transportMap(potential: Icnn, theta: IcnnParams, x: Float64Array): Float64Array {
  return potential.valueAndGrad(theta, x, x.length / potential.input).grad;
}

/**
 * The conjugates of rows y [n, d] from a start x0 (default x = y). With `newtonStart`, L-BFGS
 * starts from H₀ = ∇²f(x0)⁻¹ per row (a Newton first step) instead of γI.
 */
export function solveConjugate(
  potential: Icnn,
  theta: IcnnParams,
  y: Float64Array,
  x0: Float64Array = y,
  options: ConjugateOptions & { readonly newtonStart?: boolean } = {},
): ConjugateResult {
  const { newtonStart = false, ...rest } = options;
  const inner = newtonStart ? { ...rest, initialHessian: potential.hessian(theta, x0, x0.length / potential.input) } : rest;
  return conjugate((x, n) => potential.valueAndGrad(theta, x, n), y, x0, potential.input, inner);
}

/**
 * f*(y) = x*ᵀy − f_θ(x*) per row [B], written with ops around a solution x* held constant: its
 * gradients are the envelope theorem's, ∂/∂θ = −∂f_θ(x*)/∂θ and ∂/∂y = x*, exact when x*
 * maximizes xᵀy − f_θ(x) (so check `converged` of the solve that produced x*).
 */
export function envelopeConjugate(potential: Icnn, theta: IcnnParams, y: Tensor, xStar: Float64Array): Tensor {
  const x = new Tensor(xStar, y.shape);
  return sub(sum(mul(x, y), -1), reshape(potential.apply(theta, x), [-1]));
}

/** f*(y) [B] by L-BFGS (from x0, default y) and the envelope gradient; the solve is returned too. */
export function conjugateValue(
  potential: Icnn,
  theta: IcnnParams,
  y: Tensor,
  options: ConjugateOptions & { readonly x0?: Float64Array } = {},
): { value: Tensor; solve: ConjugateResult } {
  const solve = solveConjugate(potential, theta, y.data, options.x0 ?? y.data, options);
  return { value: envelopeConjugate(potential, theta, y, solve.x), solve };
}

/** Rows of a [n, d] buffer where keep[r] is set, as a tensor [k, d]. */
function keepRows(data: Float64Array, keep: Uint8Array, d: number): Tensor {
  const rows: number[] = [];
  keep.forEach((k, r) => k && rows.push(r));
  const out = new Float64Array(rows.length * d);
  rows.forEach((r, k) => out.set(data.subarray(r * d, (r + 1) * d), k * d));
  return new Tensor(out, [rows.length, d]);
}

/** Rows idx of a [n, d] tensor. */
function pickRows(t: Tensor, idx: readonly number[]): Tensor {
  const d = t.shape[1]!;
  const out = new Float64Array(idx.length * d);
  idx.forEach((r, k) => out.set(t.data.subarray(r * d, (r + 1) * d), k * d));
  return new Tensor(out, [idx.length, d]);
}

export function trainW2Dual(options: W2DualOptions): W2DualResult {
  const { potential, sampleSource, sampleTarget, steps, batchSize = 256, lr = 5e-3, amortizerLr = 3e-3, inner = {} } = options;
  const newtonStart = options.curvature !== false;
  const d = potential.input;
  if (!(Number.isInteger(steps) && steps >= 1))
    throw new InvalidInputError(`trainW2Dual: 'steps' must be a positive integer, got ${steps}`);
  // tanh: x*(y) = ∇f*(y) is smooth, and a smooth fit reaches a smaller error than relu's pieces.
  const amortizer = options.amortizer ?? mlp({ sizes: [d, 64, 64, d], activation: 'tanh', linearSkip: true, outputScale: 0.1 });
  const rng = options.rng ?? Rng.seeded(0);
  let theta = potential.init(rng);
  let phi = amortizer.init(rng);
  // Start x̂ at the identity, the x = y baseline: Wskip = I.
  const eye = new Float64Array(d * d);
  for (let i = 0; i < d; i++) eye[i * d + i] = 1;
  phi = { ...phi, Wskip: new Tensor(eye, [d, d]) };
  const optF = adam({ lr: cosineDecay(lr, steps, 0.02) });
  const optA = adam({ lr: cosineDecay(amortizerLr, steps, 0.02) });
  let stateF: AdamState = optF.init(theta);
  let stateA: AdamState = optA.init(phi);
  // J on the batch: E f(x) + E f*(y) over the rows whose conjugate converged.
  const dualLoss = valueAndGrad((th: IcnnParams, x: Tensor, ys: Tensor, xs: Tensor) => {
    const fx = mean(potential.apply(th, x));
    return ys.shape[0]! > 0 ? add(fx, mean(envelopeConjugate(potential, th, ys, xs.data))) : fx;
  });
  const regression = valueAndGrad((ph: MlpParams, yk: Tensor, xk: Tensor) => {
    const r = sub(amortizer.apply(ph, yk), xk);
    return mul(sum(mul(r, r)), 1 / Math.max(1, yk.shape[0]!));
  });
  const history: W2Step[] = [];
  let solves = 0;
  let failed = 0;
  let iterTotal = 0;
  const start = performance.now();
  for (let step = 1; step <= steps; step++) {
    const x = new Tensor(sampleSource(batchSize, rng), [batchSize, d]);
    const yData = sampleTarget(batchSize, rng);
    const y = new Tensor(yData, [batchSize, d]);
    const x0 = amortizer.predict(phi, y).data;
    const sol = solveConjugate(potential, theta, yData, x0, { ...inner, newtonStart });
    const xs = keepRows(sol.x, sol.converged, d);
    const ys = keepRows(yData, sol.converged, d);
    const unconverged = batchSize - xs.shape[0]!;
    let iters = 0;
    for (const k of sol.iterations) iters += k;
    solves += batchSize;
    failed += unconverged;
    iterTotal += iters;
    const [value, grads] = dualLoss(theta, x, ys, xs);
    const dual = (value as Tensor).item();
    ({ params: theta, state: stateF } = optF.update(theta, grads as IcnnParams, stateF));
    if (xs.shape[0]! > 0) {
      const [, g] = regression(phi, ys, xs);
      ({ params: phi, state: stateA } = optA.update(phi, g as MlpParams, stateA));
    }
    let err = 0;
    for (let k = 0; k < x0.length; k++) err += (x0[k]! - sol.x[k]!) ** 2;
    const record: W2Step = { step, dual, meanInnerIterations: iters / batchSize, unconverged, amortizerError: Math.sqrt(err / batchSize) };
    history.push(record);
    options.onStep?.(record);
  }
  const polishSteps = options.polishSteps ?? 0;
  let polishSolves = 0;
  if (polishSteps > 0) {
    const n = options.polishSamples ?? 8192;
    if (!(Number.isInteger(n) && n >= 1)) throw new InvalidInputError(`trainW2Dual: 'polishSamples' must be a positive integer, got ${n}`);
    const yPool = sampleTarget(n, rng);
    const sol = solveConjugate(potential, theta, yPool, amortizer.predict(phi, new Tensor(yPool, [n, d])).data, { ...inner, newtonStart });
    polishSolves = n;
    const ys = keepRows(yPool, sol.converged, d);
    const xs = keepRows(sol.x, sol.converged, d);
    failed += n - xs.shape[0]!;
    const kept = xs.shape[0]!;
    const optP = adam({ lr: cosineDecay(amortizerLr, polishSteps, 0.01) });
    let stateP: AdamState = optP.init(phi);
    for (let step = 0; step < polishSteps && kept > 0; step++) {
      const idx = Array.from({ length: Math.min(batchSize, kept) }, () => Math.floor(rng.uniform() * kept));
      const [, g] = regression(phi, pickRows(ys, idx), pickRows(xs, idx));
      ({ params: phi, state: stateP } = optP.update(phi, g as MlpParams, stateP));
    }
  }
  return {
    theta,
    phi,
    amortizer,
    history,
    unconvergedFraction: failed / (solves + polishSolves),
    meanInnerIterations: iterTotal / solves,
    seconds: (performance.now() - start) / 1000,
  };
}

/** Adds the raw-kernel prediction of x̂ to a result: the amortized start for `solveConjugate`. */
export function amortizedStart(result: Pick<W2DualResult, 'amortizer' | 'phi'>, y: Float64Array, d: number): Float64Array {
  return result.amortizer.predict(result.phi, new Tensor(y, [y.length / d, d])).data;
}
