import {
  InvalidInputError,
  ShapeError,
  Tensor,
  add,
  broadcastTo,
  div,
  expandDims,
  index,
  mean,
  mul,
  neg,
  randn,
  reshape,
  sqrt,
  sub,
  sum,
  withCluster,
} from '@argmin/autodiff';
import { lml } from '@argmin/nodes-convex';
import { validateCem, type CemConfig, type CemOptions } from './problem.js';

export type { CemConfig, CemOptions } from './problem.js';

export interface CemResult {
  /** Final mean [B, nz] (or [nz]): the solution in the search space. */
  readonly mu: Tensor;
  readonly sigma: Tensor;
  /** decoder(μ) [B, nx] when searching a latent space, else μ. */
  readonly x: Tensor;
  readonly info: {
    readonly iterations: number;
    /** Per iteration, the mean objective of the elites (elite-weighted), per batch element. */
    readonly eliteObjective: readonly (readonly number[])[];
  };
}

/**
 * The cross-entropy method for min_x f(x), batched: each iteration samples N points
 * z = μ + σ ⊙ ε (ε standard normal, reparameterized), evaluates f(x) for x = decoder(z) (or z),
 * weights the samples by their elite membership I (hard top-k, or DCEM's soft top-k LML(−τ f̃)
 * with Σ I = k), and refits μ = Σ I z / k, σ = √(Σ I (z − μ)² / k).
 *
 * `f` maps samples [B, N, nx] to values [B, N] with differentiable ops. Everything here is
 * ops too, so with a temperature the whole run is differentiable by unrolling (Amos & Yarats,
 * "The Differentiable Cross-Entropy Method", 2020): gradients reach whatever f, mu0, sigma0
 * and the decoder depend on. With a decoder this is DCEM in a learned latent space
 * ("amortization via latent subspaces"). Draws come from `options.rng` or `options.noise`.
 */
export function cem(f: (x: Tensor) => Tensor, config: CemConfig, options: CemOptions = {}): CemResult {
  const { B, nz, batched } = validateCem(config, options);
  const { nSamples: N, nElite: k, iters, temperature } = config;
  const soft = temperature !== undefined && Number.isFinite(temperature);
  const decode = options.decoder ?? ((z: Tensor) => z);
  const iterationOptions: CemIterationOptions = {
    nElite: k,
    ...(soft ? { temperature: temperature! } : {}),
    ...(options.decoder ? { decoder: options.decoder } : {}),
    ...(options.normalize !== undefined ? { normalize: options.normalize } : {}),
    ...(options.lmlTol !== undefined ? { lmlTol: options.lmlTol } : {}),
  };
  return withCluster('control.cem', 'unroll', () => {
    let mu = batched ? config.mu0 : reshape(config.mu0, [1, nz]);
    let sigma = broadcastTo(
      typeof config.sigma0 === 'number' ? new Tensor(Float64Array.of(config.sigma0), []) : config.sigma0,
      batched ? [B, nz] : [nz],
    );
    if (!batched) sigma = reshape(sigma, [1, nz]);
    const eliteObjective: number[][] = [];
    let it = 0;
    while (it < iters) {
      const eps = options.noise ? index(options.noise, it, 0) : randn([B, N, nz], options.rng!);
      const next = cemIteration(f, mu, sigma, eps, iterationOptions, it);
      sigma = next.sigma;
      eliteObjective.push(next.eliteObjective);
      const step = Math.sqrt(next.mu.data.reduce((acc, v, i) => acc + (v - mu.data[i]!) ** 2, 0));
      mu = next.mu;
      it++;
      if (options.iterTol !== undefined && step < options.iterTol) break;
    }
    const x = options.decoder ? index(decode(expandDims(mu, 1)), 0, 1) : mu;
    const out = (t: Tensor) => (batched ? t : index(t, 0, 0));
    return { mu: out(mu), sigma: out(sigma), x: out(x), info: { iterations: it, eliteObjective } };
  });
}

/** What one CEM iteration needs beside the Gaussian and the draws. */
export interface CemIterationOptions {
  readonly nElite: number;
  /** Soft elites (DCEM) at this inverse temperature; hard elites without it. */
  readonly temperature?: number;
  readonly decoder?: (z: Tensor) => Tensor;
  readonly normalize?: boolean;
  readonly lmlTol?: number;
}

/**
 * One iteration, with ops: samples z = μ + σ ⊙ ε (μ, σ [B, nz], ε [B, N, nz]), values f(decoder(z)),
 * elite weights, and the refitted (μ, σ). Returns the elites' mean objective per element too.
 */
export function cemIteration(
  f: (x: Tensor) => Tensor,
  mu: Tensor,
  sigma: Tensor,
  eps: Tensor,
  options: CemIterationOptions,
  it = 0,
): { mu: Tensor; sigma: Tensor; eliteObjective: number[] } {
  const [B, N] = eps.shape as [number, number, number];
  const k = options.nElite;
  const decode = options.decoder ?? ((z: Tensor) => z);
  const z = add(expandDims(mu, 1), mul(expandDims(sigma, 1), eps));
  const fx = checkObjective(f(decode(z)), B, N, it);
  const soft = options.temperature !== undefined && Number.isFinite(options.temperature);
  const weights = soft ? softElites(fx, k, options.temperature!, options.normalize ?? true, options.lmlTol) : hardElites(fx, k);
  const w = expandDims(weights, -1);
  const muNew = div(sum(mul(w, z), 1), k);
  const dev = sub(z, expandDims(muNew, 1));
  const sigmaNew = sqrt(div(sum(mul(w, mul(dev, dev)), 1), k));
  const eliteObjective = Array.from({ length: B }, (_, b) => {
    let s = 0;
    for (let i = 0; i < N; i++) s += weights.data[b * N + i]! * fx.data[b * N + i]!;
    return s / k;
  });
  return { mu: muNew, sigma: sigmaNew, eliteObjective };
}

/** DCEM's elite weights: LML(−τ f̃) with f̃ standardized per row (unbiased std + 1e-6), Σ = k. */
function softElites(fx: Tensor, k: number, temperature: number, normalize: boolean, tol: number | undefined): Tensor {
  let scores = fx;
  if (normalize) {
    const n = fx.shape[1]!;
    const centered = sub(fx, mean(fx, 1, true));
    const std = sqrt(div(sum(mul(centered, centered), 1, true), n - 1));
    scores = div(centered, add(std, 1e-6));
  }
  return lml(mul(neg(scores), temperature), { k }, tol === undefined ? {} : { tol });
}

/** Plain CEM's elite weights: 1 on the k smallest values of each row, 0 elsewhere (constants). */
function hardElites(fx: Tensor, k: number): Tensor {
  const [B, N] = fx.shape as [number, number];
  const w = new Float64Array(B * N);
  const order = Array.from({ length: N }, (_, i) => i);
  for (let b = 0; b < B; b++) {
    order.sort((i, j) => fx.data[b * N + i]! - fx.data[b * N + j]!);
    for (let e = 0; e < k; e++) w[b * N + order[e]!] = 1;
  }
  return new Tensor(w, [B, N]);
}

/**
 * The objective's values must be a Tensor [B, N] of finite numbers (of [N] unbatched, which the
 * caller's f sees as [1, N]): a NaN would silently sort anywhere among the elites, a wrong shape
 * would be read out of bounds.
 */
function checkObjective(fx: unknown, B: number, N: number, it: number): Tensor {
  const where = `control.cem: the objective f at iteration ${it}`;
  if (!(fx instanceof Tensor)) {
    throw new InvalidInputError(
      `${where} returned ${fx === null ? 'null' : typeof fx}; it must return a Tensor of shape [${B},${N}] (one value per sample)`,
    );
  }
  const ok = (fx.ndim === 2 && fx.shape[0] === B && fx.shape[1] === N) || (B === 1 && fx.ndim === 1 && fx.shape[0] === N);
  if (!ok) throw new ShapeError(`${where} returned shape [${fx.shape.join(',')}]; expected [${B},${N}] (one value per sample)`);
  for (let i = 0; i < fx.size; i++) {
    if (!Number.isFinite(fx.data[i]!)) {
      throw new InvalidInputError(`${where} returned ${fx.data[i]} at flat index ${i}; the objective must be finite at every sample`);
    }
  }
  return fx.ndim === 2 ? fx : reshape(fx, [1, N]);
}
