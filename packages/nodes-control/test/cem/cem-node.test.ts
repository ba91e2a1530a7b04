import { InvalidInputError, type Tensor, createRuntime, expandDims, grad, mul, sub, sum, tensor, zeros } from '@argmin/autodiff';
import { arbTensor, checkVjp, describeOptimizationNode } from '@argmin/autodiff/testing';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { type CemNodeOptions, cemNode, cemSolve } from '../../src/cem/node.js';
import { controlPlugin } from '../../src/plugin.js';

/** f(x; θ) = Σ_j (x_j − θ_j)² per sample: x [B, N, nz], θ [B, nz]. */
const quadratic = (x: Tensor, theta: Tensor | undefined) => {
  const d = sub(x, expandDims(theta!, 1));
  return sum(mul(d, d), -1);
};

const options: CemNodeOptions & { maxIter: number } = {
  objective: quadratic,
  nSamples: 12,
  nElite: 3,
  iters: 4,
  temperature: 2,
  seed: 7,
  maxIter: 4,
};

const arbParams = fc.record({
  mu0: arbTensor([2], { min: -1, max: 1 }),
  sigma0: arbTensor([2], { min: 0.5, max: 1.5 }),
  theta: arbTensor([2], { min: -1, max: 1 }),
});

describeOptimizationNode(cemNode, {
  params: arbParams,
  options,
  strategies: ['unroll', 'solve'],
  residualTol: Number.POSITIVE_INFINITY,
  gradientTol: 1e-5,
  sharedParam: 'theta',
});

describe('control.cem as a node', () => {
  test('DCEM through the node converges to the minimizer and its gradient in θ is near the identity', () => {
    const theta = tensor([0.4, -0.8]);
    const opts = { ...options, nSamples: 64, nElite: 8, iters: 30, maxIter: 30, temperature: 5 };
    const out = cemSolve({ mu0: zeros([2]), sigma0: tensor([1, 1]), theta }, opts);
    out.mu.data.forEach((v, i) => expect(Math.abs(v - theta.data[i]!)).toBeLessThan(2e-2));
    // μ* ≈ θ, so ∂(Σ μ*)/∂θ ≈ (1, 1); an unroll that leaked no gradient would give 0.
    const g = grad((t: Tensor) => sum(cemSolve({ mu0: zeros([2]), sigma0: tensor([1, 1]), theta: t }, opts).mu))(theta);
    for (const v of (g as Tensor).data) expect(Math.abs(v - 1)).toBeLessThan(0.1);
  });

  test('the unrolled VJP matches central differences through a latent decoder', () => {
    const decoder = (z: Tensor) => mul(z, 2);
    checkVjp(
      (theta: Tensor) => cemSolve({ mu0: zeros([2]), sigma0: tensor([1, 1]), theta }, { ...options, decoder }).mu,
      [tensor([0.3, -0.2])],
      { rtol: 1e-5 },
    );
  });

  test("'implicit' is refused with a typed error naming the strategy; plain CEM defaults to 'solve'", () => {
    const p = { mu0: zeros([2]), sigma0: tensor([1, 1]), theta: tensor([1, 1]) };
    expect(() => cemSolve(p, { ...options, strategy: 'implicit' })).toThrow(InvalidInputError);
    expect(() => cemSolve(p, { ...options, strategy: 'implicit' })).toThrow(/strategy 'implicit'/);
    const { temperature, ...hard } = options;
    const g = grad((t: Tensor) => sum(cemSolve({ ...p, theta: t }, hard).mu))(p.theta);
    expect(Array.from(g.data)).toEqual([0, 0]);
  });

  test('a bad objective or noise is a typed error', () => {
    const p = { mu0: zeros([2]), sigma0: tensor([1, 1]) };
    expect(() => cemSolve(p, { ...options, objective: 3 as never })).toThrow(InvalidInputError);
    expect(() => cemSolve(p, { ...options, noise: zeros([2, 2, 2]) })).toThrow(/noise/);
  });

  test('controlPlugin lists control.cem, so a runtime resolves it', () => {
    expect((controlPlugin.nodes ?? []).map((n) => n.name)).toContain('control.cem');
    expect(() => createRuntime({ plugins: [controlPlugin] })).not.toThrow();
  });
});
