import {
  InvalidInputError,
  Rng,
  ShapeError,
  broadcastTo,
  concat,
  expandDims,
  reshape,
  take,
  zeros,
  type OptimizationNode,
  type Tensor,
} from '@argmin/autodiff';
import { withoutRecording, type TensorRecord } from '@argmin/autodiff/extend';
import { cem, type CemConfig } from '@argmin/nodes-control';
import { amortize, type Amortized, type AmortizeOptions } from './amortize.js';
import type { Model } from './model.js';

/** The search in the latent space: CEM's budget, and DCEM's temperature to make it differentiable. */
export interface LatentSearch {
  /** Dimension of the latent space (the decoder's input, before the context). */
  readonly latentSize: number;
  readonly nSamples: number;
  readonly nElite: number;
  readonly iters: number;
  /** DCEM's inverse temperature (soft top-k by LML): required to train the decoder through the search. */
  readonly temperature?: number;
  /** Initial spread of the latent Gaussian (default 1; its mean starts at 0). */
  readonly sigma0?: number;
  /** Seed of the sampling stream (default 0); each call draws fresh samples from it. */
  readonly seed?: number;
  /** Condition the decoder on the context: its input is [z, x] (default true). */
  readonly conditioned?: boolean;
}

/**
 * Amortization via a learned latent subspace (Amos & Yarats, "The Differentiable Cross-Entropy
 * Method", 2020, §4.2): the prediction for context x is CEM's solution of
 * min_z f(decoder_θ(z, x); x) over a low-dimensional z, and θ is trained end to end through the
 * unrolled DCEM (its soft top-k elites make the search differentiable) to minimize the objective
 * of what the search returns. The result is an `Amortized` like any other: `fit`, `infer`,
 * `evaluateAmortized` and warm starts apply unchanged. The loss is forced to 'objective'.
 */
export function amortizeLatent<P extends TensorRecord, S extends TensorRecord, O extends object, Theta>(
  node: OptimizationNode<P, S, O>,
  decoder: Model<Theta>,
  search: LatentSearch,
  options: Omit<AmortizeOptions<P, S, O>, 'loss' | 'refine'> & { readonly contextSize: number },
): Amortized<P, S, Theta> {
  let am: Amortized<P, S, Theta> | null = null;
  const model = latentSearchModel(decoder, search, options.contextSize, (x, y) => am!.outputObjective(x, y));
  am = amortize(node, model, { ...options, loss: 'objective' });
  return am;
}

/**
 * A model whose output is CEM's solution in the decoder's latent space: x `[B, dx]` ↦
 * decoder(z*(x), x) with z*(x) ≈ argmin_z score(x, decoder(z, x)), where `score` maps contexts
 * `[R, dx]` and outputs `[R, ny]` to `[R]`.
 */
export function latentSearchModel<Theta>(
  decoder: Model<Theta>,
  search: LatentSearch,
  contextSize: number,
  score: (x: Tensor, y: Tensor) => Tensor,
): Model<Theta> {
  const { latentSize: nz, nSamples: N, nElite, iters, temperature, sigma0 = 1, seed = 0, conditioned = true } = search;
  const name = `latent-cem(${decoder.name}, z ${nz})`;
  if (!(Number.isInteger(nz) && nz >= 1)) throw new InvalidInputError(`${name}: 'latentSize' must be a positive integer, got ${nz}`);
  const want = nz + (conditioned ? contextSize : 0);
  if (decoder.inputSize !== want) {
    throw new ShapeError(
      `${name}: the decoder takes ${decoder.inputSize} inputs, but the latent size ${nz}${conditioned ? ` plus the context size ${contextSize}` : ''} is ${want}`,
    );
  }
  const rng = Rng.seeded(seed);
  const decodeWith =
    (theta: Theta, x: Tensor) =>
    (z: Tensor): Tensor => {
      if (!conditioned) return decoder.apply(theta, z);
      const [B, M] = [z.shape[0]!, z.shape[1]!];
      return decoder.apply(theta, concat([z, broadcastTo(expandDims(x, 1), [B, M, contextSize])], -1));
    };
  const run = (theta: Theta, x: Tensor): Tensor => {
    const B = x.shape[0]!;
    const ny = decoder.outputSize;
    const repeated = take(
      x,
      Int32Array.from({ length: B * N }, (_, i) => Math.floor(i / N)),
      0,
    );
    const f = (ys: Tensor) => reshape(score(repeated, reshape(ys, [B * N, ny])), [B, N]);
    const config: CemConfig = {
      mu0: zeros([B, nz]),
      sigma0,
      nSamples: N,
      nElite,
      iters,
      ...(temperature !== undefined ? { temperature } : {}),
    };
    return cem(f, config, { rng, decoder: decodeWith(theta, x) }).x;
  };
  return {
    name,
    inputSize: contextSize,
    outputSize: decoder.outputSize,
    init: (r) => decoder.init(r),
    apply: run,
    predict: (theta, x) => withoutRecording(() => run(theta, x)),
  };
}
