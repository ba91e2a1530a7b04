import { InvalidInputError, ShapeError, type NodeCallOptions, type Tensor } from '@argmin/autodiff';

export const SINKHORN = 'convex.sinkhorn';

/** Marginals a [n], b [m] and cost C [n, m], each optionally with a leading batch axis. */
export type SinkhornParams = { a: Tensor; b: Tensor; C: Tensor };

/**
 * The entropic transport plan P = exp((f ⊕ g − C)/ε), its dual potentials (f, g) and the
 * optimal value ⟨P, C⟩ + ε Σ P log P = ⟨a, f⟩ + ⟨b, g⟩. The potentials are unique up to
 * f + κ, g − κ; they are returned with mean(f) = mean(g).
 */
export type SinkhornSolution = { plan: Tensor; f: Tensor; g: Tensor; value: Tensor };

export interface SinkhornOptions {
  /** The entropic regularization ε > 0, in the units of the cost. */
  readonly epsilon: number;
}

export type SinkhornCallOptions = SinkhornOptions & NodeCallOptions<SinkhornSolution>;

/** The sizes of a call: batch (null when unbatched), n and m. */
export interface SinkhornSizes {
  readonly batch: number | null;
  readonly n: number;
  readonly m: number;
}

/** Relative tolerance on Σa = Σb: the two marginals must carry the same mass. */
const MASS_RTOL = 1e-8;

/**
 * The sizes of a call, read from the shapes; `applyNode` has checked them against the node's
 * signature (a '(n)', b '(m)', C '(n,m)', a common batch size, finite values) before.
 */
export function sinkhornSizes({ a, b, C }: SinkhornParams): SinkhornSizes {
  const batch = a.ndim === 2 ? a.shape[0]! : b.ndim === 2 ? b.shape[0]! : C.ndim === 3 ? C.shape[0]! : null;
  return { batch, n: a.shape[a.ndim - 1]!, m: b.shape[b.ndim - 1]! };
}

/**
 * What only the transport problem knows (run once per call by `applyNode`, after the signature
 * and the options): non-empty, positive marginals of equal mass per batch element.
 */
export function checkSinkhorn({ a, b }: SinkhornParams, sizes: SinkhornSizes): void {
  if (sizes.n === 0 || sizes.m === 0) throw new ShapeError(`${SINKHORN}: marginals 'a' and 'b' must be non-empty`);
  checkMarginal('a', a);
  checkMarginal('b', b);
  for (let e = 0; e < (sizes.batch ?? 1); e++) {
    const sa = massOf(a, e);
    const sb = massOf(b, e);
    if (!(Math.abs(sa - sb) <= MASS_RTOL * Math.max(sa, sb))) {
      const where = sizes.batch === null ? '' : ` in batch element ${e}`;
      throw new InvalidInputError(
        `${SINKHORN}: marginals 'a' and 'b' must have the same sum${where}: Σa = ${sa}, Σb = ${sb} (no transport plan exists otherwise; normalize both)`,
      );
    }
  }
}

function checkMarginal(name: string, t: Tensor): void {
  for (let i = 0; i < t.size; i++) {
    const v = t.data[i]!;
    if (!(v > 0)) {
      const why = v < 0 ? 'negative' : 'zero (drop zero-mass points: their potential is −∞)';
      throw new InvalidInputError(
        `${SINKHORN}: marginal '${name}' holds ${v} at flat index ${i}, which is ${why}; marginals must be positive and finite`,
      );
    }
  }
}

function massOf(t: Tensor, e: number): number {
  const len = t.shape[t.ndim - 1]!;
  const off = t.ndim === 2 ? e * len : 0;
  let s = 0;
  for (let i = 0; i < len; i++) s += t.data[off + i]!;
  return s;
}
