import { afterEach, describe, expect, it } from 'vitest';
import { test } from '@fast-check/vitest';
import fc from 'fast-check';
import { numRuns } from '@argmin/autodiff/testing';
import { gemm, syrk } from '../../src/kernels/blas.js';
import { choleskyInto } from '../../src/kernels/factor-cholesky.js';
import { luFactor } from '../../src/kernels/factor-lu.js';
import { gemmPacked, syrkPacked, useSimdGemm } from '../../src/kernels/gemm-packed.js';
import { simdGemmAvailable } from '../../src/kernels/gemm-simd.js';
import { randomArray } from './reference.js';

// The WebAssembly SIMD kernel against the scalar packed one it replaces: the same blocking depth
// (KC = 128) and the same summation order, so the results must agree bit for bit, not within a
// tolerance. Sizes straddle the 4×4 SIMD and 3×2 scalar tile edges and the MC = 48 row block;
// depths the KC = 128 depth block.
const size = fc.constantFrom(1, 2, 3, 4, 5, 6, 7, 8, 9, 17, 47, 48, 49, 97, 130);
const depth = fc.constantFrom(1, 2, 3, 17, 127, 128, 129, 257, 300);

/** Runs `f` on a copy of `c` with the scalar path, then on another with the SIMD path; returns both. */
function bothPaths(c: Float64Array, f: (c: Float64Array) => void): [Float64Array, Float64Array] {
  const scalar = c.slice();
  const simd = c.slice();
  useSimdGemm(false);
  f(scalar);
  expect(useSimdGemm(true)).toBe(true);
  f(simd);
  return [scalar, simd];
}

/**
 * Bit for bit (-0 apart from 0, NaN where NaN): reports the first entry that differs, if any. A
 * loop, because vitest's deep equality is slow on large arrays.
 */
function expectSameBits(x: Float64Array, y: Float64Array): void {
  expect(y.length).toBe(x.length);
  let first = -1;
  for (let i = 0; i < x.length && first < 0; i++) if (!Object.is(x[i], y[i])) first = i;
  expect(first < 0 ? 'identical' : `entry ${first}: ${x[first]} vs ${y[first]}`).toBe('identical');
}

afterEach(() => {
  useSimdGemm(true);
});

describe('gemm on WebAssembly SIMD', () => {
  it('compiles under Node 20 (no fallback taken here)', () => {
    expect(simdGemmAvailable()).toBe(true);
  });

  test.prop(
    [size, size, depth, fc.boolean(), fc.boolean(), fc.constantFrom(1, -0.5, 3), fc.constantFrom(0, 1, 2), fc.nat(3), fc.nat(1e6)],
    {
      numRuns: numRuns(),
    },
  )(
    'gives the scalar packed path’s bits for every transpose, α, β, offset and leading dimension',
    (m, n, k, ta, tb, alpha, beta, pad, seed) => {
      const [ar, ac] = ta ? [k, m] : [m, k];
      const [br, bc] = tb ? [n, k] : [k, n];
      const lda = ac + pad;
      const ldb = bc + pad;
      const ldc = n + pad;
      const a = randomArray(2 + ar * lda, seed);
      const b = randomArray(3 + br * ldb, seed + 1);
      const c = randomArray(1 + m * ldc, seed + 2);
      // Through gemm (β, and its choice of path), and straight into the packed kernels, so that
      // small shapes reach them too.
      expectSameBits(...bothPaths(c, (x) => gemm(ta, tb, m, n, k, alpha, a, 2, lda, b, 3, ldb, beta, x, 1, ldc)));
      expectSameBits(...bothPaths(c, (x) => gemmPacked(ta, tb, m, n, k, alpha, a, 2, lda, b, 3, ldb, x, 1, ldc)));
    },
  );

  test.prop([size, depth, fc.boolean(), fc.constantFrom(1, -0.5), fc.nat(3), fc.nat(1e6)], { numRuns: numRuns() })(
    'syrk: the same bits in the lower triangle, nothing written above it',
    (n, k, trans, alpha, pad, seed) => {
      const [ar, ac] = trans ? [k, n] : [n, k];
      const lda = ac + pad;
      const ldc = n + pad;
      const a = randomArray(2 + ar * lda, seed);
      const c = randomArray(1 + n * ldc, seed + 2);
      const [scalar, simd] = bothPaths(c, (x) => syrkPacked(trans, n, k, alpha, a, 2, lda, x, 1, ldc));
      expectSameBits(scalar, simd);
      for (let i = 0; i < n; i++) for (let j = i + 1; j < ldc; j++) expect(simd[1 + i * ldc + j]).toBe(c[1 + i * ldc + j]);
    },
  );

  it('crosses the NC = 1024 column block, and a tall syrk its row blocks', () => {
    const [m, n, k] = [13, 1031, 131];
    const a = randomArray(m * k, 1);
    const b = randomArray(n * k, 2);
    const c = randomArray(m * n, 3);
    expectSameBits(...bothPaths(c, (x) => gemm(false, true, m, n, k, 0.7, a, 0, k, b, 0, k, 1, x, 0, n)));
    const big = randomArray(1030 * 9, 4);
    const d = randomArray(1030 * 1030, 5);
    expectSameBits(...bothPaths(d, (x) => syrk(false, 1030, 9, 1, big, 0, 9, 0.5, x, 0, 1030)));
  });

  it('Inf and NaN propagate as on the scalar path', () => {
    const a = randomArray(50 * 50, 6);
    a[7] = Infinity;
    a[50 * 20 + 3] = NaN;
    const c = new Float64Array(50 * 50);
    expectSameBits(...bothPaths(c, (x) => gemm(false, false, 50, 50, 50, 1, a, 0, 50, a, 0, 50, 0, x, 0, 50)));
  });

  it('the factorizations built on gemm give the same bits', () => {
    const n = 150;
    const g = randomArray(n * n, 7);
    const spd = new Float64Array(n * n);
    gemm(false, true, n, n, n, 1 / n, g, 0, n, g, 0, n, 0, spd, 0, n);
    for (let i = 0; i < n; i++) spd[i * n + i]! += 1;
    expectSameBits(...bothPaths(new Float64Array(n * n), (l) => choleskyInto(spd, n, l)));
    useSimdGemm(false);
    const lu0 = luFactor(g, n);
    useSimdGemm(true);
    const lu1 = luFactor(g, n);
    expectSameBits(lu0.lu, lu1.lu);
    expect(Array.from(lu1.pivots)).toEqual(Array.from(lu0.pivots));
  });
});
