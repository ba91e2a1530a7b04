import { test as fcTest } from '@fast-check/vitest';
import fc from 'fast-check';
import { Rng } from '@argmin/autodiff';
import { numRuns } from '@argmin/autodiff/testing';
import { describe, expect, test } from 'vitest';
import { DenseScratch, gemmForward } from '../src/dense-infer.js';
import { tiledForward } from '../src/dense-tiled.js';
import { ACTIVATIONS, maxDiff, randomPlan, reference } from './helpers/dense-plans.js';

describe('tiledForward: the deployed MLP on packed register tiles', () => {
  fcTest.prop(
    [
      fc.record({
        // Odd and even widths (the 2-column tiles' padding), batches that do not fill a 3-row panel.
        sizes: fc.array(fc.integer({ min: 1, max: 30 }), { minLength: 3, maxLength: 5 }),
        activation: fc.constantFrom(...ACTIVATIONS),
        skip: fc.boolean(),
        bounds: fc.constantFrom<[number, number] | null>(null, [-1, 1], [-0.3, 2]),
        rows: fc.integer({ min: 1, max: 50 }),
        seed: fc.integer({ min: 0, max: 1e6 }),
      }),
    ],
    { numRuns: numRuns(60) },
  )('gives the gemm path’s results bit for bit, and the triple loops’ to 1e-12', ({ sizes, activation, skip, bounds, rows, seed }) => {
    const rng = Rng.seeded(seed);
    const plan = randomPlan(sizes, activation, skip, bounds, rng);
    const x = Float64Array.from({ length: rows * sizes[0]! }, () => 2 * rng.normal());
    const tiled = tiledForward(plan, x, rows);
    expect(tiled).not.toBeNull();
    expect(maxDiff(tiled!, gemmForward(plan, x, rows, new DenseScratch()))).toBe(0);
    expect(maxDiff(tiled!, reference(plan, x, rows))).toBeLessThan(1e-12);
  });

  test('batches past one block of panels (4096 values per region) and the deployed 10→12→50 shape', () => {
    const rng = Rng.seeded(3);
    for (const [sizes, rows] of [
      [[10, 12, 50], 200],
      [[10, 12, 50], 1201],
      [[5, 64, 64, 7], 700],
    ] as const) {
      const plan = randomPlan(sizes, 'softsign', true, [-1, 1], rng);
      const x = Float64Array.from({ length: rows * sizes[0] }, () => rng.normal());
      const tiled = tiledForward(plan, x, rows)!;
      expect(maxDiff(tiled, gemmForward(plan, x, rows, new DenseScratch()))).toBe(0);
    }
  });

  test('declines what does not fit (one layer, a layer wider than a region): the caller runs gemm', () => {
    const rng = Rng.seeded(4);
    expect(tiledForward(randomPlan([4, 3], 'identity', true, null, rng), new Float64Array(8), 2)).toBeNull();
    expect(tiledForward(randomPlan([2, 5000, 3], 'relu', false, null, rng), new Float64Array(4), 2)).toBeNull();
  });

  test('θ changed between calls (in place or new arrays) is used at once: nothing is cached', () => {
    const rng = Rng.seeded(5);
    const plan = randomPlan([3, 4, 2], 'tanh', true, null, rng);
    const x = Float64Array.from({ length: 9 }, () => rng.normal());
    const before = tiledForward(plan, x, 3)!;
    plan.layers[1]!.W[0]! += 1;
    const after = tiledForward(plan, x, 3)!;
    expect(maxDiff(before, after)).toBeGreaterThan(0);
    expect(maxDiff(after, gemmForward(plan, x, 3, new DenseScratch()))).toBe(0);
  });
});
