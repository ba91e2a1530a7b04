import { Rng, type Tensor, flatten, grad, randn, vjp } from '@argmin/autodiff';

/** A scalar function of a record of tensors (one node call and a loss on its solution). */
export type Objective = (params: Record<string, Tensor>) => Tensor;

/**
 * The Hessian-vector product of `f` at `params` along `v` (a record like params): the VJP of
 * the gradient, i.e. reverse over reverse, which is what differentiating a gradient records.
 */
export function hvp(f: Objective, params: Record<string, Tensor>, v: Record<string, Tensor>): Record<string, Tensor> {
  const g = grad(f) as (p: Record<string, Tensor>) => Record<string, Tensor>;
  return vjp(g, params).pullback(v)[0] as Record<string, Tensor>;
}

/** The gradient of `f` as a function, for the dot-product test of its own VJP. */
export function gradientOf(f: Objective): (p: Record<string, Tensor>) => Record<string, Tensor> {
  return grad(f) as (p: Record<string, Tensor>) => Record<string, Tensor>;
}

/** ‖a − b‖ / max(‖a‖, ‖b‖) over all leaves of two records (0 if both are zero). */
export function relativeDistance(a: Record<string, Tensor>, b: Record<string, Tensor>): number {
  const la = flatten(a).leaves;
  const lb = flatten(b).leaves;
  let diff = 0;
  let na = 0;
  let nb = 0;
  la.forEach((t, i) => {
    for (let j = 0; j < t.size; j++) {
      const x = t.data[j]!;
      const y = lb[i]!.data[j]!;
      diff += (x - y) ** 2;
      na += x * x;
      nb += y * y;
    }
  });
  const scale = Math.sqrt(Math.max(na, nb));
  return scale === 0 ? 0 : Math.sqrt(diff) / scale;
}

/** A random direction with the structure of `params`, drawn from `seed`. */
export function randomDirection(params: Record<string, Tensor>, seed: number, shape?: (t: Tensor, key: string) => Tensor) {
  const rng = Rng.seeded(seed);
  const out: Record<string, Tensor> = {};
  for (const [k, t] of Object.entries(params)) {
    const d = randn(t.shape, rng);
    out[k] = shape ? shape(d, k) : d;
  }
  return out;
}

/** The largest |entry| of a record: a Hessian-vector product this small would test nothing. */
export function largestEntry(r: Record<string, Tensor>): number {
  let m = 0;
  for (const t of flatten(r).leaves) for (const v of t.data) m = Math.max(m, Math.abs(v));
  return m;
}
