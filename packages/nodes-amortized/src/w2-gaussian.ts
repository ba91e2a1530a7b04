import { InvalidInputError, Rng } from '@argmin/autodiff';

/**
 * The W2 oracle: Gaussian α = N(μ₀, Σ₀) to Gaussian β = N(μ₁, Σ₁) in ℝᵈ, whose optimal map is
 * affine, T*(x) = μ₁ + A(x − μ₀) with A = Σ₀^{-1/2}(Σ₀^{1/2} Σ₁ Σ₀^{1/2})^{1/2} Σ₀^{-1/2}
 * (symmetric positive definite: the gradient of a convex quadratic). L2-UVP, as in Korotin et
 * al.'s W2 benchmark, is 100 · E_α‖T̂(x) − T*(x)‖² / tr(Σ₁) percent.
 */
export interface GaussianPair {
  readonly d: number;
  readonly mean0: Float64Array;
  readonly mean1: Float64Array;
  /** Σ^{1/2} of each, row-major [d, d], for sampling x = μ + Σ^{1/2} z. */
  readonly sqrt0: Float64Array;
  readonly sqrt1: Float64Array;
  /** The optimal map's matrix A [d, d] and tr(Σ₁). */
  readonly A: Float64Array;
  readonly varianceTarget: number;
}

/** Eigenvalues and eigenvectors (columns of V) of a symmetric matrix, by cyclic Jacobi sweeps. */
export function symmetricEigen(M: Float64Array, d: number): { values: Float64Array; vectors: Float64Array } {
  const a = Float64Array.from(M);
  const V = new Float64Array(d * d);
  for (let i = 0; i < d; i++) V[i * d + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < d; p++) for (let q = p + 1; q < d; q++) off += a[p * d + q]! ** 2;
    if (off < 1e-30) break;
    for (let p = 0; p < d; p++)
      for (let q = p + 1; q < d; q++) {
        const apq = a[p * d + q]!;
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (a[q * d + q]! - a[p * d + p]!) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < d; k++) {
          const akp = a[k * d + p]!;
          const akq = a[k * d + q]!;
          a[k * d + p] = c * akp - s * akq;
          a[k * d + q] = s * akp + c * akq;
        }
        for (let k = 0; k < d; k++) {
          const apk = a[p * d + k]!;
          const aqk = a[q * d + k]!;
          a[p * d + k] = c * apk - s * aqk;
          a[q * d + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < d; k++) {
          const vkp = V[k * d + p]!;
          const vkq = V[k * d + q]!;
          V[k * d + p] = c * vkp - s * vkq;
          V[k * d + q] = s * vkp + c * vkq;
        }
      }
  }
  const values = new Float64Array(d);
  for (let i = 0; i < d; i++) values[i] = a[i * d + i]!;
  return { values, vectors: V };
}

/** V diag(φ(λ)) Vᵀ for a symmetric M = V diag(λ) Vᵀ. */
export function matrixFunction(M: Float64Array, d: number, phi: (v: number) => number): Float64Array {
  const { values, vectors: V } = symmetricEigen(M, d);
  const out = new Float64Array(d * d);
  for (let k = 0; k < d; k++) {
    const w = phi(values[k]!);
    for (let i = 0; i < d; i++) {
      const vi = V[i * d + k]! * w;
      for (let j = 0; j < d; j++) out[i * d + j]! += vi * V[j * d + k]!;
    }
  }
  return out;
}

function matmulSq(X: Float64Array, Y: Float64Array, d: number): Float64Array {
  const out = new Float64Array(d * d);
  for (let i = 0; i < d; i++)
    for (let k = 0; k < d; k++) {
      const x = X[i * d + k]!;
      for (let j = 0; j < d; j++) out[i * d + j]! += x * Y[k * d + j]!;
    }
  return out;
}

/** A random covariance with eigenvalues in [low, high] along a random rotation. */
function randomCovariance(d: number, rng: Rng, low: number, high: number): Float64Array {
  const G = new Float64Array(d * d);
  for (let i = 0; i < G.length; i++) G[i] = rng.normal();
  // Symmetric Gaussian matrix → its eigenvectors are a uniformly random rotation.
  const sym = new Float64Array(d * d);
  for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) sym[i * d + j] = G[i * d + j]! + G[j * d + i]!;
  const { vectors: V } = symmetricEigen(sym, d);
  const out = new Float64Array(d * d);
  for (let k = 0; k < d; k++) {
    const lam = low * (high / low) ** rng.uniform();
    for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) out[i * d + j]! += V[i * d + k]! * lam * V[j * d + k]!;
  }
  return out;
}

/** A random Gaussian pair (seeded): covariance eigenvalues in [0.25, 4], means in [−1, 1]ᵈ. */
export function gaussianPair(d: number, seed: number): GaussianPair {
  if (!(Number.isInteger(d) && d >= 1)) throw new InvalidInputError(`gaussianPair: 'd' must be a positive integer, got ${d}`);
  const rng = Rng.seeded(seed);
  const S0 = randomCovariance(d, rng, 0.25, 4);
  const S1 = randomCovariance(d, rng, 0.25, 4);
  const mean0 = Float64Array.from({ length: d }, () => 2 * rng.uniform() - 1);
  const mean1 = Float64Array.from({ length: d }, () => 2 * rng.uniform() - 1);
  const sqrt0 = matrixFunction(S0, d, Math.sqrt);
  const inv0 = matrixFunction(S0, d, (v) => 1 / Math.sqrt(v));
  const middle = matrixFunction(matmulSq(matmulSq(sqrt0, S1, d), sqrt0, d), d, (v) => Math.sqrt(Math.max(v, 0)));
  const A = matmulSq(matmulSq(inv0, middle, d), inv0, d);
  let varianceTarget = 0;
  for (let i = 0; i < d; i++) varianceTarget += S1[i * d + i]!;
  return { d, mean0, mean1, sqrt0, sqrt1: matrixFunction(S1, d, Math.sqrt), A, varianceTarget };
}

/** n samples [n, d] of N(mean, sqrt·sqrtᵀ). */
export function sampleGaussian(mean: Float64Array, sqrt: Float64Array, n: number, rng: Rng): Float64Array {
  const d = mean.length;
  const out = new Float64Array(n * d);
  const z = new Float64Array(d);
  for (let r = 0; r < n; r++) {
    for (let i = 0; i < d; i++) z[i] = rng.normal();
    for (let i = 0; i < d; i++) {
      let v = mean[i]!;
      for (let k = 0; k < d; k++) v += sqrt[i * d + k]! * z[k]!;
      out[r * d + i] = v;
    }
  }
  return out;
}

/** T*(x) for rows x [n, d]. */
export function optimalMap(pair: GaussianPair, x: Float64Array): Float64Array {
  const { d, A, mean0, mean1 } = pair;
  const n = x.length / d;
  const out = new Float64Array(n * d);
  for (let r = 0; r < n; r++)
    for (let i = 0; i < d; i++) {
      let v = mean1[i]!;
      for (let k = 0; k < d; k++) v += A[i * d + k]! * (x[r * d + k]! - mean0[k]!);
      out[r * d + i] = v;
    }
  return out;
}

/** L2-UVP in percent of a map's values mapped [n, d] at x [n, d]. */
export function l2Uvp(pair: GaussianPair, x: Float64Array, mapped: Float64Array): number {
  const exact = optimalMap(pair, x);
  let s = 0;
  for (let k = 0; k < exact.length; k++) s += (mapped[k]! - exact[k]!) ** 2;
  return (100 * (s / (x.length / pair.d))) / pair.varianceTarget;
}
