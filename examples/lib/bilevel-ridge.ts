/**
 * Bilevel hyperparameter learning by implicit differentiation: one ridge penalty per feature,
 * learned on a validation set.
 *
 *   inner:  w*(λ) = argmin_w  ‖X w − y‖² / 2N + ½ Σⱼ e^{λⱼ} wⱼ²        (a QP: Q = XᵀX/N + diag e^λ)
 *   outer:  min_λ  L_val(λ) = mean((X_val w*(λ) − y_val)²)
 *
 * The hypergradient dL_val/dλ goes through the QP node's implicit VJP — no unrolled inner solver
 * — and the hyper-Hessian-vector product through the implicit VJP recorded as ops. The data
 * have a few relevant features among many, so per-feature penalties can shrink the irrelevant
 * ones harder than any single penalty can; the baseline is the best uniform ridge on the same
 * validation set.
 */
import {
  Rng,
  Tensor,
  add,
  eye,
  exp,
  grad,
  matmul,
  matrixTranspose,
  mean,
  mul,
  neg,
  randn,
  reshape,
  sub,
  tensor,
  vjp,
} from '@argmin/autodiff';
import type { StrategySpec } from '@argmin/autodiff/extend';
import { adam } from '@argmin/nodes-amortized';
import { qp } from '@argmin/nodes-convex';

export interface RidgeData {
  readonly d: number;
  readonly train: { readonly X: Tensor; readonly y: Tensor };
  readonly val: { readonly X: Tensor; readonly y: Tensor };
  readonly test: { readonly X: Tensor; readonly y: Tensor };
  readonly wTrue: Tensor;
  /** Indices of the features with a nonzero true weight. */
  readonly relevant: readonly number[];
}

export interface RidgeDataConfig {
  /** Features (default 20), of which `relevant` (default 4) carry signal. */
  readonly d?: number;
  readonly relevant?: number;
  /** Training, validation and test points (defaults 30, 60, 2000). */
  readonly nTrain?: number;
  readonly nVal?: number;
  readonly nTest?: number;
  /** Standard deviation of the label noise (default 1). */
  readonly noise?: number;
  readonly seed?: number;
}

/** Gaussian features, a sparse true weight vector, labels with Gaussian noise. */
export function makeRidgeData(config: RidgeDataConfig = {}): RidgeData {
  const { d = 20, relevant = 4, nTrain = 30, nVal = 60, nTest = 2000, noise = 1, seed = 0 } = config;
  const rng = Rng.seeded(seed);
  const w = new Float64Array(d);
  for (let j = 0; j < relevant; j++) w[j] = (rng.uniform() < 0.5 ? -1 : 1) * (1 + rng.uniform());
  const wTrue = new Tensor(w, [d]);
  const draw = (n: number) => {
    const X = randn([n, d], rng);
    const clean = matmul(X, wTrue);
    const y = new Tensor(
      clean.data.map((v) => v + noise * rng.normal()),
      [n],
    );
    return { X, y };
  };
  return { d, train: draw(nTrain), val: draw(nVal), test: draw(nTest), wTrue, relevant: Array.from({ length: relevant }, (_, j) => j) };
}

/** The inner problem's QP data: Q = XᵀX/N + diag(e^λ) (differentiable in λ), p = −Xᵀy/N. */
export function ridgeQp(data: RidgeData, logLambda: Tensor): { Q: Tensor; p: Tensor } {
  const { X, y } = data.train;
  const n = X.shape[0]!;
  const Xt = matrixTranspose(X);
  const penalty = mul(eye(data.d), reshape(exp(logLambda), [1, data.d]));
  return { Q: add(mul(matmul(Xt, X), 1 / n), penalty), p: neg(mul(matmul(Xt, y), 1 / n)) };
}

/** How the inner solve is differentiated: implicitly (default), or by unrolling its iterations. */
export type InnerStrategy = StrategySpec;

/** The ridge solution w*(λ), from the QP node (its implicit VJP unless a strategy is given). */
export function innerSolution(data: RidgeData, logLambda: Tensor, strategy?: InnerStrategy): Tensor {
  return qp(ridgeQp(data, logLambda), { tol: 1e-13, ...(strategy ? { strategy } : {}) }).z;
}

/** Mean squared error of the weights w on a split. */
export function mse(split: { readonly X: Tensor; readonly y: Tensor }, w: Tensor): Tensor {
  const r = sub(matmul(split.X, w), split.y);
  return mean(mul(r, r));
}

/** The outer objective L_val(λ). */
export function validationLoss(data: RidgeData, logLambda: Tensor, strategy?: InnerStrategy): Tensor {
  return mse(data.val, innerSolution(data, logLambda, strategy));
}

/** dL_val/dλ by implicit differentiation of the inner argmin. */
export function hypergradient(data: RidgeData, logLambda: Tensor): Tensor {
  return grad((l: Tensor) => validationLoss(data, l))(logLambda) as Tensor;
}

/** The hyper-Hessian-vector product ∇²L_val(λ)·v, through the implicit VJP recorded as ops. */
export function hyperHvp(data: RidgeData, logLambda: Tensor, v: Tensor): Tensor {
  return vjp((l: Tensor) => hypergradient(data, l), logLambda).pullback(v)[0] as Tensor;
}

export interface BilevelRidgeConfig extends RidgeDataConfig {
  /** Adam steps on λ (default 150) and their rate (default 0.1). */
  readonly steps?: number;
  readonly lr?: number;
  /** Uniform penalties tried for the baseline, as log λ (default −6 … 4 in steps of 0.25). */
  readonly grid?: readonly number[];
  readonly onStep?: (step: number, validation: number) => void;
}

export interface BilevelRidgeResult {
  readonly data: RidgeData;
  readonly logLambda: Tensor;
  /** Validation loss per outer step (before each update), and after the last one. */
  readonly validationHistory: readonly number[];
  readonly learned: { readonly validation: number; readonly test: number };
  readonly uniform: { readonly logLambda: number; readonly validation: number; readonly test: number };
  /** Mean learned log λ on the relevant and on the irrelevant features. */
  readonly meanLogLambda: { readonly relevant: number; readonly irrelevant: number };
  readonly seconds: number;
}

/** Learns the per-feature penalties with Adam on the hypergradient, and the uniform baseline. */
export function runBilevelRidge(config: BilevelRidgeConfig = {}): BilevelRidgeResult {
  const { steps = 150, lr = 0.1 } = config;
  const grid = config.grid ?? Array.from({ length: 41 }, (_, i) => -6 + 0.25 * i);
  const data = makeRidgeData(config);
  const start = performance.now();

  // Baseline: the best single penalty on the validation set.
  let best = { logLambda: 0, validation: Infinity, test: Infinity };
  for (const l of grid) {
    const w = innerSolution(data, tensor(new Array(data.d).fill(l)));
    const validation = mse(data.val, w).item();
    if (validation < best.validation) best = { logLambda: l, validation, test: mse(data.test, w).item() };
  }

  // Learned: start from the best uniform penalty and follow the hypergradient.
  let logLambda = tensor(new Array(data.d).fill(best.logLambda));
  const optimizer = adam({ lr });
  let state = optimizer.init(logLambda);
  const history: number[] = [];
  const valueAndHypergradient = (l: Tensor) => {
    const { value, pullback } = vjp((x: Tensor) => validationLoss(data, x), l);
    return { value: value.item(), gradient: pullback(tensor(1))[0] as Tensor };
  };
  for (let s = 0; s < steps; s++) {
    const { value, gradient } = valueAndHypergradient(logLambda);
    history.push(value);
    config.onStep?.(s, value);
    const next = optimizer.update(logLambda, gradient, state);
    logLambda = next.params;
    state = next.state;
  }
  const w = innerSolution(data, logLambda);
  const validation = mse(data.val, w).item();
  history.push(validation);
  const relevant = new Set(data.relevant);
  const avg = (keep: (j: number) => boolean) => {
    const vals = Array.from(logLambda.data).filter((_, j) => keep(j));
    return vals.reduce((a, b) => a + b, 0) / vals.length;
  };
  return {
    data,
    logLambda,
    validationHistory: history,
    learned: { validation, test: mse(data.test, w).item() },
    uniform: best,
    meanLogLambda: { relevant: avg((j) => relevant.has(j)), irrelevant: avg((j) => !relevant.has(j)) },
    seconds: (performance.now() - start) / 1000,
  };
}
