import { InvalidInputError, type NodeCallOptions, type Tensor } from '@argmin/autodiff';

export const LML = 'convex.lml';

/** The parameters of an LML call: the scores, a vector over the last axis. */
export type LmlParams = { x: Tensor };
/** The solution: y = σ(x + ν) with ν the multiplier of 1ᵀy = k (one per row). */
export type LmlSolution = { y: Tensor; nu: Tensor };

export interface LmlOptions {
  /** The number of labels, 0 < k < n (real values allowed: the constraint is 1ᵀy = k). */
  readonly k: number;
}

export type LmlCallOptions = Omit<NodeCallOptions<LmlSolution>, 'k'>;

/** Checks 0 < k < n for rows of length n; the error names the node and says why. */
export function checkK(k: unknown, n: number): number {
  if (typeof k !== 'number' || !Number.isFinite(k)) {
    throw new InvalidInputError(`${LML}: option 'k' must be a finite number, got ${String(k)}`);
  }
  if (!(k > 0 && k < n)) {
    throw new InvalidInputError(
      `${LML}: option 'k' must satisfy 0 < k < n, where n = ${n} is the length of the last axis of 'x'; got k = ${k}` +
        (k >= n ? ' (with k ≥ n the only feasible point is y = 1, or none: there is nothing to select)' : ' (k ≤ 0 selects nothing)'),
    );
  }
  return k;
}
