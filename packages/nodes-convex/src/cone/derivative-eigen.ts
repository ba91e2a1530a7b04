import { gemm, symmetricEigen } from '@argmin/autodiff/kernels';
import type { ConeDerivative } from './cones.js';

/**
 * DΠ of a product cone in its eigenbasis, block by block: DΠ = V·diag(λ)·Vᵀ with V orthogonal
 * and every λ in [0, 1] (a projection's derivative is symmetric and firmly nonexpansive). The
 * bases come from each cone's structure, not from a numerical eigensolver of DΠ:
 *   - orthant and zero cones, interior and polar points: V = I, λ ∈ {0, 1};
 *   - a second-order cone point between the cone and its polar, z = (t, r·x̂): (1, ±x̂)/√2 with
 *     λ = 1 and 0, and any orthonormal basis of x̂⊥ (a Householder reflector's columns) with
 *     λ = (1 + t/r)/2;
 *   - a PSD block Z = Σ σᵢvᵢvᵢᵀ: svec(vₚvₚᵀ) and svec(vₚv_qᵀ + v_qvₚᵀ)/√2, with λ = B_pq (the
 *     projection's divided differences);
 *   - exponential and power cones (3×3): the symmetric part of their derivative, by eigensolver.
 * The reduced residual-map solve (vjp-residual-reduced.ts) eliminates the directions with small
 * λ and keeps the ones near 1, where I − DΠ is (nearly) singular.
 */
export interface DerivativeEigen {
  /** λ for every row of the cone, in the block's eigenvector order. */
  readonly lambda: Float64Array;
  /** Per block: V (size×size row-major, column j the j-th eigenvector), or null for V = I. */
  readonly bases: readonly (Float64Array | null)[];
}

export function derivativeEigen(D: ConeDerivative): DerivativeEigen {
  const lambda = new Float64Array(D.layout.m);
  const bases = D.layout.blocks.map((block, bi) => {
    const { offset: o, size } = block;
    const bd = D.blocks[bi]!;
    switch (bd.kind) {
      case 'identity':
        lambda.fill(1, o, o + size);
        return null;
      case 'zero':
        return null;
      case 'diag':
        lambda.set(bd.d, o);
        return null;
      case 'soc':
        return socBasis(bd.xhat, bd.alpha, lambda, o, size);
      case 'psd': {
        const { k, vectors, weights, trivial } = bd.D;
        if (trivial) {
          if (trivial === 'identity') lambda.fill(1, o, o + size);
          return null;
        }
        return psdBasis(k, vectors, weights, lambda, o);
      }
      case 'dense': {
        const J = bd.J;
        const sym = new Float64Array(9);
        for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) sym[3 * i + j] = 0.5 * (J[3 * i + j]! + J[3 * j + i]!);
        const { values, vectors } = symmetricEigen(sym, 3);
        for (let i = 0; i < 3; i++) lambda[o + i] = Math.min(1, Math.max(0, values[i]!));
        return vectors;
      }
    }
  });
  return { lambda, bases };
}

/** Columns: (1, x̂)/√2 (λ = 1), (1, −x̂)/√2 (λ = 0), then x̂⊥ from the reflector mapping e₁ to ±x̂ (λ = α). */
function socBasis(xhat: Float64Array, alpha: number, lambda: Float64Array, o: number, size: number): Float64Array {
  const V = new Float64Array(size * size);
  const h = Math.SQRT1_2;
  V[0] = h;
  V[1] = h;
  for (let i = 1; i < size; i++) {
    V[i * size] = h * xhat[i - 1]!;
    V[i * size + 1] = -h * xhat[i - 1]!;
  }
  lambda[o] = 1;
  lambda[o + 1] = 0;
  // H = I − 2vvᵀ/vᵀv with v = x̂ + sign(x̂₁)e₁ maps e₁ to a multiple of x̂; its other columns span x̂⊥.
  const r = size - 1;
  const v = Float64Array.from(xhat);
  v[0]! += xhat[0]! >= 0 ? 1 : -1;
  let vv = 0;
  for (let i = 0; i < r; i++) vv += v[i]! * v[i]!;
  for (let j = 1; j < r; j++) {
    const col = j + 1;
    for (let i = 0; i < r; i++) V[(1 + i) * size + col] = (i === j ? 1 : 0) - (2 * v[i]! * v[j]!) / vv;
    lambda[o + col] = alpha;
  }
  return V;
}

/** Columns in svec order of the pairs (p ≤ q); svec's off-diagonal entries carry √2. */
function psdBasis(k: number, vectors: Float64Array, weights: Float64Array, lambda: Float64Array, o: number): Float64Array {
  const size = (k * (k + 1)) / 2;
  const V = new Float64Array(size * size);
  const s2 = Math.SQRT2;
  let col = 0;
  for (let q = 0; q < k; q++)
    for (let p = q; p < k; p++, col++) {
      lambda[o + col] = Math.min(1, Math.max(0, weights[p * k + q]!));
      let row = 0;
      for (let j = 0; j < k; j++) {
        const vpj = vectors[j * k + p]!;
        const vqj = vectors[j * k + q]!;
        V[row++ * size + col] = p === q ? vpj * vpj : s2 * vpj * vqj;
        for (let i = j + 1; i < k; i++) {
          const vpi = vectors[i * k + p]!;
          const vqi = vectors[i * k + q]!;
          V[row++ * size + col] = p === q ? s2 * vpi * vpj : vpi * vqj + vqi * vpj;
        }
      }
    }
  return V;
}

/** out = Vᵀ·v (m entries, per block). */
export function toEigen(e: DerivativeEigen, D: ConeDerivative, v: Float64Array, vOff: number, out: Float64Array): void {
  D.layout.blocks.forEach(({ offset: o, size }, bi) => {
    const V = e.bases[bi];
    if (!V) {
      for (let i = 0; i < size; i++) out[o + i] = v[vOff + o + i]!;
      return;
    }
    for (let j = 0; j < size; j++) {
      let s = 0;
      for (let i = 0; i < size; i++) s += V[i * size + j]! * v[vOff + o + i]!;
      out[o + j] = s;
    }
  });
}

/** out = V·h (m entries, per block). */
export function fromEigen(e: DerivativeEigen, D: ConeDerivative, h: Float64Array, out: Float64Array, outOff: number): void {
  D.layout.blocks.forEach(({ offset: o, size }, bi) => {
    const V = e.bases[bi];
    if (!V) {
      for (let i = 0; i < size; i++) out[outOff + o + i] = h[o + i]!;
      return;
    }
    for (let i = 0; i < size; i++) {
      let s = 0;
      for (let j = 0; j < size; j++) s += V[i * size + j]! * h[o + j]!;
      out[outOff + o + i] = s;
    }
  });
}

/** Â = Vᵀ·A for a row-major m×n A at aOff (a new m×n array). */
export function rowsToEigen(e: DerivativeEigen, D: ConeDerivative, A: Float64Array, aOff: number, n: number): Float64Array {
  const out = new Float64Array(D.layout.m * n);
  D.layout.blocks.forEach(({ offset: o, size }, bi) => {
    const V = e.bases[bi];
    if (!V) out.set(A.subarray(aOff + o * n, aOff + (o + size) * n), o * n);
    else gemm(true, false, size, n, size, 1, V, 0, size, A, aOff + o * n, n, 0, out, o * n, n);
  });
  return out;
}
