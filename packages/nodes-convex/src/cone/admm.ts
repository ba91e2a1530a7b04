import { choleskyFactor, choleskySolveInto } from '@argmin/autodiff/kernels';
import { projectCone } from './cones.js';
import { aTimes, atTimes, bDot, cDot, normInf, residuals, worst, type ConeData } from './data.js';
import type { HsdeSystem } from './linsys.js';

/**
 * Operator splitting on the homogeneous self-dual embedding (O'Donoghue et al. 2016, SCS), in
 * the single variable w = u − v (u = Π(w), v = Π(w) − w by Moreau, C = ℝⁿ × K* × ℝ₊):
 *   ũ = (I + Q)⁻¹(2Π(w) − w),   T(w) = w + α(ũ − Π(w)),
 * with over-relaxation α and type-II Anderson acceleration of the fixed-point map T,
 * safeguarded: an accelerated point whose fixed-point residual grows is replaced by the plain
 * step. T is positively homogeneous, so only the ray of w matters; at a solution
 * x = w_x/w_τ, y = Π*(w_y)/w_τ, s = (Π*(w_y) − w_y)/w_τ.
 */
export interface AdmmOptions {
  readonly alpha: number;
  /** Anderson memory (0 disables acceleration). */
  readonly memory: number;
  readonly maxIter: number;
  /** Stop when the scaled primal, dual and gap residuals are all below this. */
  readonly tol: number;
  /** Certificate tolerance for infeasibility and unboundedness. */
  readonly tolInfeasible: number;
}

export type AdmmOutcome = 'solved' | 'infeasible' | 'unbounded' | 'max_iter';

export interface AdmmResult {
  readonly outcome: AdmmOutcome;
  readonly iterations: number;
  /** The worst scaled residual at the end (∞ when τ ≤ 0). */
  readonly residual: number;
}

/** Splits w into (x, y, s, τ, κ), unnormalised. */
export function splitIterate(
  d: ConeData,
  w: Float64Array,
  x: Float64Array,
  y: Float64Array,
  s: Float64Array,
): { tau: number; kappa: number } {
  const { n, m } = d;
  for (let j = 0; j < n; j++) x[j] = w[j]!;
  projectCone(d.layout, true, w, y, n, 0);
  for (let i = 0; i < m; i++) s[i] = y[i]! - w[n + i]!;
  const wt = w[n + m]!;
  return { tau: Math.max(wt, 0), kappa: Math.max(-wt, 0) };
}

/** Runs up to opts.maxIter iterations from w (updated in place). */
export function admm(d: ConeData, sys: HsdeSystem, w: Float64Array, opts: AdmmOptions, history?: number[]): AdmmResult {
  const { n, m } = d;
  const N = n + m + 1;
  const mem = opts.memory;
  const u = new Float64Array(N);
  const t = new Float64Array(N);
  const f = new Float64Array(N);
  const x = new Float64Array(n);
  const y = new Float64Array(m);
  const s = new Float64Array(m);
  // Anderson history: differences of T(w) (ΔG) and of the residual f = T(w) − w (ΔF), in rings.
  const dG = new Float64Array(mem * N);
  const dF = new Float64Array(mem * N);
  const prevT = new Float64Array(N);
  const prevF = new Float64Array(N);
  let stored = 0;
  let head = 0;
  let havePrev = false;
  let prevNorm = Infinity;
  let accelerated = false;
  const gram = new Float64Array(mem * mem);
  const rhs = new Float64Array(mem);

  const applyT = (): void => {
    u.set(w);
    projectCone(d.layout, true, w, u, n, n);
    u[N - 1] = Math.max(w[N - 1]!, 0);
    for (let i = 0; i < N; i++) t[i] = 2 * u[i]! - w[i]!;
    sys.solve(t);
    for (let i = 0; i < N; i++) t[i] = w[i]! + opts.alpha * (t[i]! - u[i]!);
  };

  let k = 0;
  let last: AdmmResult = { outcome: 'max_iter', iterations: 0, residual: Infinity };
  for (; k < opts.maxIter; k++) {
    applyT();
    let fn = 0;
    for (let i = 0; i < N; i++) (f[i] = t[i]! - w[i]!), (fn += f[i]! * f[i]!);
    fn = Math.sqrt(fn);
    if (accelerated && !(fn <= prevNorm)) {
      // Safeguard: the accelerated point made things worse; take the plain step from before.
      w.set(prevT);
      stored = 0;
      havePrev = false;
      accelerated = false;
      applyT();
      fn = 0;
      for (let i = 0; i < N; i++) (f[i] = t[i]! - w[i]!), (fn += f[i]! * f[i]!);
      fn = Math.sqrt(fn);
    }
    if (k % 5 === 0 || k === opts.maxIter - 1) {
      const check = checkIterate(d, w, x, y, s, opts);
      history?.push(check.residual);
      last = { ...check, iterations: k };
      if (check.outcome !== 'max_iter') return last;
    }
    if (mem > 0 && havePrev) {
      const slot = head * N;
      for (let i = 0; i < N; i++) (dG[slot + i] = t[i]! - prevT[i]!), (dF[slot + i] = f[i]! - prevF[i]!);
      head = (head + 1) % mem;
      stored = Math.min(stored + 1, mem);
    }
    prevT.set(t);
    prevF.set(f);
    havePrev = true;
    prevNorm = fn;
    accelerated = false;
    if (mem > 0 && stored > 0 && andersonStep(dG, dF, f, t, stored, N, gram, rhs, w)) accelerated = true;
    else w.set(t);
  }
  const check = checkIterate(d, w, x, y, s, opts);
  return { ...check, iterations: k };
}

/**
 * w ← T(w) − ΔG·γ with γ = argmin ‖f − ΔF·γ‖ (lightly regularised normal equations).
 * Returns false (w untouched) when the small system is singular.
 */
function andersonStep(
  dG: Float64Array,
  dF: Float64Array,
  f: Float64Array,
  t: Float64Array,
  k: number,
  N: number,
  gram: Float64Array,
  rhs: Float64Array,
  w: Float64Array,
): boolean {
  let trace = 0;
  for (let i = 0; i < k; i++) {
    for (let j = 0; j <= i; j++) {
      let sij = 0;
      for (let r = 0; r < N; r++) sij += dF[i * N + r]! * dF[j * N + r]!;
      gram[i * k + j] = sij;
      gram[j * k + i] = sij;
    }
    trace += gram[i * k + i]!;
    let si = 0;
    for (let r = 0; r < N; r++) si += dF[i * N + r]! * f[r]!;
    rhs[i] = si;
  }
  if (!(trace > 0)) return false;
  for (let i = 0; i < k; i++) gram[i * k + i]! += 1e-10 * trace;
  let gamma: Float64Array;
  try {
    const factor = choleskyFactor(gram.subarray(0, k * k), k, 1);
    gamma = rhs.slice(0, k);
    choleskySolveInto(factor, 0, gamma, 0, 1);
  } catch {
    return false;
  }
  for (let r = 0; r < N; r++) {
    let v = t[r]!;
    for (let i = 0; i < k; i++) v -= dG[i * N + r]! * gamma[i]!;
    w[r] = v;
  }
  return w.every(Number.isFinite);
}

/** Convergence and certificate checks at the current iterate. */
function checkIterate(
  d: ConeData,
  w: Float64Array,
  x: Float64Array,
  y: Float64Array,
  s: Float64Array,
  opts: AdmmOptions,
): Omit<AdmmResult, 'iterations'> {
  const { tau } = splitIterate(d, w, x, y, s);
  let residual = Infinity;
  if (tau > 0) {
    const xs = x.map((v) => v / tau);
    const ys = y.map((v) => v / tau);
    const ss = s.map((v) => v / tau);
    residual = worst(residuals(d, xs, ys, ss));
    if (residual <= opts.tol) return { outcome: 'solved', residual };
  }
  // Primal infeasibility: y ∈ K*, Aᵀy = 0, bᵀy < 0. Dual infeasibility: s ∈ K, Ax + s = 0, cᵀx < 0.
  const by = bDot(d, y);
  if (by < 0) {
    const aty = new Float64Array(d.n);
    atTimes(d, y, aty);
    if (normInf(aty) <= opts.tolInfeasible * -by) return { outcome: 'infeasible', residual };
  }
  const cx = cDot(d, x);
  if (cx < 0) {
    const ax = new Float64Array(d.m);
    aTimes(d, x, ax);
    for (let i = 0; i < d.m; i++) ax[i]! += s[i]!;
    if (normInf(ax) <= opts.tolInfeasible * -cx) return { outcome: 'unbounded', residual };
  }
  return { outcome: 'max_iter', residual };
}
