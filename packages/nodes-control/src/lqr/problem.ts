import { InvalidInputError, type Tensor } from '@argmin/autodiff';
import { dot } from '@argmin/autodiff/kernels';
import { batchOf, coreShape, expectCore, strideOf } from '../shared/shapes.js';

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

/** Sizes of a call, read from C and x0 (no validation: see {@link validateLqr}). */
export function lqrSizes(p: { C: Tensor; x0: Tensor }, batch: number | null): LqrSizes {
  const n = p.C.shape[p.C.ndim - 1]!;
  const ns = p.x0.shape[p.x0.ndim - 1]!;
  return { batch, T: p.C.shape[p.C.ndim - 3]!, ns, nc: n - ns, n };
}

/**
 * Checks the shapes of an LQR-type problem (horizons and state sizes must agree) and returns
 * its sizes. `node` names the caller in errors; `dynamics` is false for MPC with a function model.
 */
export function validateCostAndState(
  node: string,
  p: { C: Tensor; c: Tensor; x0: Tensor },
): { T: number; n: number; ns: number; nc: number } {
  const cs = coreShape(node, 'C', p.C, 3, '[T,n,n]');
  const T = cs[0]!;
  const n = cs[1]!;
  if (cs[2] !== n)
    throw new InvalidInputError(`${node}: parameter 'C' must hold square n×n blocks [T,n,n], got core shape [${cs.join(',')}]`);
  if (T < 1) throw new InvalidInputError(`${node}: the horizon T (axis 0 of C's core shape [T,n,n]) must be at least 1, got ${T}`);
  const ns = coreShape(node, 'x0', p.x0, 1, '[ns]')[0]!;
  if (ns < 1 || ns >= n) {
    throw new InvalidInputError(
      `${node}: the state size ns = ${ns} (from x0) must satisfy 1 ≤ ns < n = ${n} (from C), so that n = ns + nc with nc ≥ 1 controls`,
    );
  }
  expectCore(node, 'c', coreShape(node, 'c', p.c, 2, '[T,n]'), [T, n], `T = ${T} from C, n = ${n}`);
  return { T, n, ns, nc: n - ns };
}

export function validateLinearDynamics(node: string, F: Tensor, f: Tensor | undefined, T: number, ns: number, n: number): void {
  expectCore(
    node,
    'F',
    coreShape(node, 'F', F, 3, '[T−1,ns,n]'),
    [T - 1, ns, n],
    `T−1 = ${T - 1} transitions, ns = ${ns} from x0, n = ${n} from C`,
  );
  if (f) expectCore(node, 'f', coreShape(node, 'f', f, 2, '[T−1,ns]'), [T - 1, ns], `T−1 = ${T - 1} transitions, ns = ${ns} from x0`);
}

/** Full validation of an LQR call: shapes, a common batch size, finite values, PSD costs. */
export function validateLqr(p: LqrParams): LqrSizes {
  const node = 'control.lqr';
  const { T, n, ns, nc } = validateCostAndState(node, p);
  validateLinearDynamics(node, p.F, p.f, T, ns, n);
  const batch = batchOf(node, p as unknown as Record<string, Tensor>, LQR_RANKS);
  for (const [k, t] of Object.entries(p)) if (t) assertFiniteParam(node, k, t as Tensor);
  assertPsdBlocks(node, 'C', p.C, T, n);
  return { batch, T, ns, nc, n };
}

export function assertFiniteParam(node: string, name: string, t: Tensor): void {
  const d = t.data;
  for (let i = 0; i < d.length; i++) {
    if (!Number.isFinite(d[i]!))
      throw new InvalidInputError(`${node}: parameter '${name}' holds ${d[i]} at flat index ${i}; finite values are required`);
  }
}

/**
 * Throws unless the symmetric part of every n×n block of C is positive semidefinite, by a
 * Cholesky factorization of ½(C + Cᵀ) + δI with δ a roundoff-sized shift (so singular PSD
 * blocks, e.g. a zero control cost on some axis, pass).
 */
export function assertPsdBlocks(node: string, name: string, C: Tensor, T: number, n: number): void {
  const blocks = C.size / (n * n);
  const a = new Float64Array(n * n);
  for (let k = 0; k < blocks; k++) {
    const o = k * n * n;
    let scale = 0;
    for (let i = 0; i < n * n; i++) scale = Math.max(scale, Math.abs(C.data[o + i]!));
    const shift = 1e-10 * Math.max(scale, 1e-300) * n;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) a[i * n + j] = 0.5 * (C.data[o + i * n + j]! + C.data[o + j * n + i]!) + (i === j ? shift : 0);
    }
    const pivot = choleskyInPlace(a, n);
    if (pivot >= 0) {
      const b = Math.floor(k / T);
      const where = C.ndim === 4 ? `batch element ${b}, time step ${k % T}` : `time step ${k}`;
      throw new InvalidInputError(
        `${node}: parameter '${name}' at ${where} is not positive semidefinite (its symmetric part has a negative direction at pivot ${pivot}); LQR/MPC costs must be convex`,
      );
    }
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
