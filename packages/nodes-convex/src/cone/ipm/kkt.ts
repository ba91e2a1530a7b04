import type { IpmCone } from './cone.js';

/**
 * The linear algebra of one interior-point iteration: the quasi-definite KKT system
 *   [[P, Aᵀ], [A, −H]]·(Δx, Δz) = (r_x, r_z),   H = blockdiag(WᵢᵀWᵢ) (0 on the zero cone),
 * factored once per iteration and solved three times (kkt-dense.ts, kkt-sparse.ts).
 */
export interface KktSolver {
  /** Factors the system at the cones' current scalings; false if the factorization failed. */
  factor(cones: readonly IpmCone[]): boolean;
  /** (dx, dz) = K⁻¹(rx, rz), refined against the unregularised K. Inputs are not written. */
  solve(rx: Float64Array, rz: Float64Array, dx: Float64Array, dz: Float64Array): void;
  /**
   * Two solves with the current factor whose right sides are both known, as `solve` twice in this
   * order (the same results), where sharing the passes over the factor is cheaper.
   */
  solvePair?(
    rx: Float64Array,
    rz: Float64Array,
    dx: Float64Array,
    dz: Float64Array,
    rx2: Float64Array,
    rz2: Float64Array,
    dx2: Float64Array,
    dz2: Float64Array,
  ): void;
  /** ‖r − K·d‖∞ of the last solve after refinement (how well the system could be solved). */
  lastResidual(): number;
  /**
   * Multiply–adds of one factorization and of one refined solve, from the sizes and the symbolic
   * analysis (never timed, so the iteration does not depend on the machine's speed).
   */
  readonly work: { readonly factor: number; readonly solve: number };
}

/** out ← H·v (block by block, H = WᵀW). */
export function applyH(cones: readonly IpmCone[], v: Float64Array, out: Float64Array, tmp: Float64Array): void {
  for (const c of cones) {
    c.apply('W', v, tmp, 1, 1);
    c.apply('Wt', tmp, out, 1, 1);
  }
}
