import { describe, expect, it } from 'vitest';
import { test } from '@fast-check/vitest';
import fc from 'fast-check';
import { numRuns } from '@argmin/autodiff/testing';
import { syrk } from '../../src/kernels/blas.js';
import { maxAbsDiff, randomArray, refGemm } from './reference.js';

// Orders straddling the small path, the 3×2 tile edges (a diagonal through every tile position),
// the MC = 48 row block; depths straddling the KC = 128 depth block.
const order = fc.constantFrom(1, 2, 3, 4, 5, 6, 7, 11, 47, 48, 49, 50, 97, 101);
const depth = fc.constantFrom(1, 2, 5, 17, 127, 128, 129, 260);

describe('syrk', () => {
  test.prop([order, depth, fc.boolean(), fc.constantFrom(1, -0.5), fc.constantFrom(0, 1, 2), fc.nat(3), fc.nat(1e6)], {
    numRuns: numRuns(),
  })('writes the lower triangle of α·op(A)·op(A)ᵀ + β·C and leaves the strict upper one alone', (n, k, trans, alpha, beta, pad, seed) => {
    const [ar, ac] = trans ? [k, n] : [n, k];
    const lda = ac + pad;
    const ldc = n + pad;
    const a = randomArray(2 + ar * lda, seed);
    const c = randomArray(1 + n * ldc, seed + 2);
    const [a0, c0] = [a.slice(), c.slice()];
    // The full gemm, whose lower triangle syrk must reproduce.
    const full = refGemm(trans, !trans, n, n, k, alpha, a, 2, lda, a, 2, lda, beta, c.slice(), 1, ldc);
    syrk(trans, n, k, alpha, a, 2, lda, beta, c, 1, ldc);
    const expected = c0.slice();
    for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) expected[1 + i * ldc + j] = full[1 + i * ldc + j]!;
    expect(maxAbsDiff(c, expected)).toBeLessThanOrEqual(1e-13 * k);
    // Everything else, the strict upper triangle and the padding included, is bit for bit as it was.
    for (let q = 0; q < c.length; q++) {
      const i = Math.floor((q - 1) / ldc);
      const j = (q - 1) % ldc;
      if (q === 0 || j >= n || j > i) expect(c[q]).toBe(c0[q]);
    }
    expect(a).toEqual(a0);
  });

  it('β = 0 ignores NaN already in the triangle; α = 0 or k = 0 leaves β·C', () => {
    const a = randomArray(60 * 60, 1);
    const c = new Float64Array(60 * 60).fill(NaN);
    syrk(false, 60, 60, 1, a, 0, 60, 0, c, 0, 60);
    for (let i = 0; i < 60; i++) for (let j = 0; j <= i; j++) expect(Number.isFinite(c[i * 60 + j])).toBe(true);
    const d = Float64Array.of(3, 3, 3, 3);
    syrk(false, 2, 0, 1, a, 0, 0, 2, d, 0, 2);
    expect(Array.from(d)).toEqual([6, 3, 6, 6]);
    syrk(true, 2, 5, 0, a, 0, 2, 0.5, d, 0, 2);
    expect(Array.from(d)).toEqual([3, 3, 3, 3]);
  });
});
