import { InvalidInputError, type Tensor } from '@argmin/autodiff';
import { dot } from '@argmin/autodiff/kernels';
import { strideOf } from '../shared/shapes.js';

/**
 * The time-varying LQR problem, per batch element, with n = ns + nc and τ_t = [x_t; u_t]:
 *
 *   min Σ_{t<T} ½ τ_tᵀ C_t τ_t + c_tᵀ τ_t   s.t.  x_{t+1} = F_t τ_t + f_t,  x_0 = x0.
 *
 * Shapes (batch-leading; each parameter may drop the batch axis to be shared by the batch):
 * `C [B,T,n,n]`, `c [B,T,n]`, `F [B,T−1,ns,n]`, `f [B,T−1,ns]` (optional, zero if absent),
 * `x0 [B,ns]`. Only the symmetric part of C_t enters the cost, and it must be positive
 * semidefinite.
 */
export type LqrParams = {
  readonly C: Tensor;
  readonly c: Tensor;
  readonly F: Tensor;
  readonly f?: Tensor;
  readonly x0: Tensor;
};

export type LqrSolution = { readonly x: Tensor; readonly u: Tensor };

/** Core ranks of the LQR parameters (the node signature uses the same). */
export const LQR_RANKS = { C: 3, c: 2, F: 3, f: 2, x0: 1 } as const;

export interface LqrSizes {
  /** Batch size, or null for an unbatched call. */
  readonly batch: number | null;
  readonly T: number;
  readonly ns: number;
  readonly nc: number;
  readonly n: number;
}

/** Sizes of a call, read from C and x0 (checked by `applyNode` against the signature). */
export function lqrSizes(p: { C: Tensor; x0: Tensor }, batch: number | null): LqrSizes {
  const n = p.C.shape[p.C.ndim - 1]!;
  const ns = p.x0.shape[p.x0.ndim - 1]!;
  return { batch, T: p.C.shape[p.C.ndim - 3]!, ns, nc: n - ns, n };
}

/**
 * What only an LQR-type problem knows about its sizes (the signature has matched T, n, ns and
 * T−1 across the parameters): a horizon of at least one step and n = ns + nc with ns, nc ≥ 1.
 */
export function checkHorizonAndState(node: string, dims: Readonly<Record<string, number>>): void {
  const T = dims.T!;
  const n = dims.n!;
  const ns = dims.ns!;
  if (T < 1) throw new InvalidInputError(`${node}: the horizon T (axis 0 of C's core shape [T,n,n]) must be at least 1, got ${T}`);
  if (ns < 1 || ns >= n) {
    throw new InvalidInputError(
      `${node}: the state size ns = ${ns} (from x0) must satisfy 1 ≤ ns < n = ${n} (from C), so that n = ns + nc with nc ≥ 1 controls`,
    );
  }
}

/** Lower Cholesky in place on a row-major n×n array; returns −1, or the index of the failing pivot. */
export function choleskyInPlace(a: Float64Array, n: number, off = 0): number {
  for (let i = 0; i < n; i++) {
    const ri = off + i * n;
    for (let j = 0; j <= i; j++) {
      const rj = off + j * n;
      const s = a[ri + j]! - dot(j, a, a, ri, rj);
      if (i === j) {
        if (!(s > 0)) return i;
        a[ri + i] = Math.sqrt(s);
      } else {
        a[ri + j] = s / a[rj + j]!;
      }
    }
  }
  return -1;
}

export { strideOf };
