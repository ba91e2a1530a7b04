import { choleskySolveInto, dot, gemm, solveRightLowerTransposed, syrk, trsm, type CholeskyFactor } from '@argmin/autodiff/kernels';
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
  /** Scratch of one guess, reused by every solve: its rows of C, their slots, S and the right-hand side of S·ν (sizes for all m + k rows). */
  private readonly idx: Int32Array;
  private readonly slots: Int32Array;
  private S: Float64Array | null = null;
  private readonly w: Float64Array;
  private yt: Float64Array | null = null;
  /** solveOn's results, overwritten by the next call (z, y, ν and the l of S's factor). */
  private readonly z: Float64Array;
  private readonly y: Float64Array;
  private readonly nu: Float64Array;
  private sl: Float64Array | null = null;

  constructor(readonly el: QpElement) {
    const cap = el.m + el.k;
    this.slot = new Int32Array(cap).fill(-1);
    this.idx = new Int32Array(cap);
    this.slots = new Int32Array(cap);
    this.w = new Float64Array(cap);
    this.z = new Float64Array(el.n);
    this.y = new Float64Array(el.m);
    this.nu = new Float64Array(el.k);
  }

  /** Q's Cholesky factor, or null when Q is not safely positive definite (each guess then augments H itself). */
  get L(): CholeskyFactor | null {
    if (this.factor === undefined) this.factor = healthyCholesky(this.el.Q, this.el.n);
    return this.factor;
  }

  /**
   * Yᵀ = C·L⁻ᵀ for C = [rows `active` of G; A], in that order ((|active| + k) × n); needs L. A view
   * of the cache's scratch, valid until the next call (ReducedKkt.factorGiven copies it).
   */
  schurRows(active: Int32Array): Float64Array {
    const { n, m, k } = this.el;
    const q = this.candidates(active);
    this.form(q);
    const [rows, idx] = [this.rows!, this.idx];
    this.yt ??= new Float64Array((m + k) * n);
    const out = this.yt;
    for (let r = 0; r < q; r++) for (let j = 0, o = this.slot[idx[r]!]! * n; j < n; j++) out[r * n + j] = rows[o + j]!;
    return out.subarray(0, q * n);
  }

  /**
   * The exact solution on the guess `active` (rows of G): z, the multipliers y (one per row of G,
   * 0 off the guess), ν and the factor of S (rows `active`, then A's), or null when S is singular; needs L.
   * All four are the cache's scratch, valid until the next call: a caller keeping one copies it.
   */
  solveOn(active: Int32Array): { z: Float64Array; y: Float64Array; nu: Float64Array; schur: CholeskyFactor | null } | null {
    const { n, m, k, h, b } = this.el;
    const q = this.candidates(active);
    this.form(q);
    const cap = m + k;
    const gram = this.gram!;
    const { idx, slots, w } = this;
    for (let r = 0; r < q; r++) slots[r] = this.slot[idx[r]!]!;
    // Only S's lower triangle is written, and only it is read by the factor.
    this.S ??= new Float64Array(cap * cap);
    const S = this.S;
    for (let r = 0; r < q; r++) for (let c = 0; c <= r; c++) S[r * q + c] = gram[slots[r]! * cap + slots[c]!]!;
    this.sl ??= new Float64Array(cap * cap);
    const Sf = q > 0 ? healthyCholesky(S, q, { kind: 'cholesky', n: q, batch: 1, l: this.sl }) : null;
    if (q > 0 && Sf === null) return null;
    // S·ν = Y·L⁻¹(−p) − [h𝒜; b], then z = L⁻ᵀ(L⁻¹(−p) − Yᵀν).
    for (let r = 0; r < q; r++) {
      const i = idx[r]!;
      w[r] = this.wt![slots[r]!]! - (i < m ? h[i]! : b[i - m]!);
    }
    if (Sf) choleskySolveInto(Sf, 0, w, 0, 1);
    const t = this.z;
    t.set(this.t0!);
    const rows = this.rows!;
    for (let r = 0; r < q; r++) {
      const v = w[r]!;
      if (v !== 0) for (let j = 0, o = slots[r]! * n; j < n; j++) t[j]! -= v * rows[o + j]!;
    }
    trsm({ lower: true, transpose: true }, n, 1, this.L!.l, 0, n, t, 0, 1);
    const { y, nu } = this;
    y.fill(0);
    for (let r = 0; r < active.length; r++) y[active[r]!] = w[r]!;
    for (let r = 0; r < k; r++) nu[r] = w[active.length + r]!;
    return { z: t, y, nu, schur: Sf };
  }

  /** Fills `idx` with the rows of C for a guess: `active`, then the m + r of A's rows; returns their count. */
  private candidates(active: Int32Array): number {
    const { m, k } = this.el;
    const idx = this.idx;
    idx.set(active);
    for (let r = 0; r < k; r++) idx[active.length + r] = m + r;
    return active.length + k;
  }

  /** Forms the rows of `idx[0..count)` not formed yet: wᵢ (one blocked triangular solve), then their inner products. */
  private form(count: number): void {
    const { n, m, k, G, A, p } = this.el;
    const L = this.L!.l;
    const cap = m + k;
    if (this.rows === null) {
      this.rows = new Float64Array(cap * n);
      this.gram = new Float64Array(cap * cap);
      this.wt = new Float64Array(cap);
      this.t0 = p.map((v) => -v);
      trsm({ lower: true }, n, 1, L, 0, n, this.t0, 0, 1);
    }
    const [rows, gram, wt, t0, idx] = [this.rows, this.gram!, this.wt!, this.t0!, this.idx];
    const first = this.formed;
    for (let r = 0; r < count; r++) {
      const i = idx[r]!;
      if (this.slot[i]! >= 0) continue;
      const [src, o] = i < m ? [G, i * n] : [A, (i - m) * n];
      for (let j = 0, d = this.formed * n; j < n; j++) rows[d + j] = src[o + j]!;
      this.slot[i] = this.formed++;
    }
    const missing = this.formed - first;
    if (missing === 0) return;
    solveRightLowerTransposed(false, missing, n, L, 0, n, rows, first * n, n);
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
