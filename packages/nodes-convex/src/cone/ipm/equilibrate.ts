import type { ConeLayout } from '../problem.js';
import { absMax, scaleInPlace, type Matrix } from './matrix.js';

/**
 * Modified Ruiz equilibration (as in OSQP / Clarabel): repeatedly scale the rows and columns of
 * the KKT matrix [[P, Aᵀ], [A, 0]] by the inverse square roots of their ∞-norms, so every row
 * and column ends up with norm near 1; then scale the cost by one scalar. Rows of a cone other
 * than the orthant share one factor (their mean), so the scaled slack stays in the same cone.
 * The scaled program is  Ã = DAE, P̃ = σEPE, c̃ = σEc, b̃ = Db; a solution maps back as
 *   x = E·x̃,  s = D⁻¹·s̃,  y = D·ỹ/σ.
 */
export interface Scaling {
  readonly D: Float64Array;
  readonly E: Float64Array;
  readonly cost: number;
}

export function equilibrate(layout: ConeLayout, A: Matrix, P: Matrix | null, b: Float64Array, c: Float64Array, iterations = 10): Scaling {
  const m = A.rows;
  const n = A.cols;
  const D = new Float64Array(m).fill(1);
  const E = new Float64Array(n).fill(1);
  const rowN = new Float64Array(m);
  const colN = new Float64Array(n);
  const pRow = new Float64Array(n);
  const pCol = new Float64Array(n);
  const dStep = new Float64Array(m);
  const eStep = new Float64Array(n);
  const clamp = (v: number) => Math.min(Math.max(v, 1e-4), 1e4);
  for (let it = 0; it < iterations; it++) {
    rowN.fill(0);
    colN.fill(0);
    pRow.fill(0);
    pCol.fill(0);
    absMax(A, rowN, colN);
    if (P) absMax(P, pRow, pCol, P.kind === 'csc');
    let worst = 0;
    for (let j = 0; j < n; j++) {
      const v = Math.max(colN[j]!, pCol[j]!);
      eStep[j] = v === 0 ? 1 : 1 / Math.sqrt(clamp(v));
      worst = Math.max(worst, Math.abs(1 - v));
    }
    for (let i = 0; i < m; i++) {
      dStep[i] = rowN[i] === 0 ? 1 : 1 / Math.sqrt(clamp(rowN[i]!));
      worst = Math.max(worst, Math.abs(1 - rowN[i]!));
    }
    for (const blk of layout.blocks) {
      if (blk.kind === 'nonneg' || blk.kind === 'zero') continue;
      let mean = 0;
      for (let i = blk.offset; i < blk.offset + blk.size; i++) mean += dStep[i]!;
      mean /= blk.size;
      dStep.fill(mean, blk.offset, blk.offset + blk.size);
    }
    if (worst < 1e-3) break;
    scaleInPlace(A, dStep, eStep);
    if (P) scaleInPlace(P, eStep, eStep);
    for (let i = 0; i < m; i++) D[i]! *= dStep[i]!;
    for (let j = 0; j < n; j++) E[j]! *= eStep[j]!;
  }
  for (let i = 0; i < m; i++) b[i]! *= D[i]!;
  let cmax = 0;
  for (let j = 0; j < n; j++) {
    c[j]! *= E[j]!;
    cmax = Math.max(cmax, Math.abs(c[j]!));
  }
  let pmean = 0;
  if (P) {
    pRow.fill(0);
    pCol.fill(0);
    absMax(P, pRow, pCol, P.kind === 'csc');
    for (let j = 0; j < n; j++) pmean += pCol[j]! / n;
  }
  const cost = 1 / clamp(Math.max(cmax, pmean, 1e-4));
  for (let j = 0; j < n; j++) c[j]! *= cost;
  if (P) {
    const ones = new Float64Array(n).fill(Math.sqrt(cost));
    scaleInPlace(P, ones, ones);
  }
  return { D, E, cost };
}
