import fc from 'fast-check';
import { Rng, Tensor } from '@argmin/autodiff';
import type { QpParams } from '../../src/qp/node.js';

export interface QpShape {
  readonly n: number;
  readonly m: number;
  readonly k: number;
  /** Strict-complementarity margin: active λᵢ and inactive slacks are at least this. */
  readonly margin?: number;
}

/**
 * A random QP with a known, strictly complementary solution, built backwards from it (seeded,
 * so fast-check's edge values never make G or A rank-deficient): Q = LLᵀ/n + 0.5I, Gaussian G
 * and A, a solution z*, a random active set with multipliers λ* ≥ margin on it and slacks
 * s* ≥ margin off it, and ν*; then h = Gz* + s*, b = Az*, p = −(Qz* + Gᵀλ* + Aᵀν*).
 */
export function generateQp(
  { n, m, k, margin = 0.2 }: QpShape,
  seed: number,
): { params: QpParams; z: Float64Array; lam: Float64Array; nu: Float64Array } {
  const rng = Rng.seeded(seed);
  const randn = (len: number) => Float64Array.from({ length: len }, () => rng.normal());
  const L = randn(n * n);
  const Q = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let r = 0; r < n; r++) s += L[i * n + r]! * L[j * n + r]!;
      Q[i * n + j] = s / n + (i === j ? 0.5 : 0);
    }
  }
  const G = randn(m * n);
  const A = randn(k * n);
  const z = randn(n);
  const nu = randn(k);
  const lam = new Float64Array(m);
  const slack = new Float64Array(m);
  // At most n − k − 1 active constraints, so the active rows and A stay independent.
  const maxActive = Math.max(0, n - k - 1);
  let active = 0;
  for (let i = 0; i < m; i++) {
    const value = margin + rng.uniform() * 1.5;
    if (active < maxActive && rng.uniform() < 0.5) {
      lam[i] = value;
      active++;
    } else slack[i] = value;
  }
  const h = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    let s = slack[i]!;
    for (let j = 0; j < n; j++) s += G[i * n + j]! * z[j]!;
    h[i] = s;
  }
  const b = new Float64Array(k);
  for (let r = 0; r < k; r++) for (let j = 0; j < n; j++) b[r]! += A[r * n + j]! * z[j]!;
  const p = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < n; j++) s += Q[i * n + j]! * z[j]!;
    for (let r = 0; r < m; r++) s += G[r * n + i]! * lam[r]!;
    for (let r = 0; r < k; r++) s += A[r * n + i]! * nu[r]!;
    p[i] = -s;
  }
  const params: Record<string, Tensor> = { Q: new Tensor(Q, [n, n]), p: new Tensor(p, [n]) };
  if (m > 0) Object.assign(params, { G: new Tensor(G, [m, n]), h: new Tensor(h, [m]) });
  if (k > 0) Object.assign(params, { A: new Tensor(A, [k, n]), b: new Tensor(b, [k]) });
  return { params: params as QpParams, z, lam, nu };
}

/** Random strictly complementary QPs of a fixed shape, as fast-check parameters. */
export function arbQp(shape: QpShape): fc.Arbitrary<QpParams> {
  return fc.integer({ min: 0, max: 2 ** 30 }).map((seed) => generateQp(shape, seed).params);
}

/** Symmetric tangents for Q (the problem depends on Q's symmetric part only). */
export function symmetricTangent(t: Tensor, param: string): Tensor {
  if (param !== 'Q') return t;
  const n = t.shape[t.ndim - 1]!;
  const out = new Float64Array(t.size);
  for (let o = 0; o < t.size; o += n * n) {
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) out[o + i * n + j] = 0.5 * (t.data[o + i * n + j]! + t.data[o + j * n + i]!);
  }
  return new Tensor(out, t.shape);
}
