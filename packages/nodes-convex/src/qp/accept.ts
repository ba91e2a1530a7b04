import type { QpElement } from './dense.js';

/**
 * The acceptance test of a QP solution, on the original (unscaled) data, one condition at a
 * time. Each residual is compared with the magnitudes it is computed from, so the test is
 * absolute in the units of that row and relative to its own size, independent of any other
 * datum: a bound of 1e20 elsewhere, or data scaled by 1e-12, neither loosens nor tightens it.
 *
 * - stationarity, per variable j: |(Qz + p + Gᵀλ + Aᵀν)ⱼ| ≤ ε·(|Q||z| + |p| + |G|ᵀλ + |A|ᵀ|ν|)ⱼ
 * - each inequality i: (Gz − h)ᵢ ≤ ε·(|G||z| + |h|)ᵢ, and λᵢ ≥ 0, sᵢ ≥ 0
 * - each equality i: |Az − b|ᵢ ≤ ε·(|A||z| + |b|)ᵢ
 * - complementarity, per inequality: λᵢsᵢ ≤ ε·max(λᵢ·(|G||z| + |h|)ᵢ, Γ/m) with Γ the scale of
 *   the objective |z|ᵀ|Q||z| + |p|ᵀ|z| (so a multiplier of an inactive row is ≈ 0 relative to
 *   the objective, and the slack of an active row ≈ 0 relative to that row).
 *
 * Returns the worst ratio residual/(ε-free scale); the point passes at tolerance ε if it is ≤ ε.
 * (A row whose scale is 0 and residual 0 contributes 0.)
 */
export function relativeKktError(el: QpElement, z: Float64Array, lam: Float64Array, nu: Float64Array, slack: Float64Array): number {
  const { n, m, k, Q, p, G, h, A, b } = el;
  let worst = 0;
  const ratio = (r: number, scale: number) => {
    if (!(r > 0)) return r === 0 || r < 0 ? 0 : Infinity; // NaN fails
    return scale > 0 ? r / scale : Infinity;
  };
  const stat = p.slice();
  const statScale = p.map(Math.abs);
  let gamma = 0;
  // The objective's gradient terms per variable (times the largest |z|): a row's complementarity
  // is judged against those of the variables it constrains, at most against the whole objective's
  // share γ/m (huge costs elsewhere would hide it).
  const objTerm = new Float64Array(n);
  let zMax = 0;
  for (let i = 0; i < n; i++) zMax = Math.max(zMax, Math.abs(z[i]!));
  for (let i = 0; i < n; i++) {
    let qz = 0;
    let qzAbs = 0;
    for (let j = 0; j < n; j++) {
      const v = Q[i * n + j]! * z[j]!;
      qz += v;
      qzAbs += Math.abs(v);
    }
    stat[i]! += qz;
    statScale[i]! += qzAbs;
    objTerm[i] = (qzAbs + Math.abs(p[i]!)) * zMax;
    gamma += (qzAbs + Math.abs(p[i]!)) * Math.abs(z[i]!);
  }
  for (let r = 0; r < m; r++) {
    let gz = 0;
    let gzAbs = 0;
    const l = lam[r]!;
    for (let j = 0; j < n; j++) {
      const g = G[r * n + j]!;
      gz += g * z[j]!;
      gzAbs += Math.abs(g * z[j]!);
      stat[j]! += g * l;
      statScale[j]! += Math.abs(g * l);
    }
    const rowScale = gzAbs + Math.abs(h[r]!);
    worst = Math.max(worst, ratio(gz - h[r]!, rowScale));
    if (l < 0 || slack[r]! < 0 || !Number.isFinite(l) || !Number.isFinite(slack[r]!)) worst = Infinity;
    let rowObjective = 0;
    for (let j = 0; j < n; j++) if (G[r * n + j] !== 0) rowObjective += objTerm[j]!;
    worst = Math.max(worst, ratio(l * slack[r]!, Math.max(l * rowScale, Math.min(gamma / m, rowObjective))));
  }
  for (let r = 0; r < k; r++) {
    let az = 0;
    let azAbs = 0;
    const v = nu[r]!;
    for (let j = 0; j < n; j++) {
      const a = A[r * n + j]!;
      az += a * z[j]!;
      azAbs += Math.abs(a * z[j]!);
      stat[j]! += a * v;
      statScale[j]! += Math.abs(a * v);
    }
    worst = Math.max(worst, ratio(Math.abs(az - b[r]!), azAbs + Math.abs(b[r]!)));
  }
  for (let j = 0; j < n; j++) worst = Math.max(worst, ratio(Math.abs(stat[j]!), statScale[j]!));
  return worst;
}

/**
 * The constraints whose strict complementarity margin is below `margin`: both λᵢ and sᵢ are ≈ 0
 * (relative to the objective's and the row's scales). There the solution is not a differentiable
 * function of the data; the gradient returned is one of the one-sided derivatives.
 */
export function weaklyActive(el: QpElement, z: Float64Array, lam: Float64Array, slack: Float64Array, margin: number): number[] {
  const { n, m, Q, p, G, h } = el;
  // The multiplier scale: the size of the objective's gradient, per unit of the row's norm.
  let grad = 0;
  for (let i = 0; i < n; i++) {
    let g = Math.abs(p[i]!);
    for (let j = 0; j < n; j++) g += Math.abs(Q[i * n + j]! * z[j]!);
    grad = Math.max(grad, g);
  }
  let lamMax = 0;
  for (let r = 0; r < m; r++) lamMax = Math.max(lamMax, lam[r]!);
  const out: number[] = [];
  for (let r = 0; r < m; r++) {
    let gAbs = 0;
    let gNorm = 0;
    for (let j = 0; j < n; j++) {
      gAbs += Math.abs(G[r * n + j]! * z[j]!);
      gNorm = Math.max(gNorm, Math.abs(G[r * n + j]!));
    }
    const rowScale = gAbs + Math.abs(h[r]!);
    const lamScale = Math.max(gNorm > 0 ? grad / gNorm : 0, lamMax);
    const sRel = rowScale > 0 ? slack[r]! / rowScale : slack[r]! === 0 ? 0 : 1;
    const lRel = lamScale > 0 ? lam[r]! / lamScale : lam[r]! === 0 ? 0 : 1;
    if (Math.max(sRel, lRel) < margin) out.push(r);
  }
  return out;
}

/** Relative accuracy a certificate must reach on the original data. */
const CERTIFICATE_TOL = 1e-7;

/**
 * Whether x certifies unboundedness on the original data: Qx = 0, Ax = 0 and Gx ≤ 0 up to
 * CERTIFICATE_TOL·‖Mᵣ‖₁·‖x‖∞ for each row r of each matrix M (the size of its largest possible
 * product with x, in the units of that row), and a decrease pᵀx < 0 that is not rounding
 * (−pᵀx ≥ tol·|p|ᵀ|x|). A strongly convex objective never passes, whatever the size of p:
 * ‖Qx‖ is then of the size of ‖Q‖‖x‖.
 */
export function certifiesUnbounded(el: QpElement, x: Float64Array): boolean {
  const { n, m, k, Q, p, G, A } = el;
  let px = 0;
  let pxAbs = 0;
  let xNorm = 0;
  for (let j = 0; j < n; j++) {
    px += p[j]! * x[j]!;
    pxAbs += Math.abs(p[j]! * x[j]!);
    xNorm = Math.max(xNorm, Math.abs(x[j]!));
  }
  if (!(px < 0) || -px < CERTIFICATE_TOL * pxAbs) return false;
  // Row by row, each against its own norm: a row scaled by 1e-50 is no less a constraint.
  const small = (M: Float64Array, rows: number, oneSided: boolean) => {
    for (let r = 0; r < rows; r++) {
      let v = 0;
      let a = 0;
      for (let j = 0; j < n; j++) {
        v += M[r * n + j]! * x[j]!;
        a += Math.abs(M[r * n + j]!);
      }
      if ((oneSided ? v : Math.abs(v)) > CERTIFICATE_TOL * a * xNorm) return false;
    }
    return true;
  };
  return small(Q, n, false) && small(A, k, false) && small(G, m, true);
}

/**
 * Whether (λ ≥ 0, ν) certifies infeasibility on the original data (Farkas): Gᵀλ + Aᵀν = 0 for
 * each variable up to CERTIFICATE_TOL of that column's size, and hᵀλ + bᵀν < 0 beyond rounding.
 */
export function certifiesInfeasible(el: QpElement, lam: Float64Array, nu: Float64Array): boolean {
  const { n, m, k, G, h, A, b } = el;
  let gap = 0;
  let gapAbs = 0;
  for (let r = 0; r < m; r++) {
    if (lam[r]! < 0) return false;
    gap += h[r]! * lam[r]!;
    gapAbs += Math.abs(h[r]! * lam[r]!);
  }
  for (let r = 0; r < k; r++) {
    gap += b[r]! * nu[r]!;
    gapAbs += Math.abs(b[r]! * nu[r]!);
  }
  if (!(gap < 0) || -gap < CERTIFICATE_TOL * gapAbs) return false;
  // Column by column, each against its own potential size Σ|Gᵣⱼ|·‖λ‖ + Σ|Aᵣⱼ|·‖ν‖: a variable
  // scaled by 1e47 is no less a variable (one global norm certified a solvable problem).
  let lamMax = 0;
  let nuMax = 0;
  for (let r = 0; r < m; r++) lamMax = Math.max(lamMax, lam[r]!);
  for (let r = 0; r < k; r++) nuMax = Math.max(nuMax, Math.abs(nu[r]!));
  for (let j = 0; j < n; j++) {
    let v = 0;
    let a = 0;
    for (let r = 0; r < m; r++) {
      v += G[r * n + j]! * lam[r]!;
      a += Math.abs(G[r * n + j]!) * lamMax;
    }
    for (let r = 0; r < k; r++) {
      v += A[r * n + j]! * nu[r]!;
      a += Math.abs(A[r * n + j]!) * nuMax;
    }
    if (Math.abs(v) > CERTIFICATE_TOL * a) return false;
  }
  return true;
}
