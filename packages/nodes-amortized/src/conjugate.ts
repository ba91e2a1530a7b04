import { InvalidInputError, ShapeError } from '@argmin/autodiff';

/**
 * The convex conjugate f*(y) = max_x xᵀy − f(x) of a batch of points, by minimizing
 * h_y(x) = f(x) − xᵀy with L-BFGS, one independent run per row (own memory, own Armijo
 * backtracking), all rows evaluated together in one batched call of ∇f. Started from a
 * prediction x̂(y) (amortization) or from x = y. The maximizer x*(y) = (∇f)⁻¹(y) is where the
 * envelope theorem differentiates f*: ∂f*(y)/∂θ = −∂f(x*)/∂θ, with x* held fixed, which is
 * exact only at a converged x*; so every row reports whether ‖∇h_y(x)‖∞ ≤ tol was reached.
 */
export interface ConjugateOptions {
  /** Stop a row when ‖∇f(x) − y‖∞ ≤ tol (default 1e-6). */
  readonly tol?: number;
  /** L-BFGS iterations per row (default 200). */
  readonly maxIter?: number;
  /** Pairs (s, y) kept per row (default 10). */
  readonly memory?: number;
  /**
   * Per row, a curvature B₀ [B, d, d] ≈ ∇²h_y near the solution (e.g. ∇²f at the amortized
   * start): the two-loop recursion then starts from H₀ = B₀⁻¹ instead of γI, so the first step
   * is Newton's and the pairs correct a good model instead of building one. Rows whose B₀ is
   * not positive definite keep γI.
   */
  readonly initialHessian?: Float64Array;
}

/** f(x) [B] and ∇f(x) [B, d] at rows x [B, d] (e.g. `icnn(...).valueAndGrad` with fixed θ). */
export type ValueAndGrad = (x: Float64Array, batch: number) => { value: Float64Array; grad: Float64Array };

export interface ConjugateResult {
  /** The maximizers x*(y) [B, d]. */
  readonly x: Float64Array;
  /** f*(y) = x*ᵀy − f(x*) per row. */
  readonly value: Float64Array;
  /** L-BFGS iterations per row (0 when the start already met tol). */
  readonly iterations: Int32Array;
  readonly converged: Uint8Array;
  /** ‖∇h_y(x*)‖∞ per row. */
  readonly gradNorm: Float64Array;
}

const C1 = 1e-4;
const MAX_BACKTRACK = 40;

export function conjugate(f: ValueAndGrad, y: Float64Array, x0: Float64Array, d: number, options: ConjugateOptions = {}): ConjugateResult {
  const { tol = 1e-6, maxIter = 200, memory = 10 } = options;
  if (!(tol > 0) || !(Number.isInteger(maxIter) && maxIter >= 0) || !(Number.isInteger(memory) && memory >= 1)) {
    throw new InvalidInputError(`conjugate: need tol > 0, integer maxIter ≥ 0, memory ≥ 1; got ${tol}, ${maxIter}, ${memory}`);
  }
  if (y.length % d !== 0 || x0.length !== y.length) {
    throw new ShapeError(`conjugate: y (${y.length}) and x0 (${x0.length}) must both hold B×${d} entries`);
  }
  const B = y.length / d;
  if (options.initialHessian && options.initialHessian.length !== B * d * d) {
    throw new ShapeError(`conjugate: initialHessian (${options.initialHessian.length}) must hold B×${d}×${d} = ${B * d * d} entries`);
  }
  const chol = options.initialHessian ? choleskyRows(options.initialHessian, B, d) : null;
  const x = Float64Array.from(x0);
  const h = new Float64Array(B);
  const g = new Float64Array(B * d);
  const S = new Float64Array(B * memory * d);
  const Y = new Float64Array(B * memory * d);
  const rho = new Float64Array(B * memory);
  const count = new Int32Array(B);
  const head = new Int32Array(B);
  const iterations = new Int32Array(B);
  const converged = new Uint8Array(B);
  const gradNorm = new Float64Array(B);

  /** h and ∇h for the listed rows, written into (hv, gv) at the same rows. */
  const evaluate = (rows: number[], pts: Float64Array, hv: Float64Array, gv: Float64Array): void => {
    const sub = new Float64Array(rows.length * d);
    rows.forEach((r, k) => sub.set(pts.subarray(r * d, (r + 1) * d), k * d));
    const { value, grad } = f(sub, rows.length);
    rows.forEach((r, k) => {
      let v = value[k]!;
      for (let i = 0; i < d; i++) {
        v -= sub[k * d + i]! * y[r * d + i]!;
        gv[r * d + i] = grad[k * d + i]! - y[r * d + i]!;
      }
      hv[r] = v;
    });
  };
  const infNorm = (v: Float64Array, r: number): number => {
    let m = 0;
    for (let i = 0; i < d; i++) m = Math.max(m, Math.abs(v[r * d + i]!));
    return m;
  };

  let active = Array.from({ length: B }, (_, r) => r);
  evaluate(active, x, h, g);
  const p = new Float64Array(B * d);
  const xNew = new Float64Array(B * d);
  const hNew = new Float64Array(B);
  const gNew = new Float64Array(B * d);
  const step = new Float64Array(B);
  const slope = new Float64Array(B);
  const alpha = new Float64Array(memory);
  for (let it = 0; ; it++) {
    active = active.filter((r) => {
      gradNorm[r] = infNorm(g, r);
      if (gradNorm[r]! <= tol) converged[r] = 1;
      return !converged[r];
    });
    if (active.length === 0 || it >= maxIter) break;
    for (const r of active) {
      direction(r, p, alpha);
      let gp = 0;
      for (let i = 0; i < d; i++) gp += g[r * d + i]! * p[r * d + i]!;
      if (!(gp < 0)) {
        // Not a descent direction (curvature pairs gone stale): restart from steepest descent.
        count[r] = 0;
        gp = 0;
        for (let i = 0; i < d; i++) {
          p[r * d + i] = -g[r * d + i]!;
          gp -= g[r * d + i]! ** 2;
        }
      }
      slope[r] = gp;
      step[r] = 1;
    }
    // Armijo backtracking, batched over the rows still searching.
    let searching = active.slice();
    for (let k = 0; k <= MAX_BACKTRACK && searching.length > 0; k++) {
      for (const r of searching) for (let i = 0; i < d; i++) xNew[r * d + i] = x[r * d + i]! + step[r]! * p[r * d + i]!;
      evaluate(searching, xNew, hNew, gNew);
      searching = searching.filter((r) => {
        // Armijo; near x* the decrease falls below h's round-off, and there a smaller gradient
        // is the evidence of progress instead (the gradient stays accurate where h is not).
        const armijo = hNew[r]! <= h[r]! + C1 * step[r]! * slope[r]!;
        const flat = Math.abs(hNew[r]! - h[r]!) <= 1e-13 * (1 + Math.abs(h[r]!)) && infNorm(gNew, r) < infNorm(g, r);
        const ok = armijo || flat;
        if (!ok && k < MAX_BACKTRACK) step[r]! *= 0.5;
        return !ok && k < MAX_BACKTRACK;
      });
    }
    for (const r of active) {
      iterations[r]!++;
      const slot = head[r]!;
      const base = (r * memory + slot) * d;
      let sy = 0;
      let yy = 0;
      for (let i = 0; i < d; i++) {
        const s = xNew[r * d + i]! - x[r * d + i]!;
        const yv = gNew[r * d + i]! - g[r * d + i]!;
        S[base + i] = s;
        Y[base + i] = yv;
        sy += s * yv;
        yy += yv * yv;
        x[r * d + i] = xNew[r * d + i]!;
        g[r * d + i] = gNew[r * d + i]!;
      }
      h[r] = hNew[r]!;
      if (sy > 1e-14 * Math.max(yy, 1e-300)) {
        rho[r * memory + slot] = 1 / sy;
        head[r] = (slot + 1) % memory;
        count[r] = Math.min(memory, count[r]! + 1);
      }
    }
  }
  const value = new Float64Array(B);
  for (let r = 0; r < B; r++) value[r] = -h[r]!;
  return { x, value, iterations, converged, gradNorm };

  /** p = −H∇h by the two-loop recursion over row r's pairs, H₀ = (sᵀy / yᵀy) I. */
  function direction(r: number, out: Float64Array, a: Float64Array): void {
    const o = r * d;
    for (let i = 0; i < d; i++) out[o + i] = -g[o + i]!;
    const n = count[r]!;
    for (let k = 0; k < n; k++) {
      const slot = (head[r]! - 1 - k + memory) % memory;
      const base = (r * memory + slot) * d;
      let dot = 0;
      for (let i = 0; i < d; i++) dot += S[base + i]! * out[o + i]!;
      a[k] = rho[r * memory + slot]! * dot;
      for (let i = 0; i < d; i++) out[o + i]! -= a[k]! * Y[base + i]!;
    }
    if (chol?.ok[r]) solveCholesky(chol.L, r, d, out, o);
    else if (n > 0) {
      const slot = (head[r]! - 1 + memory) % memory;
      const base = (r * memory + slot) * d;
      let yy = 0;
      for (let i = 0; i < d; i++) yy += Y[base + i]! ** 2;
      const gamma = 1 / (rho[r * memory + slot]! * yy);
      for (let i = 0; i < d; i++) out[o + i]! *= gamma;
    }
    for (let k = n - 1; k >= 0; k--) {
      const slot = (head[r]! - 1 - k + memory) % memory;
      const base = (r * memory + slot) * d;
      let dot = 0;
      for (let i = 0; i < d; i++) dot += Y[base + i]! * out[o + i]!;
      const beta = rho[r * memory + slot]! * dot;
      for (let i = 0; i < d; i++) out[o + i]! += (a[k]! - beta) * S[base + i]!;
    }
  }
}

/** Lower Cholesky factors of B symmetric d×d blocks; ok[r] = 0 where a block is not positive definite. */
function choleskyRows(M: Float64Array, B: number, d: number): { L: Float64Array; ok: Uint8Array } {
  const L = new Float64Array(B * d * d);
  const ok = new Uint8Array(B).fill(1);
  for (let r = 0; r < B; r++) {
    const o = r * d * d;
    for (let j = 0; j < d && ok[r]; j++) {
      let diag = M[o + j * d + j]!;
      for (let k = 0; k < j; k++) diag -= L[o + j * d + k]! ** 2;
      if (!(diag > 1e-12 * Math.abs(M[o + j * d + j]!)) || !Number.isFinite(diag)) ok[r] = 0;
      const ljj = Math.sqrt(diag);
      L[o + j * d + j] = ljj;
      for (let i = j + 1; i < d; i++) {
        let v = M[o + i * d + j]!;
        for (let k = 0; k < j; k++) v -= L[o + i * d + k]! * L[o + j * d + k]!;
        L[o + i * d + j] = v / ljj;
      }
    }
  }
  return { L, ok };
}

/** v ← (L Lᵀ)⁻¹ v for row r's factor, v at offset o. */
function solveCholesky(L: Float64Array, r: number, d: number, v: Float64Array, o: number): void {
  const b = r * d * d;
  for (let i = 0; i < d; i++) {
    let t = v[o + i]!;
    for (let k = 0; k < i; k++) t -= L[b + i * d + k]! * v[o + k]!;
    v[o + i] = t / L[b + i * d + i]!;
  }
  for (let i = d - 1; i >= 0; i--) {
    let t = v[o + i]!;
    for (let k = i + 1; k < d; k++) t -= L[b + k * d + i]! * v[o + k]!;
    v[o + i] = t / L[b + i * d + i]!;
  }
}
