import { describe, expect, it } from 'vitest';
import { test } from '@fast-check/vitest';
import fc from 'fast-check';
import { InvalidInputError } from '@argmin/autodiff';
import { arbSpd, numRuns } from '@argmin/autodiff/testing';
import { gemv } from '../../src/kernels/blas.js';
import { cg, gmres, solveDense, type MatVec } from '../../src/kernels/krylov.js';
import { maxAbsDiff, randomArray, refMatmul } from './reference.js';

const dense =
  (a: Float64Array, n: number): MatVec =>
  (x, out) =>
    gemv(false, n, n, 1, a, 0, n, x, 0, 0, out, 0);

/** ‖b − A·x‖₂ computed independently of the solvers. */
function residual(a: Float64Array, n: number, x: Float64Array, b: Float64Array): number {
  const ax = refMatmul(a, x, n, n, 1);
  let s = 0;
  for (let i = 0; i < n; i++) s += (b[i]! - ax[i]!) ** 2;
  return Math.sqrt(s);
}

function norm(v: Float64Array): number {
  return Math.sqrt(v.reduce((s, x) => s + x * x, 0));
}

/** A nonsymmetric, well-conditioned n×n matrix: I·n/2 plus a random perturbation of norm < n/2. */
function nonsymmetric(n: number, seed: number): Float64Array {
  const a = randomArray(n * n, seed).map((v) => v * 0.4);
  for (let i = 0; i < n; i++) a[i * n + i]! += n / 2 + 1;
  return a;
}

/** diag(1, 2, …, n): with b = ones, every Krylov method needs exactly n iterations. */
function spreadDiagonal(n: number): Float64Array {
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) a[i * n + i] = i + 1;
  return a;
}

const spdSystem = fc.integer({ min: 1, max: 30 }).chain((n) => fc.tuple(arbSpd(n, { minEig: 0.2 }), fc.nat(1e6)));

describe('cg', () => {
  test.prop([spdSystem], { numRuns: numRuns() })('converges on SPD systems with the true residual below tolerance', ([spd, seed]) => {
    const n = spd.shape[0]!;
    const b = randomArray(n, seed);
    const x0 = randomArray(n, seed + 1);
    const [b0, x00] = [b.slice(), x0.slice()];
    const r = cg(dense(spd.data, n), b, { tol: 1e-10, x0 });
    expect(r.converged).toBe(true);
    expect(r.reason).toBe('converged');
    expect(r.residual).toBeLessThanOrEqual(1e-10 * norm(b));
    expect(Math.abs(residual(spd.data, n, r.x, b) - r.residual)).toBeLessThan(1e-12);
    expect(maxAbsDiff(r.x, solveDense(spd.data, b))).toBeLessThan(1e-7);
    expect(b).toEqual(b0);
    expect(x0).toEqual(x00);
  });

  it('reports non-convergence when maxIter is too small', () => {
    const n = 10;
    const b = new Float64Array(n).fill(1);
    const r = cg(dense(spreadDiagonal(n), n), b, { maxIter: n - 2 });
    expect(r).toMatchObject({ converged: false, reason: 'max-iterations', iterations: n - 2 });
    expect(r.residual).toBeGreaterThan(1e-10 * norm(b));
    expect(cg(dense(spreadDiagonal(n), n), b, { maxIter: n + 2 }).converged).toBe(true);
  });

  it('reports a breakdown on an indefinite operator instead of dividing by pᵀAp = 0', () => {
    const r = cg(dense(Float64Array.of(1, 0, 0, -1), 2), Float64Array.of(1, 1));
    expect(r).toMatchObject({ converged: false, reason: 'breakdown' });
  });

  it('returns x = 0 at once for b = 0', () => {
    const r = cg(dense(spreadDiagonal(3), 3), new Float64Array(3));
    expect(r).toMatchObject({ converged: true, iterations: 0, residual: 0 });
  });
});

describe('gmres', () => {
  test.prop([fc.integer({ min: 1, max: 30 }), fc.integer({ min: 1, max: 40 }), fc.nat(1e6)], { numRuns: numRuns() })(
    'converges on nonsymmetric well-conditioned systems for any restart length',
    (n, restart, seed) => {
      const a = nonsymmetric(n, seed);
      const b = randomArray(n, seed + 1);
      const b0 = b.slice();
      const r = gmres(dense(a, n), b, { tol: 1e-10, restart, maxIter: 50 * n });
      expect(r.converged).toBe(true);
      expect(r.residual).toBeLessThanOrEqual(1e-10 * norm(b));
      expect(Math.abs(residual(a, n, r.x, b) - r.residual)).toBeLessThan(1e-12);
      expect(maxAbsDiff(r.x, solveDense(a, b))).toBeLessThan(1e-8);
      expect(b).toEqual(b0);
    },
  );

  it('reports non-convergence when maxIter is too small, with or without restarts', () => {
    const n = 10;
    const b = new Float64Array(n).fill(1);
    for (const restart of [3, 30]) {
      const r = gmres(dense(spreadDiagonal(n), n), b, { maxIter: n - 2, restart });
      expect(r).toMatchObject({ converged: false, reason: 'max-iterations', iterations: n - 2 });
      expect(r.residual).toBeGreaterThan(1e-10 * norm(b));
    }
  });

  it('starts from x0 and stops at once if x0 already solves the system', () => {
    const a = nonsymmetric(5, 3);
    const b = randomArray(5, 4);
    const x0 = solveDense(a, b);
    expect(gmres(dense(a, 5), b, { x0, tol: 1e-8 }).iterations).toBe(0);
  });

  it('reports a breakdown when the operator produces NaN', () => {
    const r = gmres((_x, out) => out.fill(NaN), Float64Array.of(1, 2));
    expect(r).toMatchObject({ converged: false, reason: 'breakdown' });
  });
});

describe('solveDense', () => {
  it('solves a small system and throws on a singular one', () => {
    const x = solveDense(Float64Array.of(2, 1, 1, 3), Float64Array.of(3, 5));
    expect(maxAbsDiff(x, [0.8, 1.4])).toBeLessThan(1e-15);
    expect(() => solveDense(Float64Array.of(1, 2, 2, 4), Float64Array.of(1, 1))).toThrow(InvalidInputError);
    expect(() => solveDense(Float64Array.of(1, 2, 2, 4), Float64Array.of(1, 1))).toThrow(/^solveDense: input 'A' is singular/);
    expect(() => solveDense(new Float64Array(3), Float64Array.of(1, 1))).toThrow(/solveDense: A has 3 entries/);
  });
});
