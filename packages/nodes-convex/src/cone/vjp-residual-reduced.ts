import { DifferentiationError } from '@argmin/autodiff';
import { gemv, luFactor, luSolveInto, syrk, type LuFactor } from '@argmin/autodiff/kernels';
import type { ConeData } from './data.js';
import { derivativeEigen, fromEigen, rowsToEigen, toEigen, type DerivativeEigen } from './derivative-eigen.js';
import { jacobianTransposeTimes, type ResidualPoint } from './residual-map.js';

/**
 * The adjoint residual-map system M̃ᵀg = r of vjp-residual.ts, reduced by DΠ's eigenbasis
 * (derivative-eigen.ts). With gy = V·h, ρ = Vᵀr_y, Â = VᵀA, β = Vᵀb, β̂ = Vᵀ(b + y), M̃ᵀ reads
 *   −Âᵀh − c·g_τ = r_x,    λᵢ(Âᵢg_x − βᵢg_τ) + (1 − λᵢ)hᵢ = ρᵢ,    (c + x)ᵀg_x + β̂ᵀh + g_τ = r_τ.
 * Directions with λᵢ ≤ 0.9 (most of them: an orthant's inactive rows, a cone's polar side, a
 * boundary SOC's or PSD block's mixed directions) are eliminated, hᵢ = (ρᵢ − λᵢ(Âᵢg_x − βᵢg_τ))/(1 − λᵢ),
 * adding wᵢ = λᵢ/(1 − λᵢ) ≤ 9 times their rows' outer products to the primal block; the others
 * stay, divided by λᵢ, with the diagonal δᵢ = (1 − λᵢ)/λᵢ < 1/9 (0 on active directions):
 *   [ S             −Â_Kᵀ   −c − Σ_E wᵢβᵢÂᵢᵀ ] [g_x]   [ r_x + Σ_E Âᵢᵀρᵢ/(1 − λᵢ) ]
 *   [ Â_K            δ_K    −β_K             ] [h_K] = [ ρ_K/λ_K                   ]
 *   [ (c+x)ᵀ − Σ_E wᵢβ̂ᵢÂᵢ   β̂_Kᵀ   1 + Σ_E wᵢβ̂ᵢβᵢ ] [g_τ]   [ r_τ − Σ_E β̂ᵢρᵢ/(1 − λᵢ)   ]
 * with S = Σ_E wᵢÂᵢᵀÂᵢ. The order is n + |K| + 1 instead of n + m + 1 (SOCP 50×SOC(5):
 * about 151 against 351), and every entry is bounded by the data. A refinement step against the
 * unreduced M̃ᵀ (applied matrix-free) removes what the elimination loses to round-off.
 */
export interface ReducedAdjoint {
  readonly eigen: DerivativeEigen;
  /** Â, row-major m×n. */
  readonly Ahat: Float64Array;
  readonly beta: Float64Array;
  readonly betaHat: Float64Array;
  /** The kept directions, ascending. */
  readonly kept: Int32Array;
  readonly lu: LuFactor;
}

/** Eliminated directions have λ ≤ this. */
const KEEP_ABOVE = 0.9;

export function reduceAdjoint(d: ConeData, p: ResidualPoint, element: number): ReducedAdjoint {
  const { n, m } = d;
  const eigen = derivativeEigen(p.D);
  const { lambda } = eigen;
  const Ahat = rowsToEigen(eigen, p.D, d.A, d.aOff, n);
  const beta = new Float64Array(m);
  const betaHat = new Float64Array(m);
  toEigen(eigen, p.D, d.b, d.bOff, beta);
  toEigen(eigen, p.D, p.y, 0, betaHat);
  for (let i = 0; i < m; i++) betaHat[i]! += beta[i]!;
  let nk = 0;
  for (let i = 0; i < m; i++) if (lambda[i]! > KEEP_ABOVE) nk++;
  const kept = new Int32Array(nk);
  const weighted: number[] = [];
  for (let i = 0, q = 0; i < m; i++) {
    if (lambda[i]! > KEEP_ABOVE) kept[q++] = i;
    else if (lambda[i]! > 0) weighted.push(i);
  }
  const N = n + nk + 1;
  const t = N - 1;
  const R = new Float64Array(N * N);
  // S = GᵀG with G's rows √wᵢ·Âᵢ (lower triangle by syrk, then mirrored).
  const G = new Float64Array(weighted.length * n);
  let corner = 1;
  weighted.forEach((i, r) => {
    const l = lambda[i]!;
    const w = l / (1 - l);
    const sw = Math.sqrt(w);
    for (let j = 0; j < n; j++) {
      const a = Ahat[i * n + j]!;
      G[r * n + j] = sw * a;
      R[j * N + t]! -= w * beta[i]! * a;
      R[t * N + j]! -= w * betaHat[i]! * a;
    }
    corner += w * betaHat[i]! * beta[i]!;
  });
  syrk(true, n, weighted.length, 1, G, 0, n, 0, R, 0, N);
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) R[j * N + i] = R[i * N + j]!;
  for (let j = 0; j < n; j++) {
    R[j * N + t]! -= d.c[d.cOff + j]!;
    R[t * N + j]! += d.c[d.cOff + j]! + p.x[j]!;
  }
  for (let q = 0; q < nk; q++) {
    const i = kept[q]!;
    const row = (n + q) * N;
    for (let j = 0; j < n; j++) {
      const a = Ahat[i * n + j]!;
      R[j * N + n + q] = -a;
      R[row + j] = a;
    }
    R[row + n + q] = (1 - lambda[i]!) / lambda[i]!;
    R[row + t] = -beta[i]!;
    R[t * N + n + q] = betaHat[i]!;
  }
  R[t * N + t] = corner;
  let lu: LuFactor;
  try {
    lu = luFactor(R, N, 1, { op: 'convex.cone', input: 'residual map' });
  } catch {
    throw new DifferentiationError(
      `convex.cone: cannot differentiate batch element ${element}: the derivative of the residual map is singular (the solution is not unique or not strictly complementary)`,
    );
  }
  return { eigen, Ahat, beta, betaHat, kept, lu };
}

/** g = M̃⁻ᵀ r by the reduced system, without refinement. */
function solveOnce(d: ConeData, p: ResidualPoint, f: ReducedAdjoint, r: Float64Array): Float64Array {
  const { n, m } = d;
  const { eigen, Ahat, beta, betaHat, kept, lu } = f;
  const { lambda } = eigen;
  const N = lu.n;
  const t = N - 1;
  const rho = new Float64Array(m);
  toEigen(eigen, p.D, r, n, rho);
  // q = ρᵢ/(1 − λᵢ) on the eliminated directions, 0 on the kept ones.
  const q = new Float64Array(m);
  for (let i = 0; i < m; i++) if (lambda[i]! <= KEEP_ABOVE) q[i] = rho[i]! / (1 - lambda[i]!);
  const u = new Float64Array(N);
  for (let j = 0; j < n; j++) u[j] = r[j]!;
  gemv(true, m, n, 1, Ahat, 0, n, q, 0, 1, u, 0);
  kept.forEach((i, k) => (u[n + k] = rho[i]! / lambda[i]!));
  let ut = r[n + m]!;
  for (let i = 0; i < m; i++) ut -= betaHat[i]! * q[i]!;
  u[t] = ut;
  luSolveInto(lu, 0, u, 0, 1);
  const gt = u[t]!;
  // h: the kept directions from the solve, the eliminated ones by back-substitution.
  const ax = new Float64Array(m);
  gemv(false, m, n, 1, Ahat, 0, n, u, 0, 0, ax, 0);
  const h = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    const l = lambda[i]!;
    if (l <= KEEP_ABOVE) h[i] = (rho[i]! - l * (ax[i]! - beta[i]! * gt)) / (1 - l);
  }
  kept.forEach((i, k) => (h[i] = u[n + k]!));
  const g = new Float64Array(n + m + 1);
  g.set(u.subarray(0, n));
  fromEigen(eigen, p.D, h, g, n);
  g[n + m] = gt;
  return g;
}

/** out = M̃ᵀ·g, matrix-free. */
function adjointTimes(d: ConeData, p: ResidualPoint, g: Float64Array, out: Float64Array): void {
  const { n, m } = d;
  jacobianTransposeTimes(d, p.D, g, out);
  let last = g[n + m]!;
  for (let j = 0; j < n; j++) last += (d.c[d.cOff + j]! + p.x[j]!) * g[j]!;
  for (let i = 0; i < m; i++) last += (d.b[d.bOff + i]! + p.y[i]!) * g[n + i]!;
  out[n + m] = last;
}

/** The max-norm of r − M̃ᵀg, with M̃ᵀg written to `mg`. */
function residualNorm(d: ConeData, p: ResidualPoint, g: Float64Array, r: Float64Array, mg: Float64Array): number {
  adjointTimes(d, p, g, mg);
  let norm = 0;
  for (let i = 0; i < r.length; i++) {
    mg[i] = r[i]! - mg[i]!;
    norm = Math.max(norm, Math.abs(mg[i]!));
  }
  return norm;
}

/** g = M̃⁻ᵀ r, refined against the unreduced operator while a step halves the residual (≤ 3 steps). */
export function solveReducedAdjoint(d: ConeData, p: ResidualPoint, f: ReducedAdjoint, r: Float64Array): Float64Array {
  let g = solveOnce(d, p, f, r);
  const res = new Float64Array(r.length);
  let scale = 0;
  for (let i = 0; i < r.length; i++) scale = Math.max(scale, Math.abs(r[i]!));
  let norm = residualNorm(d, p, g, r, res);
  for (let step = 0; step < 3 && norm > 1e-15 * scale; step++) {
    const next = solveOnce(d, p, f, res);
    for (let i = 0; i < next.length; i++) next[i]! += g[i]!;
    const nextNorm = residualNorm(d, p, next, r, res);
    if (!(nextNorm < 0.5 * norm)) break;
    g = next;
    norm = nextNorm;
  }
  return g;
}
