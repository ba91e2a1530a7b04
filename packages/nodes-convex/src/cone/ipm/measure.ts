import { absMul, absMulBoth, dot, mulAdd, mulBothWithAbs, mulTAdd, symMulAdd, type Matrix } from './matrix.js';

/**
 * When a point is a solution, or a certificate, of  min ½xᵀPx + cᵀx  s.t.  Ax + s = b, s ∈ K.
 *
 * Every test is per constraint and per variable, relative to the magnitudes of the terms that
 * make up that row (|b_i| + Σ_j |A_ij x_j|, the scale its round-off is relative to), plus an
 * absolute term ‖A_i‖∞·ξ (at most one unit of the equilibrated program), ξ the lower median of
 * the sizes of x the rows imply, |b_k|/‖A_k‖∞; the dual's is ‖A_:j‖∞·η, η the lower median of
 * |c_k|/‖A_:k‖∞. The absolute term is what lets an active x_j ≥ 0 with x_j → 0 pass (the
 * interior point's steps carry errors of round-off times the typical size of x into every row,
 * so a bound at 1e-16 cannot be met to 1e-9 of itself); the median keeps a minority of huge
 * bounds from inflating it. Units come from the equilibration (`Units`): row i of the primal
 * residual is measured in 1/D_i, column j of the dual residual in 1/(σE_j), the objective in
 * 1/σ. On the equilibrated data the units are 1; on the caller's data the same numbers come out
 * (D, E and σ cancel in each ratio), so a point is judged the same way before and after
 * unscaling, and no constraint is judged against another's magnitude: neither a row with data
 * 1e-10 beside rows near 1 nor a bound x₀ ≤ 0.5 beside a bound of 1e20 is accepted because its
 * residual is small next to the others'.
 */
export interface Units {
  readonly D: Float64Array;
  readonly E: Float64Array;
  readonly cost: number;
}

export interface Program {
  readonly A: Matrix;
  /** Symmetric: dense full, or CSC upper triangle. */
  readonly P: Matrix | null;
  readonly b: Float64Array;
  readonly c: Float64Array;
}

export interface KktResidual {
  /** max_i |(Ax + s − b)_i| / (‖A_i‖∞·ξ + |b_i| + Σ_j |A_ij x_j|), in row i's units. */
  readonly primal: number;
  /** max_j |(Px + Aᵀy + c)_j| / (‖A_:j‖∞·η + |c_j| + Σ_i |A_ij y_i| + Σ_k |P_jk x_k|). */
  readonly dual: number;
  /**
   * The larger of |xᵀPx + cᵀx + bᵀy| / (1 + xᵀPx + Σ|c_j x_j| + Σ|b_i y_i|) and, cone by cone
   * (each orthant row its own),
   * |s_Kᵀy_K| / Σ_{i∈K} (primal scale of row i)(|y_i| + η): a bound of 0.5 with a slack of 1e9
   * is not hidden by an objective of 1e20.
   */
  readonly gap: number;
  readonly worst: number;
}

/** The rows of one cone block. */
export interface RowBlock {
  readonly kind: string;
  readonly offset: number;
  readonly size: number;
}

/** The lower median of the finite positive entries (`fallback` if none). */
function lowerMedian(v: Float64Array, fallback: number): number {
  let k = 0;
  const a = new Float64Array(v.length);
  for (let i = 0; i < v.length; i++) if (v[i]! > 0 && v[i]! < Infinity) a[k++] = v[i]!;
  return k ? a.subarray(0, k).sort()[(k - 1) >> 1]! : fallback;
}

/**
 * Per column: η for a column without cost, else min(η, max(its implied y, the largest
 * equilibrated |y_i| of its rows)), into `out`.
 */
function colDualSizes(A: Matrix, yAt: (i: number) => number, impliedY: Float64Array, eta: number, out: Float64Array): void {
  for (let j = 0; j < A.cols; j++) out[j] = impliedY[j]! > 0 && Number.isFinite(impliedY[j]!) ? impliedY[j]! : Infinity;
  if (A.kind === 'dense') {
    for (let i = 0; i < A.rows; i++) {
      const v = yAt(i);
      for (let j = 0; j < A.cols; j++) if (A.data[i * A.cols + j] !== 0 && v > out[j]!) out[j] = v;
    }
  } else
    for (let j = 0; j < A.cols; j++)
      for (let p = A.pattern.colPtr[j]!; p < A.pattern.colPtr[j + 1]!; p++) {
        const v = A.values[p] === 0 ? 0 : yAt(A.pattern.rowIdx[p]!);
        if (v > out[j]!) out[j] = v;
      }
  for (let j = 0; j < A.cols; j++) out[j] = Math.min(out[j]!, eta);
}

/** Per row: the largest implied y of the columns with a cost it touches, at most η (η if none). */
function rowDualSizes(A: Matrix, impliedY: Float64Array, eta: number): Float64Array {
  const out = new Float64Array(A.rows);
  // Only the finite implied y count; a column without one contributes nothing.
  const yj = Float64Array.from(impliedY, (v) => (Number.isFinite(v) ? v : 0));
  if (A.kind === 'dense') {
    const { rows, cols, data } = A;
    for (let i = 0; i < rows; i++) {
      const r = i * cols;
      let v = 0;
      for (let j = 0; j < cols; j++) if (data[r + j] !== 0 && yj[j]! > v) v = yj[j]!;
      out[i] = v;
    }
  } else {
    const { colPtr, rowIdx } = A.pattern;
    for (let j = 0; j < A.cols; j++)
      for (let p = colPtr[j]!; p < colPtr[j + 1]!; p++) {
        const i = rowIdx[p]!;
        if (A.values[p] !== 0 && yj[j]! > out[i]!) out[i] = yj[j]!;
      }
  }
  for (let i = 0; i < out.length; i++) out[i] = out[i]! > 0 ? Math.min(out[i]!, eta) : eta;
  return out;
}

/** Row and column ∞-norms of A in the units' scaling (D per row, E per column). */
function norms(A: Matrix, D: Float64Array, E: Float64Array): { row: Float64Array; col: Float64Array } {
  const { rows, cols } = A;
  const row = new Float64Array(rows);
  const col = new Float64Array(cols);
  if (A.kind === 'dense') {
    const a = A.data;
    for (let i = 0; i < rows; i++) {
      const r = i * cols;
      const di = D[i]!;
      let rmax = 0;
      for (let j = 0; j < cols; j++) {
        const v = Math.abs(a[r + j]!) * di * E[j]!;
        if (v > rmax) rmax = v;
        if (v > col[j]!) col[j] = v;
      }
      row[i] = rmax;
    }
    return { row, col };
  }
  const { colPtr, rowIdx } = A.pattern;
  const vals = A.values;
  for (let j = 0; j < cols; j++) {
    const ej = E[j]!;
    let cmax = 0;
    for (let p = colPtr[j]!; p < colPtr[j + 1]!; p++) {
      const i = rowIdx[p]!;
      const v = Math.abs(vals[p]!) * D[i]! * ej;
      if (v > row[i]!) row[i] = v;
      if (v > cmax) cmax = v;
    }
    col[j] = cmax;
  }
  return { row, col };
}

/** Products of the point a caller has already formed (the engine, for its residuals). */
export interface PointProducts {
  readonly ax: Float64Array;
  readonly aty: Float64Array;
  readonly px: Float64Array;
  /** |A|·|x| and |A|ᵀ·|y|, if formed in the same pass (matrix.ts mulBothWithAbs). */
  readonly absAx?: Float64Array;
  readonly absAty?: Float64Array;
}

/**
 * Measures (x, s, y)/τ; `products` when the caller has them already, saving three (or five) of
 * the six matrix–vector products.
 */
export type Measure = (x: Float64Array, s: Float64Array, y: Float64Array, tau?: number, products?: PointProducts) => KktResidual;

/**
 * A measuring function for one program (buffers allocated once). `strict` (the acceptance of a
 * reported point, not the iteration's own progress test) judges each column that has a cost, and
 * each row's complementarity, with the dual sizes of its own columns and rows instead of the
 * typical y: a majority of huge costs would otherwise hide a wrong x_j where c_j is small. It is
 * point-dependent, which is why the iteration does not steer by it.
 */
export function kktMeasure(prog: Program, units: Units | null, blocks: readonly RowBlock[], strict = false): Measure {
  const { A, P, b, c } = prog;
  const m = A.rows;
  const n = A.cols;
  const wD = units ? units.D : new Float64Array(m).fill(1);
  const wE = units ? units.E : new Float64Array(n).fill(1);
  const cost = units ? units.cost : 1;
  const { row, col } = norms(A, wD, wE);
  // Typical sizes of x and y in equilibrated units, as the data imply them row by row.
  const implied = b.map((v, i) => (wD[i]! * Math.abs(v)) / row[i]!);
  const xi = lowerMedian(implied, 1);
  // The least size of x a row implies: the point's own x can bring the typical size down to it.
  let xiLeast = xi;
  for (const v of implied) if (v > 0 && v < xiLeast) xiLeast = v;
  const impliedY = c.map((v, j) => (cost * wE[j]! * Math.abs(v)) / col[j]!);
  const eta = lowerMedian(impliedY, 1);
  const rowEta = strict ? rowDualSizes(A, impliedY, eta) : null;
  const ax = new Float64Array(m);
  const absAx = new Float64Array(m);
  const aty = new Float64Array(n);
  const absAty = new Float64Array(n);
  const px = new Float64Array(n);
  const absPx = new Float64Array(n);
  const rowScale = new Float64Array(m);
  const colEta = new Float64Array(n);
  const own = { ax, aty, absAx, absAty };
  const absX = new Float64Array(n);
  const symmetric = P?.kind === 'csc';
  return (x, s, y, tau = 1, products) => {
    if (products) {
      ax.set(products.ax);
      aty.set(products.aty);
      px.set(products.px);
      if (products.absAx && products.absAty) {
        absAx.set(products.absAx);
        absAty.set(products.absAty);
      } else absMulBoth(A, x, y, absAx, absAty);
    } else {
      mulBothWithAbs(A, x, y, own, absX);
      symMulAdd(P, x, px, 1, 0);
    }
    absMul(P, x, absPx, false, symmetric);
    // The typical size of x is never taken above what the point itself has (down to the least size
    // a row implies): a majority of huge bounds (b = 1e10 beside a bound of 0.5) implies an x of
    // 1e10, and one unit of it would hide a wrong x₀ in the bound of 0.5.
    let xMax = 0;
    for (let j = 0; j < n; j++) xMax = Math.max(xMax, Math.abs(x[j]!) / (tau * wE[j]!));
    const xiAt = Math.min(xi, Math.max(xMax, xiLeast));
    let primal = 0;
    for (let i = 0; i < m; i++) {
      const w = wD[i]!;
      const r = w * Math.abs(ax[i]! + s[i]! - b[i]! * tau);
      // A row of zeros constrains nothing: its slack is judged in one equilibrated unit.
      rowScale[i] = tau * (row[i]! > 0 ? Math.min(1, row[i]! * xiAt) : 1) + w * (Math.abs(b[i]!) * tau + absAx[i]!);
      if (r > 0) primal = Math.max(primal, r / rowScale[i]!);
    }
    // Complementarity cone by cone (each orthant row its own): s_Kᵀy_K against
    // Σ_{i∈K} (row i's primal scale)·(|y_i| + η).
    let comp = 0;
    const complementarity = (from: number, to: number) => {
      let sy = 0;
      let scale = 0;
      for (let i = from; i < to; i++) {
        sy += s[i]! * y[i]!;
        scale += rowScale[i]! * ((cost * Math.abs(y[i]!)) / wD[i]! + (rowEta ? rowEta[i]! : eta) * tau);
      }
      if (sy !== 0) comp = Math.max(comp, (cost * Math.abs(sy)) / scale);
    };
    for (const blk of blocks) {
      if (blk.kind === 'zero') continue;
      if (blk.kind === 'nonneg') for (let i = blk.offset; i < blk.offset + blk.size; i++) complementarity(i, i + 1);
      else complementarity(blk.offset, blk.offset + blk.size);
    }
    // A column with a cost of its own is judged with the y it implies or the largest y of its rows,
    // never the typical y of the others: a majority of huge costs would hide a wrong x_j where c_j
    // is small. A column without cost (an auxiliary variable) keeps the typical y.
    if (strict) colDualSizes(A, (i) => (cost * Math.abs(y[i]!)) / (tau * wD[i]!), impliedY, eta, colEta);
    else colEta.fill(eta);
    let dual = 0;
    for (let j = 0; j < n; j++) {
      const w = cost * wE[j]!;
      const unit = tau * (col[j]! > 0 ? Math.min(1, col[j]! * colEta[j]!) : 1);
      const r = w * Math.abs(px[j]! + aty[j]! + c[j]! * tau);
      if (r > 0) dual = Math.max(dual, r / (unit + w * (Math.abs(c[j]!) * tau + absAty[j]! + absPx[j]!)));
    }
    const xPx = dot(x, px) / tau;
    let terms = Math.abs(xPx);
    for (let j = 0; j < n; j++) terms += Math.abs(c[j]! * x[j]!);
    for (let i = 0; i < m; i++) terms += Math.abs(b[i]! * y[i]!);
    const gap = (cost * Math.abs(xPx + dot(c, x) + dot(b, y))) / (tau + cost * terms);
    const worst = Math.max(primal, dual, gap, comp);
    return { primal, dual, gap: Math.max(gap, comp), worst: Number.isNaN(worst) ? Infinity : worst };
  };
}

export interface CertificateTests {
  /**
   * How far y is from a certificate of primal infeasibility (Aᵀy = 0, bᵀy < 0; y ∈ K* is the
   * caller's): ‖σE·Aᵀy‖∞ · max_i(D_i|b_i| / ρ_i) / (−σbᵀy), ρ_i = ‖D_i·A_i·E‖₁ the row's norm
   * in equilibrated units. For a feasible program (Ax + s = b, s ∈ K) it is at least
   * max_i(|b̃_i|/ρ_i) / ‖E⁻¹x‖₁, so it only falls below a tolerance ε when every feasible point is
   * 1/ε of the data's own scale away; it does not change when a row of (A, b), the whole of b, or
   * y is scaled. ∞ unless bᵀy < 0. `aty` = Aᵀy when the caller has it (the engine's residuals).
   */
  infeasibility(y: Float64Array, aty?: Float64Array): number;
  /**
   * How far (x, s) is from a certificate of unboundedness (Px = 0, Ax + s = 0, cᵀx < 0; s ∈ K is
   * the caller's): the larger of max_i(D_i|(Ax + s)_i| / ρ_i) · ‖σEc‖∞ / (−σcᵀx) and
   * ‖σE·Px‖∞ · ‖E⁻¹x‖∞ / (−σcᵀx). For a program with a dual solution y the first is at least
   * ‖σEc‖∞ / ‖ρ∘ỹ‖₁, again the data's own scale; both are invariant to scaling a row, c, P or x.
   * A cone block other than the orthant shares one ρ (its largest row's: the block's rows are
   * one constraint); orthant rows with A_i = 0 are skipped (their slack can be set to 0 exactly).
   * ∞ unless cᵀx < 0. `products` = (Ax, Px) when the caller has them.
   */
  unboundedness(x: Float64Array, s: Float64Array, products?: { readonly ax: Float64Array; readonly px: Float64Array }): number;
}

export function certificateTests(prog: Program, units: Units | null, blocks: readonly RowBlock[]): CertificateTests {
  const { A, P, b, c } = prog;
  const m = A.rows;
  const n = A.cols;
  const D = units ? units.D : new Float64Array(m).fill(1);
  const E = units ? units.E : new Float64Array(n).fill(1);
  const cost = units ? units.cost : 1;
  const ones = E;
  const rho = new Float64Array(m);
  absMul(A, ones, rho);
  for (let i = 0; i < m; i++) rho[i] = rho[i]! * D[i]!;
  for (const blk of blocks) {
    if (blk.kind === 'nonneg' || blk.kind === 'zero') continue;
    let v = 0;
    for (let i = blk.offset; i < blk.offset + blk.size; i++) v = Math.max(v, rho[i]!);
    rho.fill(v, blk.offset, blk.offset + blk.size);
  }
  let bScale = 0;
  for (let i = 0; i < m; i++) if (rho[i]! > 0) bScale = Math.max(bScale, (D[i]! * Math.abs(b[i]!)) / rho[i]!);
  let cScale = 0;
  for (let j = 0; j < n; j++) cScale = Math.max(cScale, cost * E[j]! * Math.abs(c[j]!));
  const wm = new Float64Array(m);
  const wn = new Float64Array(n);
  return {
    infeasibility(y, aty) {
      const by = cost * dot(b, y);
      if (!(by < 0)) return Infinity;
      const t = aty ?? wn;
      if (!aty) mulTAdd(A, y, wn, 1, 0);
      let r = 0;
      for (let j = 0; j < n; j++) r = Math.max(r, cost * E[j]! * Math.abs(t[j]!));
      return (r * bScale) / -by;
    },
    unboundedness(x, s, products) {
      const cx = cost * dot(c, x);
      if (!(cx < 0)) return Infinity;
      const ax = products?.ax ?? wm;
      if (!products) mulAdd(A, x, wm, 1, 0);
      let rp = 0;
      for (let i = 0; i < m; i++) if (rho[i]! > 0) rp = Math.max(rp, (D[i]! * Math.abs(ax[i]! + s[i]!)) / rho[i]!);
      let rq = 0;
      let xn = 0;
      for (let j = 0; j < n; j++) xn = Math.max(xn, Math.abs(x[j]!) / E[j]!);
      if (P) {
        const px = products?.px ?? wn;
        if (!products) symMulAdd(P, x, wn, 1, 0);
        for (let j = 0; j < n; j++) rq = Math.max(rq, cost * E[j]! * Math.abs(px[j]!));
      }
      return Math.max((rp * cScale) / -cx, (rq * xn) / -cx);
    },
  };
}
