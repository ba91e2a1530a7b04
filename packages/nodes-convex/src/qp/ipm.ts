import { addMatTVec, dotN, matVec, normInf, type QpElement } from './dense.js';
import { ReducedKkt } from './kkt.js';

export type IpmStatus = 'converged' | 'max_iter' | 'infeasible' | 'unbounded' | 'failed';

/** A starting point; any missing part is filled from the default initialization. */
export interface WarmPoint {
  readonly z?: Float64Array;
  readonly lam?: Float64Array;
  readonly nu?: Float64Array;
  readonly slack?: Float64Array;
}

export interface IpmSettings {
  /** Relative tolerance on primal and dual residuals and on the duality gap. */
  readonly tol: number;
  readonly maxIter: number;
  readonly warm?: WarmPoint | undefined;
  /**
   * Called with the (normalized) iterate and its relative residual at every iteration; returning
   * true ends the solve as converged (the polish step: it takes over the iterate if it finds a
   * KKT point that passes the acceptance test, and decides itself when an attempt is worth it).
   */
  readonly finish?: ((x: Float64Array, lam: Float64Array, nu: Float64Array, s: Float64Array, rel: number) => boolean) | undefined;
  /**
   * Confirms a certificate before it is reported (the caller checks it on the original,
   * unscaled data): the unnormalized iterate's λ, ν for 'infeasible', x for 'unbounded'.
   * Returning false lets the iteration go on.
   */
  readonly certify?: ((kind: 'infeasible' | 'unbounded', x: Float64Array, lam: Float64Array, nu: Float64Array) => boolean) | undefined;
}

export interface IpmResult {
  readonly status: IpmStatus;
  readonly iterations: number;
  /** Whether `finish` accepted an iterate. */
  readonly finished: boolean;
  /** The solution (zeros unless converged or stopped at max_iter). */
  readonly x: Float64Array;
  readonly lam: Float64Array;
  readonly nu: Float64Array;
  readonly s: Float64Array;
  /** The KKT factorization object (last factored at the previous iterate). */
  readonly kkt: ReducedKkt;
}

/** Certificates of infeasibility/unboundedness are accepted to this relative accuracy. */
const INFEASIBILITY_TOL = 1e-9;
/** Fraction of the step to the boundary of the positive orthant. */
const STEP_FRACTION = 0.99;

/**
 * A primal–dual interior-point method with Mehrotra's predictor–corrector on the homogeneous
 * self-dual embedding of the QP (the formulation of Clarabel: Goulart & Chen, 2024), for one
 * batch element. Variables (x, λ, ν, s, τ, κ) with λ, s, τ, κ > 0 satisfy, at a solution,
 *   Qx + Gᵀλ + Aᵀν + pτ = 0,  Gx + s − hτ = 0,  Ax − bτ = 0,  pᵀx + hᵀλ + bᵀν + xᵀQx/τ + κ = 0,
 *   λ∘s = 0, τκ = 0;
 * then (x, λ, ν, s)/τ solves the QP, while τ → 0 with κ > 0 yields a certificate that the QP is
 * infeasible (Farkas: λ ≥ 0, Gᵀλ + Aᵀν = 0, hᵀλ + bᵀν < 0) or unbounded (a direction x with
 * Qx = 0, Ax = 0, Gx ≤ 0, pᵀx < 0). Each iteration factors the KKT system once (ReducedKkt) and
 * solves it three times: for τ's column, the affine (predictor) and the combined direction.
 */
export function interiorPoint(el: QpElement, settings: IpmSettings, work: IpmWorkspace = ipmWorkspace(el)): IpmResult {
  if (work.kkt.n !== el.n || work.kkt.m !== el.m || work.kkt.k !== el.k) throw new Error('interiorPoint: workspace of other sizes');
  const run = new IpmRun(el, settings, work);
  if (!run.initialize()) return run.result('failed', 0, false);
  for (let iter = 0; ; iter++) {
    const rel = run.residuals();
    if (settings.finish && run.offerFinish(settings.finish, rel)) return run.result('converged', iter, true);
    if (rel <= settings.tol) return run.result('converged', iter, false);
    const certificate = run.certificate();
    if (certificate !== null && run.confirm(certificate, settings.certify)) return run.result(certificate, iter, false);
    if (iter >= settings.maxIter) return run.result('max_iter', iter, false);
    // A factorization or step that fails this close to the boundary (λ/s over- or underflowing)
    // ends the solve; within 100·tol it is a solution of slightly reduced accuracy, else a failure.
    const stalled = rel <= 100 * settings.tol ? 'converged' : 'failed';
    if (!run.factorTauColumn()) return run.result(stalled, iter, false);
    const alpha = run.predictorCorrector();
    if (!(alpha > 1e-12)) return run.result(stalled, iter, false);
    run.advance(alpha);
  }
}

/** One solve's iterate and its steps; the buffers live in the shared workspace. */
class IpmRun {
  private tau = 1;
  private kap = 1;
  private dtau = 0;
  private dkap = 0;
  /** The Schur complement of τ in the embedded Newton system. */
  private den = -1;
  /** The residual of the embedding's scalar row, and its parts pᵀx and hᵀλ + bᵀν. */
  private rt = 0;
  private px = 0;
  private hl = 0;
  private readonly hbNorm: number;
  private readonly pNorm: number;

  constructor(
    private readonly el: QpElement,
    private readonly settings: IpmSettings,
    private readonly w: IpmWorkspace,
  ) {
    w.kkt.load(el);
    for (let i = 0; i < el.n; i++) w.negP[i] = -el.p[i]!;
    this.hbNorm = Math.max(normInf(el.h), normInf(el.b));
    this.pNorm = normInf(el.p);
  }

  /**
   * cvxopt's starting point: the KKT solution with D = I, then λ and s shifted into the interior.
   * A warm start replaces the parts it gives, keeping λ and s away from zero.
   */
  initialize(): boolean {
    const { n, m, G, h, b } = this.el;
    const { kkt, x, lam, nu, s, gx, negP } = this.w;
    const warm = this.settings.warm;
    lam.fill(1);
    s.fill(1);
    if (!kkt.factor(lam, s)) return false;
    kkt.solve(negP, h, b, x, lam, nu);
    for (let i = 0; i < m; i++) s[i] = -lam[i]!;
    shiftIntoInterior(s);
    shiftIntoInterior(lam);
    if (!warm) return true;
    if (warm.z) x.set(warm.z);
    if (warm.nu) nu.set(warm.nu);
    matVec(m, n, G, x, gx);
    const floor = 1e-3 * (1 + this.hbNorm);
    for (let i = 0; i < m; i++) {
      s[i] = Math.max(warm.slack ? warm.slack[i]! : h[i]! - gx[i]!, floor);
      if (warm.lam) lam[i] = Math.max(warm.lam[i]!, floor);
    }
    this.kap = m > 0 ? Math.max(dotN(m, lam, s) / m, 1e-8) : 1;
    return true;
  }

  /** The embedding's residuals; returns the relative residual of the normalized iterate (x, λ, ν, s)/τ. */
  residuals(): number {
    const { n, m, k, Q, p, G, h, A, b } = this.el;
    const { x, lam, nu, s, Qx, rx, rl, rn, gx, ax } = this.w;
    const tau = this.tau;
    matVec(n, n, Q, x, Qx);
    for (let i = 0; i < n; i++) rx[i] = Qx[i]! + p[i]! * tau;
    addMatTVec(m, n, 1, G, lam, rx);
    addMatTVec(k, n, 1, A, nu, rx);
    matVec(m, n, G, x, gx);
    for (let i = 0; i < m; i++) rl[i] = gx[i]! + s[i]! - h[i]! * tau;
    matVec(k, n, A, x, ax);
    for (let i = 0; i < k; i++) rn[i] = ax[i]! - b[i]! * tau;
    const xQx = dotN(n, x, Qx);
    const px = dotN(n, p, x);
    const hl = dotN(m, h, lam) + dotN(k, b, nu);
    this.rt = px + hl + this.kap + xQx / tau;
    this.px = px;
    this.hl = hl;

    // Each residual relative to the size of its own terms, with no absolute "1 +": the data are
    // equilibrated (matrices of order 1), but the solution and right-hand sides may be of any
    // size, and an absolute floor would accept a point of data scaled by 1e-12 as it stands.
    const pres = Math.max(normInf(rl), normInf(rn)) / tau;
    const dres = normInf(rx) / tau;
    const xn = normInf(x) / tau;
    const pobj = ((0.5 * xQx) / tau + px) / tau;
    const dobj = ((-0.5 * xQx) / tau - hl) / tau;
    const tiny = Number.MIN_VALUE;
    return Math.max(
      pres / Math.max(this.hbNorm, xn, normInf(s) / tau, tiny),
      dres / Math.max(this.pNorm, normInf(Qx) / tau, normInf(lam) / tau, normInf(nu) / tau, tiny),
      Math.abs(pobj - dobj) / Math.max(Math.abs(pobj), Math.abs(dobj), Math.abs(xQx / tau / tau), Math.abs(px / tau), tiny),
    );
  }

  /** Hands the normalized iterate to the polish step; true when it took over. */
  offerFinish(finish: NonNullable<IpmSettings['finish']>, rel: number): boolean {
    const { x, lam, nu, s } = this.w;
    return finish(this.scaled(x), this.scaled(lam), this.scaled(nu), this.scaled(s), rel);
  }

  /** An infeasibility or unboundedness certificate, on the unnormalized iterate (after `residuals`). */
  certificate(): 'infeasible' | 'unbounded' | null {
    const { n, m, k, G, A } = this.el;
    const { lam, nu, Qx, gx, ax, tmp } = this.w;
    const { px, hl } = this;
    if (m + k > 0 && hl < 0) {
      tmp.fill(0);
      addMatTVec(m, n, 1, G, lam, tmp);
      addMatTVec(k, n, 1, A, nu, tmp);
      if (normInf(tmp) <= INFEASIBILITY_TOL * -hl) return 'infeasible';
    }
    if (px < 0) {
      let viol = Math.max(normInf(Qx), normInf(ax));
      for (let i = 0; i < m; i++) viol = Math.max(viol, gx[i]!);
      if (viol <= INFEASIBILITY_TOL * -px) return 'unbounded';
    }
    return null;
  }

  /** Whether the caller confirms a certificate found on this iterate (true without a checker). */
  confirm(kind: 'infeasible' | 'unbounded', certify: IpmSettings['certify']): boolean {
    const { x, lam, nu } = this.w;
    return certify === undefined || certify(kind, x, lam, nu);
  }

  /** Factors the KKT system at (λ, s), then the column of τ: (x1, λ1, ν1) = K⁻¹(−p, h, b). */
  factorTauColumn(): boolean {
    const { n, m, Q, p, h, b } = this.el;
    const { kkt, x, lam, s, Qx, negP, x1, l1, n1, tmp, qTmp, q2 } = this.w;
    const tau = this.tau;
    if (!kkt.factor(lam, s)) return false;
    kkt.solve(negP, h, b, x1, l1, n1);
    for (let i = 0; i < n; i++) tmp[i] = x1[i]! - x[i]! / tau;
    matVec(n, n, Q, tmp, qTmp);
    let wl = 0;
    for (let i = 0; i < m; i++) wl += (l1[i]! * l1[i]! * s[i]!) / lam[i]!;
    // The Schur complement of τ, written as a negative sum of squares (Clarabel's form).
    this.den = -(dotN(n, tmp, qTmp) + wl + this.kap / tau);
    for (let i = 0; i < n; i++) q2[i] = p[i]! + (2 * Qx[i]!) / tau;
    return true;
  }

  /** Mehrotra's predictor–corrector direction; returns the step length along it. */
  predictorCorrector(): number {
    const { m } = this.el;
    const { lam, s, dS, ds, dl, dsAff, dlAff } = this.w;
    const tk = this.tau * this.kap;
    // Predictor: the affine-scaling direction.
    for (let i = 0; i < m; i++) dS[i] = lam[i]! * s[i]!;
    this.direction(1, tk);
    const alphaAff = this.stepToBoundary();
    const mu = (dotN(m, lam, s) + tk) / (m + 1);
    const sigma = (1 - alphaAff) ** 3;
    // Corrector: centring plus Mehrotra's second-order term.
    dsAff.set(ds);
    dlAff.set(dl);
    for (let i = 0; i < m; i++) dS[i] = lam[i]! * s[i]! + dsAff[i]! * dlAff[i]! - sigma * mu;
    this.direction(1 - sigma, tk + this.dtau * this.dkap - sigma * mu);
    return Math.min(1, STEP_FRACTION * this.stepToBoundary());
  }

  advance(alpha: number): void {
    const { n, m, k } = this.el;
    const { x, lam, nu, s, dx, dl, dn, ds } = this.w;
    for (let i = 0; i < n; i++) x[i]! += alpha * dx[i]!;
    for (let i = 0; i < m; i++) {
      lam[i]! += alpha * dl[i]!;
      s[i]! += alpha * ds[i]!;
    }
    for (let i = 0; i < k; i++) nu[i]! += alpha * dn[i]!;
    this.tau += alpha * this.dtau;
    this.kap += alpha * this.dkap;
  }

  /** The Newton direction for residual weight η and complementarity targets dS (λ∘s) and dK (τκ). */
  private direction(eta: number, dK: number): void {
    const { n, m, k, h, b } = this.el;
    const { kkt, lam, s, rx, rl, rn, x1, l1, n1, x2, l2, n2, dx, dl, dn, ds, dS, q2, rhsX, rhsL, rhsN } = this.w;
    const { tau, kap } = this;
    for (let i = 0; i < n; i++) rhsX[i] = -eta * rx[i]!;
    for (let i = 0; i < m; i++) rhsL[i] = -eta * rl[i]! + dS[i]! / lam[i]!;
    for (let i = 0; i < k; i++) rhsN[i] = -eta * rn[i]!;
    kkt.solve(rhsX, rhsL, rhsN, x2, l2, n2);
    const num = -eta * this.rt + dK / tau - dotN(n, q2, x2) - dotN(m, h, l2) - dotN(k, b, n2);
    const dtau = num / this.den;
    for (let i = 0; i < n; i++) dx[i] = x2[i]! + dtau * x1[i]!;
    for (let i = 0; i < m; i++) {
      dl[i] = l2[i]! + dtau * l1[i]!;
      ds[i] = -(dS[i]! + s[i]! * dl[i]!) / lam[i]!;
    }
    for (let i = 0; i < k; i++) dn[i] = n2[i]! + dtau * n1[i]!;
    this.dtau = dtau;
    this.dkap = -(dK + kap * dtau) / tau;
  }

  /** The largest α ≤ 1 keeping λ, s, τ, κ nonnegative along the current direction. */
  private stepToBoundary(): number {
    const { m } = this.el;
    const { lam, s, dl, ds } = this.w;
    let a = 1;
    for (let i = 0; i < m; i++) {
      if (dl[i]! < 0) a = Math.min(a, -lam[i]! / dl[i]!);
      if (ds[i]! < 0) a = Math.min(a, -s[i]! / ds[i]!);
    }
    if (this.dtau < 0) a = Math.min(a, -this.tau / this.dtau);
    if (this.dkap < 0) a = Math.min(a, -this.kap / this.dkap);
    return a;
  }

  private scaled(v: Float64Array): Float64Array {
    const tau = this.tau;
    return v.map((e) => e / tau);
  }

  result(status: IpmStatus, iterations: number, finished: boolean): IpmResult {
    const { x, lam, nu, s, kkt } = this.w;
    const tau = this.tau;
    // Only a converged or merely unfinished iterate is reported; anything else is zeros, never NaN.
    const keep = status !== 'infeasible' && status !== 'unbounded' && !finished && tau > 0 && Number.isFinite(tau);
    const out = (v: Float64Array) => {
      const r = keep ? this.scaled(v) : new Float64Array(v.length);
      return r.every(Number.isFinite) ? r : new Float64Array(v.length);
    };
    return { status, iterations, finished, x: out(x), lam: out(lam), nu: out(nu), s: out(s), kkt };
  }
}

/** The interior point's buffers, made once and reused for every element of a batch. */
export type IpmWorkspace = ReturnType<typeof ipmWorkspace>;

export function ipmWorkspace({ n, m, k, ...el }: QpElement) {
  const vec = (len: number) => new Float64Array(len);
  return {
    kkt: new ReducedKkt({ n, m, k, ...el }, { augment: 'always', regularize: true }),
    x: vec(n),
    lam: vec(m),
    nu: vec(k),
    s: vec(m),
    Qx: vec(n),
    rx: vec(n),
    rl: vec(m),
    rn: vec(k),
    gx: vec(m),
    ax: vec(k),
    negP: vec(n),
    x1: vec(n),
    l1: vec(m),
    n1: vec(k),
    x2: vec(n),
    l2: vec(m),
    n2: vec(k),
    tmp: vec(n),
    qTmp: vec(n),
    dx: vec(n),
    dl: vec(m),
    dn: vec(k),
    ds: vec(m),
    dS: vec(m),
    q2: vec(n),
    dsAff: vec(m),
    dlAff: vec(m),
    rhsX: vec(n),
    rhsL: vec(m),
    rhsN: vec(k),
  };
}

/** v ← v + (1 + max(−v))·1 when some entry of v is not positive (cvxopt's shift). */
function shiftIntoInterior(v: Float64Array): void {
  let worst = -Infinity;
  for (const e of v) worst = Math.max(worst, -e);
  if (v.length === 0 || worst < 0) return;
  for (let i = 0; i < v.length; i++) v[i]! += 1 + worst;
}
