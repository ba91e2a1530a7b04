import { InvalidInputError, Rng, ShapeError, Tensor } from '@argmin/autodiff';
import { describeValue, optionFields } from '@argmin/autodiff/extend';

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

/**
 * The fields `cem`'s config and options share with the node's options, defined once (zod, with
 * the wording of the messages). The node merges them into its strict options schema; `cem`
 * checks its two arguments against them with {@link checkFields}.
 */
export const cemFields = {
  nSamples: optionFields.custom<number>((v) => Number.isInteger(v) && (v as number) >= 2, 'an integer ≥ 2'),
  nElite: optionFields.positiveInt(),
  iters: optionFields.positiveInt(),
  temperature: optionFields.custom<number>((v) => typeof v === 'number' && v > 0, 'a number > 0 (Infinity: hard elites)').optional(),
  noise: optionFields.tensor().optional(),
  decoder: optionFields.fn<(z: Tensor) => Tensor>().optional(),
  normalize: optionFields.boolean().optional(),
};

const configFields = {
  mu0: optionFields.tensor(),
  sigma0: optionFields.custom<Tensor | number>((v) => v instanceof Tensor || typeof v === 'number', 'a Tensor or a number'),
  nSamples: cemFields.nSamples,
  nElite: cemFields.nElite,
  iters: cemFields.iters,
  temperature: cemFields.temperature,
};

const optionsFields = {
  rng: optionFields.custom<Rng>((v) => v instanceof Rng, 'a seeded generator (Rng.seeded(seed))').optional(),
  noise: cemFields.noise,
  decoder: cemFields.decoder,
  normalize: cemFields.normalize,
  lmlTol: optionFields.positive().optional(),
  iterTol: optionFields.nonNegative().optional(),
};

/** What checkFields needs of a zod field. */
interface Field {
  safeParse(v: unknown): { success: boolean };
  readonly description?: string | undefined;
}

/**
 * Checks an object against a table of fields, strictly: an unknown key or a value its field
 * refuses is an InvalidInputError naming the node, the key, what it must be, and the valid keys.
 */
function checkFields(value: unknown, fields: Readonly<Record<string, Field>>, what: 'config' | 'options'): void {
  if (value === null || typeof value !== 'object' || Array.isArray(value) || value instanceof Tensor) {
    throw new InvalidInputError(`${NODE}: ${what} must be an object, got ${describeValue(value)}`);
  }
  const names = Object.keys(fields);
  const label = what === 'config' ? 'config entry' : 'option';
  for (const key of Object.keys(value)) {
    if (!(key in fields)) throw new InvalidInputError(`${NODE}: unknown ${label} '${key}'; valid ${what}: ${names.join(', ')}`);
  }
  for (const [key, field] of Object.entries(fields)) {
    const v = (value as Record<string, unknown>)[key];
    if (!field.safeParse(v).success) {
      const want = field.description ?? (field as { unwrap?: () => Field }).unwrap?.().description ?? 'valid';
      throw new InvalidInputError(`${NODE}: ${label} '${key}' must be ${want}, got ${describeValue(v)}`);
    }
  }
}

export function validateCem(config: CemConfig, options: CemOptions): { B: number; nz: number; batched: boolean } {
  checkFields(config, configFields, 'config');
  checkFields(options, optionsFields, 'options');
  const { mu0, nSamples, nElite, iters } = config;
  if (mu0.ndim !== 1 && mu0.ndim !== 2) throw new ShapeError(`${NODE}: 'mu0' must have shape [nz] or [B,nz], got [${mu0.shape.join(',')}]`);
  if (nElite >= nSamples) throw new InvalidInputError(`${NODE}: 'nElite' (${nElite}) must be smaller than 'nSamples' (${nSamples})`);
  const sigma = config.sigma0;
  if (
    typeof sigma === 'number'
      ? !(sigma > 0 && sigma < Number.POSITIVE_INFINITY)
      : sigma.data.some((v) => !(v > 0 && v < Number.POSITIVE_INFINITY))
  ) {
    throw new InvalidInputError(`${NODE}: 'sigma0' must be positive and finite`);
  }
  const B = mu0.ndim === 2 ? mu0.shape[0]! : 1;
  const nz = mu0.shape[mu0.ndim - 1]!;
  if (!mu0.data.every(Number.isFinite)) throw new InvalidInputError(`${NODE}: 'mu0' must be finite`);
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
