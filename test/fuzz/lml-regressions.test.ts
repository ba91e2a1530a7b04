// Issue #21: LML's implicit gradient with respect to ν was wrong where a y saturates in floating
// point (1 − y rounds to 0). The exact instance, and saturated rows against central differences
// of ν computed from the logits.
import { tensor, vjp, type Tensor } from '@argmin/autodiff';
import { lmlSolve } from '@argmin/nodes-convex';
import fc from 'fast-check';
import { numRuns } from '@argmin/autodiff/testing';
import { describe, expect, test } from 'vitest';

const nuGrad = (x: Tensor, k: number) => vjp((v: Tensor) => lmlSolve(v, { k }).nu, x).pullback(tensor(1))[0];

describe('issue #21: LML ν VJP under saturation', () => {
  test('x = [40, −40], k = 1: ∂ν/∂x = [−0.5, −0.5]', () => {
    const g = nuGrad(tensor([40, -40]), 1);
    expect(g.data[0]).toBeCloseTo(-0.5, 14);
    expect(g.data[1]).toBeCloseTo(-0.5, 14);
  });

  test('saturated symmetric pairs x = [c + a, c − a] split ν̄ evenly, for a up to 700', () => {
    fc.assert(
      fc.property(fc.double({ min: 18, max: 700, noNaN: true }), fc.double({ min: -50, max: 50, noNaN: true }), (a, c) => {
        const g = nuGrad(tensor([c + a, c - a]), 1);
        expect(g.data[0]).toBeCloseTo(-0.5, 12);
        expect(g.data[1]).toBeCloseTo(-0.5, 12);
      }),
      { numRuns: numRuns(100) },
    );
  });

  test('∂ν/∂x sums to −1 and matches central differences on saturated rows', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -60, max: 60, noNaN: true }), { minLength: 2, maxLength: 6 }),
        fc.integer({ min: 1, max: 5 }),
        (xs, kRaw) => {
          const k = Math.min(kRaw, xs.length - 1);
          const x = tensor(xs);
          const g = nuGrad(x, k);
          // ν is shift-equivariant: ν(x + c1) = ν(x) − c, so Σ ∂ν/∂xᵢ = −1 exactly.
          expect(g.data.reduce((a, b) => a + b, 0)).toBeCloseTo(-1, 10);
          // Each ∂ν/∂xᵢ = −wᵢ ≤ 0.
          for (const v of g.data) expect(v).toBeLessThanOrEqual(0);
          // Central differences of ν, where they are accurate: the forward's ν error is
          // tol/Σyᵢ(1 − yᵢ), so rows with Σ yᵢ(1 − yᵢ) < 1e-3 are left to the exact cases.
          const y = lmlSolve(x, { k }).y.data;
          if (y.reduce((a, v) => a + v * (1 - v), 0) < 1e-3) return;
          const h = 1e-5;
          for (let i = 0; i < xs.length; i++) {
            const up = lmlSolve(tensor(xs.map((v, j) => (j === i ? v + h : v))), { k }).nu.data[0]!;
            const dn = lmlSolve(tensor(xs.map((v, j) => (j === i ? v - h : v))), { k }).nu.data[0]!;
            expect(Math.abs(g.data[i]! - (up - dn) / (2 * h))).toBeLessThan(1e-5);
          }
        },
      ),
      { numRuns: numRuns(60) },
    );
  });
});
