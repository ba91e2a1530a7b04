import { DifferentiationError } from '@argmin/autodiff';
import { luFactor, luSolve } from '@argmin/autodiff/kernels';
import { applyConeDerivative, denseConeDerivative, projectConeWithDerivative } from './cones.js';
import { aTimes, atTimes, type ConeData } from './data.js';
import type { ProgramInput } from './ipm/program.js';
import { backtrack } from './refine.js';
import { sumSquares, type ResidualPoint } from './residual-map.js';

/**
 * Programs with a quadratic term: the natural residual map in ζ = (z_x, z_y), with x = z_x,
 * y = Π_K*(z_y), s = y − z_y (Moreau, so cone membership and complementarity hold by
 * construction):
 *   F(ζ) = (Px + Aᵀy + c,  b − Ax − s),     J = [[P, AᵀD], [−A, I − D]],   D = DΠ_K*(z_y).
 * F = 0 exactly at a solution and J is square and nonsingular at a regular one, so Newton polishes
 * an interior point (accurate to about √μ on curved cones) to round-off, and the VJP is exact:
 * with z̄ = (x̄, D(ȳ + s̄) − s̄) and g = J⁻ᵀz̄,
 *   c̄ = −g_x,  b̄ = −g_y,  Ā = g_y·xᵀ − y·g_xᵀ,  P̄ = −½(g_x·xᵀ + x·g_xᵀ).
 * Dense only (n + m ≤ denseMax): the polish is skipped above.
 */
export interface QuadraticPoint extends ResidualPoint {
  /** P as a dense symmetric n×n matrix. */
  readonly P: Float64Array;
}

/** P of one element as a dense symmetric n×n matrix (from dense P or its upper-triangle pattern). */
export function denseQuadratic(input: ProgramInput): Float64Array {
  const n = input.n;
  const out = new Float64Array(n * n);
  const off = input.pOff ?? 0;
  const P = input.P!;
  if (!input.pPattern) {
    out.set(P.subarray(off, off + n * n));
    return out;
  }
  const { colPtr, rowIdx } = input.pPattern;
  for (let j = 0; j < n; j++)
    for (let q = colPtr[j]!; q < colPtr[j + 1]!; q++) {
      const i = rowIdx[q]!;
      out[i * n + j] = P[off + q]!;
      out[j * n + i] = P[off + q]!;
    }
  return out;
}

export function quadraticResidualAt(d: ConeData, P: Float64Array, zx: Float64Array, zy: Float64Array): QuadraticPoint {
  const { n, m } = d;
  const x = Float64Array.from(zx);
  const y = new Float64Array(m);
  const D = projectConeWithDerivative(d.layout, true, zy, y);
  const s = new Float64Array(m);
  for (let i = 0; i < m; i++) s[i] = y[i]! - zy[i]!;
  const F = new Float64Array(n + m);
  atTimes(d, y, F, 1, 0, 0, 0);
  for (let j = 0; j < n; j++) {
    let px = 0;
    for (let k = 0; k < n; k++) px += P[j * n + k]! * x[k]!;
    F[j]! += px + d.c[d.cOff + j]!;
  }
  aTimes(d, x, F, -1, 0, 0, n);
  for (let i = 0; i < m; i++) F[n + i]! += d.b[d.bOff + i]! - s[i]!;
  return { x, y, s, D, F, P };
}

/** J as a dense row-major (n + m)² matrix. */
function denseJacobian(d: ConeData, p: QuadraticPoint): Float64Array {
  const { n, m } = d;
  const N = n + m;
  const J = new Float64Array(N * N);
  const Dd = denseConeDerivative(p.D);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) J[i * N + j] = p.P[i * n + j]!;
  // AᵀD: row j, column n + k is Σ_i A_ij D_ik.
  for (let j = 0; j < n; j++)
    for (let k = 0; k < m; k++) {
      let v = 0;
      for (let i = 0; i < m; i++) v += d.A[d.aOff + i * n + j]! * Dd[i * m + k]!;
      J[j * N + n + k] = v;
    }
  for (let i = 0; i < m; i++) {
    const row = (n + i) * N;
    for (let j = 0; j < n; j++) J[row + j] = -d.A[d.aOff + i * n + j]!;
    for (let k = 0; k < m; k++) J[row + n + k] = (i === k ? 1 : 0) - Dd[i * m + k]!;
  }
  return J;
}

function factor(d: ConeData, p: QuadraticPoint) {
  const N = d.n + d.m;
  try {
    return luFactor(denseJacobian(d, p), N, 1, { op: 'convex.cone', input: 'quadratic residual map' });
  } catch {
    return null;
  }
}

/** Newton on F from (zx, zy) with a backtracking line search on ‖F‖; at most `maxSteps` steps. */
export function refineQuadratic(
  d: ConeData,
  P: Float64Array,
  zx0: Float64Array,
  zy0: Float64Array,
  maxSteps: number,
): { point: QuadraticPoint; steps: number } {
  const { n } = d;
  let point = quadraticResidualAt(d, P, zx0, zy0);
  let zx: Float64Array = Float64Array.from(zx0);
  let zy: Float64Array = Float64Array.from(zy0);
  let steps = 0;
  while (steps < maxSteps) {
    const f0 = sumSquares(point.F);
    if (!(f0 > 0)) break;
    const f = factor(d, point);
    if (!f) break;
    const delta = luSolve(
      f,
      point.F.map((v) => -v),
      1,
    );
    if (!delta.every(Number.isFinite)) break;
    const next = backtrack(zx, zy, delta, n, f0, (tx, ty) => quadraticResidualAt(d, P, tx, ty));
    steps++;
    if (!next) break;
    ({ zx, zy, point } = next);
    // Quadratic convergence ends at round-off: stop once a step no longer gains a factor of 4.
    if (sumSquares(point.F) > 0.25 * f0) break;
  }
  return { point, steps };
}

/** One element's exact gradients, accumulated like residualVjpElement's, plus P̄ (dense n×n at pOff). */
export function quadraticVjpElement(
  d: ConeData,
  p: QuadraticPoint,
  xb: Float64Array | null,
  yb: Float64Array | null,
  sb: Float64Array | null,
  element: number,
  out: {
    gA: Float64Array | null;
    aOff: number;
    gb: Float64Array;
    bOff: number;
    gc: Float64Array;
    cOff: number;
    gP: Float64Array;
    pOff: number;
  },
): void {
  const { n, m } = d;
  const zbar = new Float64Array(n + m);
  const ys = new Float64Array(m);
  for (let j = 0; j < n; j++) zbar[j] = xb ? xb[j]! : 0;
  for (let i = 0; i < m; i++) ys[i] = (yb ? yb[i]! : 0) + (sb ? sb[i]! : 0);
  applyConeDerivative(p.D, ys, zbar, 0, n);
  if (sb) for (let i = 0; i < m; i++) zbar[n + i]! -= sb[i]!;
  const f = factor(d, p);
  if (!f) {
    throw new DifferentiationError(
      `convex.cone: cannot differentiate batch element ${element}: the derivative of the residual map is singular (the solution is not unique or not strictly complementary)`,
    );
  }
  const g = luSolve(f, zbar, 1, true);
  for (let j = 0; j < n; j++) out.gc[out.cOff + j]! -= g[j]!;
  for (let i = 0; i < m; i++) out.gb[out.bOff + i]! -= g[n + i]!;
  if (out.gA)
    for (let i = 0; i < m; i++) {
      const gy = g[n + i]!;
      const yi = p.y[i]!;
      for (let j = 0; j < n; j++) out.gA[out.aOff + i * n + j]! += gy * p.x[j]! - yi * g[j]!;
    }
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) out.gP[out.pOff + i * n + j]! -= 0.5 * (g[i]! * p.x[j]! + p.x[i]! * g[j]!);
}
