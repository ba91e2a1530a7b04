import { test as fcTest } from '@fast-check/vitest';
import fc from 'fast-check';
import { InvalidInputError, Rng, ShapeError, Tensor, randn } from '@argmin/autodiff';
import { checkVjp, numRuns } from '@argmin/autodiff/testing';
import { sinkhorn } from '@argmin/nodes-convex';
import { describe, expect, test } from 'vitest';
import { otSemiDual, otSemiDualLoss } from '../src/meta-ot-dual.js';
import { gridGeometry, measurePairs } from '../src/ot-data.js';
import { expectError } from './helpers/assert.js';

const geo = gridGeometry(3);
const pairs = measurePairs(3, 4, 11, { floor: 0.2 });
const rowOf = (t: Tensor, k: number) => new Tensor(t.data.slice(9 * k, 9 * (k + 1)), [1, 9]);
/** Sum-zero tangents for the marginals: only those keep Σa = Σb (the op is defined off it too). */
const centred = (t: Tensor, arg: number) => {
  if (arg !== 1 && arg !== 2) return t;
  const m = t.data.reduce((s, v) => s + v, 0) / t.size;
  return new Tensor(
    t.data.map((v) => v - m),
    t.shape,
  );
};

describe('otSemiDual: the entropic semi-dual and its gradients', () => {
  fcTest.prop([fc.integer(), fc.constantFrom(0.05, 0.2, 1)], { numRuns: numRuns(12, 60) })(
    'checkVjp w.r.t. f, a, b and C, batched',
    (seed, eps) => {
      const f = randn([4, 9], Rng.seeded(seed), 0.3);
      checkVjp((ff: Tensor, a: Tensor, b: Tensor, C: Tensor) => otSemiDual(ff, a, b, C, eps), [f, pairs.a, pairs.b, geo.cost], {
        seed,
        tangent: centred,
        rtol: 1e-5,
        atol: 1e-9,
      });
    },
  );

  test('checkVjp unbatched, and through the mean loss', () => {
    const f = randn([9], Rng.seeded(1), 0.3);
    const a = new Tensor(pairs.a.data.slice(0, 9), [9]);
    const b = new Tensor(pairs.b.data.slice(0, 9), [9]);
    checkVjp((ff: Tensor, C: Tensor) => otSemiDual(ff, a, b, C, 0.1), [f, geo.cost], { rtol: 1e-5 });
    checkVjp((ff: Tensor) => otSemiDualLoss(ff, pairs.a, pairs.b, geo.cost, 0.1), [randn([4, 9], Rng.seeded(2), 0.3)], { rtol: 1e-5 });
  });

  fcTest.prop([fc.integer(), fc.integer({ min: 0, max: 3 })], { numRuns: numRuns(20, 100) })(
    'weak duality: D(f) ≤ value* for any f, equal (to 1e-9) at the Sinkhorn potential, invariant to f + κ',
    (seed, k) => {
      const a = rowOf(pairs.a, k);
      const b = rowOf(pairs.b, k);
      const sol = sinkhorn({ a, b, C: geo.cost }, { epsilon: 0.1, tol: 1e-13 });
      const value = sol.value.data[0]!;
      expect(Math.abs(otSemiDual(sol.f, a, b, geo.cost, 0.1).data[0]! - value)).toBeLessThanOrEqual(1e-9);
      const f = randn([1, 9], Rng.seeded(seed), 0.2);
      const d = otSemiDual(f, a, b, geo.cost, 0.1).data[0]!;
      expect(d).toBeLessThanOrEqual(value + 1e-12);
      const shifted = new Tensor(
        f.data.map((v) => v + 0.7),
        f.shape,
      );
      expect(otSemiDual(shifted, a, b, geo.cost, 0.1).data[0]!).toBeCloseTo(d, 12);
    },
  );

  test('bad shapes and ε name what is wrong', () => {
    expectError(() => otSemiDual(randn([2, 8], Rng.seeded(0)), pairs.a, pairs.b, geo.cost, 0.1), ShapeError, 'metaOt.semiDual');
    expectError(() => otSemiDual(randn([4, 9], Rng.seeded(0)), pairs.a, pairs.b, geo.cost, 0), InvalidInputError, "'epsilon'");
  });
});
