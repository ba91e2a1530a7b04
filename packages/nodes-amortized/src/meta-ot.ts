import { InvalidInputError, ShapeError, Tensor, add, log, mul, type Rng } from '@argmin/autodiff';
import { adam, cosineDecay } from './adam.js';
import type { Dataset } from './data.js';
import { otSemiDualLoss } from './meta-ot-dual.js';
import { mlp, type MlpParams } from './mlp.js';
import type { Model } from './model.js';
import { train, type TrainProgress, type TrainResult } from './train.js';

/**
 * Meta OT (Amos et al., 2023) for discrete measures on a fixed geometry: a model maps a pair of
 * marginals (a, b) to the Sinkhorn potential f, and g follows from one half-step (the exact
 * c-transform). It is trained on the semi-dual −D(f̂) alone (no solver in the loop) and used as
 * the `sinkhorn` node's `warmStart: { f }`. The prediction is
 *   f̂ = ε log a + MLP([log(n a), log(n b)]),
 * the ε log a term being the part of every potential that is as rough as the image itself
 * (fᵢ = ε log aᵢ − ε log(K v)ᵢ): the network fits the smooth soft-min −ε log(K v).
 */
export interface MetaOtOptions {
  /** The shared cost C [n, m] (e.g. `gridGeometry(side).cost`). */
  readonly cost: Tensor;
  /** Entropic regularization, in the cost's units. */
  readonly epsilon: number;
  /** Hidden widths of the MLP (default [512, 512]). */
  readonly hidden?: readonly number[];
}

export interface MetaOt {
  readonly model: Model<MlpParams>;
  readonly cost: Tensor;
  readonly epsilon: number;
  init(rng: Rng): MlpParams;
  /** Network inputs [B, n + m] of marginals a [B, n], b [B, m]. */
  features(a: Tensor, b: Tensor): Tensor;
  /** f̂ [B, n] with ops (differentiable in θ), from `features(a, b)` precomputed as x. */
  potential(theta: MlpParams, a: Tensor, x: Tensor): Tensor;
  /** f̂ [B, n] on raw kernels, never recorded: the deployed path, timed with the solve. */
  predict(theta: MlpParams, a: Tensor, b: Tensor): Tensor;
  /** Mean −D(f̂) over a batch { a, b, x }. */
  loss(theta: MlpParams, batch: Dataset): Tensor;
}

function checkPair(a: Tensor, b: Tensor, n: number, m: number): void {
  if (a.ndim !== 2 || b.ndim !== 2 || a.shape[1] !== n || b.shape[1] !== m || a.shape[0] !== b.shape[0]) {
    throw new ShapeError(
      `metaOt: expected marginals a [B, ${n}] and b [B, ${m}], got a [${a.shape.join(',')}] and b [${b.shape.join(',')}]`,
    );
  }
  for (const [name, t] of [
    ['a', a],
    ['b', b],
  ] as const) {
    const k = t.data.findIndex((v) => !(v > 0 && Number.isFinite(v)));
    if (k >= 0) throw new InvalidInputError(`metaOt: marginal '${name}' holds ${t.data[k]} at flat index ${k}; marginals must be positive`);
  }
}

/**
 * The MLP's forward (relu hidden, identity output) one row at a time, as row-times-matrix
 * axpy sweeps over the row-major weights: a warm start predicts one pair at a time, where this
 * is several times faster than a general gemm of a 1-row product.
 */
function forwardRows(theta: MlpParams, x: Tensor, sizes: readonly number[]): Float64Array {
  const rows = x.shape[0]!;
  const L = sizes.length - 1;
  const outW = sizes[L]!;
  const result = new Float64Array(rows * outW);
  for (let r = 0; r < rows; r++) {
    let h = x.data.subarray(r * sizes[0]!, (r + 1) * sizes[0]!);
    for (let l = 0; l < L; l++) {
      const [k, w] = [sizes[l]!, sizes[l + 1]!];
      const W = theta[`W${l}`]!.data;
      const out = Float64Array.from(theta[`b${l}`]!.data);
      for (let p = 0; p < k; p++) {
        const hp = h[p]!;
        if (hp === 0) continue;
        const o = p * w;
        for (let j = 0; j < w; j++) out[j]! += hp * W[o + j]!;
      }
      if (l < L - 1) for (let j = 0; j < w; j++) out[j] = Math.max(out[j]!, 0);
      h = out;
    }
    result.set(h, r * outW);
  }
  return result;
}

export function metaOt(options: MetaOtOptions): MetaOt {
  const { cost, epsilon, hidden = [512, 512] } = options;
  if (!(cost instanceof Tensor) || cost.ndim !== 2) throw new ShapeError(`metaOt: 'cost' must be a [n, m] tensor`);
  if (!(epsilon > 0 && Number.isFinite(epsilon)))
    throw new InvalidInputError(`metaOt: 'epsilon' must be a finite number > 0, got ${epsilon}`);
  const [n, m] = cost.shape as [number, number];
  const sizes = [n + m, ...hidden, n];
  const model = mlp({ sizes, activation: 'relu', outputScale: 0.1 });
  const features = (a: Tensor, b: Tensor): Tensor => {
    checkPair(a, b, n, m);
    const B = a.shape[0]!;
    const x = new Float64Array(B * (n + m));
    for (let e = 0; e < B; e++) {
      for (let i = 0; i < n; i++) x[e * (n + m) + i] = Math.log(n * a.data[e * n + i]!);
      for (let j = 0; j < m; j++) x[e * (n + m) + n + j] = Math.log(m * b.data[e * m + j]!);
    }
    return new Tensor(x, [B, n + m]);
  };
  const potential = (theta: MlpParams, a: Tensor, x: Tensor): Tensor => add(mul(log(a), epsilon), model.apply(theta, x));
  return {
    model,
    cost,
    epsilon,
    init: (rng) => model.init(rng),
    features,
    potential,
    predict(theta, a, b) {
      const out = forwardRows(theta, features(a, b), sizes);
      for (let k = 0; k < out.length; k++) out[k]! += epsilon * Math.log(a.data[k]!);
      return new Tensor(out, [a.shape[0]!, n]);
    },
    loss(theta, batch) {
      const { a, b, x } = batch as { a: Tensor; b: Tensor; x: Tensor };
      return otSemiDualLoss(potential(theta, a, x), a, b, cost, epsilon);
    },
  };
}

export interface MetaOtTrainOptions {
  readonly steps: number;
  /** Default 32. */
  readonly batchSize?: number;
  /** Peak learning rate of a cosine schedule (default 1e-3). */
  readonly lr?: number;
  readonly rng?: Rng;
  readonly onStep?: (progress: TrainProgress) => void;
  readonly shouldStop?: (progress: TrainProgress) => boolean;
}

/** Trains θ on pairs { a, b } by the semi-dual (Adam, cosine decay); features are computed once. */
export function trainMetaOt(
  meta: MetaOt,
  theta: MlpParams,
  pairs: { readonly a: Tensor; readonly b: Tensor },
  options: MetaOtTrainOptions,
): TrainResult<MlpParams> {
  const data: Dataset = { a: pairs.a, b: pairs.b, x: meta.features(pairs.a, pairs.b) };
  const { steps, batchSize = 32, lr = 1e-3 } = options;
  return train(theta, {
    loss: meta.loss,
    data,
    steps,
    batchSize,
    optimizer: adam({ lr: cosineDecay(lr, steps, 0.05), clipNorm: 10 }),
    ...(options.rng ? { rng: options.rng } : {}),
    ...(options.onStep ? { onStep: options.onStep } : {}),
    ...(options.shouldStop ? { shouldStop: options.shouldStop } : {}),
  });
}
