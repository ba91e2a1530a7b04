import { test as fcTest } from '@fast-check/vitest';
import fc from 'fast-check';
import { Rng } from '@argmin/autodiff';
import { numRuns } from '@argmin/autodiff/testing';
import { describe, expect, test } from 'vitest';
import { type Activation, DenseScratch, denseForward, gemmForward } from '../src/dense-infer.js';
import { simdForward } from '../src/dense-simd.js';
import { tiledForward } from '../src/dense-tiled.js';
import { maxDiff, randomPlan, reference } from './helpers/dense-plans.js';

const SIMD_ACTIVATIONS: readonly Activation[] = ['relu', 'softsign', 'identity'];

describe('simdForward: the deployed MLP in WebAssembly SIMD', () => {
  test('Node 20 has WebAssembly SIMD: the path is taken', () => {
    const plan = randomPlan([10, 12, 50], 'softsign', true, [-1, 1], Rng.seeded(1));
    expect(simdForward(plan, new Float64Array(20), 2)).not.toBeNull();
  });

  fcTest.prop(
    [
      fc.record({
        // Widths around the 4-column tiles (1–3 columns left over) and batches that leave a 4-row panel part-filled.
        sizes: fc.array(fc.integer({ min: 1, max: 30 }), { minLength: 3, maxLength: 5 }),
        activation: fc.constantFrom(...SIMD_ACTIVATIONS),
        skip: fc.boolean(),
        bounds: fc.constantFrom<[number, number] | null>(null, [-1, 1], [-0.3, 2]),
        rows: fc.integer({ min: 1, max: 50 }),
        seed: fc.integer({ min: 0, max: 1e6 }),
      }),
    ],
    { numRuns: numRuns(60) },
  )(
    'gives the gemm and tiled paths’ results bit for bit, and the triple loops’ to 1e-12',
    ({ sizes, activation, skip, bounds, rows, seed }) => {
      const rng = Rng.seeded(seed);
      const plan = randomPlan(sizes, activation, skip, bounds, rng);
      const x = Float64Array.from({ length: rows * sizes[0]! }, () => 2 * rng.normal());
      const simd = simdForward(plan, x, rows);
      expect(simd).not.toBeNull();
      expect(maxDiff(simd!, gemmForward(plan, x, rows, new DenseScratch()))).toBe(0);
      expect(maxDiff(simd!, tiledForward(plan, x, rows)!)).toBe(0);
      expect(maxDiff(simd!, reference(plan, x, rows))).toBeLessThan(1e-12);
    },
  );

  test('batches past one block, wide hidden layers, NaN and ±∞ inputs pass through as on the gemm path', () => {
    const rng = Rng.seeded(3);
    for (const [sizes, rows] of [
      [[10, 12, 50], 200],
      [[10, 12, 50], 1401],
      [[5, 64, 64, 7], 700],
      [[3, 200, 9], 40],
    ] as const) {
      const plan = randomPlan(sizes, 'softsign', true, [-1, 1], rng);
      const x = Float64Array.from({ length: rows * sizes[0] }, () => rng.normal());
      const simd = simdForward(plan, x, rows)!;
      expect(maxDiff(simd, tiledForward(plan, x, rows)!)).toBe(0);
      // gemm sums in blocks of 128 along k (depth 203 here: another association), so 1e-12 there.
      const tol = sizes[1] > 128 ? 1e-12 : 0;
      expect(maxDiff(simd, gemmForward(plan, x, rows, new DenseScratch()))).toBeLessThanOrEqual(tol);
    }
    const plan = randomPlan([2, 3, 2], 'relu', false, [-1, 1], rng);
    const x = Float64Array.of(Number.NaN, 0, Number.POSITIVE_INFINITY, 1, 0.5, -0.5);
    const [simd, gemm] = [simdForward(plan, x, 3)!, gemmForward(plan, x, 3, new DenseScratch())];
    expect(Array.from(simd, (v) => Number.isNaN(v))).toEqual(Array.from(gemm, (v) => Number.isNaN(v)));
    expect(Array.from(simd).filter((v) => !Number.isNaN(v))).toEqual(Array.from(gemm).filter((v) => !Number.isNaN(v)));
  });

  test('declines what it cannot run (tanh, sigmoid, softplus; one layer; weights past its memory); denseForward then takes another path', () => {
    const rng = Rng.seeded(4);
    for (const activation of ['tanh', 'sigmoid', 'softplus'] as const) {
      const plan = randomPlan([4, 6, 3], activation, false, null, rng);
      const x = Float64Array.from({ length: 8 }, () => rng.normal());
      expect(simdForward(plan, x, 2)).toBeNull();
      expect(maxDiff(denseForward(plan, x, 2, new DenseScratch()), reference(plan, x, 2))).toBeLessThan(1e-12);
    }
    expect(simdForward(randomPlan([4, 3], 'identity', true, null, rng), new Float64Array(8), 2)).toBeNull();
    expect(simdForward(randomPlan([2, 300, 300, 3], 'relu', false, null, rng), new Float64Array(4), 2)).toBeNull();
  });

  test('θ changed between calls (in place or new arrays) is used at once: nothing is cached', () => {
    const rng = Rng.seeded(5);
    const plan = randomPlan([3, 4, 2], 'softsign', true, null, rng);
    const x = Float64Array.from({ length: 9 }, () => rng.normal());
    const before = simdForward(plan, x, 3)!;
    plan.layers[0]!.W[0]! += 1;
    const after = simdForward(plan, x, 3)!;
    expect(maxDiff(before, after)).toBeGreaterThan(0);
    expect(maxDiff(after, gemmForward(plan, x, 3, new DenseScratch()))).toBe(0);
  });
});
