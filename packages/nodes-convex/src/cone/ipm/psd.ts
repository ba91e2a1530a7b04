import { symmetricEigen } from '@argmin/autodiff/kernels';
import { smatInto, svecInto } from '../psd.js';
import type { IpmCone } from './cone.js';
import { applyDense, cholInPlace, jacobiSvd, svecIndex, svecOperator } from './dense-small.js';
import { addRowsTimes, rowsTimesVector } from './dense-rows.js';

/**
 * The PSD cone of order k in svec form (problem.ts) with Nesterov–Todd scaling as in cvxopt:
 * S = L_sL_sᵀ, Z = L_zL_zᵀ, L_zᵀL_s = UΛVᵀ, r = L_sVΛ^{-½}, r⁻¹ = Λ^{-½}UᵀL_zᵀ; then
 * W(X) = rᵀXr and W⁻ᵀ(X) = r⁻¹Xr⁻ᵀ map Z and S to the same diagonal Λ = λ. Both maps are kept
 * as dense p×p matrices (p = k(k+1)/2): the block is dense in the KKT system anyway.
 * The Jordan product is X∘Y = ½(XY + YX), so λ∘X scales entry (i, j) by (λᵢ + λⱼ)/2.
 */
export function psdCone(offset: number, k: number): IpmCone {
  const p = (k * (k + 1)) / 2;
  const kk = k * k;
  const Ls = new Float64Array(kk);
  const Lz = new Float64Array(kk);
  const M = new Float64Array(kk);
  const U = new Float64Array(kk);
  const V = new Float64Array(kk);
  const lam = new Float64Array(k);
  const r = new Float64Array(kk);
  const rinv = new Float64Array(kk);
  const rt = new Float64Array(kk);
  const Wm = new Float64Array(p * p); // W
  const Wit = new Float64Array(p * p); // W⁻ᵀ
  const v1 = new Float64Array(p);
  const v2 = new Float64Array(p);
  const m1 = new Float64Array(kk);
  const m2 = new Float64Array(kk);
  const m3 = new Float64Array(kk);
  let tmp = new Float64Array(p);
  const idx = (i: number, j: number) => (i >= j ? svecIndex(i, j, k) : svecIndex(j, i, k));

  const ensure = (n: number) => {
    if (tmp.length < n) tmp = new Float64Array(n);
    return tmp;
  };
  const applyVec = (mat: Float64Array, transpose: boolean, x: Float64Array, xo: number, out: Float64Array, oo: number) =>
    matVec(mat, p, transpose, x, xo, out, oo);
  /** min over the scaled direction d (svec, local): largest α with Λ + αD ⪰ 0. */
  const scaledStep = (d: Float64Array): number => {
    smatInto(d, 0, k, m1);
    for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) m1[i * k + j]! /= Math.sqrt(lam[i]! * lam[j]!);
    const min = symmetricEigen(m1, k).values[0]!;
    return min < 0 ? -1 / min : Infinity;
  };

  return {
    kind: 'psd',
    offset,
    size: p,
    degree: k,
    init(s, z) {
      s.fill(0, offset, offset + p);
      z.fill(0, offset, offset + p);
      for (let i = 0; i < k; i++) {
        s[offset + svecIndex(i, i, k)] = 1;
        z[offset + svecIndex(i, i, k)] = 1;
      }
    },
    scale(s, z) {
      smatInto(s, offset, k, Ls);
      smatInto(z, offset, k, Lz);
      if (!cholInPlace(Ls, k) || !cholInPlace(Lz, k)) return false;
      // M = L_zᵀ L_s.
      for (let i = 0; i < k; i++)
        for (let j = 0; j < k; j++) {
          let v = 0;
          for (let q = Math.max(i, j); q < k; q++) v += Lz[q * k + i]! * Ls[q * k + j]!;
          M[i * k + j] = v;
        }
      if (!jacobiSvd(M, k, U, lam, V)) return false;
      for (let i = 0; i < k; i++)
        for (let j = 0; j < k; j++) {
          let a = 0;
          for (let q = 0; q <= i; q++) a += Ls[i * k + q]! * V[q * k + j]!;
          r[i * k + j] = a / Math.sqrt(lam[j]!);
          let b = 0;
          for (let q = 0; q <= j; q++) b += U[q * k + i]! * Lz[j * k + q]!; // (UᵀL_zᵀ)_ij = Σ_q U_qi L_z,jq
          rinv[i * k + j] = b / Math.sqrt(lam[i]!);
        }
      for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) rt[i * k + j] = r[j * k + i]!;
      svecOperator(rt, k, Wm);
      svecOperator(rinv, k, Wit);
      return lam.every((l) => l > 0 && Number.isFinite(l));
    },
    affineDs(_s, out) {
      out.fill(0, offset, offset + p);
      for (let i = 0; i < k; i++) out[offset + svecIndex(i, i, k)] = lam[i]! * lam[i]!;
    },
    combinedDs(_s, _z, dsa, dza, sigmaMu, out) {
      applyVec(Wit, false, dsa, offset, v1, 0);
      applyVec(Wm, false, dza, offset, v2, 0);
      smatInto(v1, 0, k, m1);
      smatInto(v2, 0, k, m2);
      // ½(AB + BA)
      for (let i = 0; i < k; i++)
        for (let j = 0; j < k; j++) {
          let a = 0;
          for (let q = 0; q < k; q++) a += m1[i * k + q]! * m2[q * k + j]! + m2[i * k + q]! * m1[q * k + j]!;
          m3[i * k + j] = 0.5 * a;
        }
      for (let i = 0; i < k; i++) m3[i * k + i]! += lam[i]! * lam[i]! - sigmaMu;
      svecInto(m3, k, out, offset);
    },
    rhs(ds, out) {
      for (let j = 0; j < k; j++)
        for (let i = j; i < k; i++) {
          const q = idx(i, j);
          v1[q] = (2 * ds[offset + q]!) / (lam[i]! + lam[j]!);
        }
      applyVec(Wm, true, v1, 0, out, offset);
    },
    apply(map, x, out, ld, ncols) {
      const mat = map === 'W' || map === 'Wt' ? Wm : Wit;
      const transpose = map === 'Wt' || map === 'Winv';
      if (ncols === 1 && ld === 1) {
        applyVec(mat, transpose, x, offset, v1, 0);
        out.set(v1, offset);
      } else applyDense(mat, transpose, p, x, out, offset, ld, ncols, ensure(p * ncols));
    },
    stepLength(_s, _z, ds, dz, alphaMax) {
      applyVec(Wit, false, ds, offset, v1, 0);
      const a1 = scaledStep(v1);
      applyVec(Wm, false, dz, offset, v2, 0);
      return Math.min(alphaMax, a1, scaledStep(v2));
    },
    hessian(out) {
      // H = WᵀW is X ↦ GXG with G = rrᵀ.
      for (let i = 0; i < k; i++)
        for (let j = 0; j < k; j++) {
          let v = 0;
          for (let q = 0; q < k; q++) v += r[i * k + q]! * r[j * k + q]!;
          m1[i * k + j] = v;
        }
      svecOperator(m1, k, out);
    },
  };
}

/** out[oo…oo+p) = op(mat)·x[xo…] for a p×p row-major mat, four rows per pass (out must not overlap x). */
function matVec(mat: Float64Array, p: number, transpose: boolean, x: Float64Array, xo: number, out: Float64Array, oo: number): void {
  if (!transpose) {
    rowsTimesVector(mat, 0, p, p, x, out, xo, oo);
    return;
  }
  out.fill(0, oo, oo + p);
  addRowsTimes(mat, 0, p, p, x, out, xo, oo);
}
