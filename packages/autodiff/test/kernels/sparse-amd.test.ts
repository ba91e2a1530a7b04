import { describe, expect, it } from 'vitest';
import { test } from '@fast-check/vitest';
import { numRuns } from '@argmin/autodiff/testing';
import { amdOrder } from '../../src/kernels/sparse/amd.js';
import { analyzeLdl, cscFromTriplets } from '../../src/kernels/sparse/index.js';
import { arbKkt, arbSparseSpd, gridLaplacian } from './sparse-arbitraries.js';

const isPermutation = (p: Int32Array, n: number) => p.length === n && new Set(p).size === n && p.every((i) => i >= 0 && i < n);

/** The 9-point stencil on a k×k grid (neighbours including diagonals), upper triangle. */
function ninePoint(k: number) {
  const rows: number[] = [];
  const cols: number[] = [];
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < k; j++) {
      const a = i * k + j;
      for (const [di, dj] of [
        [0, 0],
        [0, 1],
        [1, -1],
        [1, 0],
        [1, 1],
      ] as const) {
        const ii = i + di;
        const jj = j + dj;
        if (ii < k && jj >= 0 && jj < k) rows.push(a), cols.push(ii * k + jj);
      }
    }
  }
  return cscFromTriplets(k * k, k * k, rows, cols, new Float64Array(rows.length).fill(1));
}

describe('approximate minimum degree', () => {
  test.prop([arbSparseSpd(60, 300)], { numRuns: numRuns(80) })('is a permutation on any symmetric pattern', (c) => {
    expect(isPermutation(amdOrder(c.upper), c.n)).toBe(true);
  });

  test.prop([arbKkt(30, 40)], { numRuns: numRuns(40) })(
    'is a permutation on KKT patterns; the symbolic count matches a direct elimination',
    (c) => {
      const sym = analyzeLdl(c.upper, { denseTail: false });
      expect(isPermutation(sym.perm, c.n)).toBe(true);
      // nnz(L) by eliminating the permuted graph directly (a boolean dense elimination).
      const n = c.n;
      const g = new Uint8Array(n * n);
      for (let j = 0; j < n; j++) {
        for (let p = c.upper.colPtr[j]!; p < c.upper.colPtr[j + 1]!; p++) {
          const a = sym.iperm[c.upper.rowIdx[p]!]!;
          const b = sym.iperm[j]!;
          g[a * n + b] = g[b * n + a] = 1;
        }
      }
      let nnz = 0;
      for (let k = 0; k < n; k++) {
        const below: number[] = [];
        for (let i = k + 1; i < n; i++) if (g[i * n + k]) below.push(i);
        nnz += below.length;
        for (const i of below) for (const j of below) g[i * n + j] = 1;
      }
      expect(sym.nnzL).toBe(nnz);
    },
  );

  it.each([4, 8, 12, 20, 30])('fill on the %i×%i grid Laplacian is at most the natural order’s (much less when large)', (k) => {
    const grid = gridLaplacian(k);
    const amd = analyzeLdl(grid, { ordering: 'amd' }).nnzL;
    const natural = analyzeLdl(grid, { ordering: 'natural' }).nnzL;
    expect(amd).toBeLessThanOrEqual(natural);
    if (k >= 20) expect(amd).toBeLessThan(0.5 * natural);
  });

  it('fill on the 9-point 25×25 grid is well under the natural order’s', () => {
    const g = ninePoint(25);
    expect(analyzeLdl(g, { ordering: 'amd' }).nnzL).toBeLessThan(0.7 * analyzeLdl(g, { ordering: 'natural' }).nnzL);
  });

  it.each([10, 40, 300])('an arrowhead matrix of order %i (hub first) has no fill: the hub goes last', (n) => {
    const rows: number[] = [];
    const cols: number[] = [];
    for (let j = 0; j < n; j++) rows.push(j), cols.push(j);
    for (let j = 1; j < n; j++) rows.push(0), cols.push(j);
    const a = cscFromTriplets(n, n, rows, cols, new Float64Array(rows.length).fill(1));
    const sym = analyzeLdl(a, { denseTail: false });
    expect(sym.perm[n - 1]).toBe(0);
    expect(sym.nnzL).toBe(n - 1);
    expect(analyzeLdl(a, { ordering: 'natural' }).nnzL).toBe((n * (n - 1)) / 2);
  });

  it('handles empty, diagonal and fully dense patterns', () => {
    expect(amdOrder({ nrows: 0, ncols: 0, colPtr: new Int32Array(1), rowIdx: new Int32Array(0) })).toHaveLength(0);
    const diag = cscFromTriplets(5, 5, [0, 1, 2, 3, 4], [0, 1, 2, 3, 4], [1, 1, 1, 1, 1]);
    expect(isPermutation(amdOrder(diag), 5)).toBe(true);
    const n = 12;
    const rows: number[] = [];
    const cols: number[] = [];
    for (let j = 0; j < n; j++) for (let i = 0; i <= j; i++) rows.push(i), cols.push(j);
    expect(isPermutation(amdOrder(cscFromTriplets(n, n, rows, cols, new Float64Array(rows.length))), n)).toBe(true);
  });
});
