import { DifferentiationError, Tensor } from '@argmin/autodiff';
import type { Cotangents, SolveResult } from '@argmin/autodiff/extend';
import { normInf } from './ipm/matrix.js';
import type { ConeLayout, ConeParams, ConeSolution } from './problem.js';
import { coneData, elementInput, type ConeSaved, type ConeSparsity } from './solve.js';
import type { QuadraticPoint } from './quadratic-map.js';
import { quadraticVjpElement } from './quadratic-map.js';
import { residualVjpElement } from './vjp-residual.js';

/**
 * The implicit VJP of a cone program from the interior-point method's own KKT system (as OptNet
 * does for QPs, extended to cones). On the central path at the final μ,
 *   Px + Aᵀy + c = 0,   Ax + s = b,   Δs = −H·Δy (linearised complementarity, H = WᵀW),
 * so a change of the data moves the solution by
 *   K·(dx, dy) = (−dP·x − dAᵀy − dc,  db − dA·x),   K = [[P, Aᵀ], [A, −H]],
 * with ds = db − dA·x − A·dx. As μ → 0, H → 0 on active directions and → ∞ on inactive ones, so
 * K tends to the KKT matrix of the active face: the derivative of the solution where it exists.
 * Backward is one factorization of K at the final point (the symbolic analysis is reused) and
 * one refined solve:  K·(u, v) = (x̄ − Aᵀs̄, ȳ),  then
 *   c̄ = −u,  b̄ = v + s̄,  Ā = −y·uᵀ − (v + s̄)·xᵀ,  P̄ = −½(u·xᵀ + x·uᵀ).
 * A solution that is not unique or not strictly complementary makes K singular as μ → 0: the
 * solve then grows like 1/μ, which is reported as a DifferentiationError instead of a gradient.
 * Polished elements (solve.ts) use the exact derivative of the residual map instead.
 */
export function coneVjp(
  params: ConeParams,
  result: SolveResult<ConeSolution>,
  cot: Cotangents<ConeSolution>,
  layout: ConeLayout,
  sparsity: ConeSparsity | undefined,
  denseMax = 400,
): Cotangents<ConeParams> {
  const { A, Aval, P, Pval, b, c } = params;
  const m = layout.m;
  const n = c.shape[c.ndim - 1]!;
  const { states, points } = result.saved as ConeSaved;
  const batchedOut = result.solution.x.ndim === 2;
  const gA = A ? new Float64Array(A.size) : null;
  const gAval = Aval ? new Float64Array(Aval.size) : null;
  const gP = P ? new Float64Array(P.size) : null;
  const gPval = Pval ? new Float64Array(Pval.size) : null;
  const gb = new Float64Array(b.size);
  const gc = new Float64Array(c.size);
  const view = (t: Tensor | null | undefined, e: number, k: number) =>
    t ? t.data.subarray(batchedOut ? e * k : 0, (batchedOut ? e * k : 0) + k) : null;
  const rx = new Float64Array(n);
  const rz = new Float64Array(m);
  const wx = new Float64Array(n);
  const wz = new Float64Array(m);
  states.forEach((st, e) => {
    const xb = view(cot.x, e, n);
    const yb = view(cot.y, e, m);
    const sb = view(cot.s, e, m);
    if (!st || (!xb && !yb && !sb)) return; // unconverged elements are masked by applyNode's policy
    const input = elementInput(params, layout, sparsity, e);
    const point = points[e];
    if (point) {
      // A sparse A's gradient is the dense one read on the pattern.
      const dense = gAval ? new Float64Array(m * n) : gA;
      const aOff = gAval ? 0 : A && A.ndim === 3 ? e * m * n : 0;
      const outs = { gA: dense, aOff, gb, bOff: b.ndim === 2 ? e * m : 0, gc, cOff: c.ndim === 2 ? e * n : 0 };
      if ('P' in point) {
        // A quadratic program: P̄ comes dense, and is read on the pattern for Pval.
        const denseP = gPval ? new Float64Array(n * n) : gP!;
        const pOff = gPval ? 0 : P && P.ndim === 3 ? e * n * n : 0;
        quadraticVjpElement(coneData(input), point as QuadraticPoint, xb, yb, sb, e, { ...outs, gP: denseP, pOff });
        if (gPval) {
          const o = Pval!.ndim === 2 ? e * Pval!.shape[1]! : 0;
          const { colPtr, rowIdx } = input.pPattern!;
          for (let j = 0; j < n; j++)
            for (let q = colPtr[j]!; q < colPtr[j + 1]!; q++) {
              const i = rowIdx[q]!;
              // An off-diagonal stored entry is both P_ij and P_ji.
              gPval[o + q]! += i === j ? denseP[i * n + i]! : denseP[i * n + j]! + denseP[j * n + i]!;
            }
        }
      } else residualVjpElement(coneData(input), point, xb, yb, sb, denseMax, e, outs);
      if (gAval && dense) {
        const o = Aval!.ndim === 2 ? e * Aval!.shape[1]! : 0;
        const { colPtr, rowIdx } = input.aPattern!;
        for (let j = 0; j < n; j++) for (let q = colPtr[j]!; q < colPtr[j + 1]!; q++) gAval[o + q]! += dense[rowIdx[q]! * n + j]!;
      }
      return;
    }
    const x = result.solution.x.data.subarray(batchedOut ? e * n : 0);
    const y = result.solution.y.data.subarray(batchedOut ? e * m : 0);
    // r = (x̄ − Aᵀs̄, ȳ), unscaled.
    for (let j = 0; j < n; j++) rx[j] = xb ? xb[j]! : 0;
    if (sb) {
      if (input.aPattern) {
        const { colPtr, rowIdx } = input.aPattern;
        for (let j = 0; j < n; j++) for (let q = colPtr[j]!; q < colPtr[j + 1]!; q++) rx[j]! -= input.A[input.aOff + q]! * sb[rowIdx[q]!]!;
      } else for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) rx[j]! -= input.A[input.aOff + i * n + j]! * sb[i]!;
    }
    for (let i = 0; i < m; i++) rz[i] = yb ? yb[i]! : 0;
    // Into the equilibrated system: K = diag(E⁻¹, D⁻¹)·Γ·K̃·Γ·diag(E⁻¹, D⁻¹), Γ = diag(σ^-½, σ^½).
    const { D, E, cost } = st.data.scaling;
    const rc = Math.sqrt(cost);
    for (let j = 0; j < n; j++) rx[j]! *= E[j]! * rc;
    for (let i = 0; i < m; i++) rz[i]! *= D[i]! / rc;
    const fin = st.result.point;
    let ok = true;
    for (const k of st.cones) ok = k.scale(fin.s, fin.z, fin.mu) && ok;
    const kkt = st.kkt();
    if (!ok || !kkt.factor(st.cones)) throw singular(e);
    kkt.solve(rx, rz, wx, wz);
    const rn = Math.max(normInf(rx), normInf(rz), 1e-300);
    const wn = Math.max(normInf(wx), normInf(wz));
    // Singular in the limit: refinement cannot reach a small residual (the static shift dominates
    // the vanishing eigenvalue), or the solve grows like 1/μ.
    // (The residual is judged loosely: K has entries up to 1/μ, so round-off alone leaves ~‖K‖‖w‖ε.)
    if (!(kkt.lastResidual() <= 1e-3 * (1 + rn)) || !(wn <= rn * Math.max(1e6, 1 / Math.sqrt(fin.mu)))) throw singular(e);
    for (let j = 0; j < n; j++) wx[j]! *= E[j]! * rc;
    for (let i = 0; i < m; i++) wz[i]! *= D[i]! / rc;
    // Gradients.
    const cOff = c.ndim === 2 ? e * n : 0;
    for (let j = 0; j < n; j++) gc[cOff + j]! -= wx[j]!;
    const bOff = b.ndim === 2 ? e * m : 0;
    for (let i = 0; i < m; i++) {
      wz[i]! += sb ? sb[i]! : 0; // v + s̄
      gb[bOff + i]! += wz[i]!;
    }
    if (gA) {
      const o = A!.ndim === 3 ? e * m * n : 0;
      for (let i = 0; i < m; i++) {
        const yi = y[i]!;
        const vi = wz[i]!;
        for (let j = 0; j < n; j++) gA[o + i * n + j]! -= yi * wx[j]! + vi * x[j]!;
      }
    }
    if (gAval) {
      const o = Aval!.ndim === 2 ? e * Aval!.shape[1]! : 0;
      const { colPtr, rowIdx } = input.aPattern!;
      for (let j = 0; j < n; j++)
        for (let q = colPtr[j]!; q < colPtr[j + 1]!; q++) {
          const i = rowIdx[q]!;
          gAval[o + q]! -= y[i]! * wx[j]! + wz[i]! * x[j]!;
        }
    }
    if (gP) {
      const o = P!.ndim === 3 ? e * n * n : 0;
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) gP[o + i * n + j]! -= 0.5 * (wx[i]! * x[j]! + x[i]! * wx[j]!);
    }
    if (gPval) {
      const o = Pval!.ndim === 2 ? e * Pval!.shape[1]! : 0;
      const { colPtr, rowIdx } = input.pPattern!;
      for (let j = 0; j < n; j++)
        for (let q = colPtr[j]!; q < colPtr[j + 1]!; q++) {
          const i = rowIdx[q]!;
          // An off-diagonal stored entry is both P_ij and P_ji.
          gPval[o + q]! -= i === j ? wx[i]! * x[i]! : wx[i]! * x[j]! + x[i]! * wx[j]!;
        }
    }
  });
  const out: { -readonly [K in keyof ConeParams]?: Tensor | null } = { b: new Tensor(gb, b.shape), c: new Tensor(gc, c.shape) };
  if (gA) out.A = new Tensor(gA, A!.shape);
  if (gAval) out.Aval = new Tensor(gAval, Aval!.shape);
  if (gP) out.P = new Tensor(gP, P!.shape);
  if (gPval) out.Pval = new Tensor(gPval, Pval!.shape);
  return out;
}

function singular(e: number): DifferentiationError {
  return new DifferentiationError(
    `convex.cone: cannot differentiate batch element ${e}: the KKT system at the solution is singular (the solution is not unique or not strictly complementary)`,
  );
}
