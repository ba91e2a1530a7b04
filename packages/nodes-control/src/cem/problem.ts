import { InvalidInputError, ShapeError, Tensor, type Rng } from '@argmin/autodiff';

/** The cross-entropy method's configuration: the initial Gaussian and the sampling budget. */
export interface CemConfig {
  /** Initial mean [B, nz] (or [nz] for one problem); nz is the (latent) search dimension. */
  readonly mu0: Tensor;
  /** Initial standard deviation: a number or a tensor broadcastable to mu0. */
  readonly sigma0: Tensor | number;
  /** Samples per iteration N and elites kept k (0 < k < N). */
  readonly nSamples: number;
  readonly nElite: number;
  readonly iters: number;
  /**
   * DCEM's inverse temperature τ: elites are selected by the soft top-k LML(−τ·f̃) (f̃ the
   * standardized objective values), differentiable. Without it (or Infinity), the hard top-k
   * (plain CEM): the elite weights are constants and gradients flow only through the samples.
   */
  readonly temperature?: number;
}

export interface CemOptions {
  /** The generator of the standard-normal draws (seeded: `Rng.seeded(seed)`). */
  readonly rng?: Rng;
  /** Injected standard-normal draws [iters, B, N, nz] instead of `rng` (e.g. to replay a run). */
  readonly noise?: Tensor;
  /** Search a learned latent space: x = decoder(z) maps [B, N, nz] to [B, N, nx]. */
  readonly decoder?: (z: Tensor) => Tensor;
  /** Standardize f over each row's samples before the soft top-k (default true, as dcem). */
  readonly normalize?: boolean;
  /** Tolerance of the LML soft top-k on |Σ I − k| (default LML's, 1e-12·k). */
  readonly lmlTol?: number;
  /** Stop once ‖μ_new − μ‖₂ over the whole batch is below this (default 0: run all iterations). */
  readonly iterTol?: number;
}

const NODE = 'control.cem';

export function validateCem(config: CemConfig, options: CemOptions): { B: number; nz: number; batched: boolean } {
  const { mu0, nSamples, nElite, iters, temperature } = config;
  if (!(mu0 instanceof Tensor) || (mu0.ndim !== 1 && mu0.ndim !== 2)) {
    throw new ShapeError(
      `${NODE}: 'mu0' must be a Tensor of shape [nz] or [B,nz], got ${mu0 instanceof Tensor ? `[${mu0.shape.join(',')}]` : typeof mu0}`,
    );
  }
  const int = (name: string, v: number, min: number) => {
    if (!Number.isInteger(v) || v < min) throw new InvalidInputError(`${NODE}: '${name}' must be an integer ≥ ${min}, got ${v}`);
  };
  int('nSamples', nSamples, 2);
  int('iters', iters, 1);
  int('nElite', nElite, 1);
  if (nElite >= nSamples) throw new InvalidInputError(`${NODE}: 'nElite' (${nElite}) must be smaller than 'nSamples' (${nSamples})`);
  if (temperature !== undefined && !(temperature > 0))
    throw new InvalidInputError(`${NODE}: 'temperature' must be positive, got ${temperature}`);
  const sigma = config.sigma0;
  if (typeof sigma === 'number' ? !(sigma > 0) : sigma.data.some((v) => !(v > 0))) {
    throw new InvalidInputError(`${NODE}: 'sigma0' must be positive`);
  }
  const B = mu0.ndim === 2 ? mu0.shape[0]! : 1;
  const nz = mu0.shape[mu0.ndim - 1]!;
  if (options.noise) {
    const want = [iters, B, nSamples, nz];
    if (options.noise.shape.join(',') !== want.join(',')) {
      throw new ShapeError(`${NODE}: 'noise' must have shape [iters,B,N,nz] = [${want.join(',')}], got [${options.noise.shape.join(',')}]`);
    }
  } else if (!options.rng) {
    throw new InvalidInputError(`${NODE}: pass a seeded generator (options.rng = Rng.seeded(seed)) or the draws (options.noise)`);
  }
  return { B, nz, batched: mu0.ndim === 2 };
}
