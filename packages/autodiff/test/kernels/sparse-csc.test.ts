import { describe, expect, it } from 'vitest';
import { test } from '@fast-check/vitest';
import fc from 'fast-check';
import { InvalidInputError } from '@argmin/autodiff';
import { numRuns } from '@argmin/autodiff/testing';
import {
  cscFromDense,
  cscFromTriplets,
  cscMultiply,
  cscMultiplyTransposed,
  cscSymmetricMultiply,
  cscToDense,
  cscTranspose,
  cscUpper,
  nnzOf,
  validateCsc,
} from '../../src/kernels/sparse/index.js';
import { arbSparseSpd } from './sparse-arbitraries.js';

/** A sparse-ish dense matrix (about half zeros) with its shape. */
const arbSparseDense = fc
  .record({ m: fc.integer({ min: 0, max: 9 }), n: fc.integer({ min: 0, max: 9 }) })
  .chain(({ m, n }) =>
    fc.tuple(
      fc.constant(m),
      fc.constant(n),
      fc.array(
        fc.oneof(
          fc.constant(0),
          fc.integer({ min: -50, max: 50 }).map((k) => k / 8),
        ),
        { minLength: m * n, maxLength: m * n },
      ),
    ),
  )
  .map(([m, n, v]) => ({ m, n, a: Float64Array.from(v) }));

const vec = (n: number, seed: number) => Float64Array.from({ length: n }, (_, i) => Math.sin(seed + 1.7 * i));

describe('CSC helpers', () => {
  test.prop([arbSparseDense], { numRuns: numRuns(100) })('from dense and back; only nonzeros stored; well formed', ({ m, n, a }) => {
    const s = cscFromDense(a, m, n);
    validateCsc(s);
    expect(nnzOf(s)).toBe(a.filter((v) => v !== 0).length);
    expect(cscToDense(s)).toEqual(a);
  });

  test.prop([arbSparseDense], { numRuns: numRuns(100) })('transpose, A·x and Aᵀ·x match the dense products', ({ m, n, a }) => {
    const s = cscFromDense(a, m, n);
    const t = cscTranspose(s);
    validateCsc(t);
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) expect(cscToDense(t)[j * m + i]).toBe(a[i * n + j]);
    for (let p = 0; p < nnzOf(s); p++) expect(t.values[t.map[p]!]).toBe(s.values[p]);
    const x = vec(n, 1);
    const z = vec(m, 2);
    const y = cscMultiply(s, x, new Float64Array(m).fill(7));
    const yt = cscMultiplyTransposed(s, z, new Float64Array(n));
    for (let i = 0; i < m; i++) {
      let v = 0;
      for (let j = 0; j < n; j++) v += a[i * n + j]! * x[j]!;
      expect(y[i]).toBeCloseTo(v, 12);
    }
    for (let j = 0; j < n; j++) {
      let v = 0;
      for (let i = 0; i < m; i++) v += a[i * n + j]! * z[i]!;
      expect(yt[j]).toBeCloseTo(v, 12);
    }
  });

  test.prop(
    [
      fc
        .record({ m: fc.integer({ min: 1, max: 6 }), n: fc.integer({ min: 1, max: 6 }) })
        .chain(({ m, n }) =>
          fc.tuple(
            fc.constant(m),
            fc.constant(n),
            fc.array(fc.tuple(fc.nat(m - 1), fc.nat(n - 1), fc.integer({ min: -9, max: 9 })), { maxLength: 30 }),
          ),
        ),
    ],
    { numRuns: numRuns(100) },
  )('from triplets sums duplicates; the map re-assembles new values', ([m, n, trips]) => {
    const rows = trips.map((t) => t[0]);
    const cols = trips.map((t) => t[1]);
    const vals = trips.map((t) => t[2]);
    const s = cscFromTriplets(m, n, rows, cols, vals);
    validateCsc(s);
    const dense = new Float64Array(m * n);
    trips.forEach(([i, j, v]) => (dense[i * n + j]! += v));
    expect(cscToDense(s)).toEqual(dense);
    const again = new Float64Array(nnzOf(s));
    trips.forEach(([, , v], k) => (again[s.map[k]!]! += 2 * v));
    expect(Array.from(again)).toEqual(Array.from(s.values, (v) => 2 * v));
  });

  test.prop([arbSparseSpd(12, 40)], { numRuns: numRuns(100) })('upper triangle and the symmetric multiply from it', (c) => {
    const full = cscFromDense(c.dense, c.n, c.n);
    const up = cscUpper(full);
    validateCsc(up);
    for (let j = 0; j < c.n; j++) expect(up.rowIdx[up.colPtr[j + 1]! - 1]).toBe(j);
    const x = vec(c.n, 3);
    const y = cscSymmetricMultiply(up, up.values, x, new Float64Array(c.n));
    for (let i = 0; i < c.n; i++) {
      let v = 0;
      for (let j = 0; j < c.n; j++) v += c.dense[i * c.n + j]! * x[j]!;
      expect(y[i]).toBeCloseTo(v, 12);
    }
  });

  it('the upper triangle stores a missing diagonal as an explicit zero', () => {
    const up = cscUpper(cscFromDense(Float64Array.from([0, 2, 2, 0]), 2, 2));
    expect(Array.from(up.colPtr)).toEqual([0, 1, 3]);
    expect(Array.from(up.rowIdx)).toEqual([0, 0, 1]);
    expect(Array.from(up.values)).toEqual([0, 2, 0]);
  });

  it('typed errors for malformed input', () => {
    expect(() => validateCsc({ nrows: 2, ncols: 1, colPtr: Int32Array.from([0, 2]), rowIdx: Int32Array.from([1, 0]) }, 'A')).toThrow(
      /A: rows of column 0 are not strictly increasing/,
    );
    expect(() => validateCsc({ nrows: 2, ncols: 1, colPtr: Int32Array.from([0, 1]), rowIdx: Int32Array.from([2]) })).toThrow(
      /row index 2 in column 0/,
    );
    expect(() => validateCsc({ nrows: 2, ncols: 2, colPtr: Int32Array.from([0, 1]), rowIdx: Int32Array.from([0]) })).toThrow(
      InvalidInputError,
    );
    expect(() => cscFromTriplets(2, 2, [0, 2], [0, 0], [1, 1])).toThrow(/triplet 1 at \(2, 0\)/);
    expect(() => cscFromTriplets(2, 2, [0], [0, 1], [1])).toThrow(/one length/);
    expect(() => cscFromDense(new Float64Array(3), 2, 2)).toThrow(/expected 4 values/);
    expect(() => cscUpper(cscFromDense(new Float64Array(6), 2, 3))).toThrow(/square/);
  });
});
