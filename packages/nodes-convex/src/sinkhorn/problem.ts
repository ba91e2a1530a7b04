import { InvalidInputError, ShapeError, Tensor, type NodeCallOptions } from '@argmin/autodiff';

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

export function checkEpsilon(epsilon: unknown): number {
  if (typeof epsilon !== 'number' || !Number.isFinite(epsilon) || !(epsilon > 0)) {
    throw new InvalidInputError(`${SINKHORN}: option 'epsilon' must be a finite number > 0, got ${String(epsilon)}`);
  }
  return epsilon;
}

/**
 * Checks shapes (a [n], b [m], C [n, m], each optionally batched), finiteness, positive marginals
 * and equal masses per batch element. Errors name the node, the parameter and what is wrong.
 */
export function validateSinkhorn({ a, b, C }: SinkhornParams, epsilon: unknown): SinkhornSizes {
  checkEpsilon(epsilon);
  for (const [name, t, rank] of [
    ['a', a, 1],
    ['b', b, 1],
    ['C', C, 2],
  ] as const) {
    if (!(t instanceof Tensor)) throw new InvalidInputError(`${SINKHORN}: parameter '${name}' must be a Tensor`);
    if (t.ndim !== rank && t.ndim !== rank + 1) {
      throw new ShapeError(
        `${SINKHORN}: parameter '${name}' must have rank ${rank} (or ${rank + 1} with a leading batch axis), got shape [${t.shape.join(',')}]`,
      );
    }
  }
  const n = a.shape[a.ndim - 1]!;
  const m = b.shape[b.ndim - 1]!;
  const cn = C.shape[C.ndim - 2]!;
  const cm = C.shape[C.ndim - 1]!;
  if (cn !== n || cm !== m) {
    throw new ShapeError(
      `${SINKHORN}: cost 'C' of shape [${C.shape.join(',')}] does not match marginals 'a' [${a.shape.join(',')}] and 'b' [${b.shape.join(',')}]: expected [..., ${n}, ${m}]`,
    );
  }
  if (n === 0 || m === 0) throw new ShapeError(`${SINKHORN}: marginals 'a' and 'b' must be non-empty`);
  const batches = [a.ndim === 2 ? a.shape[0]! : null, b.ndim === 2 ? b.shape[0]! : null, C.ndim === 3 ? C.shape[0]! : null];
  const sizes = batches.filter((s): s is number => s !== null);
  if (sizes.some((s) => s !== sizes[0])) {
    throw new ShapeError(`${SINKHORN}: batch sizes differ: 'a' ${batches[0] ?? '-'}, 'b' ${batches[1] ?? '-'}, 'C' ${batches[2] ?? '-'}`);
  }
  for (let i = 0; i < C.size; i++) {
    if (!Number.isFinite(C.data[i]!)) {
      throw new InvalidInputError(`${SINKHORN}: cost 'C' holds ${C.data[i]} at flat index ${i}; costs must be finite`);
    }
  }
  checkMarginal('a', a);
  checkMarginal('b', b);
  const batch = sizes.length ? sizes[0]! : null;
  for (let e = 0; e < (batch ?? 1); e++) {
    const sa = massOf(a, e);
    const sb = massOf(b, e);
    if (!(Math.abs(sa - sb) <= MASS_RTOL * Math.max(sa, sb))) {
      const where = batch === null ? '' : ` in batch element ${e}`;
      throw new InvalidInputError(
        `${SINKHORN}: marginals 'a' and 'b' must have the same sum${where}: Σa = ${sa}, Σb = ${sb} (no transport plan exists otherwise; normalize both)`,
      );
    }
  }
  return { batch, n, m };
}

function checkMarginal(name: string, t: Tensor): void {
  for (let i = 0; i < t.size; i++) {
    const v = t.data[i]!;
    if (!Number.isFinite(v) || !(v > 0)) {
      const why = Number.isFinite(v) ? (v < 0 ? 'negative' : 'zero (drop zero-mass points: their potential is −∞)') : 'not finite';
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
