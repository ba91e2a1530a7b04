import { Rng } from '@argmin/autodiff';
import { describe, expect, test } from 'vitest';
import { amortizedStart, solveConjugate, trainW2Dual, transportMap } from '../src/conjugate-w2.js';
import { icnn } from '../src/icnn.js';
import { gaussianPair, l2Uvp, sampleGaussian } from '../src/w2-gaussian.js';

const square = (M: Float64Array, d: number) => {
  const out = new Float64Array(d * d);
  for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) for (let k = 0; k < d; k++) out[i * d + j]! += M[i * d + k]! * M[k * d + j]!;
  return out;
};

describe('Gaussian oracle', () => {
  test.each([2, 8, 32])('d = %d: A is symmetric and pushes Σ₀ to Σ₁ (A Σ₀ A = Σ₁)', (d) => {
    const p = gaussianPair(d, d);
    const S0 = square(p.sqrt0, d);
    const S1 = square(p.sqrt1, d);
    const AS0 = new Float64Array(d * d);
    for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) for (let k = 0; k < d; k++) AS0[i * d + j]! += p.A[i * d + k]! * S0[k * d + j]!;
    let err = 0;
    for (let i = 0; i < d; i++)
      for (let j = 0; j < d; j++) {
        let v = 0;
        for (let k = 0; k < d; k++) v += AS0[i * d + k]! * p.A[k * d + j]!;
        err = Math.max(err, Math.abs(v - S1[i * d + j]!), Math.abs(p.A[i * d + j]! - p.A[j * d + i]!));
      }
    expect(err).toBeLessThan(1e-9);
    // The exact map has UVP 0; the identity does not.
    const x = sampleGaussian(p.mean0, p.sqrt0, 500, Rng.seeded(1));
    expect(l2Uvp(p, x, x)).toBeGreaterThan(10);
  });
});

describe('W2 by the dual with an amortized conjugate (d = 2)', () => {
  const pair = gaussianPair(2, 2);
  const potential = icnn({ input: 2, hidden: [16, 16] });
  const sampleSource = (n: number, rng: Rng) => sampleGaussian(pair.mean0, pair.sqrt0, n, rng);
  const sampleTarget = (n: number, rng: Rng) => sampleGaussian(pair.mean1, pair.sqrt1, n, rng);
  const result = trainW2Dual({
    potential,
    sampleSource,
    sampleTarget,
    steps: 150,
    batchSize: 128,
    polishSteps: 400,
    polishSamples: 4096,
    lr: 1e-2,
  });
  const x = sampleSource(2000, Rng.seeded(7));
  const y = sampleTarget(500, Rng.seeded(8));

  test('the learned map ∇f is close to the closed form; the untrained one is not', () => {
    const trained = l2Uvp(pair, x, transportMap(potential, result.theta, x));
    const untrained = l2Uvp(pair, x, transportMap(potential, potential.init(Rng.seeded(0)), x));
    expect(trained).toBeLessThan(3);
    expect(untrained).toBeGreaterThan(20);
    expect(result.unconvergedFraction).toBeLessThanOrEqual(0.01);
    // The dual objective decreased over training.
    const first = result.history.slice(0, 10).reduce((s, h) => s + h.dual, 0) / 10;
    const last = result.history.slice(-10).reduce((s, h) => s + h.dual, 0) / 10;
    expect(last).toBeLessThan(first);
  });

  test('the amortized start needs fewer inner iterations than x = y, for the same conjugates', () => {
    const cold = solveConjugate(potential, result.theta, y);
    const warm = solveConjugate(potential, result.theta, y, amortizedStart(result, y, 2));
    const mean = (v: Int32Array) => v.reduce((s, k) => s + k, 0) / v.length;
    expect(cold.converged.every((c) => c === 1) && warm.converged.every((c) => c === 1)).toBe(true);
    expect(mean(warm.iterations)).toBeLessThan(0.8 * mean(cold.iterations));
    let diff = 0;
    cold.value.forEach((v, i) => (diff = Math.max(diff, Math.abs(v - warm.value[i]!))));
    expect(diff).toBeLessThan(1e-9);
  });

  test('with H₀ = ∇²f(x̂)⁻¹ the amortized start saves most of the iterations, for the same conjugates', () => {
    const cold = solveConjugate(potential, result.theta, y);
    const warm = solveConjugate(potential, result.theta, y, amortizedStart(result, y, 2), { newtonStart: true });
    const curvatureOnly = solveConjugate(potential, result.theta, y, y, { newtonStart: true });
    const mean = (v: Int32Array) => v.reduce((s, k) => s + k, 0) / v.length;
    expect(warm.converged.every((c) => c === 1)).toBe(true);
    // Position and curvature together beat the curvature alone, which beats neither.
    expect(mean(warm.iterations)).toBeLessThan(0.4 * mean(cold.iterations));
    expect(mean(warm.iterations)).toBeLessThan(0.8 * mean(curvatureOnly.iterations));
    let diff = 0;
    cold.value.forEach((v, i) => (diff = Math.max(diff, Math.abs(v - warm.value[i]!))));
    expect(diff).toBeLessThan(1e-9);
  });
});
