import {
  InvalidInputError,
  type NodeCallOptions,
  type NodeOutput,
  Rng,
  ShapeError,
  Tensor,
  broadcastTo,
  expandDims,
  index,
  randn,
} from '@argmin/autodiff';
import { applyNode, defineNode, optionFields } from '@argmin/autodiff/extend';
import { cem, cemIteration } from './cem.js';
import { cemFields } from './problem.js';

/**
 * The cross-entropy method as an optimization node, `control.cem`: min_x f(x; θ) by CEM, with the
 * Gaussian's final (μ, σ) as the solution. Parameters (core ranks): `mu0 [nz]`, `sigma0 [nz]` and
 * the objective's parameters `theta [p]` (optional); each may carry a leading batch axis.
 */
export type CemParams = { readonly mu0: Tensor; readonly sigma0: Tensor; readonly theta?: Tensor };
export type CemSolution = { readonly mu: Tensor; readonly sigma: Tensor };

export interface CemNodeOptions {
  /**
   * The objective: samples x [B, N, nx] and θ ([B, p], or undefined) → values [B, N], written
   * with differentiable ops (the 'unroll' strategy differentiates through it).
   */
  readonly objective: (x: Tensor, theta: Tensor | undefined) => Tensor;
  readonly nSamples: number;
  readonly nElite: number;
  readonly iters: number;
  /** DCEM's inverse temperature (soft elites by LML); without it, hard elites (plain CEM). */
  readonly temperature?: number;
  /**
   * The standard-normal draws, fixed so that the node is a deterministic function of its
   * parameters: `noise [iters, N, nz]` (the same draws for every batch element) or a `seed`.
   */
  readonly noise?: Tensor;
  readonly seed?: number;
  /** Search a latent space: x = decoder(z), [B, N, nz] → [B, N, nx]. */
  readonly decoder?: (z: Tensor) => Tensor;
  readonly normalize?: boolean;
}

const NODE = 'control.cem';

/** The draws of iteration `it` for a batch of B: [B, N, nz]. */
function drawsOf(options: CemNodeOptions, it: number, B: number, nz: number): Tensor {
  const { noise, nSamples: N } = options;
  if (noise) return broadcastTo(expandDims(index(noise, it, 0), 0), [B, N, nz]);
  // One stream per iteration, shared by the batch elements, so a batch equals a loop over it.
  const eps = randn([N, nz], Rng.seeded((options.seed ?? 0) * 1_000_003 + it));
  return broadcastTo(expandDims(eps, 0), [B, N, nz]);
}

/** The cross-field checks the schema cannot express: elites fewer than samples, the draws' shape, σ0 > 0. */
function checkCem(params: CemParams, options: CemNodeOptions): void {
  if (options.nElite >= options.nSamples) {
    throw new InvalidInputError(`${NODE}: option 'nElite' (${options.nElite}) must be smaller than 'nSamples' (${options.nSamples})`);
  }
  const nz = params.mu0.shape[params.mu0.ndim - 1]!;
  if (options.noise !== undefined) {
    const want = [options.iters, options.nSamples, nz];
    if (options.noise.shape.join(',') !== want.join(',')) {
      throw new ShapeError(
        `${NODE}: option 'noise' must have shape [iters,N,nz] = [${want.join(',')}], got [${options.noise.shape.join(',')}]`,
      );
    }
  }
  if (params.sigma0.data.some((v) => !(v > 0))) throw new InvalidInputError(`${NODE}: parameter 'sigma0' must be positive`);
}

/** Batched views of the parameters: mu0, sigma0 as [B, nz], theta as [B, p] (or undefined). */
function batched(params: CemParams): { B: number; mu0: Tensor; sigma0: Tensor; theta: Tensor | undefined } {
  const B = [params.mu0, params.sigma0, params.theta].reduce((b, t) => (t && t.ndim === 2 ? t.shape[0]! : b), 1);
  const nz = params.mu0.shape[params.mu0.ndim - 1]!;
  const lift = (t: Tensor, width: number) => (t.ndim === 2 ? t : broadcastTo(expandDims(t, 0), [B, width]));
  const theta = params.theta ? lift(params.theta, params.theta.shape[params.theta.ndim - 1]!) : undefined;
  return { B, mu0: lift(params.mu0, nz), sigma0: lift(params.sigma0, nz), theta };
}

/** Drops the batch axis again when no parameter carried one. */
function unbatch(params: CemParams, s: CemSolution): CemSolution {
  const any = [params.mu0, params.sigma0, params.theta].some((t) => t && t.ndim === 2);
  return any ? s : { mu: index(s.mu, 0, 0), sigma: index(s.sigma, 0, 0) };
}

// The iteration an unrolled state has reached (the draws depend on it). States are fresh objects.
const iterationOf = new WeakMap<object, number>();

export const cemNode = defineNode<CemParams, CemSolution, CemNodeOptions>({
  name: NODE,
  signature: { params: { mu0: '(nz)', sigma0: '(nz)', theta: '(p)' }, solution: { mu: '(nz)', sigma: '(nz)' }, optional: ['theta'] },
  options: {
    objective: optionFields.fn<CemNodeOptions['objective']>(),
    ...cemFields,
    seed: optionFields.custom<number>((v) => Number.isInteger(v), 'an integer').optional(),
  },
  check: checkCem,
  solve(params, options) {
    const { B, mu0, sigma0, theta } = batched(params);
    const nz = mu0.shape[1]!;
    const noise = new Tensor(new Float64Array(options.iters * B * options.nSamples * nz), [options.iters, B, options.nSamples, nz]);
    for (let it = 0; it < options.iters; it++) noise.data.set(drawsOf(options, it, B, nz).data, it * B * options.nSamples * nz);
    const out = cem(
      (x) => options.objective(x, theta),
      { mu0, sigma0, nSamples: options.nSamples, nElite: options.nElite, iters: options.iters, ...temperatureOf(options) },
      {
        noise,
        ...(options.decoder ? { decoder: options.decoder } : {}),
        ...(options.normalize !== undefined ? { normalize: options.normalize } : {}),
      },
    );
    const spread = Math.max(...out.sigma.data);
    return {
      solution: unbatch(params, { mu: out.mu, sigma: out.sigma }),
      info: {
        status: new Array<'converged'>(B).fill('converged'),
        iterations: new Array<number>(B).fill(out.info.iterations),
        residual: new Array<number>(B).fill(spread),
      },
    };
  },
  step: {
    defaultSteps: 10,
    init(params) {
      const { mu0, sigma0 } = batched(params);
      const state = unbatch(params, { mu: mu0, sigma: sigma0 });
      iterationOf.set(state, 0);
      return state;
    },
    update(params, state, options) {
      const it = iterationOf.get(state) ?? 0;
      const { B, theta } = batched(params);
      const lifted = batched({ mu0: state.mu, sigma0: state.sigma });
      const nz = lifted.mu0.shape[1]!;
      const next = cemIteration(
        (x) => options.objective(x, theta),
        lifted.mu0,
        lifted.sigma0,
        drawsOf(options, it % options.iters, B, nz),
        {
          nElite: options.nElite,
          ...temperatureOf(options),
          ...(options.decoder ? { decoder: options.decoder } : {}),
          ...(options.normalize !== undefined ? { normalize: options.normalize } : {}),
        },
      );
      const out = unbatch(params, next);
      iterationOf.set(out, it + 1);
      return out;
    },
  },
});

const temperatureOf = (o: CemNodeOptions) => (o.temperature !== undefined ? { temperature: o.temperature } : {});

/**
 * Minimizes `objective(x, theta)` by CEM as a node: `{ mu, sigma, info }`. With a temperature the
 * default strategy is 'unroll' (DCEM: gradients through the soft-elite iterations reach theta,
 * mu0 and sigma0); without, 'solve'. 'implicit' is refused: CEM's fixed point is no smooth
 * optimality condition of f (σ → 0 at a minimizer), so there is nothing to differentiate there.
 */
export function cemSolve(params: CemParams, options: CemNodeOptions & NodeCallOptions<CemSolution>): NodeOutput<CemSolution> {
  const strategy = options.strategy ?? (options.temperature !== undefined ? 'unroll' : 'solve');
  if (strategy === 'implicit' || (typeof strategy === 'object' && (strategy as { kind?: string }).kind === 'implicit')) {
    throw new InvalidInputError(
      `${NODE}: strategy 'implicit' is not available: CEM's fixed point (σ → 0) is no smooth optimality condition; use 'unroll' (DCEM, with a temperature) or 'solve'`,
    );
  }
  // The unroll runs `iters` iterations unless maxIter says otherwise (a bad `iters` is left to the schema to name).
  const iters = Number.isInteger(options.iters) && options.iters > 0 ? { maxIter: options.iters } : {};
  return applyNode(cemNode, params, { ...iters, ...options, strategy });
}
