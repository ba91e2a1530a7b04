import { dot } from '@argmin/autodiff/kernels';
import { solvePlanSystem } from './schur.js';

/**
 * Newton's method on the entropic dual (Brauer, Clason, Lorenz & Wirth, "A Sinkhorn–Newton method
 * for entropic optimal transport", 2017), for the instances where Sinkhorn's linear rate is close
 * to 1: a small ε with marginals that nearly admit a plan on the zero-cost entries alone (one
 * such 3×4 instance at ε = 0.05 was still at a marginal error 2e-7 after 20,000 iterations).
 * The dual Φ(f, g) = ⟨a, f⟩ + ⟨b, g⟩ − ε Σ P, P = exp((f ⊕ g − C)/ε), is concave; its Newton
 * system is the plan system of the implicit VJP,
 *   [[diag(P1), P], [Pᵀ, diag(Pᵀ1)]] (Δf, Δg) = ε (a − P1, b − Pᵀ1),
 * solved through its Schur complement (schur.ts). Steps are damped by backtracking on Φ and, where
 * no Newton step increases Φ (far from the solution at a small ε), by Levenberg–Marquardt's
 * (H + λI); the iteration converges quadratically once close. From zero potentials on a 3×3
 * problem it reaches 1e-14 at ε = 1e-2 … 1e-4 of the cost, where Sinkhorn's rate is 1 − e^(−1/ε).
 */
export interface DualProblem {
  readonly n: number;
  readonly m: number;
  readonly eps: number;
  readonly a: Float64Array;
  readonly b: Float64Array;
  readonly C: Float64Array;
}

export interface NewtonResult {
  /** Newton steps taken (each one linear solve and a few evaluations of the plan). */
  readonly steps: number;
  /** L1 error of both marginals at the returned potentials, relative to the mass. */
  readonly error: number;
}

/** Consecutive failed steps (each with ten times the damping) before giving up. */
const MAX_FAILURES = 16;

/**
 * Runs Newton steps from (f, g) in place until both marginals are within tol·mass in L1,
 * MAX_FAILURES damped tries in a row fail, or `maxSteps` steps. Every step taken increases Φ (or,
 * at its rounding level, shrinks the marginal error), so the dual is never worse than at the start.
 */
export function newtonDual(problem: DualProblem, f: Float64Array, g: Float64Array, tol: number, maxSteps: number): NewtonResult {
  const { n, m, a } = problem;
  let mass = 0;
  for (let i = 0; i < n; i++) mass += a[i]!;
  const P = new Float64Array(n * m);
  const rf = new Float64Array(n);
  const rg = new Float64Array(m);
  const df = new Float64Array(n);
  const dg = new Float64Array(m);
  const ft = new Float64Array(n);
  const gt = new Float64Array(m);
  const zf = new Float64Array(n);
  const zg = new Float64Array(m);
  let cur = evaluate(problem, f, g, P, rf, rg);
  let steps = 0;
  // Levenberg–Marquardt damping λ: 0 (pure Newton) until a step fails; then (H + λI) with λ
  // growing tenfold per failure, which turns the step towards the gradient (an ascent direction
  // whatever H's conditioning: far from the solution at a small ε, H is nearly singular beyond
  // its gauge and the Newton step useless), and shrinking tenfold per success.
  let lambda = 0;
  let failures = 0;
  while (cur.error > tol * mass && steps < maxSteps && failures < MAX_FAILURES) {
    // The right-hand side ε(a − P1, b − Pᵀ1); its two sums differ by Σa − Σb, rounding only.
    for (let i = 0; i < n; i++) zf[i] = -problem.eps * rf[i]!;
    for (let j = 0; j < m; j++) zg[j] = -problem.eps * rg[j]!;
    let gap = 0;
    for (let i = 0; i < n; i++) gap += zf[i]!;
    for (let j = 0; j < m; j++) gap -= zg[j]!;
    for (let j = 0; j < m; j++) zg[j]! += gap / m;
    solvePlanSystem(P, n, m, zf, zg, df, dg, lambda > 0 ? { shift: lambda } : {});
    const slope = dot(n, zf, df) + dot(m, zg, dg);
    let next = null;
    if (slope > 0 && Number.isFinite(slope)) {
      // Backtracking on Φ (Armijo); near the optimum Φ changes below its rounding, and there a
      // step that shrinks the marginal error is taken instead.
      let t = 1;
      for (let k = 0; k < 30; k++, t *= 0.5) {
        for (let i = 0; i < n; i++) ft[i] = f[i]! + t * df[i]!;
        for (let j = 0; j < m; j++) gt[j] = g[j]! + t * dg[j]!;
        const trial = evaluate(problem, ft, gt, P, rf, rg);
        if (trial.dual >= cur.dual + 1e-4 * t * (slope / problem.eps) || trial.error < 0.5 * cur.error) {
          next = trial;
          break;
        }
      }
    }
    if (next === null) {
      evaluate(problem, f, g, P, rf, rg);
      let diag = 0;
      for (let i = 0; i < n; i++) diag = Math.max(diag, rf[i]! + a[i]!);
      lambda = lambda > 0 ? 10 * lambda : 1e-8 * Math.max(diag, 1e-300);
      failures++;
      continue;
    }
    steps++;
    failures = 0;
    lambda = lambda > 1e-12 * mass ? lambda / 10 : 0;
    f.set(ft);
    g.set(gt);
    cur = next;
  }
  return { steps, error: cur.error / mass };
}

/** P, the marginal residuals (P1 − a, Pᵀ1 − b), Φ and the L1 error of both marginals at (f, g). */
function evaluate(
  { n, m, eps, a, b, C }: DualProblem,
  f: Float64Array,
  g: Float64Array,
  P: Float64Array,
  rf: Float64Array,
  rg: Float64Array,
): { dual: number; error: number } {
  const inv = 1 / eps;
  rg.fill(0);
  let total = 0;
  for (let i = 0; i < n; i++) {
    const row = i * m;
    const fi = f[i]!;
    let s = 0;
    for (let j = 0; j < m; j++) {
      const p = Math.exp((fi + g[j]! - C[row + j]!) * inv);
      P[row + j] = p;
      s += p;
      rg[j]! += p;
    }
    rf[i] = s - a[i]!;
    total += s;
  }
  let error = 0;
  for (let i = 0; i < n; i++) error += Math.abs(rf[i]!);
  for (let j = 0; j < m; j++) {
    rg[j]! -= b[j]!;
    error += Math.abs(rg[j]!);
  }
  const dual = dot(n, a, f) + dot(m, b, g) - eps * total;
  return { dual: Number.isFinite(dual) ? dual : -Infinity, error: Number.isFinite(error) ? error : Infinity };
}
