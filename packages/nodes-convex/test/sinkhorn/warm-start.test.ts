import { Rng, Tensor, randn, randu } from '@argmin/autodiff';
import { describe, expect, test } from 'vitest';
import { sinkhorn } from '../../src/sinkhorn/node.js';
import type { SinkhornParams } from '../../src/sinkhorn/problem.js';

/** Squared distances of uniform points in [0, 1]², scaled to max 1, and random marginals. */
function problem(n: number, m: number, seed: number): SinkhornParams {
  const rng = Rng.seeded(seed);
  const x = randu([n, 2], rng);
  const y = randu([m, 2], rng);
  const C = new Float64Array(n * m);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < m; j++) C[i * m + j] = (x.data[2 * i]! - y.data[2 * j]!) ** 2 + (x.data[2 * i + 1]! - y.data[2 * j + 1]!) ** 2;
  const max = C.reduce((s, v) => Math.max(s, v), 0);
  const norm = (t: Tensor) => {
    const s = t.data.reduce((acc, w) => acc + w, 0);
    return new Tensor(
      t.data.map((v) => v / s),
      t.shape,
    );
  };
  return {
    a: norm(randu([n], rng, 0.5, 1.5)),
    b: norm(randu([m], rng, 0.5, 1.5)),
    C: new Tensor(
      C.map((v) => v / max),
      [n, m],
    ),
  };
}

const maxDiff = (x: Tensor, y: Tensor) => x.data.reduce((s, v, i) => Math.max(s, Math.abs(v - y.data[i]!)), 0);

describe('sinkhorn warm start from f alone (g by its c-transform)', () => {
  test('the solution f converges at once, a perturbed f to the same plan; both beat the cold start', () => {
    const p = problem(30, 25, 1);
    const eps = 0.02;
    const cold = sinkhorn(p, { epsilon: eps, tol: 1e-11 });
    const exact = sinkhorn(p, { epsilon: eps, tol: 1e-11, warmStart: { f: cold.f } });
    expect(exact.info.iterations[0]).toBeLessThanOrEqual(1);
    expect(maxDiff(exact.plan, cold.plan)).toBeLessThanOrEqual(1e-11);
    // A nearby f (an imperfect prediction, shifted by a constant too: the gauge is free).
    const noise = randn([30], Rng.seeded(2), 1e-5);
    const f = new Tensor(
      cold.f.data.map((v, i) => v + 0.3 + noise.data[i]!),
      [30],
    );
    const warm = sinkhorn(p, { epsilon: eps, tol: 1e-11, warmStart: { f } });
    expect(warm.info.status[0]).toBe('converged');
    expect(warm.info.iterations[0]!).toBeLessThan(0.7 * cold.info.iterations[0]!);
    expect(maxDiff(warm.plan, cold.plan)).toBeLessThanOrEqual(1e-11);
    expect(maxDiff(warm.f, cold.f)).toBeLessThanOrEqual(1e-8);
  });

  test('the first plan has exact columns (the half-step), and an unrolled start from f matches', () => {
    const p = problem(12, 9, 3);
    const f = randn([12], Rng.seeded(4), 0.05);
    const zero = sinkhorn(p, { epsilon: 0.05, maxIter: 0, warmStart: { f } });
    const cols = new Float64Array(9);
    zero.plan.data.forEach((v, k) => (cols[k % 9]! += v));
    expect(maxDiff(new Tensor(cols, [9]), p.b)).toBeLessThanOrEqual(1e-14);
    // Unrolled from the same f, many steps reach the same fixed point as the solver.
    const unrolled = sinkhorn(p, { epsilon: 0.05, strategy: 'unroll', maxIter: 400, warmStart: { f } });
    const solved = sinkhorn(p, { epsilon: 0.05, tol: 1e-12 });
    expect(maxDiff(unrolled.plan, solved.plan)).toBeLessThanOrEqual(1e-10);
  });

  test('batched: one f per element, or one shared f', () => {
    const p = problem(8, 8, 5);
    const q = problem(8, 8, 6);
    const batch: SinkhornParams = {
      a: new Tensor(Float64Array.of(...p.a.data, ...q.a.data), [2, 8]),
      b: new Tensor(Float64Array.of(...p.b.data, ...q.b.data), [2, 8]),
      C: p.C,
    };
    const cold = sinkhorn(batch, { epsilon: 0.05, tol: 1e-11 });
    const warm = sinkhorn(batch, { epsilon: 0.05, tol: 1e-11, warmStart: { f: cold.f } });
    expect(warm.info.iterations.every((k) => k <= 1)).toBe(true);
    const shared = sinkhorn(batch, { epsilon: 0.05, tol: 1e-11, warmStart: { f: new Tensor(cold.f.data.slice(0, 8), [8]) } });
    expect(shared.info.iterations[0]).toBeLessThanOrEqual(1);
    expect(maxDiff(shared.plan, cold.plan)).toBeLessThanOrEqual(1e-11);
  });
});
