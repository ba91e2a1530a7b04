import { solveRightLowerTransposed, type CholeskyFactor } from '@argmin/autodiff/kernels';
import type { QpElement } from './dense.js';
import { healthyCholesky } from './kkt.js';

/**
 * What the polishes of one element share. Each polish factors the equality-constrained KKT system
 * of one guess of the active set, C = [G𝒜; A]: H = Q whenever Q is safely positive definite (the
 * test of augment 'fallback'), then Yᵀ = C·L⁻ᵀ and S = YᵀY. Q's factor L and each row L⁻¹cᵢ do
 * not depend on the guess, so they are formed once per element, each row the first time a guess
 * takes it, instead of once per guess and per round of the polish: a guess then costs S and its
 * factor only.
 */
export class PolishCache {
  private factor: CholeskyFactor | null | undefined = undefined;
  /** (m + k) × n: row i < m is L⁻¹gᵢ, row m + r is L⁻¹aᵣ, valid where `formed`. */
  private rows: Float64Array | null = null;
  private readonly formed: Uint8Array;
  private block = new Float64Array(0);

  constructor(readonly el: QpElement) {
    this.formed = new Uint8Array(el.m + el.k);
  }

  /** Q's Cholesky factor, or null when Q is not safely positive definite (each guess then augments H itself). */
  get L(): CholeskyFactor | null {
    if (this.factor === undefined) this.factor = healthyCholesky(this.el.Q, this.el.n);
    return this.factor;
  }

  /** Yᵀ = C·L⁻ᵀ for C = [rows `active` of G; A], in that order ((|active| + k) × n, a new array); needs L. */
  schurRows(active: Int32Array): Float64Array {
    const { n, m, k, G, A } = this.el;
    const L = this.L!;
    this.rows ??= new Float64Array((m + k) * n);
    const rows = this.rows;
    // The rows not formed yet, solved together (one blocked triangular solve).
    const missing: number[] = [];
    for (const i of active) if (!this.formed[i]) missing.push(i);
    for (let r = 0; r < k; r++) if (!this.formed[m + r]) missing.push(m + r);
    if (missing.length > 0) {
      if (this.block.length < missing.length * n) this.block = new Float64Array(missing.length * n);
      const block = this.block;
      missing.forEach((i, q) => block.set(i < m ? G.subarray(i * n, (i + 1) * n) : A.subarray((i - m) * n, (i - m + 1) * n), q * n));
      solveRightLowerTransposed(false, missing.length, n, L.l, 0, n, block, 0, n);
      missing.forEach((i, q) => {
        rows.set(block.subarray(q * n, (q + 1) * n), i * n);
        this.formed[i] = 1;
      });
    }
    const out = new Float64Array((active.length + k) * n);
    active.forEach((i, q) => out.set(rows.subarray(i * n, (i + 1) * n), q * n));
    out.set(rows.subarray(m * n, (m + k) * n), active.length * n);
    return out;
  }
}
