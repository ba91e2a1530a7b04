import {
  InvalidInputError,
  Rng,
  ShapeError,
  type Tensor,
  add,
  expandDims,
  matmul,
  mul,
  randn,
  sub,
  sum,
  tensor,
  zeros,
} from '@argmin/autodiff';
import { checkVjp } from '@argmin/autodiff/testing';
import { describe, expect, test } from 'vitest';
import { cem } from '../../src/cem/cem.js';

/** f(x) = Σ_j (x_j − θ_j)² per sample, x [B, N, nx], θ [B, nx]. */
const quadratic = (theta: Tensor) => (x: Tensor) => {
  const d = sub(x, expandDims(theta, 1));
  return sum(mul(d, d), -1);
};

describe('cem: the cross-entropy method, plain and differentiable', () => {
  test('plain CEM (hard elites) converges to the minimizer, per batch element', () => {
    const theta = tensor([
      [1, -2, 0.5],
      [-0.3, 0.7, 2],
    ]);
    const out = cem(quadratic(theta), { mu0: zeros([2, 3]), sigma0: 2, nSamples: 100, nElite: 10, iters: 40 }, { rng: Rng.seeded(1) });
    out.mu.data.forEach((v, i) => expect(Math.abs(v - theta.data[i]!)).toBeLessThan(1e-3));
    expect(Math.max(...out.sigma.data)).toBeLessThan(1e-3);
    const last = out.info.eliteObjective[out.info.eliteObjective.length - 1]!;
    expect(Math.max(...last)).toBeLessThan(1e-5);
  });

  test('DCEM (soft elites) converges too, and an unbatched μ0 gives unbatched results', () => {
    const theta = tensor([[0.4, -1]]);
    const f = (x: Tensor) => quadratic(theta)(x);
    const out = cem(f, { mu0: zeros([2]), sigma0: 1, nSamples: 60, nElite: 6, iters: 40, temperature: 5 }, { rng: Rng.seeded(2) });
    expect(out.mu.shape).toEqual([2]);
    out.mu.data.forEach((v, i) => expect(Math.abs(v - theta.data[i]!)).toBeLessThan(2e-2));
  });

  test('DCEM is differentiable by unrolling: VJP of μ in θ, μ0 and σ0 matches central differences (draws fixed)', () => {
    const noise = randn([4, 2, 12, 2], Rng.seeded(3));
    const run = (theta: Tensor, mu0: Tensor, sigma0: Tensor) =>
      cem(quadratic(theta), { mu0, sigma0, nSamples: 12, nElite: 3, iters: 4, temperature: 2 }, { noise }).mu;
    checkVjp(
      run,
      [
        tensor([
          [0.5, -0.5],
          [1, 0.2],
        ]),
        tensor([
          [0.1, 0],
          [0, -0.1],
        ]),
        tensor([
          [1, 0.8],
          [0.9, 1.1],
        ]),
      ],
      { rtol: 1e-6, atol: 1e-9 },
    );
  });

  test('in a latent space: a decoder x = A z + b is searched through, and its parameters get gradients', () => {
    const theta = tensor([[1, 2, 3]]);
    const noise = randn([6, 1, 16, 2], Rng.seeded(4));
    const run = (A: Tensor, b: Tensor) =>
      cem(
        quadratic(theta),
        { mu0: zeros([1, 2]), sigma0: 1, nSamples: 16, nElite: 4, iters: 6, temperature: 1 },
        {
          noise,
          decoder: (z) => add(matmul(z, A), b),
        },
      ).x;
    const A = tensor([
      [1, 0.5, 0],
      [0, 1, 0.2],
    ]);
    const b = tensor([0.1, 0.2, 0.3]);
    expect(run(A, b).shape).toEqual([1, 3]);
    checkVjp(run, [A, b], { rtol: 1e-6, atol: 1e-9 });
    const solved = cem(
      quadratic(theta),
      { mu0: zeros([1, 2]), sigma0: 1, nSamples: 200, nElite: 20, iters: 30 },
      {
        rng: Rng.seeded(5),
        decoder: (z) => add(matmul(z, A), b),
      },
    );
    // The best point of the decoder's plane is the least-squares fit of θ − b by zA:
    // z* solves (AAᵀ) z = A(θ − b), a 2×2 system.
    const y = sub(theta, b).data;
    const [a, c, d] = [1 * 1 + 0.5 * 0.5, 0.5 * 1, 1 + 0.2 * 0.2];
    const [r1, r2] = [y[0]! + 0.5 * y[1]!, y[1]! + 0.2 * y[2]!];
    const z = tensor([[(r1 * d - c * r2) / (a * d - c * c), (a * r2 - c * r1) / (a * d - c * c)]]);
    const best = add(matmul(z, A), b);
    best.data.forEach((v, i) => expect(Math.abs(v - solved.x.data[i]!)).toBeLessThan(1e-3));
  });

  test('bad configurations give typed errors', () => {
    const f = quadratic(zeros([1, 2]));
    expect(() => cem(f, { mu0: zeros([1, 2]), sigma0: 1, nSamples: 5, nElite: 5, iters: 1 }, { rng: Rng.seeded(0) })).toThrow(
      InvalidInputError,
    );
    expect(() => cem(f, { mu0: zeros([1, 2]), sigma0: 1, nSamples: 5, nElite: 2, iters: 1 })).toThrow(/Rng\.seeded/);
    expect(() => cem(f, { mu0: zeros([1, 2]), sigma0: 1, nSamples: 5, nElite: 2, iters: 2 }, { noise: zeros([1, 1, 5, 2]) })).toThrow(
      ShapeError,
    );
    expect(() => cem(f, { mu0: zeros([1, 2]), sigma0: -1, nSamples: 5, nElite: 2, iters: 1 }, { rng: Rng.seeded(0) })).toThrow(/sigma0/);
  });
});
