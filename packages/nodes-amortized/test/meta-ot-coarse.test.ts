import { InvalidInputError, Rng, ShapeError, Tensor } from '@argmin/autodiff';
import { sinkhorn } from '@argmin/nodes-convex';
import { describe, expect, test } from 'vitest';
import { coarseStart } from '../src/meta-ot-coarse.js';
import { evaluateMetaOt } from '../src/meta-ot-eval.js';
import { metaOt } from '../src/meta-ot.js';
import { gridGeometry, measurePairs } from '../src/ot-data.js';
import { expectError } from './helpers/assert.js';

describe('coarseStart: the 2× coarser exact solve, extended by its c-transform', () => {
  const side = 12;
  const eps = 0.01;
  const geo = gridGeometry(side);
  const n = side * side;
  const pairs = measurePairs(side, 4, 7);
  const start = coarseStart(geo, eps);

  test('the coarse cost is the fine cost between block centres: it equals the fine cost of a 2×-sparser sampling', () => {
    // Block centres of a 12-grid are the pixel centres of a 6-grid; in the fine cost's units.
    const coarse = gridGeometry(6).cost.data;
    const ratio = (2 * (5 / 6) ** 2) / (2 * (11 / 12) ** 2);
    start.coarseCost.data.forEach((v, k) => expect(v).toBeCloseTo(coarse[k]! * ratio, 14));
  });

  test('a start far closer than zero potentials: fewer iterations to 1e-4, the same plan to 1e-9', () => {
    for (let k = 0; k < 4; k++) {
      const a = new Tensor(pairs.a.data.slice(k * n, (k + 1) * n), [1, n]);
      const b = new Tensor(pairs.b.data.slice(k * n, (k + 1) * n), [1, n]);
      const params = { a, b, C: geo.cost };
      const { f, iterations } = start.predict(a, b);
      expect(iterations).toBeGreaterThan(0);
      const cold = sinkhorn(params, { epsilon: eps, tol: 1e-4, maxIter: 100000 });
      const warm = sinkhorn(params, { epsilon: eps, tol: 1e-4, maxIter: 100000, warmStart: { f } });
      expect(warm.info.iterations[0]!).toBeLessThan(0.6 * cold.info.iterations[0]!);
      // The raw start's marginal error is below 0.3 (6×6 is coarse for ε = 0.01); the cold start's is ~1e3.
      const raw = sinkhorn(params, { epsilon: eps, maxIter: 0, warmStart: { f } }).info.residual[0]!;
      expect(raw).toBeLessThan(0.3);
      expect(sinkhorn(params, { epsilon: eps, maxIter: 0 }).info.residual[0]!).toBeGreaterThan(10);
      const exactCold = sinkhorn(params, { epsilon: eps, tol: 1e-11, maxIter: 100000 });
      const exactWarm = sinkhorn(params, { epsilon: eps, tol: 1e-11, maxIter: 100000, warmStart: { f } });
      exactCold.plan.data.forEach((v, i) => expect(Math.abs(v - exactWarm.plan.data[i]!)).toBeLessThan(1e-9));
    }
  });

  test('evaluateMetaOt times it next to the learned start, its coarse solve included', () => {
    const meta = metaOt({ cost: geo.cost, epsilon: eps, hidden: [8] });
    const report = evaluateMetaOt(meta, meta.init(Rng.seeded(0)), pairs, { repeats: 1, coarse: start });
    expect(report.coarse!.iterReduction).toBeGreaterThan(1.4);
    expect(report.pairs.every((p) => p.coarse!.coarseIterations > 0 && p.coarse!.ms > 0)).toBe(true);
  });

  test('bad options and inputs name what is wrong', () => {
    expectError(() => coarseStart(geo, eps, { factor: 5 }), InvalidInputError, "'factor'");
    expectError(() => coarseStart(geo, 0), InvalidInputError, "'epsilon'");
    expectError(() => start.predict(new Tensor(new Float64Array(3).fill(1 / 3), [1, 3]), pairs.b), ShapeError, '144 entries');
  });
});
