import type { ConeLayout } from '../problem.js';
import { absMax, scaleAbsMax, scaleInPlace, type Matrix } from './matrix.js';

/**
 * Equilibration in two stages, all by powers of two (they do not round):
 * 1. each row of A and b (each cone block other than the orthant as one) by the inverse of its
 *    largest |A_ij|, then one factor each for b, x and the objective, so that A, b and the
 *    objective have largest entries near 1: a program whose data are all 1e-150 or 1e150, or
 *    whose rows differ by 1e60, becomes the same program as with data near 1;
 * 2. modified Ruiz equilibration (as in OSQP / Clarabel): repeatedly scale the rows and columns of
 * the KKT matrix [[P, Aᵀ], [A, 0]] by the inverse square roots of their ∞-norms, so every row
 * and column ends up with norm near 1; then scale the cost by one scalar. Rows of a cone other
 * than the orthant share one factor (from the block's largest row norm), so the scaled slack
 * stays in the same cone.
 * The scaled program is  Ã = DAE, P̃ = σEPE, c̃ = σEc, b̃ = Db; a solution maps back as
 *   x = E·x̃,  s = D⁻¹·s̃,  y = D·ỹ/σ.
 */
export interface Scaling {
  readonly D: Float64Array;
  readonly E: Float64Array;
  readonly cost: number;
}

export function equilibrate(layout: ConeLayout, A: Matrix, P: Matrix | null, b: Float64Array, c: Float64Array, iterations = 10): Scaling {
  const pre = normalize(layout, A, P, b, c);
  const r = ruiz(layout, A, P, b, c, iterations, pre.norms);
  const D = r.D.map((v, i) => v * 2 ** pre.row[i]!);
  const E = r.E.map((v) => v * 2 ** pre.x);
  return { D, E, cost: r.cost * 2 ** pre.cost };
}

function maxAbs(v: Float64Array): number {
  let r = 0;
  for (let i = 0; i < v.length; i++) r = Math.max(r, Math.abs(v[i]!));
  return r;
}

function matrixMaxAbs(M: Matrix): number {
  return maxAbs(M.kind === 'dense' ? M.data : M.values);
}

/** The two factors whose product is 2^k, so that 2^k itself cannot overflow. */
function pow2Factors(k: number): [number, number] {
  const h = Math.trunc(k / 2);
  return [2 ** h, 2 ** (k - h)];
}

/** v·2^k for every entry, in two factors so that 2^k itself cannot overflow. */
function scalePow2(v: Float64Array, k: number): void {
  if (k === 0) return;
  const [f1, f2] = pow2Factors(k);
  for (let i = 0; i < v.length; i++) v[i] = v[i]! * f1 * f2;
}

/**
 * A dense A's two scalings of stage 1 in one pass, ((a_ij·2^row_i)·f₁)·f₂ (the multiplications
 * of the two separate passes, in their order), with the row and column ∞-norms of the result,
 * which Ruiz's iteration starts from.
 */
function scaleDenseRows(A: Matrix & { kind: 'dense' }, row: Float64Array, k: number, rowN: Float64Array, colN: Float64Array): void {
  const { rows, cols, data: a } = A;
  // For k = 0 both factors are 1, and multiplying by 1 is exact: the one-pass result is still the
  // two passes' whatever k is.
  const [f1, f2] = pow2Factors(k);
  for (let i = 0; i < rows; i++) {
    const r = i * cols;
    const ri = 2 ** row[i]!;
    let rmax = 0;
    for (let j = 0; j < cols; j++) {
      const v = a[r + j]! * ri * f1 * f2;
      a[r + j] = v;
      const av = Math.abs(v);
      if (av > rmax) rmax = av;
      if (av > colN[j]!) colN[j] = av;
    }
    rowN[i] = rmax;
  }
}

const lg = (v: number) => (v > 0 && Number.isFinite(v) ? Math.round(Math.log2(v)) : null);

/**
 * Stage 1 in place: rows of A and b by 2^row_i, then b ← 2^lb·b, A ← 2^(lb+x)·A, c ← 2^(x+cost)·c,
 * P ← 2^(2x+cost)·P. Returns the row exponents (lb included) and x, cost. A zero row, b or
 * objective keeps its factor at 1.
 */
function normalize(
  layout: ConeLayout,
  A: Matrix,
  P: Matrix | null,
  b: Float64Array,
  c: Float64Array,
): { row: Float64Array; x: number; cost: number; norms: { row: Float64Array; col: Float64Array } | null } {
  const m = A.rows;
  const rowN = new Float64Array(m);
  absMax(A, rowN, new Float64Array(A.cols));
  for (const blk of layout.blocks) {
    if (blk.kind === 'nonneg' || blk.kind === 'zero') continue;
    let v = 0;
    for (let i = blk.offset; i < blk.offset + blk.size; i++) v = Math.max(v, rowN[i]!);
    rowN.fill(v, blk.offset, blk.offset + blk.size);
  }
  const row = rowN.map((v) => Math.min(1000, Math.max(-1000, -(lg(v) ?? 0))));
  // A dense A is scaled in one pass below; its largest entry after the row scaling is the largest
  // row norm times its factor (a power of two scales exactly, and rounding is monotone).
  const dense = A.kind === 'dense';
  if (!dense)
    scaleInPlace(
      A,
      row.map((e) => 2 ** e),
      new Float64Array(A.cols).fill(1),
    );
  for (let i = 0; i < m; i++) b[i] = b[i]! * 2 ** row[i]!;
  const lb = -(lg(maxAbs(b)) ?? 0);
  let aMax = 0;
  if (dense) for (let i = 0; i < m; i++) aMax = Math.max(aMax, rowN[i]! * 2 ** row[i]!);
  else aMax = matrixMaxAbs(A);
  const x = -(lg(aMax) ?? 0) - lb;
  const lc = lg(maxAbs(c));
  const lp = P ? lg(matrixMaxAbs(P)) : null;
  const obj = Math.max(lc === null ? -Infinity : lc + x, lp === null ? -Infinity : lp + 2 * x);
  const cost = Number.isFinite(obj) ? -obj : 0;
  scalePow2(b, lb);
  let norms: { row: Float64Array; col: Float64Array } | null = null;
  if (dense) {
    norms = { row: new Float64Array(m), col: new Float64Array(A.cols) };
    scaleDenseRows(A, row, lb + x, norms.row, norms.col);
  } else scalePow2(A.values, lb + x);
  scalePow2(c, x + cost);
  if (P) scalePow2(P.kind === 'dense' ? P.data : P.values, 2 * x + cost);
  for (let i = 0; i < m; i++) row[i]! += lb;
  return { row, x, cost, norms };
}

/** Ruiz's iteration stops when every row and column ∞-norm is within this of 1. */
const RUIZ_TOL = 0.05;

/** Ruiz's iteration on the normalised data; returns its own factors. */
function ruiz(
  layout: ConeLayout,
  A: Matrix,
  P: Matrix | null,
  b: Float64Array,
  c: Float64Array,
  iterations: number,
  norms: { row: Float64Array; col: Float64Array } | null,
): Scaling {
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
  const symmetric = P?.kind === 'csc';
  if (norms) {
    rowN.set(norms.row);
    colN.set(norms.col);
  } else absMax(A, rowN, colN);
  if (P) absMax(P, pRow, pCol, symmetric);
  for (let it = 0; it < iterations; it++) {
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
    // A cone block other than the orthant takes one step, from its largest row norm: a mean of
    // the rows' steps was pulled up by rows that are nearly zero (rounding such as 1e-16 left by
    // the modeling layer's factor of a quadratic form), whose clamped steps of 100 then scaled
    // the whole block up at every pass and the solve lost its way (τ → 0 on a feasible program).
    for (const blk of layout.blocks) {
      if (blk.kind === 'nonneg' || blk.kind === 'zero') continue;
      let v = 0;
      for (let i = blk.offset; i < blk.offset + blk.size; i++) v = Math.max(v, rowN[i]!);
      dStep.fill(v === 0 ? 1 : 1 / Math.sqrt(clamp(v)), blk.offset, blk.offset + blk.size);
    }
    // Norms within 5% of 1 condition the KKT system as well as exact ones (iteration counts of
    // the LP and sparse LP benchmarks are the same as at 1e-3), at half the passes.
    if (worst < RUIZ_TOL) break;
    // Scaling and the next iteration's norms in one pass.
    rowN.fill(0);
    colN.fill(0);
    pRow.fill(0);
    pCol.fill(0);
    scaleAbsMax(A, dStep, eStep, rowN, colN);
    if (P) scaleAbsMax(P, eStep, eStep, pRow, pCol, symmetric);
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
