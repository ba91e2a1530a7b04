import { InvalidInputError } from '../errors.js';
import { axpy, dot } from './blas.js';
import { luFactor, luSolveInto } from './factor-lu.js';

/**
 * Matrix-free linear solvers: the linear solves of implicit VJPs, where the matrix is only
 * available through products (themselves VJPs or JVPs). Neither solver throws on
 * non-convergence: the result says whether it converged, and the caller decides what to do.
 */

/** out ← A·x. Must not keep or modify `x`. */
export type MatVec = (x: Float64Array, out: Float64Array) => void;

export interface KrylovOptions {
  /** Relative tolerance: converged when ‖b − Ax‖₂ ≤ max(tol·‖b‖₂, atol). Default 1e-10. */
  readonly tol?: number;
  /** Absolute tolerance (default 0). */
  readonly atol?: number;
  /** Maximum number of matrix-vector products of the iteration (default 10·n). */
  readonly maxIter?: number;
  /** Initial guess (default zero); not modified. */
  readonly x0?: Float64Array;
}

export interface GmresOptions extends KrylovOptions {
  /** Krylov subspace dimension before a restart (default min(n, 30)). */
  readonly restart?: number;
}

export interface KrylovResult {
  readonly x: Float64Array;
  readonly converged: boolean;
  /** Iterations taken (one matrix-vector product each; residual checks not counted). */
  readonly iterations: number;
  /** The true residual ‖b − Ax‖₂ of the returned x (recomputed, not the recursive estimate). */
  readonly residual: number;
  /** Why the iteration stopped; 'breakdown' means the operator is not SPD (CG) or produced NaN. */
  readonly reason: 'converged' | 'max-iterations' | 'breakdown';
}

function norm(v: Float64Array): number {
  return Math.sqrt(dot(v.length, v, v));
}

/** r ← b − A·x, returning ‖r‖₂. */
function residualInto(matvec: MatVec, b: Float64Array, x: Float64Array, r: Float64Array): number {
  matvec(x, r);
  for (let i = 0; i < r.length; i++) r[i] = b[i]! - r[i]!;
  return norm(r);
}

function initialGuess(b: Float64Array, x0: Float64Array | undefined, where: string): Float64Array {
  if (x0 === undefined) return new Float64Array(b.length);
  if (x0.length !== b.length) {
    throw new InvalidInputError(`${where}: x0 has ${x0.length} entries but b has ${b.length}`);
  }
  return Float64Array.from(x0);
}

/**
 * Conjugate gradients for a symmetric positive definite operator. When the recursive residual
 * meets the tolerance the true residual is recomputed; if drift left it above the tolerance, the
 * iteration restarts from the true residual instead of reporting a false success.
 */
export function cg(matvec: MatVec, b: Float64Array, options: KrylovOptions = {}): KrylovResult {
  const n = b.length;
  const { tol = 1e-10, atol = 0, maxIter = 10 * n } = options;
  const threshold = Math.max(tol * norm(b), atol);
  const x = initialGuess(b, options.x0, 'cg');
  const r = new Float64Array(n);
  const p = new Float64Array(n);
  const ap = new Float64Array(n);
  let rr = residualInto(matvec, b, x, r) ** 2;
  p.set(r);
  let iterations = 0;
  let reason: KrylovResult['reason'] = 'max-iterations';
  while (true) {
    if (Math.sqrt(rr) <= threshold) {
      const trueNorm = residualInto(matvec, b, x, r);
      if (trueNorm <= threshold) {
        reason = 'converged';
        break;
      }
      rr = trueNorm * trueNorm;
      p.set(r);
    }
    if (iterations >= maxIter) break;
    matvec(p, ap);
    iterations++;
    const pap = dot(n, p, ap);
    if (!(pap > 0)) {
      reason = 'breakdown';
      break;
    }
    const alpha = rr / pap;
    axpy(n, alpha, p, x);
    axpy(n, -alpha, ap, r);
    const rrNext = dot(n, r, r);
    const beta = rrNext / rr;
    rr = rrNext;
    for (let i = 0; i < n; i++) p[i] = r[i]! + beta * p[i]!;
  }
  const residual = residualInto(matvec, b, x, r);
  return { x, converged: reason === 'converged', iterations, residual, reason };
}

/**
 * Restarted GMRES(m) for a general nonsingular operator: Arnoldi with modified Gram–Schmidt and
 * Givens rotations on the Hessenberg matrix. The residual is recomputed from x at every restart,
 * so `converged` reflects the true residual.
 */
export function gmres(matvec: MatVec, b: Float64Array, options: GmresOptions = {}): KrylovResult {
  const n = b.length;
  const { tol = 1e-10, atol = 0, maxIter = 10 * n } = options;
  const m = Math.max(1, Math.min(options.restart ?? 30, n));
  const threshold = Math.max(tol * norm(b), atol);
  const x = initialGuess(b, options.x0, 'gmres');
  const r = new Float64Array(n);
  const basis = Array.from({ length: m + 1 }, () => new Float64Array(n));
  const h = new Float64Array((m + 1) * m); // Hessenberg, row-major (m+1)×m, triangularised in place
  const cs = new Float64Array(m);
  const sn = new Float64Array(m);
  const g = new Float64Array(m + 1);
  const y = new Float64Array(m);
  let residual = residualInto(matvec, b, x, r);
  let iterations = 0;
  let reason: KrylovResult['reason'] = 'max-iterations';
  while (true) {
    if (residual <= threshold) {
      reason = 'converged';
      break;
    }
    if (!Number.isFinite(residual)) {
      reason = 'breakdown';
      break;
    }
    if (iterations >= maxIter) break;
    const v0 = basis[0]!;
    for (let i = 0; i < n; i++) v0[i] = r[i]! / residual;
    g.fill(0);
    g[0] = residual;
    let j = 0;
    while (j < m && iterations < maxIter) {
      const w = basis[j + 1]!;
      matvec(basis[j]!, w);
      iterations++;
      for (let i = 0; i <= j; i++) {
        const hij = dot(n, w, basis[i]!);
        h[i * m + j] = hij;
        axpy(n, -hij, basis[i]!, w);
      }
      const hNext = norm(w);
      // Rotate the new column by the previous rotations, then zero its subdiagonal entry.
      for (let i = 0; i < j; i++) {
        const a = h[i * m + j]!;
        const c = h[(i + 1) * m + j]!;
        h[i * m + j] = cs[i]! * a + sn[i]! * c;
        h[(i + 1) * m + j] = -sn[i]! * a + cs[i]! * c;
      }
      const d = h[j * m + j]!;
      const rho = Math.hypot(d, hNext);
      cs[j] = rho === 0 ? 1 : d / rho;
      sn[j] = rho === 0 ? 0 : hNext / rho;
      h[j * m + j] = rho;
      g[j + 1] = -sn[j]! * g[j]!;
      g[j] = cs[j]! * g[j]!;
      j++;
      // A zero subdiagonal means the Krylov space is invariant: x is exact in it ("lucky breakdown").
      if (hNext === 0 || Math.abs(g[j]!) <= threshold) break;
      for (let i = 0; i < n; i++) w[i] = w[i]! / hNext;
    }
    // x += V·y with y solving the triangularised least-squares system R·y = g.
    for (let i = j - 1; i >= 0; i--) {
      let s = g[i]!;
      for (let c = i + 1; c < j; c++) s -= h[i * m + c]! * y[c]!;
      y[i] = h[i * m + i]! === 0 ? 0 : s / h[i * m + i]!;
    }
    for (let i = 0; i < j; i++) axpy(n, y[i]!, basis[i]!, x);
    residual = residualInto(matvec, b, x, r);
  }
  return { x, converged: reason === 'converged', iterations, residual, reason };
}

/**
 * x = A⁻¹b for a small dense row-major n×n matrix by pivoted LU (n = b.length); neither input is
 * written. Throws an InvalidInputError if A is singular to working precision.
 */
export function solveDense(a: Float64Array, b: Float64Array): Float64Array {
  const n = b.length;
  if (a.length !== n * n) {
    throw new InvalidInputError(`solveDense: A has ${a.length} entries but b has ${n}, so A must have ${n * n}`);
  }
  const x = Float64Array.from(b);
  if (n === 0) return x;
  luSolveInto(luFactor(a, n, 1, { op: 'solveDense', input: 'A' }), 0, x, 0, 1);
  return x;
}
