import { gemm, symmetricEigen } from '@argmin/autodiff/kernels';

/** Small dense helpers for the PSD, exponential and power cone blocks (row-major, k×k). */

/** In-place lower Cholesky of a k×k SPD matrix (upper part zeroed); false if not positive definite. */
export function cholInPlace(a: Float64Array, k: number): boolean {
  for (let j = 0; j < k; j++) {
    let d = a[j * k + j]!;
    for (let p = 0; p < j; p++) d -= a[j * k + p]! * a[j * k + p]!;
    if (!(d > 0)) return false;
    const l = Math.sqrt(d);
    a[j * k + j] = l;
    for (let i = j + 1; i < k; i++) {
      let v = a[i * k + j]!;
      for (let p = 0; p < j; p++) v -= a[i * k + p]! * a[j * k + p]!;
      a[i * k + j] = v / l;
    }
    for (let i = 0; i < j; i++) a[i * k + j] = 0;
  }
  return true;
}

/**
 * One-sided Jacobi SVD of a k×k matrix M = U·diag(σ)·Vᵀ (Hestenes): rotates column pairs of
 * a copy of M until they are orthogonal. Accurate in relative terms for small singular values,
 * which the PSD scaling needs as the iterates approach the boundary. Returns false if a
 * singular value is zero.
 */
export function jacobiSvd(m: Float64Array, k: number, u: Float64Array, sigma: Float64Array, v: Float64Array): boolean {
  u.set(m.subarray(0, k * k));
  v.fill(0, 0, k * k);
  for (let i = 0; i < k; i++) v[i * k + i] = 1;
  for (let sweep = 0; sweep < 60; sweep++) {
    let off = 0;
    for (let p = 0; p < k - 1; p++)
      for (let q = p + 1; q < k; q++) {
        let alpha = 0;
        let beta = 0;
        let gamma = 0;
        for (let i = 0; i < k; i++) {
          const up = u[i * k + p]!;
          const uq = u[i * k + q]!;
          alpha += up * up;
          beta += uq * uq;
          gamma += up * uq;
        }
        if (gamma === 0 || Math.abs(gamma) <= 1e-15 * Math.sqrt(alpha * beta)) continue;
        off = Math.max(off, Math.abs(gamma) / Math.sqrt(alpha * beta));
        const zeta = (beta - alpha) / (2 * gamma);
        const t = Math.sign(zeta || 1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const c = 1 / Math.sqrt(1 + t * t);
        const s = c * t;
        for (let i = 0; i < k; i++) {
          const up = u[i * k + p]!;
          const uq = u[i * k + q]!;
          u[i * k + p] = c * up - s * uq;
          u[i * k + q] = s * up + c * uq;
          const vp = v[i * k + p]!;
          const vq = v[i * k + q]!;
          v[i * k + p] = c * vp - s * vq;
          v[i * k + q] = s * vp + c * vq;
        }
      }
    if (off <= 1e-15) break;
  }
  for (let j = 0; j < k; j++) {
    let nrm = 0;
    for (let i = 0; i < k; i++) nrm += u[i * k + j]! * u[i * k + j]!;
    nrm = Math.sqrt(nrm);
    if (!(nrm > 0)) return false;
    sigma[j] = nrm;
    for (let i = 0; i < k; i++) u[i * k + j]! /= nrm;
  }
  return true;
}

const SQRT2 = Math.SQRT2;

/** Row (or column) index of entry (i, j), i ≥ j, in the lower-triangle column-major svec of order k. */
export function svecIndex(i: number, j: number, k: number): number {
  return j * k - (j * (j - 1)) / 2 + (i - j);
}

/**
 * The p×p matrix (p = k(k+1)/2) of X ↦ M X Mᵀ on svec vectors (the symmetric Kronecker
 * product M ⊗ₛ M): entry [(i,j), (a,b)] = ½·αᵢⱼ·α_ab·(M_ia M_jb + M_ib M_ja), α = √2 off the
 * diagonal, 1 on it. svec is an isometry, so the map of Mᵀ is this matrix's transpose.
 */
export function svecOperator(mat: Float64Array, k: number, out: Float64Array): void {
  const p = (k * (k + 1)) / 2;
  let r = 0;
  for (let j = 0; j < k; j++)
    for (let i = j; i < k; i++, r++) {
      const aij = i === j ? 1 : SQRT2;
      let col = 0;
      for (let b = 0; b < k; b++)
        for (let a = b; a < k; a++, col++) {
          const aab = a === b ? 1 : SQRT2;
          out[r * p + col] = 0.5 * aij * aab * (mat[i * k + a]! * mat[j * k + b]! + mat[i * k + b]! * mat[j * k + a]!);
        }
    }
}

/** out = op(M)·x on `ncols` columns of row blocks at rows [off, off+p) (leading dimension ld). */
export function applyDense(
  mat: Float64Array,
  transpose: boolean,
  p: number,
  x: Float64Array,
  out: Float64Array,
  off: number,
  ld: number,
  ncols: number,
  tmp: Float64Array,
): void {
  gemm(transpose, false, p, ncols, p, 1, mat, 0, p, x, off * ld, ld, 0, tmp, 0, ncols);
  for (let i = 0; i < p; i++) for (let j = 0; j < ncols; j++) out[(off + i) * ld + j] = tmp[i * ncols + j]!;
}

/**
 * The scaling of a 3-dimensional nonsymmetric cone (exponential, power) from its dual barrier's
 * Hessian H: μH = VΛVᵀ, W = Λ^½Vᵀ, W⁻ᵀ = Λ^-½Vᵀ (so WᵀW = μH). Eigen rather than Cholesky: near
 * the boundary H is a huge rank-one term plus a small rest, and a Cholesky pivot can lose
 * positivity to rounding; eigenvalues below 1e-15 of the largest are lifted to it. `scratch`
 * holds 9 entries. False if μH has no positive finite eigenvalue.
 */
export function dualScaling3(H: Float64Array, mu: number, Wm: Float64Array, Wit: Float64Array, scratch: Float64Array): boolean {
  for (let i = 0; i < 9; i++) scratch[i] = mu * H[i]!;
  const { values, vectors } = symmetricEigen(scratch, 3);
  const top = values[2]!;
  if (!(top > 0) || !Number.isFinite(top)) return false;
  for (let k = 0; k < 3; k++) {
    const r = Math.sqrt(Math.max(values[k]!, 1e-15 * top));
    for (let j = 0; j < 3; j++) {
      Wm[k * 3 + j] = r * vectors[j * 3 + k]!;
      Wit[k * 3 + j] = vectors[j * 3 + k]! / r;
    }
  }
  return true;
}

/**
 * The step length of a 3-dimensional nonsymmetric cone block at `offset`: the largest
 * α = min(αmax, 1)·0.8ᵏ (k < 80) keeping s + αΔs strictly in the cone and z + αΔz strictly in
 * its dual (0 if none); `ps` and `pz` hold 3 entries of scratch.
 */
export function backtrackStep3(
  offset: number,
  s: Float64Array,
  z: Float64Array,
  ds: Float64Array,
  dz: Float64Array,
  alphaMax: number,
  inPrimal: (v: Float64Array) => boolean,
  inDual: (v: Float64Array) => boolean,
  ps: Float64Array,
  pz: Float64Array,
): number {
  let a = Math.min(alphaMax, 1);
  for (let it = 0; it < 80; it++, a *= 0.8) {
    for (let i = 0; i < 3; i++) {
      ps[i] = s[offset + i]! + a * ds[offset + i]!;
      pz[i] = z[offset + i]! + a * dz[offset + i]!;
    }
    if (inPrimal(ps) && inDual(pz)) return a;
  }
  return 0;
}
