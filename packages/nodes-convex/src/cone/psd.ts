import { gemm } from '@argmin/autodiff/kernels';
import { symmetricEigen } from '@argmin/autodiff/kernels';

/**
 * The PSD cone in SCS's vectorisation: an order-k symmetric matrix X is stored as its lower
 * triangle column by column, (X₀₀, √2X₁₀, …, √2X_{k−1,0}, X₁₁, √2X₂₁, …), so that the Euclidean
 * inner product of two vectors equals the trace inner product of the matrices and the
 * projections below are the matrix projections.
 */

const SQRT2 = Math.SQRT2;

/** Unpacks the k(k+1)/2 entries at v[off…] into a full row-major k×k matrix. */
export function smatInto(v: Float64Array, off: number, k: number, out: Float64Array): void {
  let idx = off;
  for (let j = 0; j < k; j++) {
    out[j * k + j] = v[idx++]!;
    for (let i = j + 1; i < k; i++) {
      const x = v[idx++]! / SQRT2;
      out[i * k + j] = x;
      out[j * k + i] = x;
    }
  }
}

/** Packs the symmetric row-major k×k matrix `x` (lower triangle read) into out[off…]. */
export function svecInto(x: Float64Array, k: number, out: Float64Array, off: number): void {
  let idx = off;
  for (let j = 0; j < k; j++) {
    out[idx++] = x[j * k + j]!;
    for (let i = j + 1; i < k; i++) out[idx++] = SQRT2 * 0.5 * (x[i * k + j]! + x[j * k + i]!);
  }
}

/** The derivative of the PSD projection at a point: DΠ(X)[dX] = V·(B ∘ (VᵀdXV))·Vᵀ. */
export interface PsdDerivative {
  readonly k: number;
  readonly vectors: Float64Array;
  /** B_ij = (λᵢ⁺ − λⱼ⁺)/(λᵢ − λⱼ), and 1[λᵢ > 0] on ties. */
  readonly weights: Float64Array;
  /** Whether B is all ones or all zeros (DΠ = I or 0), the common cases away from the boundary. */
  readonly trivial: 'identity' | 'zero' | null;
}

/**
 * Projects the PSD block v[off…] onto the cone, writing out[outOff…], and returns the
 * derivative's data when asked.
 */
export function projectPsd(
  v: Float64Array,
  off: number,
  k: number,
  out: Float64Array,
  outOff: number,
  withDerivative: boolean,
): PsdDerivative | null {
  const x = new Float64Array(k * k);
  smatInto(v, off, k, x);
  const { values, vectors } = symmetricEigen(x, k);
  // Π(X) = Σ_{λ>0} λ·vvᵀ, formed as (V·diag(√λ⁺))(V·diag(√λ⁺))ᵀ.
  const w = new Float64Array(k * k);
  for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) w[i * k + j] = vectors[i * k + j]! * Math.sqrt(Math.max(values[j]!, 0));
  gemm(false, true, k, k, k, 1, w, 0, k, w, 0, k, 0, x, 0, k);
  svecInto(x, k, out, outOff);
  if (!withDerivative) return null;
  const weights = new Float64Array(k * k);
  let positive = 0;
  for (let i = 0; i < k; i++) {
    const li = values[i]!;
    if (li > 0) positive++;
    for (let j = 0; j < k; j++) {
      const lj = values[j]!;
      if (li > 0 && lj > 0) weights[i * k + j] = 1;
      else if (li <= 0 && lj <= 0) weights[i * k + j] = 0;
      else weights[i * k + j] = (Math.max(li, 0) - Math.max(lj, 0)) / (li - lj);
    }
  }
  const trivial = positive === k ? 'identity' : positive === 0 ? 'zero' : null;
  return { k, vectors, weights, trivial };
}

/** out[outOff…] = DΠ · v[off…] for one PSD block (symmetric in the svec inner product). */
export function applyPsdDerivative(D: PsdDerivative, v: Float64Array, off: number, out: Float64Array, outOff: number): void {
  const { k, vectors, weights, trivial } = D;
  const size = (k * (k + 1)) / 2;
  if (trivial === 'identity') {
    for (let i = 0; i < size; i++) out[outOff + i] = v[off + i]!;
    return;
  }
  if (trivial === 'zero') {
    out.fill(0, outOff, outOff + size);
    return;
  }
  const dx = new Float64Array(k * k);
  const t = new Float64Array(k * k);
  smatInto(v, off, k, dx);
  // T = Vᵀ·dX·V, then B ∘ T, then V·T·Vᵀ.
  gemm(true, false, k, k, k, 1, vectors, 0, k, dx, 0, k, 0, t, 0, k);
  gemm(false, false, k, k, k, 1, t, 0, k, vectors, 0, k, 0, dx, 0, k);
  for (let i = 0; i < k * k; i++) dx[i]! *= weights[i]!;
  gemm(false, false, k, k, k, 1, vectors, 0, k, dx, 0, k, 0, t, 0, k);
  gemm(false, true, k, k, k, 1, t, 0, k, vectors, 0, k, 0, dx, 0, k);
  svecInto(dx, k, out, outOff);
}
