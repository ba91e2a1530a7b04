import type { QpElement } from './dense.js';

/**
 * A diagonal scaling of one QP element: variables z = D ẑ, inequality rows scaled by E, equality
 * rows by F, and the objective by c. The scaled problem is
 *   min ½ẑᵀ(cDQD)ẑ + (cDp)ᵀẑ  s.t. (EGD)ẑ ≤ Eh, (FAD)ẑ = Fb,
 * whose solution maps back as z = Dẑ, λ = Eλ̂/c, ν = Fν̂/c, s = ŝ/E.
 * Every factor is a power of two, so scaling and unscaling are exact in floating point: the
 * scaled problem is the same problem, only its numbers sit near 1.
 */
export interface Scaling {
  readonly d: Float64Array;
  readonly e: Float64Array;
  readonly f: Float64Array;
  readonly c: number;
}

/** Ruiz sweeps; each roughly squares the distance of the row/column norms from 1. */
const SWEEPS = 12;

const pow2 = (x: number): number => (x > 0 && Number.isFinite(x) ? 2 ** Math.round(Math.log2(x)) : 1);

/**
 * Ruiz equilibration of the KKT matrix [Q Gᵀ Aᵀ; G 0 0; A 0 0] (each sweep divides every row
 * and column by the square root of its ∞-norm), then a cost scaling that puts max(‖Q̂‖, ‖p̂‖) at 1
 * (OSQP's choice). A zero row or column keeps its factor. Huge and tiny data (1e±150) come out
 * with entries of order 1; the tolerances of the interior point are then meaningful.
 */
export function ruiz(el: QpElement): Scaling {
  const { n, m, k, Q, G, A, p } = el;
  const d = new Float64Array(n).fill(1);
  const e = new Float64Array(m).fill(1);
  const f = new Float64Array(k).fill(1);
  const col = new Float64Array(n);
  const rowG = new Float64Array(m);
  const rowA = new Float64Array(k);
  for (let sweep = 0; sweep < SWEEPS; sweep++) {
    col.fill(0);
    rowG.fill(0);
    rowA.fill(0);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) col[j] = Math.max(col[j]!, Math.abs(d[i]! * Q[i * n + j]! * d[j]!));
    }
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        const v = Math.abs(e[i]! * G[i * n + j]! * d[j]!);
        col[j] = Math.max(col[j]!, v);
        rowG[i] = Math.max(rowG[i]!, v);
      }
    }
    for (let i = 0; i < k; i++) {
      for (let j = 0; j < n; j++) {
        const v = Math.abs(f[i]! * A[i * n + j]! * d[j]!);
        col[j] = Math.max(col[j]!, v);
        rowA[i] = Math.max(rowA[i]!, v);
      }
    }
    let moved = false;
    const update = (scale: Float64Array, norm: Float64Array) => {
      for (let i = 0; i < scale.length; i++) {
        const u = pow2(1 / Math.sqrt(norm[i]!));
        if (u !== 1) moved = true;
        scale[i]! *= u;
      }
    };
    update(d, col);
    update(e, rowG);
    update(f, rowA);
    if (!moved) break;
  }
  // The matrices are now of order 1, but the solution need not be: a common factor σ of the
  // variables (z = σẑ, rows divided by σ, so G and A stay as they are) brings the right-hand
  // sides h, b to order 1 — or, without them, the unconstrained minimizer's size ‖p‖/‖Q‖.
  // The median of the nonzero right-hand sides, so that one huge bound does not set the unit.
  const rhs: number[] = [];
  for (let i = 0; i < m; i++) if (el.h[i] !== 0) rhs.push(Math.abs(e[i]! * el.h[i]!));
  for (let i = 0; i < k; i++) if (el.b[i] !== 0) rhs.push(Math.abs(f[i]! * el.b[i]!));
  rhs.sort((a, b) => a - b);
  let hb = rhs.length > 0 ? rhs[rhs.length >> 1]! : 0;
  if (hb === 0) {
    let q = 0;
    let g = 0;
    for (let i = 0; i < n; i++) {
      g = Math.max(g, Math.abs(d[i]! * p[i]!));
      for (let j = 0; j < n; j++) q = Math.max(q, Math.abs(d[i]! * Q[i * n + j]! * d[j]!));
    }
    hb = q > 0 && g > 0 ? g / q : 1;
  }
  const sigma = pow2(hb);
  if (!(sigma > 2 ** -10 && sigma < 2 ** 10) && fitsAfter(el, d, sigma)) {
    for (let i = 0; i < n; i++) d[i]! *= sigma;
    for (let i = 0; i < m; i++) e[i]! /= sigma;
    for (let i = 0; i < k; i++) f[i]! /= sigma;
  }
  let qNorm = 0;
  let pNorm = 0;
  for (let i = 0; i < n; i++) {
    pNorm = Math.max(pNorm, Math.abs(d[i]! * p[i]!));
    for (let j = 0; j < n; j++) qNorm = Math.max(qNorm, Math.abs(d[i]! * Q[i * n + j]! * d[j]!));
  }
  // Only an objective far from unit size is rescaled: the interior point's path is not
  // invariant under c, and a mild rescaling buys nothing.
  const cost = pow2(1 / Math.max(qNorm, pNorm));
  const c = cost > 2 ** -10 && cost < 2 ** 10 ? 1 : cost;
  return { d, e, f, c };
}

/** The identity scaling (the data as given), the fallback when the equilibrated solve fails. */
export function identityScaling(el: QpElement): Scaling {
  const one = (len: number) => new Float64Array(len).fill(1);
  return { d: one(el.n), e: one(el.m), f: one(el.k), c: 1 };
}

/** The scaled element (new arrays; the input is not written). */
export function scaleElement(el: QpElement, sc: Scaling): QpElement {
  const { n, m, k } = el;
  const { d, e, f, c } = sc;
  const Q = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) Q[i * n + j] = c * d[i]! * el.Q[i * n + j]! * d[j]!;
  const p = el.p.map((v, i) => c * d[i]! * v);
  const G = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) G[i * n + j] = e[i]! * el.G[i * n + j]! * d[j]!;
  const A = new Float64Array(k * n);
  for (let i = 0; i < k; i++) for (let j = 0; j < n; j++) A[i * n + j] = f[i]! * el.A[i * n + j]! * d[j]!;
  const h = el.h.map((v, i) => e[i]! * v);
  const b = el.b.map((v, i) => f[i]! * v);
  return { n, m, k, Q, p, G, h, A, b };
}

/** A scaled point (ẑ, λ̂, ν̂, ŝ) back in the original units. */
export function unscalePoint(
  sc: Scaling,
  pt: { z: Float64Array; lam: Float64Array; nu: Float64Array; slack: Float64Array },
): { z: Float64Array; lam: Float64Array; nu: Float64Array; slack: Float64Array } {
  const { d, e, f, c } = sc;
  return {
    z: pt.z.map((v, i) => d[i]! * v),
    lam: pt.lam.map((v, i) => (e[i]! * v) / c),
    nu: pt.nu.map((v, i) => (f[i]! * v) / c),
    slack: pt.slack.map((v, i) => v / e[i]!),
  };
}

/** A point in original units mapped into the scaled problem (for warm starts). */
export function scalePoint(
  sc: Scaling,
  pt: { z?: Float64Array; lam?: Float64Array; nu?: Float64Array; slack?: Float64Array },
): { z?: Float64Array; lam?: Float64Array; nu?: Float64Array; slack?: Float64Array } {
  const { d, e, f, c } = sc;
  return {
    ...(pt.z ? { z: pt.z.map((v, i) => v / d[i]!) } : {}),
    ...(pt.lam ? { lam: pt.lam.map((v, i) => (c * v) / e[i]!) } : {}),
    ...(pt.nu ? { nu: pt.nu.map((v, i) => (c * v) / f[i]!) } : {}),
    ...(pt.slack ? { slack: pt.slack.map((v, i) => v * e[i]!) } : {}),
  };
}

/** Whether scaling the variables by σ more keeps every entry of DQD and Dp finite and nonzero. */
function fitsAfter(el: QpElement, d: Float64Array, sigma: number): boolean {
  const { n, Q, p } = el;
  for (let i = 0; i < n; i++) {
    if (p[i] !== 0 && !(Math.abs(d[i]! * sigma * p[i]!) < 1e300 && Math.abs(d[i]! * sigma * p[i]!) > 1e-300)) return false;
    for (let j = 0; j < n; j++) {
      const v = Math.abs(d[i]! * sigma * Q[i * n + j]! * d[j]! * sigma);
      if (Q[i * n + j] !== 0 && !(v < 1e300 && v > 1e-300)) return false;
    }
  }
  return true;
}
