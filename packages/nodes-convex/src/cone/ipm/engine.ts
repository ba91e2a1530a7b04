import type { SolveStatus } from '@argmin/autodiff';
import type { IpmCone } from './cone.js';
import type { Scaling } from './equilibrate.js';
import { applyH, type KktSolver } from './kkt.js';
import { dot, mulAdd, mulBothWithAbs, symMulAdd, type Matrix } from './matrix.js';
import { certificateTests, kktMeasure } from './measure.js';

/**
 * A primal-dual interior-point method for  min ½xᵀPx + cᵀx  s.t.  Ax + s = b, s ∈ K  on the
 * homogeneous self-dual embedding with a quadratic objective (Clarabel's formulation):
 *   Px + Aᵀz + cτ = 0,   Ax + s − bτ = 0,   κ = −(cᵀx + bᵀz + xᵀPx/τ),   (s, z) ∈ K × K*, τ, κ ≥ 0.
 * Solutions have τ > 0, κ = 0; infeasibility certificates τ = 0, κ > 0. Each iteration factors
 * the KKT matrix [[P, Aᵀ], [A, −H]] once and solves it three times: for the constant right side
 * (−c, b) and for the predictor and the corrector (Mehrotra), eliminating Δτ by a scalar
 * equation. The data here are the equilibrated ones; convergence and certificates are judged on
 * the unscaled program through `scaling`.
 */
export interface IpmData {
  readonly n: number;
  readonly m: number;
  readonly A: Matrix;
  readonly P: Matrix | null;
  readonly b: Float64Array;
  readonly c: Float64Array;
  readonly scaling: Scaling;
}

export interface IpmOptions {
  readonly tol: number;
  readonly tolInfeasible: number;
  readonly maxIter: number;
}

export interface IpmResult {
  readonly status: SolveStatus;
  readonly iterations: number;
  /** Worst per-row / per-column residual (primal, dual, gap; measure.ts); ∞ for certificates. */
  readonly residual: number;
  /** Unscaled solution (or certificate). */
  readonly x: Float64Array;
  readonly y: Float64Array;
  readonly s: Float64Array;
  /** Scaled final iterate, divided by τ, for the VJP. */
  readonly point: { readonly x: Float64Array; readonly z: Float64Array; readonly s: Float64Array; readonly mu: number };
}

/**
 * Centrality correctors per iteration, at most: each costs a solve, so they pay where a
 * factorization costs many solves (a third changed no iteration count measured).
 */
function maxCorrectors(work: KktSolver['work']): number {
  const ratio = work.factor / Math.max(work.solve, 1);
  return ratio >= 40 ? 2 : ratio >= 8 ? 1 : 0;
}
/** The band [β_lo, β_hi]·σμ the trial point's complementarity products are pulled into. */
const CORRECTOR_BAND = [0.1, 10] as const;

export function solveIpm(d: IpmData, cones: readonly IpmCone[], kkt: KktSolver, opts: IpmOptions): IpmResult {
  const { n, m, A, P, b, c } = d;
  const nu = cones.reduce((a, k) => a + k.degree, 0);
  const x = new Float64Array(n);
  const s = new Float64Array(m);
  const z = new Float64Array(m);
  let tau = 1;
  let kappa = 1;
  for (const k of cones) k.init(s, z);

  const rx = new Float64Array(n);
  const rz = new Float64Array(m);
  const px = new Float64Array(n);
  const ax = new Float64Array(m);
  const atz = new Float64Array(n);
  const products = { ax, aty: atz, px, absAx: new Float64Array(m), absAty: new Float64Array(n) };
  const absX = new Float64Array(n);
  const x1 = new Float64Array(n);
  const z1 = new Float64Array(m);
  const x2 = new Float64Array(n);
  const z2 = new Float64Array(m);
  const dx = new Float64Array(n);
  const dz = new Float64Array(m);
  const ds = new Float64Array(m);
  const dxa = new Float64Array(n);
  const dza = new Float64Array(m);
  const dsa = new Float64Array(m);
  const dS = new Float64Array(m);
  const dSt = new Float64Array(m);
  const bx = new Float64Array(n);
  const bz = new Float64Array(m);
  const tmp = new Float64Array(m);
  const tmp2 = new Float64Array(m);
  const dsPrimal = new Float64Array(m);
  const xn = new Float64Array(n);
  const pxn = new Float64Array(n);
  const negc = c.map((v) => -v);
  const linear = cones.every((k) => k.kind === 'zero' || k.kind === 'nonneg');
  const prog = { A, P, b, c };
  const measure = kktMeasure(prog, null, cones);
  const certificate = certificateTests(prog, null, cones);

  let status: SolveStatus = 'max_iter';
  let residual = Infinity;
  let iter = 0;
  let stalled = 0;
  // The best iterate so far: round-off near the boundary can make late iterations worse.
  let best = Infinity;
  const bestX = new Float64Array(n);
  const bestS = new Float64Array(m);
  const bestZ = new Float64Array(m);
  let bestTau = 1;
  let bestKappa = 1;
  let bestIter = 0;

  /** The KKT right side (bx, bz) of a direction for d_x = f·r_x, d_z = f·r_z and d_s (rows of `dS`). */
  const directionRhs = (fx: number) => {
    for (const k of cones) k.rhs(dS, dSt);
    for (let j = 0; j < n; j++) bx[j] = -fx * rx[j]!;
    for (let i = 0; i < m; i++) bz[i] = -fx * rz[i]! + dSt[i]!;
  };
  /** Direction for the given d_x, d_z, d_τ, d_s (rows of `dS`), d_κ; results into dx, dz, ds. */
  const direction = (fx: number, dtau0: number, dkappa: number): { dtau: number; dkappa: number } => {
    directionRhs(fx);
    kkt.solve(bx, bz, x2, z2);
    return directionFrom(fx, dtau0, dkappa);
  };
  /** The rest of `direction`, once (x2, z2) solves its right side. */
  const directionFrom = (fx: number, dtau0: number, dkappa: number): { dtau: number; dkappa: number } => {
    // Δτ from the third row (see the header); den < 0 always.
    let num = -dtau0 + dkappa / tau;
    for (let j = 0; j < n; j++) num -= (c[j]! + (2 * px[j]!) / tau) * x2[j]!;
    num -= dot(b, z2);
    let den = -kappa / tau;
    if (P) {
      for (let j = 0; j < n; j++) xn[j] = x1[j]! - x[j]! / tau;
      symMulAdd(P, xn, pxn, 1, 0);
      den -= dot(pxn, xn);
    }
    applyH(cones, z1, tmp, tmp2);
    den -= dot(z1, tmp);
    const dtau = num / den;
    for (let j = 0; j < n; j++) dx[j] = x2[j]! + dtau * x1[j]!;
    for (let i = 0; i < m; i++) dz[i] = z2[i]! + dtau * z1[i]!;
    // Δs = −d̃_s − HΔz, the complementarity row, on the orthant (H diagonal, one product per
    // entry) and the zero cone (Δs = 0). On curved cones HΔz and d̃_s are large near the boundary
    // and cancel, and the rounding left in Δs grows the primal residual back at every step (a
    // degenerate SOCP stalled at 1.2e-8 so): there Δs comes from the primal row,
    // AΔx + Δs − bΔτ = −f·r_z. The two agree in exact arithmetic only; the orthant keeps the
    // complementarity row because its fraction-to-boundary rule steps to 1 − 1e-9 of the way and
    // needs s∘z linearised exactly (with the primal row, LPs with equality rows solved by the
    // sparse LDLᵀ lost their last digits at that step and stalled at 2e-9).
    applyH(cones, dz, ds, tmp);
    for (let i = 0; i < m; i++) ds[i] = -dSt[i]! - ds[i]!;
    if (!linear) {
      mulAdd(A, dx, dsPrimal, -1, 0);
      for (const k of cones) {
        if (k.kind === 'zero' || k.kind === 'nonneg') continue;
        for (let i = k.offset; i < k.offset + k.size; i++) ds[i] = dsPrimal[i]! - fx * rz[i]! + dtau * b[i]!;
      }
    }
    return { dtau, dkappa: -(dkappa + kappa * dtau) / tau };
  };
  /** The step along (dx, ds, dz, comb): to the cones' boundary, then backed off until the new point is near the central path (nonsymmetric cones). */
  const centralStep = (comb: { dtau: number; dkappa: number }): number => {
    let alpha = Math.min(1, eta * stepTo(comb.dtau, comb.dkappa, 1 / eta));
    for (let bt = 0; bt < 30 && cones.some((k) => k.central); bt++) {
      for (let i = 0; i < m; i++) {
        tmp[i] = s[i]! + alpha * ds[i]!;
        tmp2[i] = z[i]! + alpha * dz[i]!;
      }
      const muNew = (dot(tmp, tmp2) + (tau + alpha * comb.dtau) * (kappa + alpha * comb.dkappa)) / (nu + 1);
      if (cones.every((k) => !k.central || k.central(tmp, tmp2, muNew))) break;
      alpha *= 0.8;
    }
    return alpha;
  };
  /**
   * The fraction of the step to the cones' boundary that is taken. Orthant programs take
   * max(0.99, 1 − max(μ/τ², residual)), IPOPT's fraction-to-boundary rule with the measured
   * residual beside the complementarity (μ alone can be tiny while rows are still far from
   * feasible on badly scaled data): with a fixed 0.99 the last iterations of a nondegenerate LP
   * shrink μ by exactly 100× each (the full step reaches the boundary), with this rule they
   * converge quadratically (six LPs n = 20…120: 49 → 40 iterations). Curved cones keep 0.99: with
   * steps that close to the boundary their scalings lose accuracy and SOCPs and SDPs stall.
   */
  let eta = 0.99;
  const correctors = maxCorrectors(kkt.work);
  const orthant = correctors > 0 && linear;
  const cdx = orthant ? new Float64Array(n) : dx;
  const cdz = orthant ? new Float64Array(m) : dz;
  const cds = orthant ? new Float64Array(m) : ds;
  /**
   * Gondzio's centrality correctors (orthant programs only): the complementarity products a
   * longer trial step would reach are pulled into [β_lo σμ, β_hi σμ] by one more solve with the
   * same factor, kept only while they lengthen the step. A solve costs a few per cent of a
   * factorization, and a longer step per iteration means fewer iterations (factorizations).
   * Mutates (dx, dz, ds, comb); returns the step length of the direction left there.
   */
  const correct = (comb: { dtau: number; dkappa: number }, alpha: number, sigmaMu: number): number => {
    const lo = CORRECTOR_BAND[0] * sigmaMu;
    const hi = CORRECTOR_BAND[1] * sigmaMu;
    const pull = (v: number) => Math.max(Math.min(Math.max(v, lo), hi) - v, -hi);
    for (let round = 0; round < correctors; round++) {
      const trial = Math.min(1, 1.5 * alpha + 0.1);
      dS.fill(0);
      for (const k of cones) {
        if (k.kind !== 'nonneg') continue;
        for (let i = k.offset; i < k.offset + k.size; i++) dS[i] = -pull((s[i]! + trial * ds[i]!) * (z[i]! + trial * dz[i]!));
      }
      const dk = -pull((tau + trial * comb.dtau) * (kappa + trial * comb.dkappa));
      cdx.set(dx);
      cdz.set(dz);
      cds.set(ds);
      const c = direction(0, 0, dk);
      for (let j = 0; j < n; j++) dx[j]! += cdx[j]!;
      for (let i = 0; i < m; i++) {
        dz[i]! += cdz[i]!;
        ds[i]! += cds[i]!;
      }
      const next = { dtau: comb.dtau + c.dtau, dkappa: comb.dkappa + c.dkappa };
      const longer = centralStep(next);
      if (!(longer >= 1.01 * alpha)) {
        dx.set(cdx);
        dz.set(cdz);
        ds.set(cds);
        return alpha;
      }
      comb.dtau = next.dtau;
      comb.dkappa = next.dkappa;
      const gain = longer - alpha;
      alpha = longer;
      if (gain < 0.1 * (trial - alpha + gain) || alpha >= 1) break;
    }
    return alpha;
  };
  const stepTo = (dtau: number, dkap: number, alphaMax: number): number => {
    let a = alphaMax;
    if (dtau < 0) a = Math.min(a, -tau / dtau);
    if (dkap < 0) a = Math.min(a, -kappa / dkap);
    for (const k of cones) a = k.stepLength(s, z, ds, dz, a);
    return a;
  };

  for (iter = 0; iter <= opts.maxIter; iter++) {
    // Residuals of the embedding.
    symMulAdd(P, x, px, 1, 0);
    mulBothWithAbs(A, x, z, products, absX);
    for (let j = 0; j < n; j++) rx[j] = px[j]! + atz[j]! + c[j]! * tau;
    for (let i = 0; i < m; i++) rz[i] = ax[i]! + s[i]! - b[i]! * tau;
    const xPx = dot(x, px);
    const cx = dot(c, x);
    const bz0 = dot(b, z);
    const rtau = cx + bz0 + xPx / tau + kappa;
    const mu = (dot(s, z) + tau * kappa) / (nu + 1);

    // Convergence per row and column, in the equilibrated units (measure.ts).
    residual = measure(x, s, z, tau, products).worst;
    if (linear) eta = Math.max(0.99, 1 - Math.max(mu / (tau * tau), residual));
    if (residual <= opts.tol) {
      status = 'converged';
      break;
    }
    if (residual < best) {
      best = residual;
      bestX.set(x);
      bestS.set(s);
      bestZ.set(z);
      bestTau = tau;
      bestKappa = kappa;
      bestIter = iter;
    } else if (best <= 1e-6 && residual > 10 * best) break; // lost to round-off: restore the best below
    // Certificates, normalised so that no scale of the data can fake one (measure.ts).
    if (certificate.infeasibility(z, atz) <= opts.tolInfeasible) {
      status = 'infeasible';
      break;
    }
    if (certificate.unboundedness(x, s, { ax, px }) <= opts.tolInfeasible) {
      status = 'unbounded';
      break;
    }
    if (iter === opts.maxIter || stalled >= 3) break;

    let ok = true;
    for (const k of cones) ok = k.scale(s, z, mu) && ok;
    if (!ok || !kkt.factor(cones)) {
      // Round-off at the boundary: keep the last iterate, judged by its residual above.
      status = iter === 0 ? 'failed' : 'max_iter';
      break;
    }
    // The constant right side (−c, b) and the predictor's: both known now, so one paired solve
    // where the KKT solver shares its passes over the factor.
    for (const k of cones) k.affineDs(s, dS);
    directionRhs(1);
    if (kkt.solvePair) kkt.solvePair(negc, b, x1, z1, bx, bz, x2, z2);
    else {
      kkt.solve(negc, b, x1, z1);
      kkt.solve(bx, bz, x2, z2);
    }
    // Predictor.
    const aff = directionFrom(1, rtau, tau * kappa);
    const alphaAff = Math.min(1, stepTo(aff.dtau, aff.dkappa, 1));
    const sigma = (1 - alphaAff) ** 3;
    dxa.set(dx);
    dza.set(dz);
    dsa.set(ds);
    // Corrector (Mehrotra): d_s = λ∘λ + (W⁻ᵀΔs_a)∘(WΔz_a) − σμe; d_κ = τκ + Δτ_aΔκ_a − σμ.
    for (const k of cones) k.combinedDs(s, z, dsa, dza, sigma * mu, dS);
    let comb = direction(1 - sigma, (1 - sigma) * rtau, tau * kappa + aff.dtau * aff.dkappa - sigma * mu);
    let alpha = centralStep(comb);
    // Off the central path the corrected direction can leave no step inside the nonsymmetric
    // cones' neighbourhood: take a pure centring step (σ = 1, no second-order term) instead.
    if (alpha < 1e-3 * alphaAff && cones.some((k) => k.central)) {
      dsa.fill(0);
      dza.fill(0);
      for (const k of cones) k.combinedDs(s, z, dsa, dza, mu, dS);
      comb = direction(0, 0, tau * kappa - mu);
      alpha = centralStep(comb);
    }
    if (orthant && alpha < 1) alpha = correct(comb, alpha, sigma * mu);
    stalled = alpha < 1e-10 ? stalled + 1 : 0;
    for (let j = 0; j < n; j++) x[j]! += alpha * dx[j]!;
    for (let i = 0; i < m; i++) {
      s[i]! += alpha * ds[i]!;
      z[i]! += alpha * dz[i]!;
    }
    tau += alpha * comb.dtau;
    kappa += alpha * comb.dkappa;
  }
  if (status !== 'converged' && status !== 'infeasible' && status !== 'unbounded' && best < residual) {
    x.set(bestX);
    s.set(bestS);
    z.set(bestZ);
    tau = bestTau;
    kappa = bestKappa;
    residual = best;
    iter = Math.max(iter, bestIter);
    status = 'max_iter';
  }
  return finish(d, status, iter, residual, x, s, z, tau, kappa, nu);
}

function finish(
  d: IpmData,
  status: SolveStatus,
  iterations: number,
  residual: number,
  x: Float64Array,
  s: Float64Array,
  z: Float64Array,
  tau: number,
  kappa: number,
  nu: number,
): IpmResult {
  const { n, m } = d;
  const { D, E, cost } = d.scaling;
  const X = new Float64Array(n);
  const Y = new Float64Array(m);
  const S = new Float64Array(m);
  const mu = (dot(s, z) + tau * kappa) / (nu + 1) / (tau * tau);
  const point = { x: x.map((v) => v / tau), z: z.map((v) => v / tau), s: s.map((v) => v / tau), mu };
  if (status === 'infeasible') {
    const scale = -1 / dot(d.b, z);
    for (let i = 0; i < m; i++) Y[i] = D[i]! * z[i]! * scale;
    return { status, iterations, residual: Infinity, x: X, y: Y, s: S, point };
  }
  if (status === 'unbounded') {
    const scale = -cost / dot(d.c, x);
    for (let j = 0; j < n; j++) X[j] = E[j]! * x[j]! * scale;
    for (let i = 0; i < m; i++) S[i] = (s[i]! / D[i]!) * scale;
    return { status, iterations, residual: Infinity, x: X, y: Y, s: S, point };
  }
  for (let j = 0; j < n; j++) X[j] = (E[j]! * x[j]!) / tau;
  for (let i = 0; i < m; i++) {
    Y[i] = (D[i]! * z[i]!) / (tau * cost);
    S[i] = s[i]! / (D[i]! * tau);
  }
  return { status, iterations, residual, x: X, y: Y, s: S, point };
}
