// Issue #21: badly scaled data must not give a wrong answer under 'converged' nor a false
// certificate. The program's acceptance is judged per row and per column on the caller's data
// (ipm/measure.ts) after an exact power-of-two equilibration (ipm/equilibrate.ts).
import { Tensor } from '@argmin/autodiff';
import { numRuns } from '@argmin/autodiff/testing';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { cone } from '../../src/cone/node.js';
import { coneLayout } from '../../src/cone/problem.js';
import { arbStructuredProgram } from './programs.js';

const t = (values: number[], shape: number[]) => new Tensor(Float64Array.from(values), shape);

/** min cᵀx over the box −1 ≤ x ≤ 1 (rows scaled by `rowScale[i]`·s), minimizer −sign(c). */
function box(c: number[], s: number, rowScale: number[] = []) {
  const n = c.length;
  const A: number[] = [];
  const b: number[] = [];
  for (let r = 0; r < 2 * n; r++) {
    const k = s * (rowScale[r] ?? 1);
    for (let j = 0; j < n; j++) A.push(j === r % n ? (r < n ? k : -k) : 0);
    b.push(k);
  }
  return cone({ A: t(A, [2 * n, n]), b: t(b, [2 * n]), c: t(c, [n]) }, { cones: { nonneg: 2 * n } });
}

/** min cᵀx over the ball ‖x‖ ≤ 1 as a second-order cone with data scaled by s, minimizer −c/‖c‖. */
function ball(c: number[], s: number) {
  const n = c.length;
  const A = [...new Array(n).fill(0)];
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) A.push(i === j ? -s : 0);
  const b = [s, ...new Array(n).fill(0)];
  return cone({ A: t(A, [n + 1, n]), b: t(b, [n + 1]), c: t(c, [n]) }, { cones: { soc: [n + 1] } });
}

describe('convex.cone on badly scaled data', () => {
  test.each([1e-12, 1e-10, 1e-9, 1e-150, 1e150])('a box LP with every datum scaled by %s converges to the minimizer', (s) => {
    const out = box([0.7, -0.3], s);
    expect(out.info.status).toEqual(['converged']);
    expect(out.x.data[0]).toBeCloseTo(-1, 6);
    expect(out.x.data[1]).toBeCloseTo(1, 6);
  });

  test.each([1e7, 3e7, 1e8, 1e100])('a compact set with c of size %s is solved, not reported unbounded', (k) => {
    for (const out of [ball([0.6 * k, -0.8 * k], 1), box([0.6 * k, -0.8 * k], 1)]) {
      expect(out.info.status).toEqual(['converged']);
      expect(out.x.data[0]).toBeCloseTo(out.y.data.length === 3 ? -0.6 : -1, 6);
    }
  });

  test('rows scaled apart by 1e±60 give the same answer', () => {
    const out = box([0.7, -0.3], 1, [1e60, 1e-60, 1e-30, 1e45]);
    expect(out.info.status).toEqual(['converged']);
    expect(out.x.data[0]).toBeCloseTo(-1, 6);
    expect(out.x.data[1]).toBeCloseTo(1, 6);
  });

  test('a bound of 0.5 beside a bound of 1e20 is met, or the status says it was not', () => {
    const I = t([1, 0, 0, 1, -1, 0, 0, -1], [4, 2]);
    const cases = [
      cone({ A: I, b: t([0.5, 1e20, 0, 0], [4]), c: t([-1, -1], [2]) }, { cones: { nonneg: 4 } }),
      cone({ A: I, b: t([0.5, 1e20, 1, 1], [4]), c: t([-1, 1], [2]) }, { cones: { nonneg: 4 } }),
      // The QP of the issue as a cone program: min ‖x‖² − 2(x₀ + x₁) s.t. x₀ ≤ 0.5, x₁ ≤ 1e20.
      cone(
        { A: t([1, 0, 0, 1], [2, 2]), b: t([0.5, 1e20], [2]), c: t([-2, -2], [2]), P: t([2, 0, 0, 2], [2, 2]) },
        { cones: { nonneg: 2 } },
      ),
    ];
    let converged = 0;
    for (const out of cases) {
      if (out.info.status[0] !== 'converged') continue;
      converged++;
      expect(out.x.data[0]).toBeCloseTo(0.5, 6);
    }
    expect(converged).toBeGreaterThanOrEqual(2);
  });

  test.each([1e6, 1e10, 1e15, 1e20])('a bound of 0.5 beside a majority of bounds at %s: x₀ = 0.5 when converged', (big) => {
    // Three of four bounds huge: the typical size of x the rows imply is `big`, and one unit of it
    // once let x₀ = −7.7 (big = 1e10) or −1.1e6 (1e20) pass as 'converged'.
    const n = 4;
    const P = t(
      Array.from({ length: n * n }, (_, k) => (k % (n + 1) === 0 ? 2 : 0)),
      [n, n],
    );
    const I = t(
      Array.from({ length: n * n }, (_, k) => (k % (n + 1) === 0 ? 1 : 0)),
      [n, n],
    );
    const out = cone({ A: I, b: t([0.5, big, big, big], [n]), c: t([-2, -2, -2, -2], [n]), P }, { cones: { nonneg: n } });
    expect(out.info.status).toEqual(['converged']);
    expect(out.x.data[0]).toBeCloseTo(0.5, 6);
    for (let j = 1; j < n; j++) expect(out.x.data[j]).toBeCloseTo(1, 6);
  });

  test.each([1e3, 1e6, 1e10, 1e20])('a cost of ±1e-3 beside a majority of costs at %s: never a wrong x under converged', (big) => {
    // The dual side: one unit of the typical y (set by the huge costs) once hid the stationarity
    // of the column with the small cost, and x₃ ≈ 0 passed as 'converged' where x₃ = ∓1.
    for (const small of [1e-3, -1e-3]) {
      const out = box([big, big, big, small], 1);
      if (out.info.status[0] === 'converged') {
        for (let j = 0; j < 3; j++) expect(out.x.data[j]).toBeCloseTo(-1, 6);
        expect(out.x.data[3]).toBeCloseTo(-Math.sign(small), 6);
      } else expect(out.info.status[0]).toBe('max_iter');
    }
  });

  test('min x s.t. x ≥ 0 (a solution at 0 with b = 0) converges', () => {
    const out = cone({ A: t([-1], [1, 1]), b: t([0], [1]), c: t([1], [1]) }, { cones: { nonneg: 1 } });
    expect(out.info.status).toEqual(['converged']);
    expect(Math.abs(out.x.data[0]!)).toBeLessThan(1e-8);
  });

  test.each([1e-120, 1e-9, 1, 1e9, 1e120])('certificates at data scale %s are real and not faked', (s) => {
    // x ≤ 1 alone with c > 0: unbounded below; x ≤ −1 and x ≥ 1: infeasible; the box: neither.
    const unb = cone({ A: t([s], [1, 1]), b: t([s], [1]), c: t([1], [1]) }, { cones: { nonneg: 1 } });
    expect(unb.info.status).toEqual(['unbounded']);
    expect(unb.x.data[0]).toBeLessThan(0);
    const inf = cone({ A: t([s, -s], [2, 1]), b: t([-s, -s], [2]), c: t([1], [1]) }, { cones: { nonneg: 2 } });
    expect(inf.info.status).toEqual(['infeasible']);
    expect(inf.y.data[0]! * -s + inf.y.data[1]! * -s).toBeLessThan(0);
    expect(Math.abs(inf.y.data[0]! - inf.y.data[1]!)).toBeLessThan(1e-8 * (inf.y.data[0]! + inf.y.data[1]!));
    expect(box([0.1, 1], s).info.status).toEqual(['converged']);
  });

  // x = E·x' turns A into A·E and c into E·c; rows scaled by D (one factor per cone block other
  // than the orthant, so the slack stays in its cone) and the objective by σ leave the solution
  // x' = E⁻¹x*. Polishing on the caller's data squared the conditioning of such programs: SOCPs
  // scaled by up to 10^±8 kept the interior point's x errors of 1e-5 under 'converged'. Now 399
  // of 400 draws agree to 1e-10; with columns 15 decades apart a variable that is tiny in the
  // equilibrated program carries the others' round-off (3e-7 in one of 1,000), hence 1e-6.
  const exponents = fc.array(fc.integer({ min: -8, max: 8 }), { minLength: 64, maxLength: 64 });
  const runs = numRuns(20);
  test('rows by cone block, columns and the objective scaled by up to 10^±8: the mapped regular solution', () => {
    // A point that is not accepted must say so ('max_iter'); that may happen, rarely (1 in 1,000).
    let unconverged = 0;
    fc.assert(
      fc.property(arbStructuredProgram(), exponents, (p, k) => {
        const { params, cones } = p;
        const [m, n] = params.A!.shape as [number, number];
        const d = new Float64Array(m);
        for (const blk of coneLayout(cones).blocks) {
          for (let i = blk.offset; i < blk.offset + blk.size; i++) {
            const row = blk.kind === 'nonneg' || blk.kind === 'zero' ? i : blk.offset;
            d[i] = 10 ** k[row % 64]!;
          }
        }
        const e = Float64Array.from({ length: n }, (_, j) => 10 ** k[(m + j) % 64]!);
        const sigma = 10 ** k[63]!;
        const A = params.A!.data.map((v, q) => d[Math.floor(q / n)]! * v * e[q % n]!);
        const b = params.b.data.map((v, i) => d[i]! * v);
        const c = params.c.data.map((v, j) => sigma * e[j]! * v);
        const out = cone({ A: new Tensor(A, [m, n]), b: new Tensor(b, [m]), c: new Tensor(c, [n]) }, { cones });
        if (out.info.status[0] !== 'converged') {
          expect(out.info.status).toEqual(['max_iter']);
          unconverged++;
          return;
        }
        const scale = Math.max(1, ...Array.from(p.x, Math.abs));
        for (let j = 0; j < n; j++) expect(Math.abs(out.x.data[j]! * e[j]! - p.x[j]!) / scale).toBeLessThan(1e-6);
      }),
      { numRuns: runs },
    );
    expect(unconverged).toBeLessThanOrEqual(Math.max(1, runs / 100));
  });
});
