import { describe, expect, it } from 'vitest';
import { test } from '@fast-check/vitest';
import fc from 'fast-check';
import { numRuns } from '@argmin/autodiff/testing';
import { axpy, dot, gemm, gemmBatched, gemv, scal } from '../../src/kernels/blas.js';
import { maxAbs, maxAbsDiff, randomArray, refGemm } from './reference.js';

// Sizes straddling the small-product path (≤ 128 multiply-adds), the 3×2 tile edges, the MC = 48
// row block and the KC = 128 depth block (a test below crosses the NC = 1024 column block).
const size = fc.constantFrom(1, 2, 3, 4, 5, 7, 17, 47, 49, 97, 257);
const depth = fc.constantFrom(1, 3, 17, 127, 128, 129, 300);

describe('gemm', () => {
  test.prop([size, size, depth, fc.boolean(), fc.boolean(), fc.constantFrom(1, -0.5), fc.constantFrom(0, 1, 2), fc.nat(3), fc.nat(1e6)], {
    numRuns: numRuns(),
  })('matches the triple loop for every transpose combination, offset and leading dimension', (m, n, k, ta, tb, alpha, beta, pad, seed) => {
    // Views with padding in the leading dimension and a nonzero offset, to catch stride mix-ups.
    const [ar, ac] = ta ? [k, m] : [m, k];
    const [br, bc] = tb ? [n, k] : [k, n];
    const lda = ac + pad;
    const ldb = bc + pad;
    const ldc = n + pad;
    const a = randomArray(2 + ar * lda, seed);
    const b = randomArray(3 + br * ldb, seed + 1);
    const c = randomArray(1 + m * ldc, seed + 2);
    const [a0, b0] = [a.slice(), b.slice()];
    const expected = refGemm(ta, tb, m, n, k, alpha, a, 2, lda, b, 3, ldb, beta, c, 1, ldc);
    gemm(ta, tb, m, n, k, alpha, a, 2, lda, b, 3, ldb, beta, c, 1, ldc);
    expect(maxAbsDiff(c, expected)).toBeLessThanOrEqual(1e-13 * k);
    expect(a).toEqual(a0);
    expect(b).toEqual(b0);
  });

  it('β = 0 ignores NaN already in C; α = 0 leaves β·C', () => {
    const a = randomArray(17 * 17, 1);
    const c = new Float64Array(17 * 17).fill(NaN);
    gemm(false, false, 17, 17, 17, 1, a, 0, 17, a, 0, 17, 0, c, 0, 17);
    expect(c.every(Number.isFinite)).toBe(true);
    const d = new Float64Array(4).fill(3);
    gemm(false, false, 2, 2, 2, 0, a, 0, 2, a, 0, 2, 2, d, 0, 2);
    expect(Array.from(d)).toEqual([6, 6, 6, 6]);
  });

  it('handles a product wider than one NC = 1024 column block, for every transpose combination', () => {
    const [m, n, k] = [5, 1030, 7];
    const a = randomArray(m * k, 4);
    const b = randomArray(k * n, 5);
    for (const [ta, tb] of [
      [false, false],
      [true, false],
      [false, true],
      [true, true],
    ] as const) {
      const [lda, ldb] = [ta ? m : k, tb ? k : n];
      const c = new Float64Array(m * n);
      gemm(ta, tb, m, n, k, 1, a, 0, lda, b, 0, ldb, 0, c, 0, n);
      const ref = refGemm(ta, tb, m, n, k, 1, a, 0, lda, b, 0, ldb, 0, new Float64Array(m * n), 0, n);
      expect(maxAbsDiff(c, ref)).toBeLessThan(1e-12);
    }
  });

  it('does nothing on empty dimensions, and k = 0 gives β·C', () => {
    const c = Float64Array.of(1, 2);
    gemm(false, false, 0, 2, 3, 1, new Float64Array(0), 0, 3, new Float64Array(6), 0, 2, 0, c, 0, 2);
    expect(Array.from(c)).toEqual([1, 2]);
    gemm(false, false, 1, 2, 0, 1, new Float64Array(0), 0, 0, new Float64Array(0), 0, 2, 0.5, c, 0, 2);
    expect(Array.from(c)).toEqual([0.5, 1]);
  });
});

describe('gemmBatched', () => {
  it('computes each batch element, with a broadcast (repeated-offset) operand', () => {
    const [m, n, k, batch] = [6, 5, 7, 3];
    const a = randomArray(batch * m * k, 7);
    const b = randomArray(k * n, 8); // shared by every element
    const c = new Float64Array(batch * m * n);
    const aOff = [0, m * k, 2 * m * k];
    const cOff = [0, m * n, 2 * m * n];
    gemmBatched(batch, false, false, m, n, k, 1, a, aOff, k, b, [0, 0, 0], n, 0, c, cOff, n);
    for (let t = 0; t < batch; t++) {
      const ref = refGemm(false, false, m, n, k, 1, a, aOff[t]!, k, b, 0, n, 0, new Float64Array(m * n), 0, n);
      expect(maxAbsDiff(c.subarray(cOff[t]!, cOff[t]! + m * n), ref)).toBeLessThan(1e-13);
    }
  });
});

describe('level 1 and 2', () => {
  test.prop([fc.integer({ min: 0, max: 40 }), fc.nat(1e6), fc.double({ min: -2, max: 2, noNaN: true })], { numRuns: numRuns() })(
    'dot, axpy and scal match their definitions',
    (n, seed, alpha) => {
      const x = randomArray(n + 1, seed);
      const y = randomArray(n + 2, seed + 1);
      let s = 0;
      for (let i = 0; i < n; i++) s += x[i + 1]! * y[i + 2]!;
      expect(dot(n, x, y, 1, 2)).toBeCloseTo(s, 12);
      const y2 = y.slice();
      axpy(n, alpha, x, y2, 1, 2);
      for (let i = 0; i < n; i++) expect(y2[i + 2]).toBeCloseTo(y[i + 2]! + alpha * x[i + 1]!, 14);
      const x2 = x.slice();
      scal(n, alpha, x2, 1);
      for (let i = 0; i < n; i++) expect(x2[i + 1]).toBeCloseTo(alpha * x[i + 1]!, 14);
    },
  );

  it('scal by 0 writes exact zeros even over NaN', () => {
    const x = Float64Array.of(NaN, Infinity, 1);
    scal(3, 0, x);
    expect(Array.from(x)).toEqual([0, 0, 0]);
  });

  test.prop([size, size, fc.boolean(), fc.constantFrom(0, 1, -2), fc.nat(1e6)], { numRuns: numRuns() })(
    'gemv matches gemm with one column',
    (m, n, trans, beta, seed) => {
      const a = randomArray(1 + m * (n + 1), seed);
      const x = randomArray(trans ? m : n, seed + 1);
      const y = randomArray(trans ? n : m, seed + 2);
      const ny = y.length;
      const expected = refGemm(trans, false, ny, 1, x.length, 1.5, a, 1, n + 1, x, 0, 1, beta, y, 0, 1);
      const a0 = a.slice();
      gemv(trans, m, n, 1.5, a, 1, n + 1, x, 0, beta, y, 0);
      expect(maxAbsDiff(y, expected)).toBeLessThan(1e-12 * Math.max(1, maxAbs(expected)));
      expect(a).toEqual(a0);
    },
  );
});
