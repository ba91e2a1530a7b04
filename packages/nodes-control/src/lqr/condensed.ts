import { Tensor, add, broadcastTo, concat, matmul, mul, reshape, sum } from '@argmin/autodiff';
import { isTracked } from '@argmin/autodiff/extend';

/**
 * The LQR cost of a control sequence under linear dynamics shared by a batch, condensed: with
 * z = [x₀; vec(u)], the rollout makes every τ_t = [x_t; u_t] affine in z, τ = Lz + l, so the cost
 * Σ_t ½τ_tᵀC_tτ_t + c_tᵀτ_t is the quadratic ½zᵀHz + gᵀz + k with H = LᵀCL, g = Lᵀ(Cl + c),
 * k = ½lᵀCl + cᵀl. Evaluating it is one gemm per batch instead of T small ones — what makes
 * training through the objective (and DCEM's many samples) cheap. Equal to `lqrObjective` of
 * `linearRollout` up to rounding; H, g, k are constants, so it is only used where no gradient
 * is asked of C, c, F, f (see {@link condensedApplies}).
 */
export interface CondensedLqr {
  readonly H: Tensor;
  readonly g: Tensor;
  readonly k: number;
  readonly ns: number;
  readonly T: number;
  readonly nc: number;
}

// Keyed by F, then matched by identity on C, c, f: tensors are immutable, so identity is safe.
const cache = new WeakMap<Tensor, { C: Tensor; c: Tensor; f: Tensor | undefined; value: CondensedLqr }[]>();

/** True when C, c, F (and f) are shared by the batch and no gradient may flow to them. */
export function condensedApplies(p: { readonly [k: string]: Tensor | undefined }): boolean {
  const { C, c, F, f } = p;
  if (!C || !c || !F) return false;
  if (C.ndim !== 3 || c.ndim !== 2 || F.ndim !== 3 || (f && f.ndim !== 2)) return false;
  return ![C, c, F, f].some((t) => t !== undefined && isTracked(t));
}

/** The condensed cost of shared C [T,n,n], c [T,n], F [T−1,ns,n], f [T−1,ns] (cached by identity). */
export function condenseLqr(C: Tensor, c: Tensor, F: Tensor, f?: Tensor): CondensedLqr {
  const list = cache.get(F) ?? [];
  const hit = list.find((e) => e.C === C && e.c === c && e.f === f);
  if (hit) return hit.value;
  const value = build(C, c, F, f);
  list.push({ C, c, f, value });
  cache.set(F, list);
  return value;
}

function build(C: Tensor, c: Tensor, F: Tensor, f?: Tensor): CondensedLqr {
  const [T, n] = [C.shape[0]!, C.shape[1]!];
  const ns = F.shape[1]!;
  const nc = n - ns;
  const d = ns + T * nc;
  // Columns of L (the response of τ to each unit z_j) and l (the response to f with z = 0).
  const rollout = (z: Float64Array | null, withF: boolean): Float64Array => {
    const tau = new Float64Array(T * n);
    const x = new Float64Array(ns);
    if (z) x.set(z.subarray(0, ns));
    for (let t = 0; t < T; t++) {
      tau.set(x, t * n);
      if (z) tau.set(z.subarray(ns + t * nc, ns + (t + 1) * nc), t * n + ns);
      if (t === T - 1) break;
      const next = new Float64Array(ns);
      for (let i = 0; i < ns; i++) {
        let s = withF && f ? f.data[t * ns + i]! : 0;
        for (let j = 0; j < n; j++) s += F.data[(t * ns + i) * n + j]! * tau[t * n + j]!;
        next[i] = s;
      }
      x.set(next);
    }
    return tau;
  };
  const L = new Float64Array(T * n * d);
  const unit = new Float64Array(d);
  for (let j = 0; j < d; j++) {
    unit.fill(0);
    unit[j] = 1;
    const col = rollout(unit, false);
    for (let r = 0; r < T * n; r++) L[r * d + j] = col[r]!;
  }
  const l = rollout(null, true);
  // CL and Cl + c, block by block (only the symmetric part of C_t enters the cost).
  const CL = new Float64Array(T * n * d);
  const Clc = new Float64Array(T * n);
  for (let t = 0; t < T; t++) {
    for (let i = 0; i < n; i++) {
      const r = t * n + i;
      Clc[r] = c.data[r]!;
      for (let j = 0; j < n; j++) {
        const cij = 0.5 * (C.data[(t * n + i) * n + j]! + C.data[(t * n + j) * n + i]!);
        if (cij === 0) continue;
        Clc[r]! += cij * l[t * n + j]!;
        const src = (t * n + j) * d;
        for (let q = 0; q < d; q++) CL[r * d + q]! += cij * L[src + q]!;
      }
    }
  }
  const H = new Float64Array(d * d);
  const g = new Float64Array(d);
  for (let r = 0; r < T * n; r++) {
    for (let a = 0; a < d; a++) {
      const la = L[r * d + a]!;
      if (la === 0) continue;
      g[a]! += la * Clc[r]!;
      for (let b = 0; b < d; b++) H[a * d + b]! += la * CL[r * d + b]!;
    }
  }
  let k = 0;
  for (let r = 0; r < T * n; r++) k += 0.5 * l[r]! * (Clc[r]! - c.data[r]!) + c.data[r]! * l[r]!;
  return { H: new Tensor(H, [d, d]), g: new Tensor(g, [d]), k, ns, T, nc };
}

/** ½zᵀHz + gᵀz + k per batch element for x0 `[B, ns]` (or `[ns]`) and u `[B, T, nc]`, with ops. */
export function condensedCost(cl: CondensedLqr, x0: Tensor, u: Tensor): Tensor {
  const B = u.shape[0]!;
  const x = x0.ndim === 1 ? broadcastTo(x0, [B, cl.ns]) : x0;
  const z = concat([x, reshape(u, [B, cl.T * cl.nc])], -1);
  return add(add(mul(sum(mul(z, matmul(z, cl.H)), -1), 0.5), sum(mul(z, cl.g), -1)), cl.k);
}
