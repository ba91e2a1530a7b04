/**
 * The decision layer of the task-based example (examples/lib/task-based.ts): 24 hourly generation
 * levels scheduled against a Gaussian load forecast (μ, σ) per hour,
 *
 *   z*(μ, σ) = argmin_z  Σᵢ E_{y ~ N(μ, σ²)} γ_s[yᵢ − zᵢ]₊ + γ_e[zᵢ − yᵢ]₊ + ½(zᵢ − yᵢ)²  s.t. |zᵢ − zᵢ₊₁| ≤ c_ramp,
 *
 * solved as in Donti, Amos & Kolter (2017) by sequential quadratic programming with the `qp`
 * node. The expectation is closed-form per hour, with u = (z − μ)/σ:
 *   f'(z)  = (γ_s + γ_e) Φ(u) − γ_s + (z − μ),   f''(z) = (γ_s + γ_e) φ(u)/σ + 1,
 * and each SQP iteration is the QP with Q = diag f''(z_k), p = f'(z_k) − Q z_k and the ramp
 * constraints. The iterations run as forward-only solves; the last QP is taken at the converged
 * z_k (held constant) and differentiated implicitly. At a fixed point z_k = z* that last QP's KKT
 * system is exactly the scheduling problem's (Q is its Hessian), so its implicit gradient is the
 * exact derivative of z* in (μ, σ).
 */
import { Tensor, add, div, exp, expandDims, eye, mul, sub, withCluster } from '@argmin/autodiff';
import { defineOp, withoutRecording } from '@argmin/autodiff/extend';
import { qp } from '@argmin/nodes-convex';

export const HOURS = 24;
const SQRT2PI = Math.sqrt(2 * Math.PI);

export interface SchedulingProblem {
  /** Cost of under-generation (shortage) and of over-generation (excess) per unit. */
  readonly gammaShort: number;
  readonly gammaExcess: number;
  /** Largest change of generation between consecutive hours. */
  readonly ramp: number;
}

/** The paper's costs (γ_s = 50, γ_e = 0.5); the ramp limit binds on the morning rise. */
export const SCHEDULING: SchedulingProblem = { gammaShort: 50, gammaExcess: 0.5, ramp: 0.12 };

// ---------------------------------------------------------------------------------------------
// The standard normal CDF as a differentiable op (the ops set has no erf).

/** Φ(x) by Marsaglia's series Φ = ½ + φ(x)(x + x³/3 + x⁵/15 + …), exact to ~1e-16 absolute. */
export function normalCdfValue(x: number): number {
  if (x < -9) return 0;
  if (x > 9) return 1;
  let term = x;
  let total = x;
  const x2 = x * x;
  for (let k = 3; Math.abs(term) > 1e-17 * Math.abs(total); k += 2) {
    term *= x2 / k;
    total += term;
  }
  return 0.5 + (total * Math.exp(-0.5 * x2)) / SQRT2PI;
}

export const normalCdfOp = defineOp({
  name: 'example.normalCdf',
  forward: ([x]) => new Tensor(x!.data.map(normalCdfValue), x!.shape),
  vjp: (c, { inputs: [x] }) => [mul(c, normalPdf(x!))],
});

/** Φ(x), elementwise. */
export const normalCdf = (x: Tensor): Tensor => normalCdfOp.apply([x], {});
/** φ(x) = exp(−x²/2)/√(2π), elementwise. */
export const normalPdf = (x: Tensor): Tensor => mul(exp(mul(mul(x, x), -0.5)), 1 / SQRT2PI);

/** Rows `rows` of a [D, …] tensor. */
export function rowsOf(t: Tensor, rows: readonly number[]): Tensor {
  const width = t.size / t.shape[0]!;
  const out = new Float64Array(rows.length * width);
  rows.forEach((r, i) => out.set(t.data.subarray(r * width, (r + 1) * width), i * width));
  return new Tensor(out, [rows.length, ...t.shape.slice(1)]);
}
// ---------------------------------------------------------------------------------------------
// The decision layer: SQP with a QP per iteration.

/** The ramp constraints G z ≤ h: z_i − z_{i+1} ≤ c and z_{i+1} − z_i ≤ c. */
export function rampConstraints(ramp: number): { G: Tensor; h: Tensor } {
  const m = 2 * (HOURS - 1);
  const G = new Float64Array(m * HOURS);
  for (let i = 0; i < HOURS - 1; i++) {
    G[i * HOURS + i] = 1;
    G[i * HOURS + i + 1] = -1;
    G[(HOURS - 1 + i) * HOURS + i] = -1;
    G[(HOURS - 1 + i) * HOURS + i + 1] = 1;
  }
  return { G: new Tensor(G, [m, HOURS]), h: new Tensor(new Float64Array(m).fill(ramp), [m]) };
}

/** Φ⁻¹(q) by bisection (used once, for the newsvendor starting point). */
function normalQuantile(q: number): number {
  let [lo, hi] = [-9, 9];
  for (let i = 0; i < 200; i++) {
    const mid = (lo + hi) / 2;
    if (normalCdfValue(mid) < q) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** The expected cost f(z) of each day's schedule and its slope f'(z) per hour (plain loops). */
function expectedCost(
  mu: Float64Array,
  sigma: Float64Array,
  z: Float64Array,
  day: number,
  problem: SchedulingProblem,
  slope?: Float64Array,
): number {
  const gsum = problem.gammaShort + problem.gammaExcess;
  let total = 0;
  for (let i = day * HOURS; i < (day + 1) * HOURS; i++) {
    const dev = z[i]! - mu[i]!;
    const u = dev / sigma[i]!;
    const cdf = normalCdfValue(u);
    const excess = dev * cdf + (sigma[i]! * Math.exp(-0.5 * u * u)) / SQRT2PI; // E[z − y]₊
    total += gsum * excess - problem.gammaShort * dev + 0.5 * (dev * dev + sigma[i]! ** 2);
    if (slope) slope[i] = gsum * cdf - problem.gammaShort + dev;
  }
  return total;
}

/** z + α(ẑ − z) per day, α halved from 1 until the expected cost decreases enough (Armijo). */
function lineSearch(mu: Float64Array, sigma: Float64Array, z: Tensor, target: Tensor, problem: SchedulingProblem): Tensor {
  const out = Float64Array.from(target.data);
  const slope = new Float64Array(z.size);
  const days = z.size / HOURS;
  for (let d = 0; d < days; d++) {
    const f0 = expectedCost(mu, sigma, z.data, d, problem, slope);
    let descent = 0;
    for (let i = d * HOURS; i < (d + 1) * HOURS; i++) descent += slope[i]! * (target.data[i]! - z.data[i]!);
    for (let alpha = 1, k = 0; k < 40; k++, alpha /= 2) {
      for (let i = d * HOURS; i < (d + 1) * HOURS; i++) out[i] = z.data[i]! + alpha * (target.data[i]! - z.data[i]!);
      if (expectedCost(mu, sigma, out, d, problem) <= f0 + 1e-4 * alpha * descent) break;
    }
  }
  return new Tensor(out, z.shape);
}

/** The SQP subproblem at z_k: Q = diag f''(z_k), p = f'(z_k) − Q z_k, as differentiable ops. */
function sqpSubproblem(mu: Tensor, sigma: Tensor, zk: Tensor, problem: SchedulingProblem): { Q: Tensor; p: Tensor } {
  const gsum = problem.gammaShort + problem.gammaExcess;
  const dev = sub(zk, mu);
  const u = div(dev, sigma);
  const curvature = add(div(mul(normalPdf(u), gsum), sigma), 1);
  const slope = add(sub(mul(normalCdf(u), gsum), problem.gammaShort), dev);
  const Q = mul(expandDims(curvature, -1), eye(HOURS));
  return { Q, p: sub(slope, mul(curvature, zk)) };
}

export interface DecisionOptions {
  readonly problem?: SchedulingProblem;
  /** Forward SQP iterations at most (default 12); they stop when a step is below `tol`. */
  readonly maxSqp?: number;
  readonly tol?: number;
  /** 'implicit' differentiates the last QP; 'solve' gives decisions only. */
  readonly strategy?: 'implicit' | 'solve';
  /** A feasible starting schedule [D, 24], e.g. the previous solution for the same days. */
  readonly start?: Tensor;
}

export interface Decision {
  /** The schedule z* [D, 24]. */
  readonly z: Tensor;
  /** SQP iterations run (the most any day needed), and the largest last step of any day. */
  readonly iterations: number;
  readonly lastStep: number;
}

/** z*(μ, σ) for each day: forward SQP iterations, then one differentiable QP at their fixed point. */
export function scheduleDecision(mu: Tensor, sigma: Tensor, options: DecisionOptions = {}): Decision {
  const problem = options.problem ?? SCHEDULING;
  const { G, h } = rampConstraints(problem.ramp);
  const maxSqp = options.maxSqp ?? 30;
  const tol = options.tol ?? 1e-7;
  // Start from the given schedule, or the unconstrained newsvendor solution μ + σ Φ⁻¹(γ_s / (γ_s + γ_e)).
  const q = normalQuantile(problem.gammaShort / (problem.gammaShort + problem.gammaExcess));
  const feasibleStart = options.start !== undefined;
  const z = Float64Array.from(options.start?.data ?? mu.data.map((m, i) => m + q * sigma.data[i]!));
  const days = mu.shape[0]!;
  let active = Array.from({ length: days }, (_, d) => d);
  let iterations = 0;
  let lastStep = 0;
  // Forward-only iterations: nothing here is recorded (no tape, no gradient, not in the trace).
  // Newton steps alone can diverge where σ is small (f'' is a narrow spike of height ~γ/σ), so
  // every step after the first (which makes the iterate feasible) is damped by a backtracking
  // line search on the exact expected cost; near the solution it takes full steps. Days leave
  // the batch as soon as their step is below tol.
  withoutRecording(() => {
    while (active.length > 0 && iterations < maxSqp) {
      const [m, sd, zk] = [rowsOf(mu, active), rowsOf(sigma, active), rowsOf(new Tensor(z, mu.shape), active)];
      // Inner solves to 1e-8: the SQP's own tolerance is 1e-7, and the last QP is solved at full precision.
      const next = qp({ ...sqpSubproblem(m, sd, zk, problem), G, h }, { strategy: 'solve', tol: 1e-8 }).z;
      const moved = iterations === 0 && !feasibleStart ? next : lineSearch(m.data, sd.data, zk, next, problem);
      const still: number[] = [];
      active.forEach((d, j) => {
        let step = 0;
        for (let i = j * HOURS; i < (j + 1) * HOURS; i++) step = Math.max(step, Math.abs(next.data[i]! - zk.data[i]!));
        z.set(moved.data.subarray(j * HOURS, (j + 1) * HOURS), d * HOURS);
        if (step > tol) still.push(d);
        if (step <= tol || iterations + 1 === maxSqp) lastStep = Math.max(lastStep, step);
      });
      active = still;
      iterations++;
    }
  });
  const zk = new Tensor(z, mu.shape);
  if (options.strategy === 'solve') return { z: zk, iterations, lastStep };
  const sub = withCluster('SQP subproblem at the fixed point', 'group', () => sqpSubproblem(mu, sigma, zk, problem));
  return { z: qp({ ...sub, G, h }, { strategy: 'implicit', label: 'schedule QP' }).z, iterations, lastStep };
}
