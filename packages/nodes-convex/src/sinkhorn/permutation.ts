import { InvalidInputError, ShapeError, Tensor, add, neg, ones, type NodeCallOptions, type Rng } from '@argmin/autodiff';
import { sinkhorn } from './node.js';
import type { SinkhornSolution } from './problem.js';

const NAME = 'convex.sinkhornPermutation';

export interface SinkhornPermutationOptions extends Omit<NodeCallOptions<SinkhornSolution>, 'warmStart'> {
  /** Temperature τ > 0: the entropic weight. As τ → 0 the result tends to a permutation matrix. */
  readonly tau: number;
  /**
   * Gumbel noise added to X before the projection (Gumbel-Sinkhorn, Mena et al. 2018), drawn from
   * the generator given, scaled by `scale` (default 1). The noise carries no gradient.
   */
  readonly noise?: { readonly rng: Rng; readonly scale?: number };
}

/**
 * The entropic projection of scores X [n, n] (or [B, n, n]) onto the Birkhoff polytope of doubly
 * stochastic matrices:
 *   P = argmax ⟨P, X⟩ + τ H(P)  s.t.  P1 = 1, Pᵀ1 = 1,
 * i.e. Sinkhorn's normalization of exp(X/τ), computed as the transport between uniform unit
 * marginals under the cost −X with ε = τ. Differentiable in X by the call's strategy.
 */
export function sinkhornPermutation(X: Tensor, options: SinkhornPermutationOptions): Tensor {
  const { tau, noise, ...call } = options;
  if (!(X instanceof Tensor) || (X.ndim !== 2 && X.ndim !== 3) || X.shape[X.ndim - 1] !== X.shape[X.ndim - 2]) {
    const shape = X instanceof Tensor ? `[${X.shape.join(',')}]` : typeof X;
    throw new ShapeError(`${NAME}: scores 'X' must be square, [n, n] or [B, n, n], got ${shape}`);
  }
  if (typeof tau !== 'number' || !Number.isFinite(tau) || !(tau > 0)) {
    throw new InvalidInputError(`${NAME}: option 'tau' must be a finite number > 0, got ${String(tau)}`);
  }
  const n = X.shape[X.ndim - 1]!;
  let scores = X;
  if (noise) {
    const scale = noise.scale ?? 1;
    if (!Number.isFinite(scale) || scale < 0)
      throw new InvalidInputError(`${NAME}: noise 'scale' must be a finite number ≥ 0, got ${scale}`);
    scores = add(X, gumbel(X.shape, noise.rng, scale));
  }
  return sinkhorn({ a: ones([n]), b: ones([n]), C: neg(scores) }, { ...call, epsilon: tau }).plan;
}

/** Standard Gumbel samples −log(−log U), U uniform in (0, 1), times `scale`. */
export function gumbel(shape: readonly number[], rng: Rng, scale = 1): Tensor {
  const out = new Float64Array(shape.reduce((p, d) => p * d, 1));
  for (let i = 0; i < out.length; i++) {
    let u = rng.uniform();
    while (u === 0) u = rng.uniform();
    out[i] = -scale * Math.log(-Math.log(u));
  }
  return new Tensor(out, shape);
}
