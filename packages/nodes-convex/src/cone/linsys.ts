import { choleskyFactor, choleskySolveInto, gemm, type CholeskyFactor } from '@argmin/autodiff/kernels';
import { aTimes, atTimes, type ConeData } from './data.js';

/**
 * The linear system of every ADMM iteration on the homogeneous self-dual embedding,
 * (I + Q)·ũ = w with the skew-symmetric Q = [[0, Aᵀ, c], [−A, 0, b], [−cᵀ, −bᵀ, 0]], solved with
 * one Cholesky factorisation cached for the whole solve (SCS's direct method). With
 * K = [[I, Aᵀ], [−A, I]] and h = (c, b):
 *   ũ_τ = (w_τ + hᵀK⁻¹w_xy) / (1 + hᵀK⁻¹h),   ũ_xy = K⁻¹(w_xy − h·ũ_τ),
 * and K⁻¹ reduces to the smaller of I + AᵀA (n×n) and I + AAᵀ (m×m), both positive definite.
 */
export interface HsdeSystem {
  /** Overwrites w (n + m + 1 entries) with (I + Q)⁻¹w. */
  solve(w: Float64Array): void;
}

export function hsdeSystem(d: ConeData): HsdeSystem {
  const { m, n } = d;
  const byColumns = n <= m;
  const k = byColumns ? n : m;
  const gram = new Float64Array(k * k);
  // I + AᵀA or I + AAᵀ.
  if (byColumns) gemm(true, false, n, n, m, 1, d.A, d.aOff, n, d.A, d.aOff, n, 0, gram, 0, n);
  else gemm(false, true, m, m, n, 1, d.A, d.aOff, n, d.A, d.aOff, n, 0, gram, 0, m);
  for (let i = 0; i < k; i++) gram[i * k + i]! += 1;
  const factor: CholeskyFactor = choleskyFactor(gram, k, 1, { op: 'convex.cone', input: 'A' });
  const tmpN = new Float64Array(n);

  /** Overwrites (r1, r2) = v[0:n], v[n:n+m] with K⁻¹(r1, r2). */
  const solveK = (v: Float64Array): void => {
    if (byColumns) {
      // (I + AᵀA)p = r1 − Aᵀr2, q = r2 + Ap.
      atTimes(d, v, tmpN, 1, 0, n);
      for (let j = 0; j < n; j++) v[j]! -= tmpN[j]!;
      choleskySolveInto(factor, 0, v, 0, 1);
      aTimes(d, v, v, 1, 1, 0, n);
    } else {
      // (I + AAᵀ)q = r2 + Ar1, p = r1 − Aᵀq.
      aTimes(d, v, v, 1, 1, 0, n);
      choleskySolveInto(factor, 0, v, n, 1);
      atTimes(d, v, v, -1, 1, n, 0);
    }
  };

  const h = new Float64Array(n + m);
  for (let j = 0; j < n; j++) h[j] = d.c[d.cOff + j]!;
  for (let i = 0; i < m; i++) h[n + i] = d.b[d.bOff + i]!;
  const g = Float64Array.from(h);
  solveK(g);
  let hg = 0;
  for (let i = 0; i < n + m; i++) hg += h[i]! * g[i]!;

  return {
    solve(w: Float64Array): void {
      const wt = w[n + m]!;
      // K⁻¹w_xy, then the τ component, then subtract ũ_τ·K⁻¹h.
      solveK(w);
      let hw = 0;
      for (let i = 0; i < n + m; i++) hw += h[i]! * w[i]!;
      const tau = (wt + hw) / (1 + hg);
      for (let i = 0; i < n + m; i++) w[i]! -= tau * g[i]!;
      w[n + m] = tau;
    },
  };
}
