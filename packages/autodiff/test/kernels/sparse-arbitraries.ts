/**
 * Arbitraries for the sparse kernels' property tests, built from structure (dimensions, entry
 * lists, margins), so fast-check shrinks a failure to a small matrix.
 */
import fc from 'fast-check';
import { type CscMatrix, cscFromTriplets } from '../../src/kernels/sparse/index.js';

/** A symmetric matrix as its upper triangle (CSC, full diagonal), its dense copy and the pivot signs. */
export interface SymmetricCase {
  readonly n: number;
  readonly upper: CscMatrix;
  readonly dense: Float64Array;
  readonly signs: Int8Array;
}

const entry = (n: number) => fc.record({ i: fc.nat(n - 1), j: fc.nat(n - 1), v: fc.double({ min: -1, max: 1, noNaN: true }) });

/** The upper CSC and dense form of the symmetric matrix with the given entries (each mirrored, summed). */
export function symmetricFrom(
  n: number,
  entries: readonly { i: number; j: number; v: number }[],
  diag: Float64Array,
): SymmetricCase['upper'] & { dense: Float64Array } {
  const dense = new Float64Array(n * n);
  const rows: number[] = [];
  const cols: number[] = [];
  const vals: number[] = [];
  for (let i = 0; i < n; i++) (dense[i * n + i] = diag[i]!), rows.push(i), cols.push(i), vals.push(diag[i]!);
  for (const { i, j, v } of entries) {
    if (i === j) continue;
    dense[i * n + j]! += v;
    dense[j * n + i]! += v;
    rows.push(Math.min(i, j));
    cols.push(Math.max(i, j));
    vals.push(v);
  }
  const m = cscFromTriplets(n, n, rows, cols, vals);
  return Object.assign({ nrows: m.nrows, ncols: m.ncols, colPtr: m.colPtr, rowIdx: m.rowIdx, values: m.values }, { dense });
}

/** Diagonally dominant SPD matrices of order 1…maxN with `entries` random off-diagonal entries. */
export function arbSparseSpd(maxN = 40, maxEntries = 120): fc.Arbitrary<SymmetricCase> {
  return fc
    .integer({ min: 1, max: maxN })
    .chain((n) => fc.tuple(fc.constant(n), fc.array(entry(n), { maxLength: maxEntries }), fc.double({ min: 0.05, max: 2, noNaN: true })))
    .map(([n, entries, margin]) => {
      const rowAbs = new Float64Array(n);
      for (const { i, j, v } of entries) if (i !== j) (rowAbs[i]! += Math.abs(v)), (rowAbs[j]! += Math.abs(v));
      const diag = rowAbs.map((a) => a + margin);
      const { dense, ...upper } = symmetricFrom(n, entries, diag);
      return { n, upper, dense, signs: new Int8Array(n).fill(1) };
    });
}

/**
 * Quasi-definite KKT matrices [[P + εI, Aᵀ], [A, −εI]] with P = BBᵀ (B sparse, so P is PSD and
 * may be singular), A sparse m×nx, and the rows shuffled by a random permutation so the signs
 * are not in two blocks.
 */
export function arbKkt(maxNx = 20, maxM = 25): fc.Arbitrary<SymmetricCase & { readonly nx: number; readonly m: number }> {
  return fc
    .record({ nx: fc.integer({ min: 1, max: maxNx }), m: fc.integer({ min: 0, max: maxM }) })
    .chain(({ nx, m }) =>
      fc.record({
        nx: fc.constant(nx),
        m: fc.constant(m),
        b: fc.array(fc.record({ i: fc.nat(nx - 1), r: fc.nat(nx - 1), v: fc.double({ min: -1, max: 1, noNaN: true }) }), {
          maxLength: 3 * nx,
        }),
        a:
          m === 0
            ? fc.constant([])
            : fc.array(fc.record({ i: fc.nat(m - 1), j: fc.nat(nx - 1), v: fc.double({ min: -2, max: 2, noNaN: true }) }), {
                maxLength: 4 * m,
              }),
        eps: fc.double({ min: 0.01, max: 1, noNaN: true }),
        order: fc.shuffledSubarray([...Array(nx + m).keys()], { minLength: nx + m, maxLength: nx + m }),
      }),
    )
    .map(({ nx, m, b, a, eps, order }) => {
      const n = nx + m;
      const dense = new Float64Array(n * n);
      const at = (i: number, j: number) => order[i]! * n + order[j]!;
      // P = B·Bᵀ with B's column r holding the entries drawn for it.
      const bcols: { i: number; v: number }[][] = Array.from({ length: nx }, () => []);
      for (const { i, r, v } of b) bcols[r]!.push({ i, v });
      for (const col of bcols) for (const p of col) for (const q of col) dense[at(p.i, q.i)]! += p.v * q.v;
      for (let i = 0; i < nx; i++) dense[at(i, i)]! += eps;
      for (let i = 0; i < m; i++) dense[at(nx + i, nx + i)]! -= eps;
      for (const { i, j, v } of a) (dense[at(nx + i, j)]! += v), (dense[at(j, nx + i)]! += v);
      const rows: number[] = [];
      const cols: number[] = [];
      const vals: number[] = [];
      for (let j = 0; j < n; j++) {
        for (let i = 0; i <= j; i++) if (dense[i * n + j] !== 0 || i === j) rows.push(i), cols.push(j), vals.push(dense[i * n + j]!);
      }
      const upper = cscFromTriplets(n, n, rows, cols, vals);
      const signs = new Int8Array(n);
      for (let i = 0; i < n; i++) signs[order[i]!] = i < nx ? 1 : -1;
      return { n, nx, m, upper: { nrows: n, ncols: n, colPtr: upper.colPtr, rowIdx: upper.rowIdx, values: upper.values }, dense, signs };
    });
}

/** The 5-point Laplacian of a k×k grid (4 on the diagonal, −1 to each neighbour), upper triangle. */
export function gridLaplacian(k: number): CscMatrix {
  const rows: number[] = [];
  const cols: number[] = [];
  const vals: number[] = [];
  const id = (i: number, j: number) => i * k + j;
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < k; j++) {
      rows.push(id(i, j)), cols.push(id(i, j)), vals.push(4);
      if (i + 1 < k) rows.push(id(i, j)), cols.push(id(i + 1, j)), vals.push(-1);
      if (j + 1 < k) rows.push(id(i, j)), cols.push(id(i, j + 1)), vals.push(-1);
    }
  }
  return cscFromTriplets(k * k, k * k, rows, cols, vals);
}

/** ‖b − K·x‖∞ / (‖K‖∞‖x‖∞ + ‖b‖∞) for dense row-major K. */
export function relativeResidual(dense: Float64Array, n: number, x: Float64Array, b: Float64Array): number {
  let r = 0;
  let kNorm = 0;
  let xNorm = 0;
  let bNorm = 0;
  for (let i = 0; i < n; i++) {
    let s = 0;
    let row = 0;
    for (let j = 0; j < n; j++) (s += dense[i * n + j]! * x[j]!), (row += Math.abs(dense[i * n + j]!));
    r = Math.max(r, Math.abs(b[i]! - s));
    kNorm = Math.max(kNorm, row);
    xNorm = Math.max(xNorm, Math.abs(x[i]!));
    bNorm = Math.max(bNorm, Math.abs(b[i]!));
  }
  const scale = kNorm * xNorm + bNorm;
  return scale === 0 ? r : r / scale;
}
