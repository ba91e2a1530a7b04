import { describe, expect, it } from 'vitest';
import { test } from '@fast-check/vitest';
import fc from 'fast-check';
import { InvalidInputError } from '@argmin/autodiff';
import { arbSpd, numRuns } from '@argmin/autodiff/testing';
import {
  choleskyFactor,
  choleskyInto,
  choleskyLogDet,
  choleskySolve,
  luDet,
  luFactor,
  luInto,
  luLogAbsDet,
  luSolve,
  trsm,
} from '../../src/kernels/factor.js';
import { maxAbsDiff, randomArray, refDet, refMatmul, refTranspose } from './reference.js';

const dim = fc.integer({ min: 1, max: 12 });
const batchCount = fc.integer({ min: 1, max: 3 });

/** `batch` n×n matrices with a dominant diagonal: nonsingular, and pivoting still happens. */
function dominant(n: number, batch: number, seed: number): Float64Array {
  const a = randomArray(batch * n * n, seed);
  for (let e = 0; e < batch; e++) for (let i = 0; i < n; i++) a[e * n * n + i * n + i]! += (i % 2 ? -1 : 1) * n * 0.6;
  return a;
}

describe('Cholesky', () => {
  const spdBatch = fc.tuple(dim, batchCount).chain(([n, b]) => arbSpd(n, { batch: b }));

  test.prop([spdBatch], { numRuns: numRuns() })('L is lower triangular and L·Lᵀ = A; A is not written', (spd) => {
    const [b, n] = spd.shape as [number, number];
    const a = spd.data.slice();
    const f = choleskyFactor(a, n, b);
    expect(a).toEqual(spd.data);
    for (let e = 0; e < b; e++) {
      const l = f.l.subarray(e * n * n, (e + 1) * n * n);
      for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) expect(l[i * n + j]).toBe(0);
      expect(maxAbsDiff(refMatmul(l, refTranspose(l, n, n), n, n, n), a.subarray(e * n * n, (e + 1) * n * n))).toBeLessThan(1e-12);
    }
  });

  it('reads only the lower triangle', () => {
    const a = Float64Array.of(4, 99, 2, 3);
    expect(Array.from(choleskyFactor(a, 2).l)).toEqual(Array.from(choleskyFactor(Float64Array.of(4, 2, 2, 3), 2).l));
  });

  test.prop([spdBatch, fc.integer({ min: 1, max: 4 }), fc.nat(1e6)], { numRuns: numRuns() })(
    'choleskySolve solves A·X = B',
    (spd, k, seed) => {
      const [b, n] = spd.shape as [number, number];
      const rhs = randomArray(b * n * k, seed);
      const rhs0 = rhs.slice();
      const x = choleskySolve(choleskyFactor(spd.data, n), rhs, k);
      expect(rhs).toEqual(rhs0);
      for (let e = 0; e < b; e++) {
        const ax = refMatmul(spd.data.subarray(e * n * n, (e + 1) * n * n), x.subarray(e * n * k, (e + 1) * n * k), n, n, k);
        expect(maxAbsDiff(ax, rhs.subarray(e * n * k, (e + 1) * n * k))).toBeLessThan(1e-10);
      }
    },
  );

  test.prop([spdBatch], { numRuns: numRuns() })('log det agrees with the LU determinant', (spd) => {
    const n = spd.shape[1]!;
    const chol = choleskyLogDet(choleskyFactor(spd.data, n));
    const { sign, logAbsDet } = luLogAbsDet(luFactor(spd.data, n));
    expect(Array.from(sign).every((s) => s === 1)).toBe(true);
    expect(maxAbsDiff(chol, logAbsDet)).toBeLessThan(1e-10);
  });

  it('throws naming the op, input, batch element and pivot when A is not positive definite', () => {
    const a = Float64Array.of(2, 0, 0, 1, /* element 1: */ 1, 2, 2, 1);
    expect(() => choleskyFactor(a, 2, 2, { op: 'qp', input: 'Q' })).toThrow(InvalidInputError);
    expect(() => choleskyFactor(a, 2, 2, { op: 'qp', input: 'Q' })).toThrow(
      /^qp: input 'Q' \(batch element 1\) is not positive definite: pivot 1 is -3 \(must be > 0\)$/,
    );
    expect(() => choleskyFactor(Float64Array.of(NaN), 1)).toThrow(/not positive definite: pivot 0 is NaN/);
    expect(() => choleskyFactor(Float64Array.of(0), 1)).toThrow(/^cholesky: input 'A' is not positive definite/);
  });

  test.prop([spdBatch], { numRuns: numRuns() })('choleskyInto reuses a dirty buffer and equals choleskyFactor', (spd) => {
    const [b, n] = spd.shape as [number, number];
    const buf = new Float64Array(n * n + 3).fill(NaN); // stale contents, factor at an offset
    for (let e = 0; e < b; e++) {
      expect(choleskyInto(spd.data, n, buf, e * n * n, 3)).toBe(-1);
      expect(Array.from(buf.subarray(3))).toEqual(Array.from(choleskyFactor(spd.data, n, b).l.subarray(e * n * n, (e + 1) * n * n)));
    }
  });

  it('choleskyInto returns the failing pivot and leaves its value on the diagonal, without throwing', () => {
    const l = new Float64Array(4);
    expect(choleskyInto(Float64Array.of(1, 2, 2, 1), 2, l)).toBe(1);
    expect(l[3]).toBe(-3);
  });
});

describe('LU with partial pivoting', () => {
  test.prop([dim, batchCount, fc.nat(1e6)], { numRuns: numRuns() })('P·A = L·U with |L| ≤ 1; A is not written', (n, b, seed) => {
    const a = dominant(n, b, seed);
    const a0 = a.slice();
    const f = luFactor(a, n, b);
    expect(a).toEqual(a0);
    for (let e = 0; e < b; e++) {
      const o = e * n * n;
      const l = new Float64Array(n * n);
      const u = new Float64Array(n * n);
      for (let i = 0; i < n; i++)
        for (let j = 0; j < n; j++) {
          const v = f.lu[o + i * n + j]!;
          if (j < i) l[i * n + j] = v;
          else u[i * n + j] = v;
          if (i === j) l[i * n + j] = 1;
        }
      for (const v of l) expect(Math.abs(v)).toBeLessThanOrEqual(1);
      const pa = a.slice(o, o + n * n);
      for (let j = 0; j < n; j++) {
        const p = f.pivots[e * n + j]!;
        for (let c = 0; c < n; c++) [pa[j * n + c], pa[p * n + c]] = [pa[p * n + c]!, pa[j * n + c]!];
      }
      expect(maxAbsDiff(refMatmul(l, u, n, n, n), pa)).toBeLessThan(1e-12);
    }
  });

  test.prop([dim, fc.integer({ min: 1, max: 4 }), fc.boolean(), fc.nat(1e6)], { numRuns: numRuns() })(
    'luSolve solves A·X = B and Aᵀ·X = B',
    (n, k, transpose, seed) => {
      const a = dominant(n, 2, seed);
      const b = randomArray(2 * n * k, seed + 1);
      const b0 = b.slice();
      const x = luSolve(luFactor(a, n), b, k, transpose);
      expect(b).toEqual(b0);
      for (let e = 0; e < 2; e++) {
        const ae = a.slice(e * n * n, (e + 1) * n * n);
        const ax = refMatmul(transpose ? refTranspose(ae, n, n) : ae, x.subarray(e * n * k, (e + 1) * n * k), n, n, k);
        expect(maxAbsDiff(ax, b.subarray(e * n * k, (e + 1) * n * k))).toBeLessThan(1e-10);
      }
    },
  );

  test.prop([fc.integer({ min: 1, max: 5 }), fc.nat(1e6)], { numRuns: numRuns() })('det matches cofactor expansion', (n, seed) => {
    const a = randomArray(n * n, seed);
    const f = luFactor(a, n);
    const ref = refDet(a, n);
    expect(luDet(f)[0]).toBeCloseTo(ref, 10);
    const { sign, logAbsDet } = luLogAbsDet(f);
    expect(sign[0]! * Math.exp(logAbsDet[0]!)).toBeCloseTo(ref, 10);
  });

  it('throws naming the op, input, batch element and column when A is singular', () => {
    const a = Float64Array.of(1, 0, 0, 1, /* element 1, rank 1: */ 1, 2, 2, 4);
    expect(() => luFactor(a, 2, 2, { op: 'solve', input: 'A' })).toThrow(InvalidInputError);
    expect(() => luFactor(a, 2, 2, { op: 'solve', input: 'A' })).toThrow(
      /^solve: input 'A' \(batch element 1\) is singular to working precision: no pivot in column 1/,
    );
    expect(() => luFactor(new Float64Array(4), 2)).toThrow(/^lu: input 'A' is singular .* column 0/);
  });

  test.prop([dim, fc.nat(1e6)], { numRuns: numRuns() })('luInto into dirty buffers equals luFactor, A not written', (n, seed) => {
    const a = dominant(n, 1, seed);
    const before = a.slice();
    const lu = randomArray(n * n, seed + 1);
    const pivots = new Int32Array(n).fill(-7);
    expect(luInto(a, n, lu, pivots)).toBe(-1);
    const f = luFactor(a, n);
    expect(Array.from(lu)).toEqual(Array.from(f.lu));
    expect(Array.from(pivots)).toEqual(Array.from(f.pivots));
    expect(Array.from(a)).toEqual(Array.from(before));
  });

  it('luInto returns the first column without a pivot instead of throwing', () => {
    const lu = new Float64Array(4);
    expect(luInto(Float64Array.of(1, 2, 2, 4), 2, lu, new Int32Array(2))).toBe(1);
    expect(luInto(new Float64Array(4), 2, lu, new Int32Array(2))).toBe(0);
  });
});

describe('triangular solves', () => {
  test.prop([dim, fc.integer({ min: 1, max: 3 }), fc.boolean(), fc.boolean(), fc.boolean(), fc.nat(1e6)], { numRuns: numRuns() })(
    'op(T)·X = B for lower/upper, transposed and unit-diagonal T, reading only the triangle',
    (n, k, lower, transpose, unitDiagonal, seed) => {
      // Garbage in the unused triangle (and on the diagonal when it is unit) must not matter.
      const t = randomArray(n * n, seed).map((v) => v * 1e3);
      const dense = new Float64Array(n * n);
      for (let i = 0; i < n; i++)
        for (let j = 0; j < n; j++) {
          if (i === j) t[i * n + j] = 1.5 + Math.abs(t[i * n + j]! % 1);
          else if (lower ? j < i : j > i) t[i * n + j]! /= 1e3 * n;
          if (i === j) dense[i * n + j] = unitDiagonal ? 1 : t[i * n + j]!;
          else if (lower ? j < i : j > i) dense[i * n + j] = t[i * n + j]!;
        }
      const b = randomArray(n * k, seed + 1);
      const x = b.slice();
      trsm({ lower, transpose, unitDiagonal }, n, k, t, 0, n, x, 0, k);
      const opT = transpose ? refTranspose(dense, n, n) : dense;
      expect(maxAbsDiff(refMatmul(opT, x, n, n, k), b)).toBeLessThan(1e-10);
    },
  );
});
