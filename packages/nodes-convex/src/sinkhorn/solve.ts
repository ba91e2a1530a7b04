import type { SolveStatus } from '@argmin/autodiff';
import type { SinkhornParams, SinkhornSizes } from './problem.js';
import { newtonDual, type DualProblem } from './newton.js';
import { columnProducts, rowProducts } from './products.js';

/**
 * The Sinkhorn forward, log-stabilized by absorption (Schmitzer 2019; POT's
 * `sinkhorn_stabilized`): the potentials (f, g) live in the log domain, and between absorptions
 * the iterations run on scalings u, v against the absorbed kernel K = exp((f ⊕ g − C)/ε),
 *   u ← a / (K v),   v ← b / (Kᵀ u),
 * which costs two matrix-vector products and no exp per iteration. When a scaling leaves
 * [1/T, T] it is absorbed into the potentials and K is recomputed (n·m exps), so nothing
 * overflows; if a row or column of K v underflows to 0 (tiny ε, far from the solution) the
 * iteration falls back to one exact log-domain step (logsumexp c-transforms), which cannot fail.
 * So it is stable for ε down to ~1e-3 of the cost scale; below, its linear rate 1 − e^(−Δ/ε) makes
 * it too slow for any budget. Where the iterations stall on a small problem (min(n, m) ≤ 32:
 * small ε, near-degenerate marginals), damped Newton steps on the dual finish the solve
 * (newton.ts; 3×3 at ε = 5e-5 of the cost: 100 iterations and 14 steps). A larger problem that
 * does not converge within maxIter says so ('max_iter').
 */

/** Absorption threshold on the scalings: underflowed kernel entries stay below T²·1e-308. */
const T = 1e50;

export interface SinkhornControls {
  /** Stop when the L1 error of the row marginals ≤ tol·Σa (columns are exact). Default 1e-9. */
  readonly tol?: number;
  /** Iteration budget (scaling iterations and Newton steps; default 10000). */
  readonly maxIter?: number;
  /**
   * Initial potentials (a previous solution or a prediction), batched like the solution. With f0
   * alone, g starts at f0's exact c-transform (a predicted f is all a warm start needs).
   */
  readonly f0?: Float64Array;
  readonly g0?: Float64Array;
}

export interface SinkhornRaw {
  readonly plan: Float64Array;
  readonly f: Float64Array;
  readonly g: Float64Array;
  readonly value: Float64Array;
  readonly status: SolveStatus[];
  readonly iterations: number[];
  readonly residual: number[];
}

/** Solves every batch element; shared parameters (no batch axis) are read at offset 0. */
export function solveSinkhorn(
  { a, b, C }: SinkhornParams,
  { batch, n, m }: SinkhornSizes,
  epsilon: number,
  controls: SinkhornControls = {},
): SinkhornRaw {
  const B = batch ?? 1;
  const tol = controls.tol ?? 1e-9;
  const maxIter = controls.maxIter ?? 10000;
  const plan = new Float64Array(B * n * m);
  const f = new Float64Array(B * n);
  const g = new Float64Array(B * m);
  const value = new Float64Array(B);
  const status: SolveStatus[] = [];
  const iterations: number[] = [];
  const residual: number[] = [];
  const w = { u: new Float64Array(n), v: new Float64Array(m), s: new Float64Array(n), t: new Float64Array(m), colMax: new Float64Array(m) };
  for (let e = 0; e < B; e++) {
    const el: Element = {
      n,
      m,
      eps: epsilon,
      a: a.ndim === 2 ? a.data.subarray(e * n, (e + 1) * n) : a.data,
      b: b.ndim === 2 ? b.data.subarray(e * m, (e + 1) * m) : b.data,
      C: C.ndim === 3 ? C.data.subarray(e * n * m, (e + 1) * n * m) : C.data,
      f: f.subarray(e * n, (e + 1) * n),
      g: g.subarray(e * m, (e + 1) * m),
      K: plan.subarray(e * n * m, (e + 1) * n * m),
      ...w,
    };
    if (controls.f0) el.f.set(controls.f0.subarray(controls.f0.length === n ? 0 : e * n).subarray(0, n));
    if (controls.g0) el.g.set(controls.g0.subarray(controls.g0.length === m ? 0 : e * m).subarray(0, m));
    const start: Start = controls.g0 !== undefined ? 'potentials' : controls.f0 !== undefined ? 'f' : 'cold';
    const r = iterate(el, tol, maxIter, start);
    value[e] = finish(el);
    status.push(r.converged ? 'converged' : 'max_iter');
    iterations.push(r.iterations);
    residual.push(r.residual);
  }
  return { plan, f, g, value, status, iterations, residual };
}

/** One batch element's data and scratch; K is the output plan's slot, used as the kernel. */
interface Element extends DualProblem {
  readonly f: Float64Array;
  readonly g: Float64Array;
  readonly K: Float64Array;
  readonly u: Float64Array;
  readonly v: Float64Array;
  readonly s: Float64Array;
  readonly t: Float64Array;
  readonly colMax: Float64Array;
}

/**
 * How an element starts: 'cold' from the min-transforms, 'potentials' from given (f, g), 'f' from
 * a given f alone, with g its exact c-transform (one column half-step, fused with the kernel).
 */
type Start = 'cold' | 'potentials' | 'f';

function iterate(el: Element, tol: number, maxIter: number, start: Start): { converged: boolean; iterations: number; residual: number } {
  const { n, m, a, b, K, u, v, s, t } = el;
  let mass = 0;
  for (let i = 0; i < n; i++) mass += a[i]!;
  if (start === 'f') columnHalfStep(el);
  else {
    if (start === 'cold') minTransforms(el);
    absorb(el);
  }
  let it = 0;
  // Progress is judged every NEWTON_WINDOW iterations; a window that did not gain a factor
  // NEWTON_GAIN hands over to Newton's method (newton.ts), and a failed hand-over waits twice as long.
  let window = Math.min(n, m) <= NEWTON_MAX_SIDE ? NEWTON_WINDOW : Infinity;
  let mark = { it: 0, err: Infinity };
  for (;;) {
    // Row marginals of the current plan diag(u) K diag(v), whose columns are exact.
    rowProducts(K, n, m, v, s);
    let err = 0;
    for (let i = 0; i < n; i++) err += Math.abs(u[i]! * s[i]! - a[i]!);
    if (err <= tol * mass) return { converged: true, iterations: it, residual: err / mass };
    if (it >= maxIter) return { converged: false, iterations: it, residual: err / mass };
    if (it === 0) mark.err = err;
    if (it - mark.it >= window) {
      if (err > mark.err / NEWTON_GAIN) {
        const steps = polish(el, tol, Math.min(NEWTON_STEPS, maxIter - it));
        it += steps;
        // The potentials moved: re-measure from the top (its columns are exact again).
        if (steps > 0) {
          window *= 2;
          mark = { it, err: Infinity };
          continue;
        }
        window *= 2;
      }
      mark = { it, err };
    }
    it++;
    for (let i = 0; i < n; i++) u[i] = a[i]! / s[i]!;
    columnProducts(K, n, m, u, t);
    for (let j = 0; j < m; j++) v[j] = b[j]! / t[j]!;
    const range = scalingRange(u, v);
    if (range === 'ok') continue;
    if (range === 'broken') {
      // A row or column of K underflowed: discard the scalings, take an exact log-domain step.
      u.fill(1);
      v.fill(1);
      logStep(el);
    } else absorbScalings(el);
    absorb(el);
  }
}

const NEWTON_WINDOW = 100;
const NEWTON_GAIN = 1e3;
const NEWTON_STEPS = 30;
/**
 * Newton is used where its Schur complement is formed and factored (schur.ts, min(n, m) ≤ 32):
 * a step then costs about as much as min(n, m) Sinkhorn iterations. Larger problems, where each
 * step would be a CG solve of uncertain length, keep Sinkhorn's iterations alone.
 */
const NEWTON_MAX_SIDE = 32;

/**
 * Newton steps on the dual from the current potentials (the scalings absorbed), then a column
 * half-step so the plan's columns are exact as after a Sinkhorn iteration. Returns the steps
 * taken (0: Newton made no progress and the state is as before, scalings absorbed).
 */
function polish(el: Element, tol: number, maxSteps: number): number {
  absorbScalings(el);
  const r = newtonDual(el, el.f, el.g, 0.1 * tol, maxSteps);
  absorb(el);
  if (r.steps === 0) return 0;
  const { n, m, K, u, v, t, b } = el;
  columnProducts(K, n, m, u, t);
  for (let j = 0; j < m; j++) v[j] = b[j]! / t[j]!;
  return r.steps;
}

/** 'ok' inside [1/T, T]; 'absorb' outside but finite and positive; 'broken' otherwise. */
function scalingRange(u: Float64Array, v: Float64Array): 'ok' | 'absorb' | 'broken' {
  const ru = rangeOf(u);
  if (ru === 'broken') return ru;
  const rv = rangeOf(v);
  return rv === 'ok' ? ru : rv;
}

function rangeOf(x: Float64Array): 'ok' | 'absorb' | 'broken' {
  let out: 'ok' | 'absorb' = 'ok';
  for (let i = 0; i < x.length; i++) {
    const z = x[i]!;
    if (z > 1 / T && z < T) continue;
    if (!(z > 0 && z < Infinity)) return 'broken';
    out = 'absorb';
  }
  return out;
}

/** f += ε log u, g += ε log v, then u = v = 1. */
function absorbScalings(el: Element): void {
  absorbScalingsKeep(el);
  el.u.fill(1);
  el.v.fill(1);
}

/** K ← exp((f ⊕ g − C)/ε), u = v = 1. */
function absorb({ n, m, eps, C, f, g, K, u, v }: Element): void {
  const inv = 1 / eps;
  for (let i = 0; i < n; i++) {
    const fi = f[i]!;
    const row = i * m;
    for (let j = 0; j < m; j++) K[row + j] = Math.exp((fi + g[j]! - C[row + j]!) * inv);
  }
  u.fill(1);
  v.fill(1);
}

/**
 * A start without a single exp: the ε → 0 limits of the c-transforms, fᵢ = minⱼ Cᵢⱼ and
 * gⱼ = minᵢ (Cᵢⱼ − fᵢ). Then f ⊕ g − C ≤ 0 everywhere, so K has no entry above 1, and every
 * column holds a 1. A row may still underflow for tiny ε; the first iteration then detects it
 * and falls back to an exact log-domain step.
 */
function minTransforms({ n, m, C, f, g }: Element): void {
  g.fill(Infinity);
  for (let i = 0; i < n; i++) {
    const row = i * m;
    let mn = Infinity;
    for (let j = 0; j < m; j++) mn = Math.min(mn, C[row + j]!);
    f[i] = mn;
    for (let j = 0; j < m; j++) g[j] = Math.min(g[j]!, C[row + j]! - mn);
  }
}

/**
 * Completes a given f by its exact c-transform, gⱼ = ε log bⱼ − ε logsumexpᵢ((fᵢ − Cᵢⱼ)/ε), with
 * the n·m exps of a single absorption: g is kept at −maxᵢ(fᵢ − Cᵢⱼ), so K = exp((f ⊕ g − C)/ε)
 * has a 1 in every column, and the rest of the c-transform goes into the scaling v = b / (Kᵀ1).
 * The columns of the first plan are then exact, as after any Sinkhorn iteration.
 */
function columnHalfStep({ n, m, eps, b, C, f, g, K, u, v, t }: Element): void {
  const inv = 1 / eps;
  g.fill(Infinity);
  for (let i = 0; i < n; i++) {
    const row = i * m;
    const fi = f[i]!;
    for (let j = 0; j < m; j++) g[j] = Math.min(g[j]!, C[row + j]! - fi);
  }
  t.fill(0);
  for (let i = 0; i < n; i++) {
    const row = i * m;
    const fi = f[i]!;
    for (let j = 0; j < m; j++) {
      const k = Math.exp((fi + g[j]! - C[row + j]!) * inv);
      K[row + j] = k;
      t[j]! += k;
    }
  }
  u.fill(1);
  for (let j = 0; j < m; j++) v[j] = b[j]! / t[j]!;
}

/**
 * One exact Sinkhorn iteration in the log domain (the c-transforms):
 *   fᵢ = ε log aᵢ − ε logsumexpⱼ((gⱼ − Cᵢⱼ)/ε),   gⱼ = ε log bⱼ − ε logsumexpᵢ((fᵢ − Cᵢⱼ)/ε).
 */
function logStep({ n, m, eps, a, b, C, f, g, t, colMax }: Element): void {
  const inv = 1 / eps;
  for (let i = 0; i < n; i++) {
    const row = i * m;
    let mx = -Infinity;
    for (let j = 0; j < m; j++) mx = Math.max(mx, g[j]! - C[row + j]!);
    let acc = 0;
    for (let j = 0; j < m; j++) acc += Math.exp((g[j]! - C[row + j]! - mx) * inv);
    f[i] = eps * Math.log(a[i]!) - mx - eps * Math.log(acc);
  }
  // Column reductions of a row-major matrix: sweep the rows into per-column accumulators.
  colMax.fill(-Infinity);
  for (let i = 0; i < n; i++) {
    const row = i * m;
    const fi = f[i]!;
    for (let j = 0; j < m; j++) {
      const z = fi - C[row + j]!;
      if (z > colMax[j]!) colMax[j] = z;
    }
  }
  t.fill(0);
  for (let i = 0; i < n; i++) {
    const row = i * m;
    const fi = f[i]!;
    for (let j = 0; j < m; j++) t[j]! += Math.exp((fi - C[row + j]! - colMax[j]!) * inv);
  }
  for (let j = 0; j < m; j++) g[j] = eps * Math.log(b[j]!) - colMax[j]! - eps * Math.log(t[j]!);
}

/**
 * Turns K into the plan P = diag(u) K diag(v) in place, absorbs the scalings into the
 * potentials, fixes the gauge mean(f) = mean(g), and returns the value ⟨P, C⟩ + ε Σ P log P.
 * With log P = (f ⊕ g − C)/ε that is Σ P ⊙ (f ⊕ g) = ⟨P1, f⟩ + ⟨Pᵀ1, g⟩: no log to take.
 */
function finish(el: Element): number {
  const { n, m, f, g, K, u, v, t } = el;
  absorbScalingsKeep(el);
  let shift = 0;
  for (let i = 0; i < n; i++) shift += f[i]! / n;
  for (let j = 0; j < m; j++) shift -= g[j]! / m;
  shift *= 0.5;
  for (let i = 0; i < n; i++) f[i]! -= shift;
  for (let j = 0; j < m; j++) g[j]! += shift;
  let value = 0;
  t.fill(0);
  for (let i = 0; i < n; i++) {
    const ui = u[i]!;
    const row = i * m;
    let ri = 0;
    for (let j = 0; j < m; j++) {
      const p = ui * K[row + j]! * v[j]!;
      K[row + j] = p;
      ri += p;
      t[j]! += p;
    }
    value += ri * f[i]!;
  }
  for (let j = 0; j < m; j++) value += t[j]! * g[j]!;
  return value;
}

/** f += ε log u, g += ε log v, keeping u and v (finish still needs them for the plan). */
function absorbScalingsKeep({ n, m, eps, f, g, u, v }: Element): void {
  for (let i = 0; i < n; i++) f[i]! += eps * Math.log(u[i]!);
  for (let j = 0; j < m; j++) g[j]! += eps * Math.log(v[j]!);
}
