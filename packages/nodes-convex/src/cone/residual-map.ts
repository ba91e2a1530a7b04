import { gemm } from '@argmin/autodiff/kernels';
import { applyConeDerivative, denseConeDerivative, projectConeWithDerivative, type ConeDerivative } from './cones.js';
import { aTimes, atTimes, bDot, cDot, type ConeData } from './data.js';

/**
 * The residual map of the homogeneous self-dual embedding at w = 1 (Busseti, Moursi & Boyd 2019;
 * Agrawal et al. 2019), in the variables ζ = (z_x, z_y) with x = z_x, y = Π_K*(z_y),
 * s = Π_K*(z_y) − z_y:
 *   F(ζ) = (Aᵀy + c,  b − Ax − s,  −cᵀx − bᵀy).
 * Cone membership and complementarity hold by construction (Moreau), so F = 0 exactly at a
 * solution. With D = DΠ_K*(z_y) its Jacobian is
 *   J = [[0, AᵀD], [−A, I − D], [−cᵀ, −bᵀD]]     ((n + m + 1) × (n + m)),
 * the first n + m columns of the derivative M = (Q − I)DΠ + I of the full residual map. M's
 * last column is (c, b, 0); M has the ray z in its null space and u = (x, y, 1) in its left null
 * space, so M̃ = M + u·e_τᵀ = [J | (c + x, b + y, 1)] is nonsingular at regular solutions.
 */
export interface ResidualPoint {
  readonly x: Float64Array;
  readonly y: Float64Array;
  readonly s: Float64Array;
  readonly D: ConeDerivative;
  /** F(ζ), n + m + 1 entries. */
  readonly F: Float64Array;
}

export function residualAt(d: ConeData, zx: Float64Array, zy: Float64Array): ResidualPoint {
  const { n, m } = d;
  const x = Float64Array.from(zx);
  const y = new Float64Array(m);
  const D = projectConeWithDerivative(d.layout, true, zy, y);
  const s = new Float64Array(m);
  for (let i = 0; i < m; i++) s[i] = y[i]! - zy[i]!;
  const F = new Float64Array(n + m + 1);
  atTimes(d, y, F, 1, 0, 0, 0);
  for (let j = 0; j < n; j++) F[j]! += d.c[d.cOff + j]!;
  aTimes(d, x, F, -1, 0, 0, n);
  for (let i = 0; i < m; i++) F[n + i]! += d.b[d.bOff + i]! - s[i]!;
  F[n + m] = -cDot(d, x) - bDot(d, y);
  return { x, y, s, D, F };
}

/** out (n + m + 1) = J·δ for δ = (δx, δy). */
export function jacobianTimes(d: ConeData, D: ConeDerivative, delta: Float64Array, out: Float64Array): void {
  const { n, m } = d;
  const dy = new Float64Array(m);
  applyConeDerivative(D, delta, dy, n, 0);
  atTimes(d, dy, out, 1, 0, 0, 0);
  aTimes(d, delta, out, -1, 0, 0, n);
  for (let i = 0; i < m; i++) out[n + i]! += delta[n + i]! - dy[i]!;
  out[n + m] = -cDot(d, delta) - bDot(d, dy);
}

/** out (n + m) = Jᵀ·r for r = (r_x, r_y, r_τ): (−Aᵀr_y − c·r_τ, D(A·r_x − b·r_τ) + (I − D)r_y). */
export function jacobianTransposeTimes(d: ConeData, D: ConeDerivative, r: Float64Array, out: Float64Array): void {
  const { n, m } = d;
  const rt = r[n + m]!;
  atTimes(d, r, out, -1, 0, n, 0);
  for (let j = 0; j < n; j++) out[j]! -= d.c[d.cOff + j]! * rt;
  const t = new Float64Array(m);
  aTimes(d, r, t, 1, 0, 0, 0);
  for (let i = 0; i < m; i++) t[i]! += -d.b[d.bOff + i]! * rt - r[n + i]!;
  const dt = new Float64Array(m);
  applyConeDerivative(D, t, dt);
  for (let i = 0; i < m; i++) out[n + i] = dt[i]! + r[n + i]!;
}

/** J as a dense row-major (n + m + 1) × (n + m) matrix. */
export function denseJacobian(d: ConeData, D: ConeDerivative): Float64Array {
  const { n, m } = d;
  const cols = n + m;
  const J = new Float64Array((n + m + 1) * cols);
  const Dd = denseConeDerivative(D);
  // DA (m×n) block by block (D is block diagonal); AᵀD = (DA)ᵀ since D is symmetric.
  const DA = new Float64Array(m * n);
  for (const { offset: o, size } of d.layout.blocks)
    gemm(false, false, size, n, size, 1, Dd, o * m + o, m, d.A, d.aOff + o * n, n, 0, DA, o * n, n);
  for (let j = 0; j < n; j++) for (let i = 0; i < m; i++) J[j * cols + n + i] = DA[i * n + j]!;
  for (let i = 0; i < m; i++) {
    const row = (n + i) * cols;
    for (let j = 0; j < n; j++) J[row + j] = -d.A[d.aOff + i * n + j]!;
    J[row + n + i] = 1;
  }
  const last = (n + m) * cols;
  for (let j = 0; j < n; j++) J[last + j] = -d.c[d.cOff + j]!;
  // The dual block I − D and −bᵀD = −(Db)ᵀ, within each block.
  for (const { offset: o, size } of d.layout.blocks)
    for (let k = o; k < o + size; k++) {
      let v = 0;
      for (let i = o; i < o + size; i++) {
        const dik = Dd[i * m + k]!;
        v += d.b[d.bOff + i]! * dik;
        J[(n + i) * cols + n + k]! -= dik;
      }
      J[last + n + k] = -v;
    }
  return J;
}

export function sumSquares(v: Float64Array): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i]! * v[i]!;
  return s;
}
