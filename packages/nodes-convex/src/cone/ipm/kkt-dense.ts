import { choleskyInto, dot, gemm, syrk, trsm } from '@argmin/autodiff/kernels';
import type { IpmCone } from './cone.js';
import { addRowsTimes, addRowsTimesTwo, rowsTimesTwo, rowsTimesVector } from './dense-rows.js';
import { applyH, type KktSolver } from './kkt.js';
import { symMulAdd, type Matrix } from './matrix.js';

/**
 * KKT solves for a dense A by block elimination, as cvxopt's 'chol2' does: with the zero cone's
 * rows z first and the others K, eliminate Δz_K = H_K⁻¹(A_KΔx − r_K), giving
 *   S = P + Ā_KᵀĀ_K (Ā_K = W⁻ᵀA_K),   [[S, A_zᵀ], [A_z, 0]]·(Δx, Δz_z) = (r_x + Ā_Kᵀ W⁻ᵀr_K, r_z),
 * then the Schur complement T = A_zS⁻¹A_zᵀ for the equality rows. Both are small SPD
 * matrices factored by Cholesky (gemm does the O(mn²) product); a tiny diagonal shift keeps
 * them definite and two refinement steps against the unregularised K remove its effect.
 */
/**
 * ez −= A·dx and ex −= Aᵀ·dz in one pass over the rows of a (m×n, row-major): each entry is
 * loaded once for both products, and four partial sums keep the dot product's add chain short.
 */
function subtractProducts(
  a: Float64Array,
  m: number,
  n: number,
  dx: Float64Array,
  dz: Float64Array,
  ez: Float64Array,
  ex: Float64Array,
): void {
  for (let i = 0; i < m; i++) {
    const r = i * n;
    const zi = dz[i]!;
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    let j = 0;
    for (; j + 3 < n; j += 4) {
      const a0 = a[r + j]!;
      const a1 = a[r + j + 1]!;
      const a2 = a[r + j + 2]!;
      const a3 = a[r + j + 3]!;
      s0 += a0 * dx[j]!;
      s1 += a1 * dx[j + 1]!;
      s2 += a2 * dx[j + 2]!;
      s3 += a3 * dx[j + 3]!;
      ex[j]! -= a0 * zi;
      ex[j + 1]! -= a1 * zi;
      ex[j + 2]! -= a2 * zi;
      ex[j + 3]! -= a3 * zi;
    }
    for (; j < n; j++) {
      const aj = a[r + j]!;
      s0 += aj * dx[j]!;
      ex[j]! -= aj * zi;
    }
    ez[i]! -= s0 + s1 + (s2 + s3);
  }
}

/** x ← (LLᵀ)⁻¹x for one right side, both sweeps along L's rows (row-major, contiguous). */
function cholSolveVector(L: Float64Array, k: number, x: Float64Array): void {
  for (let i = 0; i < k; i++) {
    const r = i * k;
    x[i] = (x[i]! - dot(i, L, x, r)) / L[r + i]!;
  }
  for (let i = k - 1; i >= 0; i--) {
    const r = i * k;
    const xi = x[i]! / L[r + i]!;
    x[i] = xi;
    for (let p = 0; p < i; p++) x[p]! -= L[r + p]! * xi;
  }
}

/** cholSolveVector for two right sides at once (each entry of L loaded once), bit for bit its results. */
function cholSolveTwo(L: Float64Array, k: number, x: Float64Array, y: Float64Array): void {
  for (let i = 0; i < k; i++) {
    const r = i * k;
    // dot()'s two partial sums, for each side.
    let s0 = 0;
    let s1 = 0;
    let t0 = 0;
    let t1 = 0;
    let p = 0;
    for (; p + 1 < i; p += 2) {
      const l0 = L[r + p]!;
      const l1 = L[r + p + 1]!;
      s0 += l0 * x[p]!;
      s1 += l1 * x[p + 1]!;
      t0 += l0 * y[p]!;
      t1 += l1 * y[p + 1]!;
    }
    if (p < i) {
      s0 += L[r + p]! * x[p]!;
      t0 += L[r + p]! * y[p]!;
    }
    const d = L[r + i]!;
    x[i] = (x[i]! - (s0 + s1)) / d;
    y[i] = (y[i]! - (t0 + t1)) / d;
  }
  for (let i = k - 1; i >= 0; i--) {
    const r = i * k;
    const d = L[r + i]!;
    const xi = x[i]! / d;
    const yi = y[i]! / d;
    x[i] = xi;
    y[i] = yi;
    for (let p = 0; p < i; p++) {
      const l = L[r + p]!;
      x[p]! -= l * xi;
      y[p]! -= l * yi;
    }
  }
}

/** A solve whose first residual is at most this (relative) is refined once without measuring again. */
const TRUSTED = 1e-9;
/** Relative diagonal shifts tried in turn to keep S and T definite (refinement removes their effect). */
const SHIFTS = [1e-14, 1e-12];
/**
 * Refinement stops below this residual relative to the right side: 1000× under the engine's
 * tightest per-row tolerance on equilibrated data (rows and x near 1).
 */
const SOLVE_TOL = 1e-12;

export function denseKkt(A: Matrix & { kind: 'dense' }, P: Matrix | null, mz: number): KktSolver {
  const { rows: m, cols: n } = A;
  const mk = m - mz;
  const abar = new Float64Array(m * n);
  const S = new Float64Array(n * n);
  const Ls = new Float64Array(n * n);
  const Y = new Float64Array(n * Math.max(mz, 1)); // S⁻¹A_zᵀ, n×mz
  const T = new Float64Array(mz * mz);
  const Lt = new Float64Array(mz * mz);
  const t = new Float64Array(m);
  const rhat = new Float64Array(n);
  const vz = new Float64Array(Math.max(mz, 1));
  const ex = new Float64Array(n);
  const ez = new Float64Array(m);
  const cx = new Float64Array(n);
  const cz = new Float64Array(m);
  const tmp = new Float64Array(m);
  const t2 = new Float64Array(m);
  const tmp2 = new Float64Array(m);
  let cones: readonly IpmCone[] = [];
  let lastRes = Number.NaN;

  const cholSolve = (L: Float64Array, k: number, x: Float64Array, nrhs: number) => {
    if (nrhs === 1) return cholSolveVector(L, k, x);
    trsm({ lower: true }, k, nrhs, L, 0, k, x, 0, nrhs);
    trsm({ lower: true, transpose: true }, k, nrhs, L, 0, k, x, 0, nrhs);
  };
  const shifted = (M: Float64Array, k: number, L: Float64Array): boolean => {
    let dmax = 0;
    for (let i = 0; i < k; i++) dmax = Math.max(dmax, M[i * k + i]!);
    // The smallest shift first (its solves then rarely need refining), a larger one if S is
    // not numerically definite with it.
    let added = 0;
    for (const rel of SHIFTS) {
      const shift = rel * Math.max(dmax, 1);
      for (let i = 0; i < k; i++) M[i * k + i]! += shift - added;
      added = shift;
      if (choleskyInto(M, k, L) < 0) return true;
    }
    return false;
  };
  const solveOnce = (rx: Float64Array, rz: Float64Array, dx: Float64Array, dz: Float64Array) => {
    // t = W⁻ᵀ r_K;  r̂ = r_x + Ā_Kᵀ t.
    for (const c of cones) if (c.kind !== 'zero') c.apply('WinvT', rz, t, 1, 1);
    rhat.set(rx);
    addRowsTimes(abar, mz, m, n, t, rhat);
    if (mz > 0) {
      // Δz_z = T⁻¹(A_z S⁻¹ r̂ − r_z),  Δx = S⁻¹(r̂ − A_zᵀΔz_z).
      gemm(true, false, mz, 1, n, 1, Y, 0, mz, rhat, 0, 1, 0, vz, 0, 1);
      for (let i = 0; i < mz; i++) vz[i]! -= rz[i]!;
      cholSolve(Lt, mz, vz, 1);
      for (let i = 0; i < mz; i++) dz[i] = vz[i]!;
      gemm(true, false, n, 1, mz, -1, A.data, 0, n, vz, 0, 1, 1, rhat, 0, 1);
    }
    dx.set(rhat);
    cholSolve(Ls, n, dx, 1);
    // Δz_K = W⁻¹(Ā_KΔx − t).
    rowsTimesVector(abar, mz, m, n, dx, tmp);
    for (let i = mz; i < m; i++) tmp[i]! -= t[i]!;
    for (const c of cones) if (c.kind !== 'zero') c.apply('Winv', tmp, dz, 1, 1);
  };

  /**
   * solveOnce for two right sides (no equality rows): the passes over Ā and the sweeps of L read
   * each entry once for both. Each side's arithmetic is solveOnce's, in its order.
   */
  const solveOnceTwo: NonNullable<KktSolver['solvePair']> = (rx, rz, dx, dz, rx2, rz2, dx2, dz2) => {
    for (const c of cones) {
      if (c.kind === 'zero') continue;
      c.apply('WinvT', rz, t, 1, 1);
      c.apply('WinvT', rz2, t2, 1, 1);
    }
    dx.set(rx);
    dx2.set(rx2);
    addRowsTimesTwo(abar, 0, m, n, t, t2, dx, dx2);
    cholSolveTwo(Ls, n, dx, dx2);
    rowsTimesTwo(abar, 0, m, n, dx, dx2, tmp, tmp2);
    for (let i = 0; i < m; i++) {
      tmp[i]! -= t[i]!;
      tmp2[i]! -= t2[i]!;
    }
    for (const c of cones) {
      if (c.kind === 'zero') continue;
      c.apply('Winv', tmp, dz, 1, 1);
      c.apply('Winv', tmp2, dz2, 1, 1);
    }
  };

  const keep = { rx: new Float64Array(n), rz: new Float64Array(m), dx: new Float64Array(n), dz: new Float64Array(m) };
  let pending = false;
  /**
   * Whether the current factor's first solve met SOLVE_TOL without refinement. The later solves
   * with the same factor (the iteration's predictor, corrector and centrality correctors) are then
   * taken unrefined and unmeasured: a refined solve costs a residual pass over A besides the
   * solve's two over Ā, and the accuracy of a normal-equations solve is set by the factor's
   * conditioning, which the first solve has just measured.
   */
  let clean = false;
  let solvesOfFactor = 0;
  const keepForLater = (rx: Float64Array, rz: Float64Array, dx: Float64Array, dz: Float64Array) => {
    keep.rx.set(rx);
    keep.rz.set(rz);
    keep.dx.set(dx);
    keep.dz.set(dz);
    pending = true;
  };
  const maxResidual = () => {
    let res = 0;
    for (let j = 0; j < n; j++) res = Math.max(res, Math.abs(ex[j]!));
    for (let i = 0; i < m; i++) res = Math.max(res, Math.abs(ez[i]!));
    return res;
  };
  /** (ex, ez) = (rx, rz) − K·(dx, dz) of the unregularised K, A read once for Adx and Aᵀdz. */
  const residual = (rx: Float64Array, rz: Float64Array, dx: Float64Array, dz: Float64Array) => {
    symMulAdd(P, dx, ex, -1, 0);
    applyH(cones, dz, ez, tmp);
    subtractProducts(A.data, m, n, dx, dz, ez, ex);
    for (let i = 0; i < m; i++) ez[i]! += rz[i]!;
    for (let j = 0; j < n; j++) ex[j]! += rx[j]!;
  };

  // S = P + ĀᵀĀ (lower half) and its Cholesky, Y and T for the equality rows; a solve reads Ā
  // twice and A once (the residual), and sweeps L twice.
  const work = {
    factor: (mk * n * (n + 1)) / 2 + n ** 3 / 6 + mz * n * n + (mz * mz * n) / 2 + mz ** 3 / 6,
    solve: 4 * m * n + n * n + mz * (2 * n + mz),
  };
  const solver: KktSolver = {
    work,
    factor(cs) {
      cones = cs;
      clean = false;
      solvesOfFactor = 0;
      for (const c of cs) if (c.kind !== 'zero') c.apply('WinvT', A.data, abar, n, n);
      if (P) {
        if (P.kind === 'dense') S.set(P.data);
        else throw new Error('denseKkt: sparse P with dense A is converted by the engine');
      }
      // The lower triangle of S ← β·S + ĀᵀĀ (Cholesky reads only that).
      if (mk > 0) syrk(true, n, mk, 1, abar, mz * n, n, P ? 1 : 0, S, 0, n);
      else if (!P) S.fill(0);
      if (!shifted(S, n, Ls)) return false;
      if (mz > 0) {
        // Y = S⁻¹A_zᵀ (n×mz), T = A_zY.
        for (let i = 0; i < mz; i++) for (let j = 0; j < n; j++) Y[j * mz + i] = A.data[i * n + j]!;
        cholSolve(Ls, n, Y, mz);
        gemm(false, false, mz, mz, n, 1, A.data, 0, n, Y, 0, mz, 0, T, 0, mz);
        if (!shifted(T, mz, Lt)) return false;
      }
      return true;
    },
    solve(rx, rz, dx, dz) {
      solveOnce(rx, rz, dx, dz);
      refine(rx, rz, dx, dz);
    },
    solvePair(rx, rz, dx, dz, rx2, rz2, dx2, dz2) {
      if (mz > 0) {
        solver.solve(rx, rz, dx, dz);
        solver.solve(rx2, rz2, dx2, dz2);
        return;
      }
      solveOnceTwo(rx, rz, dx, dz, rx2, rz2, dx2, dz2);
      refine(rx, rz, dx, dz);
      refine(rx2, rz2, dx2, dz2);
    },
    lastResidual: () => {
      if (pending) {
        residual(keep.rx, keep.rz, keep.dx, keep.dz);
        lastRes = maxResidual();
        pending = false;
      }
      return lastRes;
    },
  };
  return solver;

  /** Refines a solveOnce result in place (see `clean`). */
  function refine(rx: Float64Array, rz: Float64Array, dx: Float64Array, dz: Float64Array): void {
    if (clean) {
      // The residual is measured only if lastResidual() asks for it.
      keepForLater(rx, rz, dx, dz);
      return;
    }
    const first = solvesOfFactor++ === 0;
    // Refine until the residual of the unregularised K stops shrinking (the normal equations
    // lose accuracy like cond(S) as μ → 0; refinement recovers it while it contracts).
    let scale = 0;
    for (let j = 0; j < n; j++) scale = Math.max(scale, Math.abs(rx[j]!));
    for (let i = 0; i < m; i++) scale = Math.max(scale, Math.abs(rz[i]!));
    scale += 1;
    const bound = SOLVE_TOL * scale;
    let last = Infinity;
    pending = false;
    for (let step = 0; step < 8; step++) {
      residual(rx, rz, dx, dz);
      const res = maxResidual();
      lastRes = res;
      if (res <= bound && step === 0 && first) clean = true;
      if (res <= bound || res > 0.5 * last) break;
      last = res;
      solveOnce(ex, ez, cx, cz);
      for (let j = 0; j < n; j++) dx[j]! += cx[j]!;
      for (let i = 0; i < m; i++) dz[i]! += cz[i]!;
      if (res <= TRUSTED * scale) {
        // One step from here contracts to round-off (the residual shrinks by about its own
        // relative size): the residual is measured only if lastResidual() asks for it.
        keepForLater(rx, rz, dx, dz);
        break;
      }
    }
  }
}
