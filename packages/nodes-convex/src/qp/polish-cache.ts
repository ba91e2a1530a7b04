import { choleskySolve, dot, gemm, solveRightLowerTransposed, syrk, trsm, type CholeskyFactor } from '@argmin/autodiff/kernels';
import type { QpElement } from './dense.js';
import { healthyCholesky } from './kkt.js';

/**
 * What the polishes and active-set rounds of one element share. Each solves the equality-
 * constrained KKT system of one guess of the active set, C = [G𝒜; A]: H = Q whenever Q is safely
 * positive definite (the test of augment 'fallback'), Yᵀ = C·L⁻ᵀ and S = YᵀY. None of Q's factor
 * L, the rows wᵢ = L⁻¹cᵢ of the candidate rows, their inner products ⟨wᵢ, wⱼ⟩ (the entries of
 * every S) and ⟨wᵢ, L⁻¹(−p)⟩ depends on the guess, so each is formed once per element, a row the
 * first time a guess takes it (its inner products with all rows formed so far in one gemm): a
 * guess then costs the Cholesky factor of its S, order |𝒜| + k, and a few O(n²) products.
 */
export class PolishCache {
  private factor: CholeskyFactor | null | undefined = undefined;
  /** Rows wᵢ in the order they were formed (slot s at s·n); `slot[i]` is row i's (−1: not formed). Row i < m is of G, m + r of A. */
  private rows: Float64Array | null = null;
  private readonly slot: Int32Array;
  private formed = 0;
  /** ⟨w, w'⟩ by slots ((m + k)², row-major) and ⟨w, L⁻¹(−p)⟩ by slot. */
  private gram: Float64Array | null = null;
  private wt: Float64Array | null = null;
  private t0: Float64Array | null = null;

  constructor(readonly el: QpElement) {
    this.slot = new Int32Array(el.m + el.k).fill(-1);
  }

  /** Q's Cholesky factor, or null when Q is not safely positive definite (each guess then augments H itself). */
  get L(): CholeskyFactor | null {
    if (this.factor === undefined) this.factor = healthyCholesky(this.el.Q, this.el.n);
    return this.factor;
  }

  /** Yᵀ = C·L⁻ᵀ for C = [rows `active` of G; A], in that order ((|active| + k) × n, a new array); needs L. */
  schurRows(active: Int32Array): Float64Array {
    const { n, k } = this.el;
    const idx = this.candidates(active);
    this.form(idx);
    const rows = this.rows!;
    const out = new Float64Array((active.length + k) * n);
    idx.forEach((i, q) => out.set(rows.subarray(this.slot[i]! * n, (this.slot[i]! + 1) * n), q * n));
    return out;
  }

  /**
   * The exact solution on the guess `active` (rows of G): z, the multipliers y (one per row of G,
   * 0 off the guess), ν and the factor of S (rows `active`, then A's), or null when S is singular; needs L.
   */
  solveOn(active: Int32Array): { z: Float64Array; y: Float64Array; nu: Float64Array; schur: CholeskyFactor | null } | null {
    const { n, m, k, h, b } = this.el;
    const idx = this.candidates(active);
    this.form(idx);
    const q = idx.length;
    const cap = m + k;
    const gram = this.gram!;
    const slots = idx.map((i) => this.slot[i]!);
    const S = new Float64Array(q * q);
    for (let r = 0; r < q; r++) for (let c = 0; c <= r; c++) S[r * q + c] = gram[slots[r]! * cap + slots[c]!]!;
    const Sf = q > 0 ? healthyCholesky(S, q) : null;
    if (q > 0 && Sf === null) return null;
    // S·ν = Y·L⁻¹(−p) − [h𝒜; b], then z = L⁻ᵀ(L⁻¹(−p) − Yᵀν).
    const w = Float64Array.from(idx, (i, r) => this.wt![slots[r]!]! - (i < m ? h[i]! : b[i - m]!));
    const nuAll = Sf ? choleskySolve(Sf, w, 1) : w;
    const t = Float64Array.from(this.t0!);
    const rows = this.rows!;
    for (let r = 0; r < q; r++) {
      const v = nuAll[r]!;
      if (v !== 0) for (let j = 0, o = slots[r]! * n; j < n; j++) t[j]! -= v * rows[o + j]!;
    }
    trsm({ lower: true, transpose: true }, n, 1, this.L!.l, 0, n, t, 0, 1);
    const y = new Float64Array(m);
    active.forEach((i, r) => (y[i] = nuAll[r]!));
    return { z: t, y, nu: nuAll.slice(active.length), schur: Sf };
  }

  /** The rows of C for a guess: `active`, then the m + r of A's rows. */
  private candidates(active: Int32Array): number[] {
    const { m, k } = this.el;
    const idx = Array.from(active);
    for (let r = 0; r < k; r++) idx.push(m + r);
    return idx;
  }

  /** Forms the rows `need` not formed yet: wᵢ (one blocked triangular solve), then their inner products. */
  private form(need: readonly number[]): void {
    const { n, m, k, G, A, p } = this.el;
    const L = this.L!.l;
    const cap = m + k;
    if (this.rows === null) {
      this.rows = new Float64Array(cap * n);
      this.gram = new Float64Array(cap * cap);
      this.wt = new Float64Array(cap);
      this.t0 = Float64Array.from(p, (v) => -v);
      trsm({ lower: true }, n, 1, L, 0, n, this.t0, 0, 1);
    }
    const missing = need.filter((i) => this.slot[i]! < 0);
    if (missing.length === 0) return;
    const [rows, gram, wt, t0] = [this.rows, this.gram!, this.wt!, this.t0!];
    const first = this.formed;
    missing.forEach((i, q) => {
      rows.set(i < m ? G.subarray(i * n, (i + 1) * n) : A.subarray((i - m) * n, (i - m + 1) * n), (first + q) * n);
      this.slot[i] = first + q;
    });
    this.formed += missing.length;
    solveRightLowerTransposed(false, missing.length, n, L, 0, n, rows, first * n, n);
    for (let s = first; s < this.formed; s++) wt[s] = dot(n, rows, t0, s * n, 0);
    // ⟨new, old⟩ in one gemm and ⟨new, new⟩ in one syrk, straight into the Gram rows of the new
    // slots, then mirrored into their columns.
    const f = this.formed;
    const fresh = f - first;
    if (first > 0) gemm(false, true, fresh, first, n, 1, rows, first * n, n, rows, 0, n, 0, gram, first * cap, cap);
    syrk(false, fresh, n, 1, rows, first * n, n, 0, gram, first * cap + first, cap);
    for (let s = first; s < f; s++) for (let c = 0; c < s; c++) gram[c * cap + s] = gram[s * cap + c]!;
  }
}
