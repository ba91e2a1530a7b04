// Where Sinkhorn's linear rate is close to 1, the forward hands over to Newton's method on the
// dual (newton.ts). The instance below (found by the node contract's full tier at ε = 0.05) nearly
// admits a plan on its zero-cost entries alone: rows 0 and 2 carry 0.42704 and column 2 needs
// 0.42717, so 1.3e-4 of mass must cross the one entry of cost 1, whose kernel entry is e^-20.
import { tensor } from '@argmin/autodiff';
import { describe, expect, test } from 'vitest';
import { newtonDual } from '../../src/sinkhorn/newton.js';
import { sinkhorn } from '../../src/sinkhorn/node.js';

const a = tensor([0.30397728163652715, 0.5729569651639856, 0.12306575319948712]);
const b = tensor([0.19099850006777236, 0.1568901947275088, 0.42716833881369376, 0.22494296639102507]);
const C = tensor([
  [0, 0, 0, 0],
  [0, 0, 0.9999999998836901, 0],
  [0, 0, 0, 0],
]);

describe('Newton on the entropic dual', () => {
  test('finishes a solve that Sinkhorn alone leaves at 2e-7 after 20,000 iterations', () => {
    const o = sinkhorn({ a, b, C }, { epsilon: 0.05, tol: 1e-14, maxIter: 1000 });
    expect(o.info.status).toEqual(['converged']);
    expect(o.info.iterations[0]).toBeLessThan(300);
    const P = o.plan.data;
    for (let i = 0; i < 3; i++)
      expect(Math.abs(P[i * 4]! + P[i * 4 + 1]! + P[i * 4 + 2]! + P[i * 4 + 3]! - a.data[i]!)).toBeLessThan(1e-14);
    for (let j = 0; j < 4; j++) expect(Math.abs(P[j]! + P[4 + j]! + P[8 + j]! - b.data[j]!)).toBeLessThan(1e-14);
    // The mass that must cross the expensive entry does.
    expect(P[6]!).toBeGreaterThan(1e-4);
  });

  test('converges from zero potentials, quadratically at the end, without lowering the dual', () => {
    const f = new Float64Array(3);
    const g = new Float64Array(4);
    const problem = { n: 3, m: 4, eps: 0.05, a: a.data, b: b.data, C: C.data };
    const dual = () => {
      let s = 0;
      for (let i = 0; i < 3; i++) s += a.data[i]! * f[i]!;
      for (let j = 0; j < 4; j++) s += b.data[j]! * g[j]!;
      for (let i = 0; i < 3; i++) for (let j = 0; j < 4; j++) s -= 0.05 * Math.exp((f[i]! + g[j]! - C.data[i * 4 + j]!) / 0.05);
      return s;
    };
    const start = dual();
    const errors: number[] = [];
    for (let k = 1; k <= 40; k++) {
      f.fill(0);
      g.fill(0);
      const r = newtonDual(problem, f, g, 1e-15, k);
      errors.push(r.error);
      expect(dual()).toBeGreaterThanOrEqual(start);
      if (r.error <= 1e-15) break;
    }
    expect(errors.at(-1)!).toBeLessThanOrEqual(1e-15);
    expect(errors.length).toBeLessThan(40);
    // Superlinear at the end: a step's gain is more than 10× the previous step's (a linear rate,
    // Sinkhorn's, keeps the gain per step constant; here 0.034 is followed by 0.0012).
    const gain = (k: number) => errors[k]! / errors[k - 1]!;
    const superlinear = errors.some((e, k) => k > 1 && e > 1e-14 && gain(k) < 0.1 * gain(k - 1));
    expect(superlinear).toBe(true);
  });

  test.each([
    [1e-4, 1],
    [1e-2, 1e6],
  ])('ε = %s on a 3×3 cost of scale %s (ε far below 1e-3 of it): converged, feasible, the Gibbs form', (epsilon, scale) => {
    const Cs = tensor([
      [0, scale, 2 * scale],
      [scale, 0, scale],
      [2 * scale, scale, 0],
    ]);
    const ma = tensor([0.3, 0.3, 0.4]);
    const mb = tensor([0.2, 0.3, 0.5]);
    const o = sinkhorn({ a: ma, b: mb, C: Cs }, { epsilon, tol: 1e-9, maxIter: 1000 });
    expect(o.info.status).toEqual(['converged']);
    const P = o.plan.data;
    for (let i = 0; i < 3; i++) expect(Math.abs(P[3 * i]! + P[3 * i + 1]! + P[3 * i + 2]! - ma.data[i]!)).toBeLessThan(1e-8);
    for (let j = 0; j < 3; j++) expect(Math.abs(P[j]! + P[3 + j]! + P[6 + j]! - mb.data[j]!)).toBeLessThan(1e-8);
    // The ε → 0 plan of this cost moves 0.1 of row 0's mass one step right and 0.075 of row 1's.
    expect(P[1]! + P[2]!).toBeCloseTo(0.1, 6);
    // f ⊕ g − C is formed from terms of the cost's size: its rounding, over ε, is the plan's.
    const rel = 1e-9 + (8 * Number.EPSILON * 2 * scale) / epsilon;
    for (let k = 0; k < 9; k++) {
      const gibbs = Math.exp((o.f.data[Math.floor(k / 3)]! + o.g.data[k % 3]! - Cs.data[k]!) / epsilon);
      expect(Math.abs(P[k]! - gibbs)).toBeLessThanOrEqual(1e-12 + rel * gibbs);
    }
  });
});
