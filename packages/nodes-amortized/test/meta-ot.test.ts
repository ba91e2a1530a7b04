import { InvalidInputError, Rng, ShapeError, Tensor } from '@argmin/autodiff';
import { describe, expect, test } from 'vitest';
import { evaluateMetaOt, marginalErrorCurve } from '../src/meta-ot-eval.js';
import { metaOt, trainMetaOt } from '../src/meta-ot.js';
import { gridGeometry, measurePairs, randomImage } from '../src/ot-data.js';
import { expectError } from './helpers/assert.js';

describe('ot-data: grids and images made in code', () => {
  test('the cost is squared distance over its max: symmetric, zero diagonal, max 1', () => {
    const g = gridGeometry(5);
    expect(g.cost.shape).toEqual([25, 25]);
    expect(Math.max(...g.cost.data)).toBeCloseTo(1, 14);
    for (let i = 0; i < 25; i++) {
      expect(g.cost.data[i * 25 + i]).toBe(0);
      for (let j = 0; j < 25; j++) expect(g.cost.data[i * 25 + j]).toBe(g.cost.data[j * 25 + i]);
    }
  });

  test('images are positive probability vectors; seeds reproduce; train and test seeds differ', () => {
    for (const kind of ['blobs', 'strokes', 'mixture'] as const) {
      const img = randomImage(8, kind, Rng.seeded(1));
      expect(img.every((v) => v > 0)).toBe(true);
      expect(img.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 12);
    }
    const p = measurePairs(6, 5, 3);
    expect(measurePairs(6, 5, 3).a.data).toEqual(p.a.data);
    const q = measurePairs(6, 5, 4);
    for (let k = 0; k < 5; k++) for (let l = 0; l < 5; l++) expect(q.a.data[k * 36]).not.toBe(p.a.data[l * 36]);
    expectError(() => measurePairs(6, 0, 1), InvalidInputError, "'count'");
    expectError(() => gridGeometry(1), InvalidInputError, "'side'");
  });
});

describe('Meta OT: trained by the semi-dual, used as a Sinkhorn warm start', () => {
  const side = 6;
  const eps = 0.05;
  const geo = gridGeometry(side);
  // Fresh pairs are cheap, and few pairs overfit: 2000 for a 6×6 grid.
  const train = measurePairs(side, 2000, 1);
  const test_ = measurePairs(side, 12, 2);
  const meta = metaOt({ cost: geo.cost, epsilon: eps, hidden: [128] });
  const untrained = meta.init(Rng.seeded(0));
  const trained = trainMetaOt(meta, untrained, train, { steps: 400, batchSize: 32, lr: 3e-3 }).params;

  test('on held-out pairs the prediction cuts the dual gap, the raw error and the iterations; plans match', () => {
    const before = evaluateMetaOt(meta, untrained, test_, { repeats: 1 });
    const after = evaluateMetaOt(meta, trained, test_, { repeats: 1 });
    // Thresholds an untrained (or sign-flipped, or unused) model fails.
    expect(after.meanDualGap).toBeLessThan(0.2 * before.meanDualGap);
    expect(after.meanRawMarginalError).toBeLessThan(0.5 * before.meanRawMarginalError);
    expect(after.meanWarmIterations).toBeLessThan(0.85 * after.meanColdIterations);
    expect(before.meanWarmIterations).toBeGreaterThan(0.85 * before.meanColdIterations);
    expect(after.pairs.every((p) => p.dualGap >= -1e-12)).toBe(true);
    expect(after.maxPlanDiff).toBeLessThanOrEqual(1e-9);
    expect(after.allConverged).toBe(true);
  });

  test('the iterations curve starts lower from the prediction and both reach tol', () => {
    const a = new Tensor(test_.a.data.slice(0, 36), [1, 36]);
    const b = new Tensor(test_.b.data.slice(0, 36), [1, 36]);
    const f = meta.predict(trained, a, b);
    const ks = [0, 2, 4, 8];
    const cold = marginalErrorCurve({ a, b, C: geo.cost }, eps, ks);
    const warm = marginalErrorCurve({ a, b, C: geo.cost }, eps, ks, f);
    expect(warm[0]!).toBeLessThan(cold[0]!);
    expect(warm[2]!).toBeLessThan(cold[2]!);
    for (let k = 1; k < ks.length; k++) expect(cold[k]!).toBeLessThanOrEqual(cold[k - 1]!);
  });

  test('predict (row sweeps, unrecorded) computes what potential (ops) computes', () => {
    for (const theta of [untrained, trained]) {
      const f = meta.predict(theta, test_.a, test_.b);
      const ref = meta.potential(theta, test_.a, meta.features(test_.a, test_.b));
      expect(f.shape).toEqual([12, 36]);
      expect(f.data.reduce((mx, v, i) => Math.max(mx, Math.abs(v - ref.data[i]!)), 0)).toBeLessThan(1e-12);
    }
  });

  test('bad marginals name what is wrong', () => {
    const b0 = new Tensor(test_.b.data.slice(0, 36), [1, 36]);
    expectError(() => meta.features(new Tensor(new Float64Array(36), [1, 36]), b0), InvalidInputError, "marginal 'a'");
    expectError(() => meta.features(test_.a, new Tensor(new Float64Array(35), [1, 35])), ShapeError, 'expected marginals');
    expectError(() => metaOt({ cost: geo.cost, epsilon: -1 }), InvalidInputError, "'epsilon'");
  });
});
