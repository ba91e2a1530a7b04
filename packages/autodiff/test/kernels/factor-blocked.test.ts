import { describe, expect, it } from 'vitest';
import { test } from '@fast-check/vitest';
import fc from 'fast-check';
import { InvalidInputError } from '@argmin/autodiff';
import { numRuns } from '@argmin/autodiff/testing';
import { choleskyInto, ldltFactor, ldltInto, ldltNegativePivots, ldltSolve, luFactor, luSolve, trsm } from '../../src/kernels/factor.js';
import { solveRightLowerTransposed } from '../../src/kernels/factor-triangular.js';
import { maxAbs, maxAbsDiff, randomArray, refMatmul, refTranspose } from './reference.js';

// Orders on both sides of the unblocked limits (Cholesky 24, LU 16, LDLᵀ 24, trsm 32) and of
// several blocks, multiples of a block and not.
const order = fc.constantFrom(1, 5, 16, 17, 24, 25, 32, 33, 48, 49, 70, 97);

/** G·Gᵀ/n + I for a seeded G: symmetric positive definite and well conditioned. */
function spd(n: number, seed: number): Float64Array {
  const g = randomArray(n * n, seed);
  const a = refMatmul(g, refTranspose(g, n, n), n, n, n).map((v) => v / n);
  for (let i = 0; i < n; i++) a[i * n + i]! += 1;
  return a;
}

/** The quasi-definite KKT matrix [[H, Bᵀ], [B, −δI]] with H positive definite (p×p) and B m×p. */
function kkt(p: number, m: number, seed: number): Float64Array {
  const n = p + m;
  const h = spd(p, seed);
  const b = randomArray(m * p, seed + 1);
  const a = new Float64Array(n * n);
  for (let i = 0; i < p; i++) for (let j = 0; j < p; j++) a[i * n + j] = h[i * p + j]!;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < p; j++) a[(p + i) * n + j] = a[j * n + p + i] = b[i * p + j]!;
    a[(p + i) * n + p + i] = -0.1;
  }
  return a;
}

/** L (unit or not) from the strict lower triangle of `f`, with `diag` on its diagonal (null: f's own). */
function lowerOf(f: Float64Array, n: number, unit: boolean): Float64Array {
  const l = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) l[i * n + j] = i === j && unit ? 1 : f[i * n + j]!;
  return l;
}

describe('blocked Cholesky', () => {
  test.prop([order, fc.nat(1e6)], { numRuns: numRuns(20) })('L·Lᵀ = A with L lower triangular, into a dirty buffer', (n, seed) => {
    const a = spd(n, seed);
    const a0 = a.slice();
    const l = randomArray(n * n, seed + 9);
    expect(choleskyInto(a, n, l)).toBe(-1);
    expect(a).toEqual(a0);
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) expect(l[i * n + j]).toBe(0);
    expect(maxAbsDiff(refMatmul(l, refTranspose(l, n, n), n, n, n), a)).toBeLessThan(1e-12 * n);
  });

  it('factors in place, and reports the first non-positive pivot in a later block', () => {
    const n = 70;
    const a = spd(n, 3);
    const inPlace = a.slice();
    const l = new Float64Array(n * n);
    choleskyInto(a, n, l);
    expect(choleskyInto(inPlace, n, inPlace)).toBe(-1);
    expect(maxAbsDiff(inPlace, l)).toBe(0);
    a[60 * n + 60] = -5;
    expect(choleskyInto(a, n, l)).toBe(60);
    expect(l[60 * n + 60]).toBeLessThan(0);
  });
});

describe('blocked LU', () => {
  test.prop([order, fc.nat(1e6)], { numRuns: numRuns(20) })('P·A = L·U with |L| ≤ 1, and solves with A and Aᵀ', (n, seed) => {
    const a = randomArray(n * n, seed);
    const f = luFactor(a, n);
    const l = lowerOf(f.lu, n, true);
    const u = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = i; j < n; j++) u[i * n + j] = f.lu[i * n + j]!;
    expect(maxAbs(l)).toBeLessThanOrEqual(1);
    const pa = a.slice();
    for (let j = 0; j < n; j++) {
      const p = f.pivots[j]!;
      for (let c = 0; c < n; c++) [pa[j * n + c], pa[p * n + c]] = [pa[p * n + c]!, pa[j * n + c]!];
    }
    expect(maxAbsDiff(refMatmul(l, u, n, n, n), pa)).toBeLessThan(1e-12 * n);
    const b = randomArray(n * 5, seed + 1);
    for (const transpose of [false, true]) {
      const x = luSolve(f, b, 5, transpose);
      const opA = transpose ? refTranspose(a, n, n) : a;
      // A random matrix's condition number grows with n: the residual is scaled by |X|.
      expect(maxAbsDiff(refMatmul(opA, x, n, n, 5), b)).toBeLessThan(1e-11 * n * Math.max(1, maxAbs(x)));
    }
  });

  it('throws on a matrix with two equal rows, in whichever block the zero pivot appears', () => {
    const n = 50;
    const a = randomArray(n * n, 5);
    for (let c = 0; c < n; c++) a[45 * n + c] = a[10 * n + c]!;
    expect(() => luFactor(a, n)).toThrow(InvalidInputError);
    expect(() => luFactor(a, n)).toThrow(/^lu: input 'A' is singular to working precision/);
  });
});

describe('LDLᵀ', () => {
  const shape = fc.tuple(fc.integer({ min: 1, max: 60 }), fc.integer({ min: 0, max: 40 }), fc.nat(1e6));

  test.prop([shape], { numRuns: numRuns(20) })(
    'L·D·Lᵀ = A for a quasi-definite KKT matrix; D has one negative pivot per constraint',
    ([p, m, seed]) => {
      const n = p + m;
      const a = kkt(p, m, seed);
      const a0 = a.slice();
      const f = ldltFactor(a, n);
      expect(a).toEqual(a0);
      const l = lowerOf(f.ld, n, true);
      const dlt = refTranspose(l, n, n);
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) dlt[i * n + j]! *= f.ld[i * n + i]!;
      for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) expect(f.ld[i * n + j]).toBe(0);
      expect(maxAbsDiff(refMatmul(l, dlt, n, n, n), a)).toBeLessThan(1e-11 * n);
      expect(ldltNegativePivots(f)[0]).toBe(m);
      const b = randomArray(n * 3, seed + 2);
      const x = ldltSolve(f, b, 3);
      expect(maxAbsDiff(refMatmul(a, x, n, n, 3), b)).toBeLessThan(1e-9 * n * Math.max(1, maxAbs(x)));
    },
  );

  test.prop([order, fc.nat(1e6)], { numRuns: numRuns(20) })(
    'agrees with Cholesky on a positive definite matrix, also in place',
    (n, seed) => {
      const a = spd(n, seed);
      const ld = new Float64Array(n * n);
      expect(ldltInto(a, n, ld)).toBe(-1);
      const inPlace = a.slice();
      expect(ldltInto(inPlace, n, inPlace)).toBe(-1);
      expect(maxAbsDiff(inPlace, ld)).toBe(0);
      const l = new Float64Array(n * n);
      choleskyInto(a, n, l);
      // L_chol = L_ldlt·√D.
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < i; j++) expect(ld[i * n + j]! * Math.sqrt(ld[j * n + j]!)).toBeCloseTo(l[i * n + j]!, 10);
        expect(Math.sqrt(ld[i * n + i]!)).toBeCloseTo(l[i * n + i]!, 10);
      }
    },
  );

  it('throws naming the op, input, batch element and pivot on a singular leading minor', () => {
    const a = Float64Array.of(2, 1, 1, 2, /* element 1: */ 0, 1, 1, 0);
    expect(() => ldltFactor(a, 2, 2, { op: 'kkt', input: 'K' })).toThrow(InvalidInputError);
    expect(() => ldltFactor(a, 2, 2, { op: 'kkt', input: 'K' })).toThrow(
      /^kkt: input 'K' \(batch element 1\) has a singular leading minor: pivot 0/,
    );
  });
});

describe('blocked triangular solves', () => {
  test.prop([order, fc.constantFrom(1, 4, 7), fc.boolean(), fc.boolean(), fc.boolean(), fc.nat(3), fc.nat(1e6)], { numRuns: numRuns(30) })(
    'op(T)·X = B for every triangle and transpose, on padded views with offsets',
    (n, k, lower, transpose, unitDiagonal, pad, seed) => {
      const ldt = n + pad;
      const ldb = k + pad;
      // Garbage in T's other triangle (and on a unit diagonal) must not be read.
      const t = randomArray(3 + n * ldt, seed).map((v) => v * 1e3);
      const dense = new Float64Array(n * n);
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) {
          const q = 3 + i * ldt + j;
          if (i === j) t[q] = 1.5 + Math.abs(t[q]! % 1);
          else if (lower ? j < i : j > i) t[q]! /= 1e3 * n;
          if (i === j) dense[i * n + j] = unitDiagonal ? 1 : t[q]!;
          else if (lower ? j < i : j > i) dense[i * n + j] = t[q]!;
        }
      }
      const b = randomArray(2 + n * ldb, seed + 1);
      const x = b.slice();
      trsm({ lower, transpose, unitDiagonal }, n, k, t, 3, ldt, x, 2, ldb);
      const xs = new Float64Array(n * k);
      const bs = new Float64Array(n * k);
      for (let i = 0; i < n; i++) {
        for (let r = 0; r < k; r++) {
          xs[i * k + r] = x[2 + i * ldb + r]!;
          bs[i * k + r] = b[2 + i * ldb + r]!;
        }
        // Padding between rows is untouched.
        for (let r = k; r < ldb && 2 + i * ldb + r < x.length; r++) expect(x[2 + i * ldb + r]).toBe(b[2 + i * ldb + r]);
      }
      const opT = transpose ? refTranspose(dense, n, n) : dense;
      expect(maxAbsDiff(refMatmul(opT, xs, n, n, k), bs)).toBeLessThan(1e-10);
    },
  );

  test.prop([order, fc.constantFrom(1, 3, 4, 9), fc.boolean(), fc.nat(3), fc.nat(1e6)], { numRuns: numRuns(30) })(
    'X·Tᵀ = B for rows of right-hand sides, on padded views with offsets',
    (n, rows, unitDiagonal, pad, seed) => {
      const ldt = n + pad;
      const ldb = n + pad;
      // Garbage in T's upper triangle (and on a unit diagonal) must not be read.
      const t = randomArray(1 + n * ldt, seed).map((v) => v * 1e3);
      const dense = new Float64Array(n * n);
      for (let i = 0; i < n; i++) {
        for (let j = 0; j <= i; j++) {
          const q = 1 + i * ldt + j;
          if (i === j) t[q] = 1.5 + Math.abs(t[q]! % 1);
          else t[q]! /= 1e3 * n;
          dense[i * n + j] = i === j && unitDiagonal ? 1 : t[q]!;
        }
      }
      const b = randomArray(2 + rows * ldb, seed + 1);
      const x = b.slice();
      solveRightLowerTransposed(unitDiagonal, rows, n, t, 1, ldt, x, 2, ldb);
      const xs = new Float64Array(rows * n);
      const bs = new Float64Array(rows * n);
      for (let r = 0; r < rows; r++) {
        for (let j = 0; j < n; j++) {
          xs[r * n + j] = x[2 + r * ldb + j]!;
          bs[r * n + j] = b[2 + r * ldb + j]!;
        }
        for (let j = n; j < ldb && 2 + r * ldb + j < x.length; j++) expect(x[2 + r * ldb + j]).toBe(b[2 + r * ldb + j]);
      }
      expect(maxAbsDiff(refMatmul(xs, refTranspose(dense, n, n), rows, n, n), bs)).toBeLessThan(1e-10);
    },
  );
});
