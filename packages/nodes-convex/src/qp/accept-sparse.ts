import type { SparseQp } from './sparse-data.js';

/**
 * The acceptance test of accept.ts (relativeKktError, weaklyActive) and dense.ts's kktResidual on
 * the CSC form of an element: the same per-condition measures, term by term, in O(nnz) instead of
 * O(n(n + m + k)) — on a routed element of n = 1000 the dense loops were a quarter of the solve.
 * Only the order of the sums differs (by columns here), so the results agree to rounding
 * (sparse-route.test.ts checks them against the dense ones).
 */
export class SparseChecks {
  private readonly qz: Float64Array;
  private readonly qzAbs: Float64Array;
  /** (Cz)ᵣ and (|C||z|)ᵣ for C = [A; G]. */
  private readonly cz: Float64Array;
  private readonly czAbs: Float64Array;
  /** Cᵀy and |C|ᵀ|y| for y = (ν, λ). */
  private readonly cty: Float64Array;
  private readonly ctyAbs: Float64Array;

  constructor(
    private readonly sq: SparseQp,
    private readonly p: Float64Array,
    private readonly z: Float64Array,
    private readonly lam: Float64Array,
    nu: Float64Array,
    private readonly slack: Float64Array,
  ) {
    const { n, k, m, P, C } = sq;
    this.qz = new Float64Array(n);
    this.qzAbs = new Float64Array(n);
    this.cz = new Float64Array(k + m);
    this.czAbs = new Float64Array(k + m);
    this.cty = new Float64Array(n);
    this.ctyAbs = new Float64Array(n);
    // Q from its upper triangle: an off-diagonal entry is both Qᵢⱼ and Qⱼᵢ.
    for (let j = 0; j < n; j++)
      for (let q = P.pattern.colPtr[j]!; q < P.pattern.colPtr[j + 1]!; q++) {
        const i = P.pattern.rowIdx[q]!;
        const v = P.values[q]!;
        this.qz[i]! += v * z[j]!;
        this.qzAbs[i]! += Math.abs(v * z[j]!);
        if (i !== j) {
          this.qz[j]! += v * z[i]!;
          this.qzAbs[j]! += Math.abs(v * z[i]!);
        }
      }
    for (let j = 0; j < n; j++)
      for (let q = C.pattern.colPtr[j]!; q < C.pattern.colPtr[j + 1]!; q++) {
        const r = C.pattern.rowIdx[q]!;
        const v = C.values[q]!;
        this.cz[r]! += v * z[j]!;
        this.czAbs[r]! += Math.abs(v * z[j]!);
        const y = r < k ? nu[r]! : lam[r - k]!;
        this.cty[j]! += v * y;
        this.ctyAbs[j]! += Math.abs(v * y);
      }
  }

  /** accept.ts's relativeKktError: the worst ratio residual/scale over every condition. */
  relative(): number {
    const { n, k, m, C, rhs } = this.sq;
    const { p, z, lam, slack } = this;
    let worst = 0;
    const ratio = (r: number, scale: number) => {
      if (!(r > 0)) return r === 0 || r < 0 ? 0 : Infinity; // NaN fails
      return scale > 0 ? r / scale : Infinity;
    };
    let zMax = 0;
    for (let i = 0; i < n; i++) zMax = Math.max(zMax, Math.abs(z[i]!));
    const objTerm = new Float64Array(n);
    let gamma = 0;
    for (let i = 0; i < n; i++) {
      objTerm[i] = (this.qzAbs[i]! + Math.abs(p[i]!)) * zMax;
      gamma += (this.qzAbs[i]! + Math.abs(p[i]!)) * Math.abs(z[i]!);
    }
    // Each inequality's share of the objective: the terms of the variables it constrains.
    const rowObjective = new Float64Array(m);
    for (let j = 0; j < n; j++)
      for (let q = C.pattern.colPtr[j]!; q < C.pattern.colPtr[j + 1]!; q++) {
        const r = C.pattern.rowIdx[q]!;
        if (r >= k && C.values[q] !== 0) rowObjective[r - k]! += objTerm[j]!;
      }
    for (let i = 0; i < m; i++) {
      const h = rhs[k + i]!;
      const l = lam[i]!;
      const rowScale = this.czAbs[k + i]! + Math.abs(h);
      worst = Math.max(worst, ratio(this.cz[k + i]! - h, rowScale));
      if (l < 0 || slack[i]! < 0 || !Number.isFinite(l) || !Number.isFinite(slack[i]!)) worst = Infinity;
      worst = Math.max(worst, ratio(l * slack[i]!, Math.max(l * rowScale, Math.min(gamma / m, rowObjective[i]!))));
    }
    for (let r = 0; r < k; r++) worst = Math.max(worst, ratio(Math.abs(this.cz[r]! - rhs[r]!), this.czAbs[r]! + Math.abs(rhs[r]!)));
    for (let j = 0; j < n; j++) {
      const stat = p[j]! + this.qz[j]! + this.cty[j]!;
      const scale = Math.abs(p[j]!) + this.qzAbs[j]! + this.ctyAbs[j]!;
      worst = Math.max(worst, ratio(Math.abs(stat), scale));
    }
    return worst;
  }

  /** accept.ts's weaklyActive: inequalities with both λᵢ and sᵢ below `margin` of their scales. */
  weak(margin: number): number[] {
    const { n, k, m, C, rhs } = this.sq;
    const { p, lam, slack } = this;
    let grad = 0;
    for (let i = 0; i < n; i++) grad = Math.max(grad, Math.abs(p[i]!) + this.qzAbs[i]!);
    let lamMax = 0;
    for (let i = 0; i < m; i++) lamMax = Math.max(lamMax, lam[i]!);
    const gNorm = new Float64Array(m);
    for (let q = 0; q < C.pattern.colPtr[n]!; q++) {
      const r = C.pattern.rowIdx[q]!;
      if (r >= k) gNorm[r - k] = Math.max(gNorm[r - k]!, Math.abs(C.values[q]!));
    }
    const out: number[] = [];
    for (let i = 0; i < m; i++) {
      const rowScale = this.czAbs[k + i]! + Math.abs(rhs[k + i]!);
      const lamScale = Math.max(gNorm[i]! > 0 ? grad / gNorm[i]! : 0, lamMax);
      const sRel = rowScale > 0 ? slack[i]! / rowScale : slack[i]! === 0 ? 0 : 1;
      const lRel = lamScale > 0 ? lam[i]! / lamScale : lam[i]! === 0 ? 0 : 1;
      if (Math.max(sRel, lRel) < margin) out.push(i);
    }
    return out;
  }

  /** dense.ts's kktResidual: the ∞-norm of the KKT residual (absolute). */
  absolute(): number {
    const { n, k, m, rhs } = this.sq;
    const { p, lam, slack } = this;
    let res = 0;
    for (let j = 0; j < n; j++) res = Math.max(res, Math.abs(this.qz[j]! + p[j]! + this.cty[j]!));
    for (let r = 0; r < k; r++) res = Math.max(res, Math.abs(this.cz[r]! - rhs[r]!));
    for (let i = 0; i < m; i++) {
      const s = rhs[k + i]! - this.cz[k + i]!;
      res = Math.max(res, -s, -lam[i]!, -slack[i]!, Math.abs(lam[i]! * slack[i]!), Math.abs(slack[i]! - s));
    }
    return res;
  }
}
