import { cg, choleskyFactor, choleskySolveInto, gemm } from '@argmin/autodiff/kernels';
import { columnProducts, rowProducts } from './products.js';

/**
 * The linear system of Sinkhorn's implicit VJP, solved through its structure. Linearizing the
 * marginal constraints of P = exp((f ⊕ g − C)/ε) in the potentials gives
 *   H = [[diag(r), P], [Pᵀ, diag(c)]],   r = P1, c = Pᵀ1,
 * symmetric positive semidefinite with the one null vector (1, −1) (the gauge f + κ, g − κ).
 * Eliminating the larger side leaves the Schur complement on the smaller one,
 *   S = diag(c) − Pᵀ diag(1/r) P   (m×m, with S1 = 0),
 * made definite by adding κ11ᵀ: for a right-hand side orthogonal to 1 (which ours is), the
 * solution of (S + κ11ᵀ)x = rhs has 1ᵀx = 0 and solves Sx = rhs. Complements up to 32×32 are
 * formed and factored (Cholesky); larger ones are solved by Jacobi-preconditioned CG with
 * matrix-free products, two passes over P each (it takes ~10–30 steps for ε from 0.5 to 0.01 on
 * unit-scale costs, and beats the factorization from m ≈ 40). Nothing of size (n + m)² is formed.
 */

export interface SchurOptions {
  /** 'dense' forms and factors S, 'cg' is matrix-free; 'auto' is dense up to `denseMax` (32). */
  readonly method?: 'auto' | 'dense' | 'cg';
  readonly denseMax?: number;
  /** Relative residual tolerance of CG (default 1e-12). */
  readonly tol?: number;
  readonly maxIter?: number;
  /**
   * λ > 0 solves (H + λI)y = z instead (Levenberg–Marquardt steps of newton.ts): the complement
   * is then definite, no gauge term is added, and z need not satisfy 1ᵀzf = 1ᵀzg.
   */
  readonly shift?: number;
}

export interface SchurResult {
  readonly converged: boolean;
  readonly iterations: number;
  readonly residual: number;
  readonly method: 'dense' | 'cg';
}

/**
 * Solves H [yf; yg] = [zf; zg] (a solution; the gauge component is arbitrary) for an n×m plan
 * P (row-major). Requires 1ᵀzf = 1ᵀzg, the consistency condition. Writes yf and yg.
 */
export function solvePlanSystem(
  P: Float64Array,
  n: number,
  m: number,
  zf: Float64Array,
  zg: Float64Array,
  yf: Float64Array,
  yg: Float64Array,
  options: SchurOptions = {},
): SchurResult {
  if (m <= n) return solveOnColumns(P, n, m, zf, zg, yf, yg, options);
  // Eliminate the columns instead: the same system for Pᵀ with the roles of f and g exchanged.
  const Pt = new Float64Array(n * m);
  for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) Pt[j * n + i] = P[i * m + j]!;
  return solveOnColumns(Pt, m, n, zg, zf, yg, yf, options);
}

/** The case n ≥ m: eliminate yf = (zf − P yg)/r and solve S yg = zg − Pᵀ(zf/r). */
function solveOnColumns(
  P: Float64Array,
  n: number,
  m: number,
  zf: Float64Array,
  zg: Float64Array,
  yf: Float64Array,
  yg: Float64Array,
  options: SchurOptions,
): SchurResult {
  const r = new Float64Array(n);
  const c = new Float64Array(m);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < m; j++) {
      const p = P[i * m + j]!;
      s += p;
      c[j]! += p;
    }
    r[i] = s;
  }
  const shift = options.shift ?? 0;
  if (shift > 0) {
    for (let i = 0; i < n; i++) r[i]! += shift;
    for (let j = 0; j < m; j++) c[j]! += shift;
  }
  const rhs = new Float64Array(m);
  const tmp = new Float64Array(n);
  for (let i = 0; i < n; i++) tmp[i] = zf[i]! / r[i]!;
  columnProducts(P, n, m, tmp, rhs);
  for (let j = 0; j < m; j++) rhs[j] = zg[j]! - rhs[j]!;
  let kappa = 0;
  if (!(shift > 0)) for (let j = 0; j < m; j++) kappa += c[j]! / (m * m);

  const auto = options.method === undefined || options.method === 'auto';
  const first = options.method === 'dense' || (auto && m <= (options.denseMax ?? 32)) ? 'dense' : 'cg';
  let result = first === 'dense' ? denseSolve(P, n, m, r, c, kappa, rhs, yg) : cgSolve(P, n, m, r, c, kappa, rhs, yg, options);
  // Under 'auto', a failed method hands over to the other: CG stalls on very ill-conditioned
  // plans (tiny ε), where a factorization still works; a numerically indefinite complement
  // (vanishing rows) defeats Cholesky but not CG.
  if (!result.converged && auto) {
    result =
      first === 'dense' ? cgSolve(P, n, m, r, c, kappa, rhs, yg, options) : m <= 1000 ? denseSolve(P, n, m, r, c, kappa, rhs, yg) : result;
  }
  rowProducts(P, n, m, yg, tmp);
  for (let i = 0; i < n; i++) yf[i] = (zf[i]! - tmp[i]!) / r[i]!;
  return result;
}

/** Forms S + κ11ᵀ = diag(c) − QᵀQ + κ11ᵀ with Q = diag(r)^(−1/2) P, and factors it. */
function denseSolve(
  P: Float64Array,
  n: number,
  m: number,
  r: Float64Array,
  c: Float64Array,
  kappa: number,
  rhs: Float64Array,
  out: Float64Array,
): SchurResult {
  const Q = new Float64Array(n * m);
  for (let i = 0; i < n; i++) {
    const s = 1 / Math.sqrt(r[i]!);
    for (let j = 0; j < m; j++) Q[i * m + j] = P[i * m + j]! * s;
  }
  const S = new Float64Array(m * m).fill(kappa);
  gemm(true, false, m, m, n, -1, Q, 0, m, Q, 0, m, 1, S, 0, m);
  for (let j = 0; j < m; j++) S[j * m + j]! += c[j]!;
  try {
    const factor = choleskyFactor(S, m, 1);
    out.set(rhs);
    choleskySolveInto(factor, 0, out, 0, 1);
    return { converged: true, iterations: 1, residual: 0, method: 'dense' };
  } catch {
    return { converged: false, iterations: 0, residual: Infinity, method: 'dense' };
  }
}

/** CG on D^(−1/2)(S + κ11ᵀ)D^(−1/2) with D its diagonal (Jacobi preconditioning). */
function cgSolve(
  P: Float64Array,
  n: number,
  m: number,
  r: Float64Array,
  c: Float64Array,
  kappa: number,
  rhs: Float64Array,
  out: Float64Array,
  options: SchurOptions,
): SchurResult {
  const scale = new Float64Array(m);
  for (let j = 0; j < m; j++) scale[j] = c[j]! + kappa;
  for (let i = 0; i < n; i++) {
    const ir = 1 / r[i]!;
    for (let j = 0; j < m; j++) {
      const p = P[i * m + j]!;
      scale[j]! -= p * p * ir;
    }
  }
  for (let j = 0; j < m; j++) scale[j] = 1 / Math.sqrt(Math.max(scale[j]!, 1e-300));
  const x = new Float64Array(m);
  const tmp = new Float64Array(n);
  const back = new Float64Array(m);
  const matvec = (w: Float64Array, res: Float64Array): void => {
    let total = 0;
    for (let j = 0; j < m; j++) {
      x[j] = w[j]! * scale[j]!;
      total += x[j]!;
    }
    rowProducts(P, n, m, x, tmp);
    for (let i = 0; i < n; i++) tmp[i]! /= r[i]!;
    columnProducts(P, n, m, tmp, back);
    for (let j = 0; j < m; j++) res[j] = (c[j]! * x[j]! + kappa * total - back[j]!) * scale[j]!;
  };
  const b = new Float64Array(m);
  for (let j = 0; j < m; j++) b[j] = rhs[j]! * scale[j]!;
  const solved = cg(matvec, b, { tol: options.tol ?? 1e-12, maxIter: options.maxIter ?? Math.max(200, 10 * m) });
  for (let j = 0; j < m; j++) out[j] = solved.x[j]! * scale[j]!;
  return { converged: solved.converged, iterations: solved.iterations, residual: solved.residual, method: 'cg' };
}
