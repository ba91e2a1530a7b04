import { dot, ldltInto, luInto, luSolveInto, syrk, type LuFactor } from '@argmin/autodiff/kernels';
import type { IpmCone } from './cone.js';
import { addRowsTimes, rowsTimesVector } from './dense-rows.js';
import type { KktSolver } from './kkt.js';
import { symMulAdd, type Matrix } from './matrix.js';

/**
 * The KKT system K = [[P, Aᵀ], [A, −H]] at the interior point's final iterate of an orthant
 * program (zero and nonnegative cones, dense A), for the VJP. There H = diag(s/z) spans 1/μ to μ.
 * Rows with H_ii ≥ 1 (slack above multiplier: inactive) are eliminated into the primal block,
 * Δz_i = (A_iΔx − r_i)/H_ii, which adds A_iᵀA_i/H_ii (at most A_iᵀA_i) to it; the other rows
 * (active and equality rows) stay with −H_ii ∈ (−1, 0]. The reduced matrix
 *   [[P + Σ_inactive A_iᵀA_i/H_ii, A_Rᵀ], [A_R, −H_R]]
 * has entries bounded by the data, tends to the active face's KKT matrix [[P, A_actᵀ], [A_act, 0]]
 * as μ → 0, and is quasi-definite after a small static shift: a dense LDLᵀ without pivoting of
 * order n + |R| factors it, and refinement against the unreduced, unshifted K removes the shift.
 * The forward's normal equations (kkt-dense.ts) instead carry the active rows' 1/H ≈ 1/μ and
 * lose digits there; the sparse LDLᵀ of the whole K is exact but factors all m + n rows.
 *
 * At a nondegenerate vertex (|R| = n, A_R nonsingular: an LP's optimal basis) the LU of the basis
 * B = A_R alone, n³/3 multiply–adds against (2n)³/3 for the LDLᵀ and no syrk, solves the limit
 * system: BΔx = r_R, then BᵀΔz_R = r_x − PΔx − Σ_inactive A_iᵀΔz_i, the neglected −H_RΔz_R
 * (entries ~μ) going to the refinement. When the refinement does not contract to the tolerance
 * (H_R not small next to B, or B near singular) the solver falls back to the LDLᵀ above.
 */
export function finalKkt(A: Matrix & { kind: 'dense' }, P: (Matrix & { kind: 'dense' }) | null): KktSolver {
  const { rows: m, cols: n, data: a } = A;
  const h = new Float64Array(m);
  const ones = new Float64Array(m).fill(1);
  /** Rows kept in the reduced system, in order, then the eliminated ones. */
  const kept = new Int32Array(m);
  const dropped = new Int32Array(m);
  let nk = 0;
  let nd = 0;
  const scaledRows = new Float64Array(m * n);
  let order = n;
  let reduced = new Float64Array(0);
  let ld = new Float64Array(0);
  const ex = new Float64Array(n);
  const ez = new Float64Array(m);
  const cx = new Float64Array(n);
  const cz = new Float64Array(m);
  const negDz = new Float64Array(m);
  let rhs = new Float64Array(0);
  let lastRes = Number.NaN;
  const basis = new Float64Array(n * n);
  const lu: LuFactor = { kind: 'lu', n, batch: 1, lu: new Float64Array(n * n), pivots: new Int32Array(n) };
  const t = new Float64Array(n);
  /** Whether solves use the basis's LU (else the reduced system's LDLᵀ). */
  let onBasis = false;

  /** The limit system's solution from the basis's LU (see the header). */
  const solveBasis = (rx: Float64Array, rz: Float64Array, dx: Float64Array, dz: Float64Array) => {
    for (let q = 0; q < nk; q++) dx[q] = rz[kept[q]!]!;
    luSolveInto(lu, 0, dx, 0, 1);
    t.set(rx);
    symMulAdd(P, dx, t, -1, 1);
    for (let q = 0; q < nd; q++) {
      const i = dropped[q]!;
      const r = i * n;
      let v = -rz[i]!;
      for (let j = 0; j < n; j++) v += a[r + j]! * dx[j]!;
      const zi = v / h[i]!;
      dz[i] = zi;
      for (let j = 0; j < n; j++) t[j]! -= a[r + j]! * zi;
    }
    luSolveInto(lu, 0, t, 0, 1, true);
    for (let q = 0; q < nk; q++) dz[kept[q]!] = t[q]!;
  };

  const solveReduced = (rx: Float64Array, rz: Float64Array, dx: Float64Array, dz: Float64Array) => {
    rhs.fill(0);
    for (let j = 0; j < n; j++) rhs[j] = rx[j]!;
    for (let q = 0; q < nd; q++) {
      const i = dropped[q]!;
      const f = rz[i]! / h[i]!;
      const r = i * n;
      for (let j = 0; j < n; j++) rhs[j]! += a[r + j]! * f;
    }
    for (let q = 0; q < nk; q++) rhs[n + q] = rz[kept[q]!]!;
    ldlSolveVector(ld, order, rhs);
    for (let j = 0; j < n; j++) dx[j] = rhs[j]!;
    for (let q = 0; q < nk; q++) dz[kept[q]!] = rhs[n + q]!;
    for (let q = 0; q < nd; q++) {
      const i = dropped[q]!;
      const r = i * n;
      let v = -rz[i]!;
      for (let j = 0; j < n; j++) v += a[r + j]! * dx[j]!;
      dz[i] = v / h[i]!;
    }
  };
  /** (ex, ez) = (rx, rz) − K·(dx, dz), and its largest entry. */
  const residual = (rx: Float64Array, rz: Float64Array, dx: Float64Array, dz: Float64Array): number => {
    // ex = rx − P·dx − Aᵀdz, ez = rz − A·dx + H·dz, each product four rows of A per pass.
    symMulAdd(P, dx, ex, -1, 0);
    for (let i = 0; i < m; i++) negDz[i] = -dz[i]!;
    addRowsTimes(a, 0, m, n, negDz, ex);
    for (let j = 0; j < n; j++) ex[j]! += rx[j]!;
    rowsTimesVector(a, 0, m, n, dx, ez);
    for (let i = 0; i < m; i++) ez[i] = rz[i]! - ez[i]! + h[i]! * dz[i]!;
    let res = 0;
    for (let j = 0; j < n; j++) res = Math.max(res, Math.abs(ex[j]!));
    for (let i = 0; i < m; i++) res = Math.max(res, Math.abs(ez[i]!));
    return res;
  };

  /** The reduced system's LDLᵀ (see the header); false if it failed. */
  const factorReduced = (): boolean => {
    order = n + nk;
    if (reduced.length !== order * order) {
      reduced = new Float64Array(order * order);
      rhs = new Float64Array(order);
    } else reduced.fill(0);
    // The primal block: P + Σ A_iᵀA_i/H_ii over the eliminated rows, by one syrk of the scaled rows.
    for (let q = 0; q < nd; q++) {
      const i = dropped[q]!;
      const f = 1 / Math.sqrt(h[i]!);
      for (let j = 0; j < n; j++) scaledRows[q * n + j] = a[i * n + j]! * f;
    }
    const block = new Float64Array(n * n);
    if (P) block.set(P.data);
    if (nd > 0) syrk(true, n, nd, 1, scaledRows, 0, n, P ? 1 : 0, block, 0, n);
    let scale = 1;
    for (let j = 0; j < n; j++) scale = Math.max(scale, Math.abs(block[j * n + j]!));
    for (let q = 0; q < nk; q++) for (let j = 0; j < n; j++) scale = Math.max(scale, Math.abs(a[kept[q]! * n + j]!));
    // The shift keeps the matrix quasi-definite where P and the eliminated rows leave the primal
    // block singular or the kept rows are dependent; refinement takes it out again.
    const shift = 1e-10 * scale;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j <= i; j++) reduced[i * order + j] = block[i * n + j]!;
      reduced[i * order + i]! += shift;
    }
    for (let q = 0; q < nk; q++) {
      const row = (n + q) * order;
      const i = kept[q]!;
      for (let j = 0; j < n; j++) reduced[row + j] = a[i * n + j]!;
      reduced[row + n + q] = -h[i]! - shift;
    }
    if (ld.length !== order * order) ld = new Float64Array(order * order);
    return ldltInto(reduced, order, ld, 0, 0, 0) < 0;
  };
  /** Refined solve with the current factor; true if it reached `tol` relative to the right side. */
  const refined = (rx: Float64Array, rz: Float64Array, dx: Float64Array, dz: Float64Array, tol: number): boolean => {
    const once = onBasis ? solveBasis : solveReduced;
    once(rx, rz, dx, dz);
    let scale = 1;
    for (let j = 0; j < n; j++) scale = Math.max(scale, Math.abs(rx[j]!));
    for (let i = 0; i < m; i++) scale = Math.max(scale, Math.abs(rz[i]!));
    let last = Infinity;
    for (let step = 0; step < 6; step++) {
      const res = residual(rx, rz, dx, dz);
      lastRes = res;
      if (res <= 1e-14 * scale) return true;
      if (res > 0.5 * last) break;
      last = res;
      once(ex, ez, cx, cz);
      for (let j = 0; j < n; j++) dx[j]! += cx[j]!;
      for (let i = 0; i < m; i++) dz[i]! += cz[i]!;
    }
    return lastRes <= tol * scale;
  };

  return {
    // A syrk of the eliminated rows, an LDLᵀ of order n + |R|; a solve reads A about three times.
    work: { factor: (m * n * n) / 2 + (n + m) ** 3 / 3, solve: 3 * m * n + (n + m) ** 2 },
    factor(cones: readonly IpmCone[]) {
      h.fill(0);
      for (const c of cones) {
        if (c.kind === 'zero') continue;
        if (c.kind !== 'nonneg') throw new Error('finalKkt: orthant programs only');
        c.apply('W', ones, h, 1, 1);
      }
      nk = 0;
      nd = 0;
      for (let i = 0; i < m; i++) {
        h[i] = h[i]! * h[i]!;
        if (h[i]! >= 1) dropped[nd++] = i;
        else kept[nk++] = i;
      }
      onBasis = false;
      if (nk === n && n > 0) {
        for (let q = 0; q < nk; q++) basis.set(a.subarray(kept[q]! * n, kept[q]! * n + n), q * n);
        onBasis = luInto(basis, n, lu.lu, lu.pivots) < 0;
      }
      return onBasis || factorReduced();
    },
    solve(rx, rz, dx, dz) {
      // The basis's solve must reach the LDLᵀ's accuracy, or the LDLᵀ takes over.
      if (onBasis && refined(rx, rz, dx, dz, BASIS_TOL)) return;
      if (onBasis) {
        onBasis = false;
        if (!factorReduced()) {
          lastRes = Infinity;
          return;
        }
      }
      refined(rx, rz, dx, dz, Infinity);
    },
    lastResidual: () => lastRes,
  };
}

/** The relative residual the basis's refined solve must reach before the LDLᵀ is tried instead. */
const BASIS_TOL = 1e-12;

/** x ← (LDLᵀ)⁻¹x for one right side (ldltInto's layout: unit L below the diagonal, D on it), along L's rows. */
function ldlSolveVector(ld: Float64Array, k: number, x: Float64Array): void {
  for (let i = 0; i < k; i++) x[i] = x[i]! - dot(i, ld, x, i * k);
  for (let i = 0; i < k; i++) x[i] = x[i]! / ld[i * k + i]!;
  for (let i = k - 1; i >= 0; i--) {
    const r = i * k;
    const xi = x[i]!;
    for (let p = 0; p < i; p++) x[p]! -= ld[r + p]! * xi;
  }
}
