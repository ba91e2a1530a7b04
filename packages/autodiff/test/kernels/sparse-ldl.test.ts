import { describe, expect, it } from 'vitest';
import { test } from '@fast-check/vitest';
import fc from 'fast-check';
import { InvalidInputError } from '@argmin/autodiff';
import { numRuns } from '@argmin/autodiff/testing';
import { analyzeLdl, cscFromDense, cscFromTriplets, cscUpper, factorLdl, solveLdl } from '../../src/kernels/sparse/index.js';
import { arbKkt, arbSparseSpd, type SymmetricCase, relativeResidual } from './sparse-arbitraries.js';

// Right-hand sides on a grid of 1e-3 (no subnormals: refinement's stopping test is absolute for ‖b‖ ≪ 1).
const rhs = (n: number) =>
  fc.array(fc.integer({ min: -10_000, max: 10_000 }), { minLength: n, maxLength: n }).map((v) => Float64Array.from(v, (k) => k / 1000));
const withRhs = <T extends SymmetricCase>(arb: fc.Arbitrary<T>) => arb.chain((c) => fc.tuple(fc.constant(c), rhs(c.n)));

/** A dense random quasi-definite matrix of order n (so the dense tail is chosen): [[M+I, Bᵀ],[B, −(N+I)]]. */
function denseQuasiDefinite(n: number, seed: number): SymmetricCase {
  let s = seed;
  const u = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1;
  const nx = Math.ceil(n / 2);
  const dense = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) dense[i * n + j] = dense[j * n + i] = u() * 0.3;
  for (let i = 0; i < n; i++) dense[i * n + i] = i < nx ? n * 0.3 + 1 : -(n * 0.3 + 1);
  const upper = cscUpper(cscFromDense(dense, n, n));
  return {
    n,
    upper: { nrows: n, ncols: n, colPtr: upper.colPtr, rowIdx: upper.rowIdx, values: upper.values },
    dense,
    signs: Int8Array.from({ length: n }, (_, i) => (i < nx ? 1 : -1)),
  };
}

/** The KKT matrix [[P, Aᵀ], [A, −W]] of a dense-A LP (P = 0) or QP (P diagonal), W over four decades. */
function denseAKkt(nx: number, m: number, lp: boolean, seed: number) {
  const n = nx + m;
  let r = seed;
  const u = () => ((r = (r * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1;
  const dense = new Float64Array(n * n);
  for (let j = 0; j < nx; j++) dense[j * n + j] = lp ? 0 : 1 + Math.abs(u());
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < nx; j++) dense[(nx + i) * n + j] = dense[j * n + nx + i] = u();
    dense[(nx + i) * n + nx + i] = -(10 ** (2 * u()));
  }
  const upper = cscUpper(cscFromDense(dense, n, n));
  const signs = Int8Array.from({ length: n }, (_, i) => (i < nx ? 1 : -1));
  return { dense, upper, signs, n };
}

describe('sparse LDLᵀ', () => {
  test.prop([withRhs(arbSparseSpd())], { numRuns: numRuns(60) })('SPD: relative residual ≤ 1e-12, inputs untouched', ([c, b]) => {
    const values = c.upper.values.slice();
    const bCopy = b.slice();
    const sym = analyzeLdl(c.upper);
    const f = factorLdl(sym, c.upper.values, c.signs);
    const x = solveLdl(f, b, new Float64Array(c.n));
    expect(relativeResidual(c.dense, c.n, x, b)).toBeLessThanOrEqual(1e-12);
    expect(f.regularizedPivots).toBe(0);
    expect(c.upper.values).toEqual(values);
    expect(b).toEqual(bCopy);
  });

  test.prop([withRhs(arbKkt())], { numRuns: numRuns(60) })('quasi-definite KKT (shuffled): relative residual ≤ 1e-12', ([c, b]) => {
    for (const ordering of ['amd', 'natural'] as const) {
      const f = factorLdl(analyzeLdl(c.upper, { ordering }), c.upper.values, c.signs);
      const x = solveLdl(f, b, new Float64Array(c.n));
      expect(relativeResidual(c.dense, c.n, x, b)).toBeLessThanOrEqual(1e-12);
      expect(f.regularizedPivots).toBe(0);
    }
  });

  test.prop([arbKkt(), fc.integer({ min: 1, max: 1000 })], { numRuns: numRuns(40) })(
    'a symbolic analysis reused across values (refactor in place) gives exactly the fresh result',
    (c, seed) => {
      const sym = analyzeLdl(c.upper);
      const other = c.upper.values.map((v, p) => v * (1 + 0.1 * Math.sin(seed + p)));
      const f = factorLdl(sym, other, c.signs);
      const lx = f.lx;
      const again = factorLdl(sym, c.upper.values, c.signs, {}, f);
      expect(again).toBe(f);
      expect(again.lx).toBe(lx);
      const fresh = factorLdl(analyzeLdl(c.upper), c.upper.values, c.signs);
      expect(again.lx).toEqual(fresh.lx);
      expect(again.d).toEqual(fresh.d);
      const b = Float64Array.from({ length: c.n }, (_, i) => Math.cos(i + seed));
      expect(solveLdl(again, b, new Float64Array(c.n))).toEqual(solveLdl(fresh, b, new Float64Array(c.n)));
    },
  );

  it.each([20, 57, 130])('dense tail (order %i): chosen, and agrees with the all-sparse factorization', (n) => {
    const c = denseQuasiDefinite(n, n);
    const withTail = analyzeLdl(c.upper);
    const noTail = analyzeLdl(c.upper, { denseTail: false });
    expect(withTail.tailStart).toBeLessThan(n - 15);
    expect(noTail.tailStart).toBe(n);
    expect(withTail.perm).toEqual(noTail.perm);
    const f1 = factorLdl(withTail, c.upper.values, c.signs, { static: 0 });
    const f2 = factorLdl(noTail, c.upper.values, c.signs, { static: 0 });
    for (let k = 0; k < n; k++) expect(Math.abs(f1.d[k]! - f2.d[k]!)).toBeLessThanOrEqual(1e-11 * Math.abs(f2.d[k]!));
    const b = Float64Array.from({ length: n }, (_, i) => Math.sin(3 * i));
    const x = solveLdl(f1, b, new Float64Array(n), { steps: 0 });
    expect(relativeResidual(c.dense, n, x, b)).toBeLessThanOrEqual(1e-12);
    const refined = solveLdl(f1, b, new Float64Array(n));
    expect(relativeResidual(c.dense, n, refined, b)).toBeLessThanOrEqual(1e-13);
  });

  it('two factors with dense tails used in turn (only one tail stays on the WebAssembly memory): each solves its own matrix', () => {
    const c1 = denseQuasiDefinite(130, 3);
    const c2 = denseQuasiDefinite(150, 4);
    const s1 = analyzeLdl(c1.upper);
    const s2 = analyzeLdl(c2.upper);
    expect(130 - s1.tailStart).toBeGreaterThan(64);
    const b1 = Float64Array.from({ length: 130 }, (_, i) => Math.sin(3 * i));
    const b2 = Float64Array.from({ length: 150 }, (_, i) => Math.cos(2 * i));
    const check = (f: ReturnType<typeof factorLdl>, c: typeof c1, b: Float64Array) =>
      expect(relativeResidual(c.dense, c.n, solveLdl(f, b, new Float64Array(c.n), { steps: 0 }), b)).toBeLessThanOrEqual(1e-12);
    const f1 = factorLdl(s1, c1.upper.values, c1.signs, { static: 0 });
    check(f1, c1, b1);
    const f2 = factorLdl(s2, c2.upper.values, c2.signs, { static: 0 });
    check(f1, c1, b1);
    check(f2, c2, b2);
    // Refactored in place (a scaled matrix): the stale factor on the memory is not used.
    const scaled = c1.upper.values.map((v) => 2 * v);
    const g1 = factorLdl(s1, scaled, c1.signs, { static: 0 }, f1);
    expect(g1).toBe(f1);
    const x = solveLdl(g1, b1, new Float64Array(130), { steps: 0 });
    const y = solveLdl(factorLdl(s1, c1.upper.values, c1.signs, { static: 0 }), b1, new Float64Array(130), { steps: 0 });
    for (let i = 0; i < 130; i++) expect(Math.abs(2 * x[i]! - y[i]!)).toBeLessThanOrEqual(1e-10 * (1 + Math.abs(y[i]!)));
    check(f2, c2, b2);
  });

  test.prop([fc.integer({ min: 8, max: 40 }), fc.integer({ min: 1, max: 3 }), fc.boolean(), fc.integer({ min: 1, max: 1000 })], {
    numRuns: numRuns(15),
  })(
    'dense-A LP/QP KKT [[P, Aᵀ], [A, −W]]: grouped Schur updates (dual rows sharing all x rows) agree with the all-sparse path',
    (nx, ratio, lp, seed) => {
      const { dense, upper, signs, n } = denseAKkt(nx, ratio * nx + 3, lp, seed);
      const sym = analyzeLdl(upper, { wholeDense: false });
      expect(sym.schurMaxRows).toBeGreaterThanOrEqual(nx - 1);
      const f = factorLdl(sym, upper.values, signs);
      const g = factorLdl(analyzeLdl(upper, { denseTail: false }), upper.values, signs);
      // With P = 0 an x pivot taken before enough dual rows is ~static (1e-8): round-off is amplified
      // by up to 1e8 there and refinement contracts slowly, so the LP case is held to 1e-10 on the solve.
      if (!lp) for (let k = 0; k < n; k++) expect(Math.abs(f.d[k]! - g.d[k]!)).toBeLessThanOrEqual(1e-10 * (1 + Math.abs(g.d[k]!)));
      const b = Float64Array.from({ length: n }, (_, i) => Math.cos(i + seed));
      for (const h of [f, g])
        expect(relativeResidual(dense, n, solveLdl(h, b, new Float64Array(n), { steps: 10 }), b)).toBeLessThanOrEqual(lp ? 1e-10 : 1e-12);
    },
  );

  it('a grouped Schur update wider than one gemm row block (QP, 130 x rows) agrees with the all-sparse path', () => {
    const { dense, upper, signs, n } = denseAKkt(130, 140, false, 11);
    const sym = analyzeLdl(upper, { wholeDense: false });
    expect(sym.schurMaxRows).toBeGreaterThan(96);
    const f = factorLdl(sym, upper.values, signs);
    const g = factorLdl(analyzeLdl(upper, { denseTail: false }), upper.values, signs);
    for (let k = 0; k < n; k++) expect(Math.abs(f.d[k]! - g.d[k]!)).toBeLessThanOrEqual(1e-10 * (1 + Math.abs(g.d[k]!)));
    const b = Float64Array.from({ length: n }, (_, i) => Math.cos(i));
    expect(relativeResidual(dense, n, solveLdl(f, b, new Float64Array(n)), b)).toBeLessThanOrEqual(1e-12);
  });

  it('a small matrix cheaper dense is factored as one dense block and agrees with the all-sparse path', () => {
    const { dense, upper, signs, n } = denseAKkt(130, 140, false, 11);
    const sym = analyzeLdl(upper);
    expect(sym.tailStart).toBe(0);
    const f = factorLdl(sym, upper.values, signs);
    const g = factorLdl(analyzeLdl(upper, { denseTail: false }), upper.values, signs);
    for (let k = 0; k < n; k++) expect(Math.abs(f.d[k]! - g.d[k]!)).toBeLessThanOrEqual(1e-10 * (1 + Math.abs(g.d[k]!)));
    const b = Float64Array.from({ length: n }, (_, i) => Math.sin(i));
    expect(relativeResidual(dense, n, solveLdl(f, b, new Float64Array(n)), b)).toBeLessThanOrEqual(1e-12);
  });

  it('a random sparse LP KKT: lone columns feeding over a quarter of the dense tail are moved into it', () => {
    // n = 300 x, m = 600 rows of 6 random entries each, W over four decades: AMD leaves a few x
    // columns outside the tail whose Schur updates cover most of it.
    const nx = 300;
    const m = 600;
    let r = 5;
    const u = () => (r = (r * 1103515245 + 12345) % 2147483648) / 2147483648;
    const rows: number[] = [];
    const cols: number[] = [];
    const vals: number[] = [];
    for (let j = 0; j < nx; j++) rows.push(j), cols.push(j), vals.push(0);
    for (let i = 0; i < m; i++) {
      const picked = new Set<number>();
      while (picked.size < 6) picked.add(Math.floor(u() * nx));
      for (const j of picked) rows.push(j), cols.push(nx + i), vals.push(2 * u() - 1);
      rows.push(nx + i), cols.push(nx + i), vals.push(-(10 ** (4 * u() - 2)));
    }
    const n = nx + m;
    const upper = cscFromTriplets(n, n, rows, cols, vals);
    const signs = Int8Array.from({ length: n }, (_, i) => (i < nx ? 1 : -1));
    const sym = analyzeLdl(upper);
    const t = n - sym.tailStart;
    expect(t).toBeGreaterThan(100);
    for (let g = 0; g + 1 < sym.schurGroups.length; g++) {
      const j = sym.schurGroups[g]!;
      if (sym.schurGroups[g + 1]! - j === 1) expect(sym.lColPtr[j + 1]! - sym.tailSplit[j]!).toBeLessThanOrEqual(0.25 * t);
    }
    const dense = new Float64Array(n * n);
    for (let j = 0; j < n; j++)
      for (let q = upper.colPtr[j]!; q < upper.colPtr[j + 1]!; q++) {
        const i = upper.rowIdx[q]!;
        dense[i * n + j] = dense[j * n + i] = upper.values[q]!;
      }
    const b = Float64Array.from({ length: n }, (_, i) => Math.sin(i));
    const f = factorLdl(sym, upper.values, signs);
    expect(relativeResidual(dense, n, solveLdl(f, b, new Float64Array(n), { steps: 10 }), b)).toBeLessThanOrEqual(1e-12);
  });

  test.prop([withRhs(arbSparseSpd(30, 80)), fc.double({ min: 1e-6, max: 1e-2, noNaN: true })], { numRuns: numRuns(40) })(
    'static regularization is removed by refinement against the unregularized matrix',
    ([c, b], eps) => {
      const f = factorLdl(analyzeLdl(c.upper), c.upper.values, c.signs, { static: eps });
      // tol far below the bound checked: the stopping test tol·(1 + ‖b‖∞) is absolute for small b.
      const x = solveLdl(f, b, new Float64Array(c.n), { steps: 30, tol: 1e-15 });
      expect(relativeResidual(c.dense, c.n, x, b)).toBeLessThanOrEqual(1e-12);
      solveLdl(f, b, new Float64Array(c.n), { steps: 0 });
      expect(f.lastSolve.steps).toBe(0);
      expect(f.lastSolve.residual).toBeNaN(); // not computed without refinement
    },
  );

  it('dynamic regularization replaces wrong-sign and tiny pivots and counts them', () => {
    // diag(2, −3, 1e-20, 5) with expected signs (+, +, +, +): pivots 1 (wrong sign) and 2 (tiny) are replaced.
    const dense = Float64Array.from([2, 0, 0, 0, 0, -3, 0, 0, 0, 0, 1e-20, 0, 0, 0, 0, 5]);
    const upper = cscUpper(cscFromDense(dense, 4, 4));
    const f = factorLdl(analyzeLdl(upper, { ordering: 'natural' }), upper.values, new Int8Array(4).fill(1), {
      static: 0,
      dynamicEps: 1e-12,
      dynamicDelta: 1e-6,
    });
    expect(f.regularizedPivots).toBe(2);
    expect(Array.from(f.d)).toEqual([2, 1e-6, 1e-6, 5]);
    const f2 = factorLdl(f.symbolic, upper.values, Int8Array.from([1, -1, 1, 1]), { static: 0, dynamicEps: 1e-30 }, f);
    expect(f2.regularizedPivots).toBe(0);
  });

  it('a solve may write into its right-hand side', () => {
    const c = denseQuasiDefinite(25, 7);
    const f = factorLdl(analyzeLdl(c.upper), c.upper.values, c.signs);
    const b = Float64Array.from({ length: 25 }, (_, i) => i - 12);
    const x = solveLdl(f, b.slice(), new Float64Array(25));
    const inPlace = b.slice();
    solveLdl(f, inPlace, inPlace);
    expect(inPlace).toEqual(x);
  });

  it('empty matrix', () => {
    const upper = { nrows: 0, ncols: 0, colPtr: new Int32Array(1), rowIdx: new Int32Array(0) };
    const f = factorLdl(analyzeLdl(upper), new Float64Array(0), new Int8Array(0));
    expect(solveLdl(f, new Float64Array(0), new Float64Array(0))).toHaveLength(0);
  });

  it('typed errors name the function, the input and what is wrong', () => {
    const upper = cscUpper(cscFromDense(Float64Array.from([4, 1, 1, 3]), 2, 2));
    const sym = analyzeLdl(upper);
    const signs = Int8Array.from([1, 1]);
    expect(() => factorLdl(sym, new Float64Array(2), signs)).toThrow(/factorLdl: values must have length nnz = 3/);
    expect(() => factorLdl(sym, upper.values, Int8Array.from([1, 0]))).toThrow(/signs\[1\] is 0/);
    expect(() => factorLdl(sym, upper.values, Int8Array.from([1]))).toThrow(InvalidInputError);
    expect(() => factorLdl(sym, Float64Array.from([4, Number.NaN, 3]), signs)).toThrow(/values\[1\] is NaN/);
    expect(() => factorLdl(sym, upper.values, signs, { dynamicDelta: 0 })).toThrow(/dynamicDelta > 0/);
    const noDiag = { nrows: 2, ncols: 2, colPtr: Int32Array.from([0, 1, 2]), rowIdx: Int32Array.from([0, 0]) };
    expect(() => analyzeLdl(noDiag)).toThrow(/column 1 does not end at row 1/);
    const lower = { nrows: 2, ncols: 2, colPtr: Int32Array.from([0, 2, 3]), rowIdx: Int32Array.from([0, 1, 1]) };
    expect(() => analyzeLdl(lower)).toThrow(/upper triangle/);
    expect(() => analyzeLdl(upper, { ordering: Int32Array.from([0, 0]) })).toThrow(/not a permutation/);
    expect(() => analyzeLdl(upper, { ordering: 'metis' as 'amd' })).toThrow(/unknown ordering 'metis'/);
    expect(() => solveLdl(factorLdl(sym, upper.values, signs), new Float64Array(1), new Float64Array(2))).toThrow(/solveLdl: b and out/);
  });

  it('a caller ordering is used as given', () => {
    const c = denseQuasiDefinite(6, 3);
    const perm = Int32Array.from([5, 3, 1, 0, 2, 4]);
    const sym = analyzeLdl(c.upper, { ordering: perm });
    expect(Array.from(sym.perm)).toEqual(Array.from(perm));
    const f = factorLdl(sym, c.upper.values, c.signs);
    const b = Float64Array.from([1, 2, 3, 4, 5, 6]);
    expect(relativeResidual(c.dense, 6, solveLdl(f, b, new Float64Array(6)), b)).toBeLessThanOrEqual(1e-13);
  });
});
