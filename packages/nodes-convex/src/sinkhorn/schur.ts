import { cg, choleskyFactor, choleskySolveInto, gemm } from '@argmin/autodiff/kernels';

/**
 * The linear system of Sinkhorn's implicit VJP, solved through its structure. Linearizing the
 * marginal constraints of P = exp((f ⊕ g − C)/ε) in the potentials gives
 *   H = [[diag(r), P], [Pᵀ, diag(c)]],   r = P1, c = Pᵀ1,
 * symmetric positive semidefinite with the one null vector (1, −1) (the gauge f + κ, g − κ).
 * Eliminating the larger side leaves the Schur complement on the smaller one,
 *   S = diag(c) − Pᵀ diag(1/r) P   (m×m, with S1 = 0),
 * made definite by adding κ11ᵀ: for a right-hand side orthogonal to 1 (which ours is), the
 * solution of (S + κ11ᵀ)x = rhs has 1ᵀx = 0 and solves Sx = rhs. Small complements are formed
 * and factored (Cholesky); large ones are solved by Jacobi-preconditioned CG with matrix-free
 * products, two passes over P each, so nothing of size (n + m)² is ever formed.
 */

export interface SchurOptions {
  /** 'dense' forms and factors S, 'cg' is matrix-free; 'auto' is dense up to `denseMax`. */
  readonly method?: 'auto' | 'dense' | 'cg';
  readonly denseMax?: number;
  /** Relative residual tolerance of CG (default 1e-12). */
  readonly tol?: number;
  readonly maxIter?: number;
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
  P: Float64Array, n: number, m: number, zf: Float64Array, zg: Float64Array, yf: Float64Array, yg: Float64Array,
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
  P: Float64Array, n: number, m: number, zf: Float64Array, zg: Float64Array, yf: Float64Array, yg: Float64Array,
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
  const rhs = Float64Array.from(zg);
  for (let i = 0; i < n; i++) {
    const w = zf[i]! / r[i]!;
    for (let j = 0; j < m; j++) rhs[j]! -= P[i * m + j]! * w;
  }
  let kappa = 0;
  for (let j = 0; j < m; j++) kappa += c[j]! / (m * m);

  const method = options.method === 'dense' || (options.method !== 'cg' && m <= (options.denseMax ?? 96)) ? 'dense' : 'cg';
  let result: SchurResult;
  if (method === 'dense') {
    // S + κ11ᵀ = diag(c) − QᵀQ + κ11ᵀ with Q = diag(r)^(−1/2) P.
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
      yg.set(rhs);
      choleskySolveInto(factor, 0, yg, 0, 1);
      result = { converged: true, iterations: 1, residual: 0, method };
    } catch {
      // Numerically indefinite (a plan with vanishing rows or columns): let CG try.
      result = cgSolve(P, n, m, r, c, kappa, rhs, yg, options);
    }
  } else {
    result = cgSolve(P, n, m, r, c, kappa, rhs, yg, options);
  }
  for (let i = 0; i < n; i++) {
    let s = zf[i]!;
    for (let j = 0; j < m; j++) s -= P[i * m + j]! * yg[j]!;
    yf[i] = s / r[i]!;
  }
  return result;
}

/** CG on D^(−1/2)(S + κ11ᵀ)D^(−1/2) with D its diagonal (Jacobi preconditioning). */
function cgSolve(
  P: Float64Array, n: number, m: number, r: Float64Array, c: Float64Array, kappa: number,
  rhs: Float64Array, out: Float64Array, options: SchurOptions,
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
  const matvec = (w: Float64Array, res: Float64Array): void => {
    let total = 0;
    for (let j = 0; j < m; j++) {
      x[j] = w[j]! * scale[j]!;
      total += x[j]!;
    }
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < m; j++) s += P[i * m + j]! * x[j]!;
      tmp[i] = s / r[i]!;
    }
    for (let j = 0; j < m; j++) res[j] = c[j]! * x[j]! + kappa * total;
    for (let i = 0; i < n; i++) {
      const t = tmp[i]!;
      for (let j = 0; j < m; j++) res[j]! -= P[i * m + j]! * t;
    }
    for (let j = 0; j < m; j++) res[j]! *= scale[j]!;
  };
  const b = new Float64Array(m);
  for (let j = 0; j < m; j++) b[j] = rhs[j]! * scale[j]!;
  const solved = cg(matvec, b, { tol: options.tol ?? 1e-12, maxIter: options.maxIter ?? Math.max(200, 10 * m) });
  for (let j = 0; j < m; j++) out[j] = solved.x[j]! * scale[j]!;
  return { converged: solved.converged, iterations: solved.iterations, residual: solved.residual, method: 'cg' };
}
