import type { IpmCone } from './cone.js';
import { applyDense, backtrackStep3, dualScaling3 } from './dense-small.js';

/**
 * The power cone K_α = {(x, y, z): x^α·y^(1−α) ≥ |z|, x, y ≥ 0}, α ∈ (0, 1), with dual
 * K*_α = {(u, v, w): (u/α)^α·(v/(1−α))^(1−α) ≥ |w|, u, v ≥ 0}. Like the exponential cone
 * (exp.ts) it is not symmetric and uses the dual-scaling method: H = μ∇²f*(z), central path
 * s = −μ∇f*(z), and the same backtracking into the cones and the central neighbourhood.
 *
 * The dual barrier is the standard 3-self-concordant barrier of the power cone taken at the
 * point (u/α, v/(1−α), w) ∈ K_α (a linear image keeps self-concordance and ν = 3):
 *   f*(u, v, w) = −log ψ − (1−α)·log u − α·log v,   ψ = Φ − w²,  Φ = (u/α)^{2α}·(v/(1−α))^{2(1−α)}
 * (up to a constant). Only f* enters the method, in closed form. (The Legendre conjugate of the
 * primal barrier, which primal–dual scalings need, has none: Clarabel computes its gradient by a
 * one-dimensional Newton solve. The dual-scaling method does not need it.)
 */
export function powerCone(offset: number, alpha: number): IpmCone {
  const H = new Float64Array(9);
  const M = new Float64Array(9);
  const Wm = new Float64Array(9); // W with WᵀW = μH
  const Wit = new Float64Array(9); // W⁻ᵀ
  const g = new Float64Array(3);
  const zs = new Float64Array(3);
  const ps = new Float64Array(3);
  const pz = new Float64Array(3);
  const inPrimal3 = (v: Float64Array) => inPowerPrimal(v, 0, alpha);
  const inDual3 = (v: Float64Array) => inPowerDual(v, 0, alpha);
  let big = new Float64Array(3);
  let muNow = 1;
  // s = z = −∇f*(z) at μ = 1 with w = 0: u² = 1 + α, v² = 2 − α (Clarabel's start).
  const u0 = Math.sqrt(1 + alpha);
  const v0 = Math.sqrt(2 - alpha);

  return {
    kind: 'power',
    offset,
    size: 3,
    degree: 3,
    init(s, z) {
      for (const t of [s, z]) {
        t[offset] = u0;
        t[offset + 1] = v0;
        t[offset + 2] = 0;
      }
    },
    scale(_s, z, mu) {
      muNow = mu;
      for (let i = 0; i < 3; i++) zs[i] = z[offset + i]!;
      if (!inPowerDual(zs, 0, alpha)) return false;
      powerDualHessian(zs, alpha, H);
      if (!dualScaling3(H, mu, Wm, Wit, M)) return false;
      return true;
    },
    affineDs(s, out) {
      for (let i = 0; i < 3; i++) out[offset + i] = s[offset + i]!;
    },
    combinedDs(s, z, _dsa, _dza, sigmaMu, out) {
      // Newton on s + σμ∇f*(z) = 0 (no higher-order correction, as for the exponential cone).
      powerDualGradient(z, offset, alpha, g);
      for (let i = 0; i < 3; i++) out[offset + i] = s[offset + i]! + sigmaMu * g[i]!;
    },
    rhs(ds, out) {
      if (out !== ds) for (let i = 0; i < 3; i++) out[offset + i] = ds[offset + i]!;
    },
    apply(map, x, out, ld, ncols) {
      const mat = map === 'W' || map === 'Wt' ? Wm : Wit;
      const transpose = map === 'Wt' || map === 'Winv';
      if (big.length < 3 * ncols) big = new Float64Array(3 * ncols);
      applyDense(mat, transpose, 3, x, out, offset, ld, ncols, big);
    },
    stepLength(s, z, ds, dz, alphaMax) {
      return backtrackStep3(offset, s, z, ds, dz, alphaMax, inPrimal3, inDual3, ps, pz);
    },
    hessian(out) {
      for (let i = 0; i < 9; i++) out[i] = muNow * H[i]!;
    },
    central(s, z, mu) {
      let d = 0;
      for (let i = 0; i < 3; i++) d += s[offset + i]! * z[offset + i]!;
      return d >= 0.1 * 3 * mu;
    },
  };
}

/** log(x^α·y^(1−α)) for x, y > 0. */
const logGeo = (x: number, y: number, alpha: number) => alpha * Math.log(x) + (1 - alpha) * Math.log(y);

/** Whether v[o…o+3] is strictly inside K_α. */
export function inPowerPrimal(v: Float64Array, o: number, alpha: number): boolean {
  const x = v[o]!;
  const y = v[o + 1]!;
  const z = Math.abs(v[o + 2]!);
  return x > 0 && y > 0 && (z === 0 || logGeo(x, y, alpha) > Math.log(z));
}

/** Whether v[o…o+3] is strictly inside K*_α. */
export function inPowerDual(v: Float64Array, o: number, alpha: number): boolean {
  const u = v[o]!;
  const w = v[o + 1]!;
  const z = Math.abs(v[o + 2]!);
  return u > 0 && w > 0 && (z === 0 || logGeo(u / alpha, w / (1 - alpha), alpha) > Math.log(z));
}

/** Φ and ψ = Φ − w² = (√Φ − |w|)(√Φ + |w|) (factored: no cancellation in Φ − w² near the boundary). */
function phiPsi(z: Float64Array, o: number, alpha: number): { Phi: number; psi: number } {
  const P = Math.exp(logGeo(z[o]! / alpha, z[o + 1]! / (1 - alpha), alpha));
  const w = Math.abs(z[o + 2]!);
  return { Phi: P * P, psi: (P - w) * (P + w) };
}

/** ∇f*(z). */
export function powerDualGradient(z: Float64Array, o: number, alpha: number, out: Float64Array): void {
  const u = z[o]!;
  const v = z[o + 1]!;
  const w = z[o + 2]!;
  const { Phi, psi } = phiPsi(z, o, alpha);
  const r = Phi / psi;
  out[0] = -(2 * alpha * r + (1 - alpha)) / u;
  out[1] = -(2 * (1 - alpha) * r + alpha) / v;
  out[2] = (2 * w) / psi;
}

/** ∇²f*(z) = ∇ψ∇ψᵀ/ψ² − ∇²ψ/ψ + diag((1−α)/u², α/v², 0), row-major 3×3. */
export function powerDualHessian(z: Float64Array, alpha: number, out: Float64Array): void {
  const u = z[0]!;
  const v = z[1]!;
  const w = z[2]!;
  const b = 1 - alpha;
  const { Phi, psi } = phiPsi(z, 0, alpha);
  const r = Phi / psi;
  // ∇ψ/ψ and ∇²ψ/ψ, with Φ/ψ = r kept together (Φ and ψ may both be huge or tiny).
  const gp = [(2 * alpha * r) / u, (2 * b * r) / v, (-2 * w) / psi];
  const hp = [
    (2 * alpha * (2 * alpha - 1) * r) / (u * u),
    (4 * alpha * b * r) / (u * v),
    0,
    (4 * alpha * b * r) / (u * v),
    (2 * b * (2 * b - 1) * r) / (v * v),
    0,
    0,
    0,
    -2 / psi,
  ];
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) out[i * 3 + j] = gp[i]! * gp[j]! - hp[i * 3 + j]!;
  out[0]! += b / (u * u);
  out[4]! += alpha / (v * v);
}
