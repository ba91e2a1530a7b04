import type { SolveStatus } from '@argmin/autodiff';
import { solveProgram, type ProgramState } from '../cone/ipm/program.js';
import { certifiesInfeasible, certifiesUnbounded } from './accept.js';
import { SparseChecks } from './accept-sparse.js';
import type { QpElement } from './dense.js';
import { activeSetGuesses, expand, keptRows, pickRows, WEAK_MARGIN, type ElementSolution, type Point, type QpMethod } from './element.js';
import { cscMulAbs, sparseQp, type SparseQp } from './sparse-data.js';
import { SparseKkt, type ScaledQp } from './sparse-kkt.js';

/** Certificates are asked of the engine at this accuracy (the cone node's default), then checked by accept.ts. */
const CERTIFICATE_TOL = 1e-8;
/** A row outside 𝒜 violated by more than this fraction of its magnitude is missing from 𝒜 (as polish.ts). */
const ROW_VIOLATION = 1e-11;

/**
 * One QP element solved through the cone engine's sparse interior point (cone/ipm/program.ts,
 * sparse LDLᵀ of the quasi-definite KKT matrix with AMD ordering) on its CSC form
 * (sparse-data.ts), then finished as the dense path finishes (element.ts):
 *
 * 1. rows with hᵢ ≥ hugeThreshold are dropped (absent) unless `withAll`;
 * 2. certificates of infeasibility or unboundedness are confirmed on the caller's data by the
 *    dense path's own tests (accept.ts) before they are reported;
 * 3. the active-set polish, on the sparse KKT system of the active set (sparse-kkt.ts): from the
 *    engine's guess {λ̃ᵢ > s̃ᵢ} (its equilibrated units), adding violated rows one at a time as
 *    polish.ts does, then the other natural guesses; the first point that passes the acceptance
 *    test is returned ('sparse-polish'), with its factor: the exact derivative's system;
 * 4. else the engine's iterate if it passes, with OptNet's system at that iterate
 *    ('sparse-ipm'); else the best point under the engine's status (or 'failed'). Every
 *    routed element's method is 'sparse-polish' or 'sparse-ipm', so `info.method` shows the route.
 *
 * 'converged' is only ever reported for a point that passed relativeKktError ≤ accept on the
 * caller's data, as on the dense path (its O(nnz) form, accept-sparse.ts). The warm start is not used (the engine has none).
 */
export function solveSparseElement(
  full: QpElement,
  opts: { tol: number; maxIter: number; polish: boolean; accept: number; withAll: boolean },
  /** The element's CSC form if the router built it (of all rows: used only when none is dropped). */
  built?: SparseQp,
): ElementSolution {
  const rows = opts.withAll ? null : keptRows(full);
  const el = rows ? pickRows(full, rows) : full;
  const sq = !rows && built ? built : sparseQp(el);
  const { n, k, m } = sq;
  const st = solveProgram(
    {
      layout: sq.layout,
      m: k + m,
      n,
      A: sq.C.values,
      aOff: 0,
      aPattern: sq.C.pattern,
      P: sq.P.values,
      pOff: 0,
      pPattern: sq.P.pattern,
      b: sq.rhs,
      bOff: 0,
      c: el.p,
      cOff: 0,
    },
    { tol: opts.tol, tolInfeasible: CERTIFICATE_TOL, maxIter: opts.maxIter, kkt: 'sparse' },
  );
  const r = st.result;
  const checks = (pt: Point) => new SparseChecks(sq, el.p, pt.z, pt.lam, pt.nu, pt.slack);
  const done = (status: SolveStatus, pt: Point, factor: ElementSolution['factor'], method: QpMethod, error: number): ElementSolution => {
    const out = rows ? expand(full, rows, pt) : pt;
    const c = checks(pt);
    const weak = status === 'converged' ? c.weak(WEAK_MARGIN).map((i) => (rows ? rows[i]! : i)) : [];
    // The reported residual is of the full element: this one only when no row was dropped.
    return { status, iterations: r.iterations, ...out, factor, method, weak, error, ...(rows ? {} : { absolute: c.absolute() }) };
  };
  const zeros = (): Point => ({ z: new Float64Array(n), lam: new Float64Array(m), nu: new Float64Array(k), slack: new Float64Array(m) });
  if (r.status === 'infeasible' || r.status === 'unbounded') {
    const ok = r.status === 'infeasible' ? certifiesInfeasible(el, r.y.subarray(k), r.y.subarray(0, k)) : certifiesUnbounded(el, r.x);
    return done(ok ? r.status : 'failed', zeros(), null, 'sparse-ipm', Infinity);
  }
  const original = { rows, m: full.m };
  const scaled = scaledOf(st);
  const check = (pt: Point) => checks(pt).relative();
  if (opts.polish) {
    const lam = st.result.point.z.subarray(k);
    const s = st.result.point.s.subarray(k);
    const single = singleEntryRows(sq);
    for (const guess of activeSetGuesses(el, lam, s)) {
      const p = polishOn(sq, scaled, el, full, original, single, guess);
      if (!p) continue;
      const err = check(p.pt);
      if (err <= opts.accept) return done('converged', p.pt, { kind: 'active', factor: p.factor }, 'sparse-polish', err);
    }
  }
  const iterate: Point = { z: r.x, lam: r.y.slice(k), nu: r.y.slice(0, k), slack: r.s.slice(k) };
  const err = check(iterate);
  if (r.status === 'converged' && err <= opts.accept) {
    // OptNet's system at the final iterate: Δ̃ = s̃/λ̃ on the inequalities, 0 on the equalities.
    const { z: zt, s: stt } = st.result.point;
    const delta = new Float64Array(k + m);
    for (let i = k; i < k + m; i++) delta[i] = stt[i]! / zt[i]!;
    const f = SparseKkt.factor(sq, scaled, new Uint8Array(k + m).fill(1), delta, original);
    if (f) return done('converged', iterate, { kind: 'interior', factor: f }, 'sparse-ipm', err);
  }
  const status: SolveStatus = r.status === 'converged' ? 'failed' : r.status;
  return done(status, iterate, null, 'sparse-ipm', err);
}

/** The engine's equilibrated program, on the element's patterns (program.ts keeps the patterns it was given). */
function scaledOf(st: ProgramState): ScaledQp {
  const { A, P, scaling } = st.data;
  if (A.kind !== 'csc' || !P || P.kind !== 'csc') throw new Error('sparse QP route: the engine did not keep the CSC data');
  return { P: P.values, C: A.values, scaling };
}

/** For each row of C with exactly one nonzero, its column (−1 otherwise): bound rows, snapped by the polish. */
function singleEntryRows(sq: SparseQp): Int32Array {
  const { colPtr, rowIdx, ncols, nrows } = sq.C.pattern;
  const at = new Int32Array(nrows).fill(-1);
  for (let j = 0; j < ncols; j++)
    for (let q = colPtr[j]!; q < colPtr[j + 1]!; q++) {
      const r = rowIdx[q]!;
      at[r] = at[r] === -1 ? j : -2;
    }
  for (let r = 0; r < nrows; r++) if (at[r] === -2) at[r] = -1;
  return at;
}

/**
 * The exact solve on an active set (polish.ts's `polish` on the sparse system): the guess, plus
 * the most violated row outside it until none is violated beyond rounding; a row that makes the
 * system singular is dependent on 𝒜 and left out. Null when the first system is singular.
 */
function polishOn(
  sq: SparseQp,
  scaled: ScaledQp,
  el: QpElement,
  full: QpElement,
  original: { rows: Int32Array | null; m: number },
  single: Int32Array,
  guess: readonly boolean[],
): { pt: Point; factor: SparseKkt } | null {
  const { n, k, m } = sq;
  const set = [...guess];
  const rx = el.p.map((v) => -v);
  const gz = new Float64Array(k + m);
  const mag = new Float64Array(k + m);
  const lFull = new Float64Array(full.m);
  let found: { factor: SparseKkt; active: boolean[]; z: Float64Array; lam: Float64Array; nu: Float64Array } | null = null;
  for (let round = 0; round <= m; round++) {
    const coupled = new Uint8Array(k + m);
    coupled.fill(1, 0, k);
    for (let i = 0; i < m; i++) if (set[i]) coupled[k + i] = 1;
    const factor = SparseKkt.factor(sq, scaled, coupled, null, original);
    if (factor === null) {
      if (found === null) return null;
      break;
    }
    const z = new Float64Array(n);
    const nu = new Float64Array(k);
    factor.solve(rx, full.h, el.b, z, lFull, nu);
    const lam = original.rows ? Float64Array.from(original.rows, (i) => lFull[i]!) : lFull.slice();
    found = { factor, active: [...set], z, lam, nu };
    cscMulAbs(sq.C, z, gz, mag);
    let worst = ROW_VIOLATION;
    let at = -1;
    for (let i = 0; i < m; i++) {
      if (set[i]) continue;
      const scale = mag[k + i]! + Math.abs(el.h[i]!);
      const v = scale > 0 ? (gz[k + i]! - el.h[i]!) / scale : 0;
      if (v > worst) {
        worst = v;
        at = i;
      }
    }
    if (at < 0) break;
    if (round === m) return null;
    set[at] = true;
  }
  const { factor, active, z, lam, nu } = found!;
  // Active bound rows hold their variable on the bound exactly (polish.ts's snapBounds).
  for (let i = 0; i < m; i++) {
    const j = single[k + i]!;
    if (active[i] && j >= 0) z[j] = el.h[i]! / coefficient(sq, k + i, j);
  }
  cscMulAbs(sq.C, z, gz, mag);
  const slack = Float64Array.from(el.h, (h, i) => Math.max(0, h - gz[k + i]!));
  for (let i = 0; i < m; i++) lam[i] = Math.max(0, lam[i]!);
  return { pt: { z, lam, nu, slack }, factor };
}

/** C's entry (r, j) (a stored one). */
function coefficient(sq: SparseQp, r: number, j: number): number {
  const { colPtr, rowIdx } = sq.C.pattern;
  for (let q = colPtr[j]!; q < colPtr[j + 1]!; q++) if (rowIdx[q] === r) return sq.C.values[q]!;
  return Number.NaN;
}
