import type { IpmCone } from './cone.js';
import { applyDense, backtrackStep3, dualScaling3 } from './dense-small.js';

/**
 * The exponential cone K = cl{(x, y, z): y > 0, y·exp(x/y) ≤ z} (SCS's order), with dual
 * K* = {(u, v, w): u < 0, −u·exp(v/u) ≤ e·w}. K is not symmetric, so there is no NT scaling;
 * we follow the dual-scaling method (Nesterov–Todd–Ye; Skajaa & Ye 2015; Clarabel's fallback):
 * the 3-self-concordant barrier of K*
 *   f*(u, v, w) = −log ψ − log(−u) − log w,   ψ = v − u − u·log(−w/u),
 * central path s = −μ∇f*(z), Newton system Δs + μ∇²f*(z)Δz = −(s + σμ∇f*(z)), and a
 * backtracking step that keeps both points strictly inside and near the central path.
 * With the higher-order correction of Dahl & Andersen (2022) used by Clarabel,
 * −½∇³f*(z)[Δz_a, ∇²f*(z)⁻¹Δs_a], added to the corrector.
 */
const ZERO3 = new Float64Array(3);
/**
 * The higher-order correction is implemented but off: with it the iterates lost centrality on
 * our tests (30+ iterations instead of 15–19), so its sign or scaling convention still needs
 * checking against Clarabel's derivation before it is enabled.
 */
const USE_CORRECTION: boolean = false;

export function expCone(offset: number): IpmCone {
  const H = new Float64Array(9);
  const L = new Float64Array(9);
  const Wm = new Float64Array(9); // W = Lᵀ
  const Wit = new Float64Array(9); // W⁻ᵀ = L⁻¹
  const g = new Float64Array(3);
  const tmp = new Float64Array(3);
  const g3 = new Float64Array(3);
  let big = new Float64Array(3);
  let muNow = 1;
  const zs = new Float64Array(3);
  const ps = new Float64Array(3);
  const pz = new Float64Array(3);
  const inPrimal3 = (v: Float64Array) => inPrimal(v, 0);
  const inDual3 = (v: Float64Array) => inDual(v, 0);

  return {
    kind: 'exp',
    offset,
    size: 3,
    degree: 3,
    init(s, z) {
      // The point where s = z = −∇f*(z) (Clarabel's start): central for μ = 1 in both cones.
      s[offset] = -1.051383945322714;
      s[offset + 1] = 0.55640961946937;
      s[offset + 2] = 1.258967884768947;
      z[offset] = -1.051383945322714;
      z[offset + 1] = 0.55640961946937;
      z[offset + 2] = 1.258967884768947;
    },
    scale(_s, z, mu) {
      muNow = mu;
      for (let i = 0; i < 3; i++) zs[i] = z[offset + i]!;
      if (!inDual(zs, 0)) return false;
      dualHessian(zs, H);
      if (!dualScaling3(H, mu, Wm, Wit, L)) return false;
      // LLᵀ = μH for the correction's solve, from the same decomposition: (μH)⁻¹ = WitᵀWit.
      return true;
    },
    affineDs(s, out) {
      for (let i = 0; i < 3; i++) out[offset + i] = s[offset + i]!;
    },
    combinedDs(s, z, dsa, dza, sigmaMu, out) {
      dualGradient(z, offset, g);
      // Higher-order correction η = −½∇³f*(z)[Δz_a, (∇²f*)⁻¹Δs_a], with μ∇²f* = LLᵀ.
      // tmp = μ(μH)⁻¹Δs_a = μ·WitᵀWit·Δs_a.
      for (let k = 0; k < 3; k++) {
        let v = 0;
        for (let j = 0; j < 3; j++) v += Wit[k * 3 + j]! * dsa[offset + j]!;
        g3[k] = v;
      }
      for (let j = 0; j < 3; j++) {
        let v = 0;
        for (let k = 0; k < 3; k++) v += Wit[k * 3 + j]! * g3[k]!;
        tmp[j] = muNow * v;
      }
      for (let i = 0; i < 3; i++) zs[i] = z[offset + i]!;
      const eta = USE_CORRECTION ? thirdOrder(zs, dza, offset, tmp) : ZERO3;
      for (let i = 0; i < 3; i++) out[offset + i] = s[offset + i]! + sigmaMu * g[i]! - 0.5 * eta[i]!;
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

export function inPrimal(v: Float64Array, o: number): boolean {
  const x = v[o]!;
  const y = v[o + 1]!;
  const z = v[o + 2]!;
  return y > 0 && z > 0 && y * Math.log(z / y) - x > 0;
}

export function inDual(v: Float64Array, o: number): boolean {
  const u = v[o]!;
  const w = v[o + 2]!;
  return u < 0 && w > 0 && psi(v, o) > 0;
}

function psi(v: Float64Array, o: number): number {
  const u = v[o]!;
  return v[o + 1]! - u - u * Math.log(-v[o + 2]! / u);
}

/** ∇f*(z). */
export function dualGradient(z: Float64Array, o: number, out: Float64Array): void {
  const u = z[o]!;
  const w = z[o + 2]!;
  const p = psi(z, o);
  const l = Math.log(-w / u);
  out[0] = l / p - 1 / u;
  out[1] = -1 / p;
  out[2] = u / (w * p) - 1 / w;
}

/** ∇²f*(z) = ∇ψ∇ψᵀ/ψ² − ∇²ψ/ψ + diag(1/u², 0, 1/w²). */
export function dualHessian(z: Float64Array, out: Float64Array): void {
  const u = z[0]!;
  const w = z[2]!;
  const p = psi(z, 0);
  const gp = [-Math.log(-w / u), 1, -u / w];
  const hp = [1 / u, 0, -1 / w, 0, 0, 0, -1 / w, 0, u / (w * w)];
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) out[i * 3 + j] = (gp[i]! * gp[j]!) / (p * p) - hp[i * 3 + j]! / p;
  out[0]! += 1 / (u * u);
  out[8]! += 1 / (w * w);
}

/**
 * ∇³f*(z)[a, b] (a vector): the derivative of ∇²f*(z)·b along a, by a central difference of
 * the closed-form Hessian (the third derivative of a 3-variable function; the step is relative
 * to z, and the correction only shapes the direction, so 1e-6 relative accuracy is plenty).
 */
function thirdOrder(z: Float64Array, a: Float64Array, aOff: number, b: Float64Array): Float64Array {
  let na = 0;
  let nz = 0;
  for (let i = 0; i < 3; i++) {
    na = Math.max(na, Math.abs(a[aOff + i]!));
    nz = Math.max(nz, Math.abs(z[i]!));
  }
  const out = new Float64Array(3);
  if (na === 0) return out;
  const h = (1e-5 * nz) / na;
  const zp = new Float64Array(3);
  const zm = new Float64Array(3);
  for (let i = 0; i < 3; i++) {
    zp[i] = z[i]! + h * a[aOff + i]!;
    zm[i] = z[i]! - h * a[aOff + i]!;
  }
  if (!inDual(zp, 0) || !inDual(zm, 0)) return out;
  const Hp = new Float64Array(9);
  const Hm = new Float64Array(9);
  dualHessian(zp, Hp);
  dualHessian(zm, Hm);
  for (let i = 0; i < 3; i++) {
    let v = 0;
    for (let j = 0; j < 3; j++) v += (Hp[i * 3 + j]! - Hm[i * 3 + j]!) * b[j]!;
    out[i] = v / (2 * h);
  }
  return out;
}
