import { Rng, Tensor, grad, mul, randn, sum, tensor, vjp } from '@argmin/autodiff';
import { checkVjp } from '@argmin/autodiff/testing';
import { describe, expect, test } from 'vitest';
import { lml, lmlSolve } from '../../src/lml/node.js';
import { lmlObjective } from '../../src/lml/objective.js';

function rowSums(y: Tensor): number[] {
  const n = y.shape[y.ndim - 1]!;
  return Array.from({ length: y.size / n }, (_, r) => y.data.slice(r * n, (r + 1) * n).reduce((s, v) => s + v, 0));
}

describe('convex.lml: robustness and shapes', () => {
  test.each([
    ['huge scores', 1e8],
    ['large scores', 1e3],
    ['unit scores', 1],
    ['tiny scores', 1e-10],
  ])('%s: converged, 0 ≤ y ≤ 1, Σy = k, a finite gradient', (_, scale) => {
    const x = randn([4, 50], Rng.seeded(3), scale);
    const out = lmlSolve(x, { k: 7 });
    expect(out.info.status.every((s) => s === 'converged')).toBe(true);
    expect(out.y.data.every((v) => v >= 0 && v <= 1)).toBe(true);
    for (const s of rowSums(out.y)) expect(Math.abs(s - 7)).toBeLessThanOrEqual(1e-9);
    // A random cotangent: Σy = k is constant, so the gradient of sum(y) is zero whatever the VJP does.
    const c = randn(x.shape, Rng.seeded(4));
    const g = grad((xx: Tensor) => sum(mul(lml(xx, { k: 7 }), c)))(x) as Tensor;
    expect(g.data.every(Number.isFinite)).toBe(true);
  });

  // Where y is not saturated the gradient is nonzero and must be right, not just finite.
  test.each([
    ['unit scores', 1],
    ['tiny scores', 1e-10],
  ])('%s: the gradient matches central differences', (_, scale) => {
    const x = randn([2, 8], Rng.seeded(6), scale);
    const r = checkVjp((xx: Tensor) => lml(xx, { k: 3 }), [x], { rtol: 1e-6 });
    expect(Math.abs(r.analytic)).toBeGreaterThan(0);
  });

  test('huge scores select the top k exactly; tiny ones spread k/n', () => {
    const top = lml(tensor([3e9, -1e9, 2e9, 0, 5e9]), { k: 2 });
    expect(Array.from(top.data)).toEqual([1, 0, 0, 0, 1]);
    const flat = lml(tensor([1e-14, -1e-14, 0, 2e-14]), { k: 1 });
    for (const v of flat.data) expect(Math.abs(v - 0.25)).toBeLessThanOrEqual(1e-13);
  });

  test('ties get equal values', () => {
    const y = lml(tensor([2, 2, 2, -1, -1, 5]), { k: 3 });
    expect(y.data[0]).toBe(y.data[1]);
    expect(y.data[1]).toBe(y.data[2]);
    expect(y.data[3]).toBe(y.data[4]);
    expect(Math.abs(rowSums(y)[0]! - 3)).toBeLessThanOrEqual(1e-12);
  });

  test('n = 10000: Σy = k to 1e-9 within a few Newton steps', () => {
    const out = lmlSolve(randn([2, 10000], Rng.seeded(1), 3), { k: 100 });
    for (const s of rowSums(out.y)) expect(Math.abs(s - 100)).toBeLessThanOrEqual(1e-9);
    for (const it of out.info.iterations) expect(it).toBeLessThanOrEqual(20);
  });

  test('leading axes are a batch: rank 3 equals row by row, with the same gradient', () => {
    const x = randn([2, 3, 5], Rng.seeded(7));
    const y = lml(x, { k: 2 });
    expect(y.shape).toEqual([2, 3, 5]);
    for (let r = 0; r < 6; r++) {
      const row = lml(new Tensor(x.data.slice(r * 5, r * 5 + 5), [5]), { k: 2 });
      for (let i = 0; i < 5; i++) expect(Math.abs(y.data[r * 5 + i]! - row.data[i]!)).toBeLessThanOrEqual(1e-14);
    }
    checkVjp((xx: Tensor) => lml(xx, { k: 2 }), [x], { rtol: 1e-6 });
  });

  test('a warm start at the solution converges at once', () => {
    const x = randn([3, 40], Rng.seeded(2));
    const cold = lmlSolve(x, { k: 5 });
    const warm = lmlSolve(x, { k: 5 }, { warmStart: { nu: cold.nu } });
    for (const it of warm.info.iterations) expect(it).toBeLessThanOrEqual(1);
    for (let i = 0; i < x.size; i++) expect(Math.abs(warm.y.data[i]! - cold.y.data[i]!)).toBeLessThanOrEqual(1e-12);
  });

  test('the gradient of the ν output matches central differences', () => {
    const x = randn([2, 6], Rng.seeded(5));
    checkVjp((xx: Tensor) => lmlSolve(xx, { k: 2 }).nu, [x], { rtol: 1e-6 });
  });
});

describe('lmlObjective', () => {
  test('at the solution its gradient in y is ν·1 (stationarity with the multiplier of 1ᵀy = k)', () => {
    const x = randn([2, 6], Rng.seeded(11));
    const { y, nu } = lmlSolve(x, { k: 2 });
    const gy = grad((yy: Tensor) => sum(lmlObjective(x, yy)))(y) as Tensor;
    for (let r = 0; r < 2; r++) for (let i = 0; i < 6; i++) expect(Math.abs(gy.data[r * 6 + i]! - nu.data[r]!)).toBeLessThanOrEqual(1e-9);
  });

  test('the solution beats feasible perturbations (Σδ = 0)', () => {
    const x = tensor([0.5, -1, 2, 0.1, 1.5]);
    const y = lml(x, { k: 2 });
    const best = lmlObjective(x, y).item();
    const rng = Rng.seeded(4);
    let checked = 0;
    for (let t = 0; t < 20; t++) {
      const d = randn([5], rng, 0.05).data;
      const mean = d.reduce((s, v) => s + v, 0) / 5;
      const moved = new Tensor(
        y.data.map((v, i) => Math.min(1 - 1e-9, Math.max(1e-9, v + d[i]! - mean))),
        [5],
      );
      if (Math.abs(moved.data.reduce((s, v) => s + v, 0) - 2) > 1e-12) continue;
      expect(lmlObjective(x, moved).item()).toBeGreaterThan(best);
      checked++;
    }
    expect(checked).toBeGreaterThanOrEqual(10);
  });

  test('it is finite, with a finite gradient, at y ∈ {0, 1}', () => {
    const { value, pullback } = vjp((yy: Tensor) => lmlObjective(tensor([1, 2, 3]), yy), tensor([0, 1, 0.5]));
    expect(Number.isFinite(value.item())).toBe(true);
    expect((pullback(tensor(1))[0] as Tensor).data.every(Number.isFinite)).toBe(true);
  });
});
