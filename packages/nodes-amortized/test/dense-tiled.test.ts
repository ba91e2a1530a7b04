import { test as fcTest } from '@fast-check/vitest';
import fc from 'fast-check';
import { Rng } from '@argmin/autodiff';
import { numRuns } from '@argmin/autodiff/testing';
import { describe, expect, test } from 'vitest';
import { type Activation, type DensePlan, DenseScratch, gemmForward } from '../src/dense-infer.js';
import { tiledForward } from '../src/dense-tiled.js';

const ACTIVATIONS: readonly Activation[] = ['relu', 'tanh', 'sigmoid', 'softplus', 'softsign', 'identity'];

const SIGMA: Record<Activation, (v: number) => number> = {
  identity: (v) => v,
  relu: (v) => Math.max(v, 0),
  softsign: (v) => v / (1 + Math.abs(v)),
  tanh: Math.tanh,
  sigmoid: (v) => 1 / (1 + Math.exp(-v)),
  softplus: (v) => Math.max(v, 0) + Math.log1p(Math.exp(-Math.abs(v))),
};

/** The network as plain triple loops, row by row: an independent reference. */
function reference(plan: DensePlan, x: Float64Array, rows: number): Float64Array {
  const { layers, skip, bounds } = plan;
  const dx = layers[0]!.k;
  const mOut = layers[layers.length - 1]!.m;
  const out = new Float64Array(rows * mOut);
  for (let r = 0; r < rows; r++) {
    const xr = x.subarray(r * dx, (r + 1) * dx);
    let h: Float64Array = xr;
    layers.forEach(({ W, b, k, m, activation }, i) => {
      const next = new Float64Array(m);
      for (let j = 0; j < m; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) s += h[p]! * W[p * m + j]!;
        if (i === layers.length - 1 && skip) for (let p = 0; p < dx; p++) s += xr[p]! * skip[p * m + j]!;
        next[j] = SIGMA[activation](s + b[j]!);
      }
      h = next;
    });
    for (let j = 0; j < mOut; j++) out[r * mOut + j] = bounds ? Math.min(Math.max(h[j]!, bounds[0]), bounds[1]) : h[j]!;
  }
  return out;
}

function randomPlan(sizes: readonly number[], activation: Activation, skip: boolean, bounds: [number, number] | null, rng: Rng): DensePlan {
  const L = sizes.length - 1;
  const normal = (n: number, s: number) => Float64Array.from({ length: n }, () => s * rng.normal());
  return {
    layers: Array.from({ length: L }, (_, i) => ({
      W: normal(sizes[i]! * sizes[i + 1]!, 1 / Math.sqrt(sizes[i]!)),
      b: normal(sizes[i + 1]!, 0.5),
      k: sizes[i]!,
      m: sizes[i + 1]!,
      activation: i === L - 1 ? (skip ? 'identity' : activation) : activation,
    })),
    skip: skip ? normal(sizes[0]! * sizes[L]!, 0.5) : null,
    bounds,
  };
}

const maxDiff = (a: Float64Array, b: Float64Array): number => {
  expect(a.length).toBe(b.length);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i]! - b[i]!));
  return d;
};

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
