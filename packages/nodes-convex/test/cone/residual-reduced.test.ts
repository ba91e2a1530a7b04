import { luFactor, luSolve } from '@argmin/autodiff/kernels';
import { numRuns } from '@argmin/autodiff/testing';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { denseConeDerivative, projectConeWithDerivative } from '../../src/cone/cones.js';
import type { ConeData } from '../../src/cone/data.js';
import { derivativeEigen, fromEigen, rowsToEigen, toEigen } from '../../src/cone/derivative-eigen.js';
import { coneLayout, type ConeSpec } from '../../src/cone/problem.js';
import { denseJacobian, residualAt } from '../../src/cone/residual-map.js';
import { reduceAdjoint, solveReducedAdjoint } from '../../src/cone/vjp-residual-reduced.js';

/**
 * The residual map's adjoint solve reduced by DΠ's eigenbasis (vjp-residual-reduced.ts) against
 * the dense LU of the whole M̃ᵀ, on random points of every cone kind: boundary SOC points, PSD
 * blocks of mixed sign, exponential and power cones, zero and orthant rows.
 */
const runs = numRuns(40, 2000);
const value = fc.double({ min: -2, max: 2, noNaN: true, noDefaultInfinity: true });
const vec = (n: number) => fc.array(value, { minLength: n, maxLength: n }).map((a) => Float64Array.from(a));

const SPECS: [string, ConeSpec][] = [
  ['nonneg', { nonneg: 6 }],
  ['soc', { soc: [2, 4, 6] }],
  ['psd', { psd: [2, 3, 4] }],
  ['exp', { exp: 2 }],
  ['power', { power: [0.3, 0.7] }],
  ['mixed', { zero: 2, nonneg: 3, soc: [4], psd: [3], exp: 1, power: [0.4] }],
];

const maxAbs = (a: Float64Array) => a.reduce((s, x) => Math.max(s, Math.abs(x)), 0);

describe.each(SPECS)('%s cones', (_, spec) => {
  const layout = coneLayout(spec);
  const m = layout.m;

  test('V·diag(λ)·Vᵀ is DΠ, with V orthogonal and λ in [0, 1]', () => {
    fc.assert(
      fc.property(vec(m), (z) => {
        const D = projectConeWithDerivative(layout, true, z, new Float64Array(m));
        const e = derivativeEigen(D);
        const dense = denseConeDerivative(D);
        // Column by column: DΠ·eⱼ against V·diag(λ)·Vᵀ·eⱼ, and VᵀV·eⱼ = eⱼ.
        const unit = new Float64Array(m);
        const h = new Float64Array(m);
        const back = new Float64Array(m);
        for (let j = 0; j < m; j++) {
          unit.fill(0)[j] = 1;
          toEigen(e, D, unit, 0, h);
          fromEigen(e, D, h, back, 0);
          expect(maxAbs(back.map((v, i) => v - unit[i]!))).toBeLessThan(1e-12);
          for (let i = 0; i < m; i++) h[i]! *= e.lambda[i]!;
          fromEigen(e, D, h, back, 0);
          for (let i = 0; i < m; i++) expect(Math.abs(back[i]! - dense[i * m + j]!)).toBeLessThan(1e-9);
        }
        expect(e.lambda.every((l) => l >= 0 && l <= 1)).toBe(true);
      }),
      { numRuns: runs },
    );
  });

  test('the reduced adjoint solve equals the dense LU of M̃ᵀ', () => {
    const n = 4;
    fc.assert(
      fc.property(vec(m * n), vec(m), vec(n), vec(n), vec(m), vec(n + m + 1), (A, b, c, zx, zy, r) => {
        const d: ConeData = { m, n, A, aOff: 0, b, bOff: 0, c, cOff: 0, layout };
        const p = residualAt(d, zx, zy);
        // M̃ = [J | (c + x, b + y, 1)], dense.
        const N = n + m + 1;
        const J = denseJacobian(d, p.D);
        const M = new Float64Array(N * N);
        for (let i = 0; i < N; i++) M.set(J.subarray(i * (N - 1), (i + 1) * (N - 1)), i * N);
        for (let j = 0; j < n; j++) M[j * N + N - 1] = c[j]! + p.x[j]!;
        for (let i = 0; i < m; i++) M[(n + i) * N + N - 1] = b[i]! + p.y[i]!;
        M[N * N - 1] = 1;
        // M̃⁻ᵀ densely (N ≤ 17), for the solution and the condition number that judges it.
        let inverse: Float64Array;
        try {
          const eye = new Float64Array(N * N);
          for (let i = 0; i < N; i++) eye[i * N + i] = 1;
          inverse = luSolve(luFactor(M, N, 1), eye, N, true);
        } catch {
          return; // singular: random data need not make a regular program
        }
        const rowSum = (X: Float64Array) => {
          let s = 0;
          for (let i = 0; i < N; i++)
            s = Math.max(
              s,
              X.subarray(i * N, (i + 1) * N).reduce((t, v) => t + Math.abs(v), 0),
            );
          return s;
        };
        const cond = rowSum(M) * rowSum(inverse);
        fc.pre(cond < 1e8);
        const expected = new Float64Array(N);
        for (let i = 0; i < N; i++) for (let j = 0; j < N; j++) expected[i]! += inverse[i * N + j]! * r[j]!;
        const g = solveReducedAdjoint(d, p, reduceAdjoint(d, p, 0), r);
        expect(maxAbs(g.map((v, i) => v - expected[i]!))).toBeLessThan(1e-14 * cond * (1 + maxAbs(expected)));
      }),
      { numRuns: runs },
    );
  });
});

test('Vᵀ·A is formed per block', () => {
  const layout = coneLayout({ nonneg: 1, soc: [3] });
  const z = Float64Array.of(1, 0.2, 1, 0.5);
  const D = projectConeWithDerivative(layout, true, z, new Float64Array(4));
  const e = derivativeEigen(D);
  const A = Float64Array.from({ length: 8 }, (_, i) => i + 1);
  const Ahat = rowsToEigen(e, D, A, 0, 2);
  const col = new Float64Array(4);
  for (let j = 0; j < 2; j++) {
    const v = Float64Array.from({ length: 4 }, (_, i) => A[i * 2 + j]!);
    toEigen(e, D, v, 0, col);
    for (let i = 0; i < 4; i++) expect(Ahat[i * 2 + j]).toBeCloseTo(col[i]!, 14);
  }
});
