import type { CholeskyFactor } from '@argmin/autodiff/kernels';
import { kktResidual, matVec, type QpElement } from './dense.js';
import type { Scaling } from './equilibrate.js';
import { ReducedKkt } from './kkt.js';
import type { PolishCache } from './polish-cache.js';

/**
 * The KKT matrix of a QP at a point (λ, s), partitioned by the active set 𝒜 = {i : λᵢ > sᵢ}:
 *
 *   [ Q    G𝓘ᵀ          G𝒜ᵀ          Aᵀ ]
 *   [ G𝓘  −diag(s/λ)𝓘    0            0  ]
 *   [ G𝒜   0           −diag(s/λ)𝒜    0  ]
 *   [ A    0            0            0  ]
 *
 * The inactive rows are eliminated with D = λ/s (small) and the active rows are kept with
 * their small diagonal s/λ, so nothing large is ever formed: eliminating the active rows too,
 * as the interior-point iterations do, would make the multipliers of the active constraints
 * the difference of nearly equal large numbers (the "benign" ill-conditioning of interior
 * points is not benign for a derivative). In `exact` mode (a polished, strictly complementary
 * solution) s/λ is 0 on 𝒜 and ∞ off it: the inactive rows drop out and what remains is the
 * equality-constrained KKT system on 𝒜.
 *
 * This is OptNet's backward system, and with exact = true also the polish step's system, so the
 * backward pass reuses the factor of the forward.
 */
export interface PartitionedKkt {
  readonly active: Int32Array;
  readonly inactive: Int32Array;
  readonly kkt: ReducedKkt;
  /**
   * When the factor is of an equilibrated (and possibly row-reduced) copy of the problem: its
   * scaling, the original rows it kept (null: all) and the original row count. Solves then take
   * and return the original problem's right-hand sides and solutions.
   */
  readonly original?: { readonly scaling: Scaling; readonly rows: Int32Array | null; readonly m: number };
}

/**
 * Factors the partitioned KKT matrix; null if it is singular (e.g. dependent active constraints).
 * The active set is {i : λᵢ > sᵢ} unless given. In exact mode a cache of the element (the same
 * `el`) supplies Q's factor and the rows of C·L⁻ᵀ when Q is positive definite, and `schur` the
 * factor of C·Q⁻¹·Cᵀ if the caller has it (PolishCache.solveOn's, for this guess).
 */
export function factorPartitioned(
  el: QpElement,
  lam: Float64Array,
  s: Float64Array,
  exact: boolean,
  activeSet?: ArrayLike<boolean | number>,
  cache?: PolishCache,
  schur?: CholeskyFactor,
): PartitionedKkt | null {
  const { n, m, k, Q, G, A } = el;
  const isActive = (i: number) => (activeSet ? activeSet[i] : lam[i]! > s[i]!);
  let a = 0;
  for (let i = 0; i < m; i++) if (isActive(i)) a++;
  const active = new Int32Array(a);
  const inactive = new Int32Array(exact ? 0 : m - a);
  for (let i = 0, r = 0, q = 0; i < m; i++) {
    if (isActive(i)) active[r++] = i;
    else if (!exact) inactive[q++] = i;
  }
  // The rows `idx` of G, then room for `extra` rows more.
  const rows = (idx: Int32Array, extra: number) => {
    const out = new Float64Array((idx.length + extra) * n);
    for (let r = 0; r < idx.length; r++) for (let j = 0, o = idx[r]! * n; j < n; j++) out[r * n + j] = G[o + j]!;
    return out;
  };
  const C = rows(active, k);
  C.set(A, a * n);
  let e: Float64Array | undefined;
  if (!exact) {
    e = new Float64Array(a + k);
    for (let r = 0; r < a; r++) e[r] = s[active[r]!]! / lam[active[r]!]!;
  }
  const kkt = new ReducedKkt(
    { n, m: inactive.length, k: a + k, Q, G: rows(inactive, 0), A: C, ...(e ? { e } : {}) },
    { augment: 'fallback', regularize: !exact },
  );
  const L = exact && cache ? cache.L : null;
  if (L) return kkt.factorGiven(L, cache!.schurRows(active), schur) ? { active, inactive, kkt } : null;
  const pick = (v: Float64Array) => {
    const out = new Float64Array(inactive.length);
    for (let r = 0; r < inactive.length; r++) out[r] = v[inactive[r]!]!;
    return out;
  };
  return kkt.factor(pick(lam), pick(s)) ? { active, inactive, kkt } : null;
}

/**
 * Solves the partitioned KKT system for the right-hand side (rx, rl, rn) of the full system
 * (rl: one entry per inequality), into x, l (one entry per inequality; 0 off 𝒜 in exact mode)
 * and nu.
 */
export function solvePartitioned(
  f: PartitionedKkt,
  rx: Float64Array,
  rl: Float64Array,
  rn: Float64Array,
  x: Float64Array,
  l: Float64Array,
  nu: Float64Array,
): void {
  if (!f.original) {
    solveInner(f, rx, rl, rn, x, l, nu);
    return;
  }
  // K = diag(1,c,c)·S⁻¹·K̂·S⁻¹·diag(1/c,1,1) for S = diag(D, E, F): scale the right-hand side in,
  // solve the scaled system, scale the solution out. Dropped rows are inactive: their l is 0.
  const { scaling, rows } = f.original;
  const { d, e, f: fe, c } = scaling;
  const mr = e.length;
  const rxs = rx.map((v, i) => d[i]! * v);
  const rls = new Float64Array(mr);
  for (let i = 0; i < mr; i++) rls[i] = (e[i]! * rl[rows ? rows[i]! : i]!) / c;
  const rns = rn.map((v, i) => (fe[i]! * v) / c);
  const ls = new Float64Array(mr);
  solveInner(f, rxs, rls, rns, x, ls, nu);
  for (let i = 0; i < x.length; i++) x[i]! *= c * d[i]!;
  l.fill(0);
  for (let i = 0; i < mr; i++) l[rows ? rows[i]! : i] = e[i]! * ls[i]!;
  for (let i = 0; i < nu.length; i++) nu[i]! *= fe[i]!;
}

function solveInner(
  f: PartitionedKkt,
  rx: Float64Array,
  rl: Float64Array,
  rn: Float64Array,
  x: Float64Array,
  l: Float64Array,
  nu: Float64Array,
): void {
  const { active, inactive, kkt } = f;
  const a = active.length;
  const rlI = Float64Array.from(inactive, (i) => rl[i]!);
  const rC = new Float64Array(a + rn.length);
  active.forEach((i, r) => (rC[r] = rl[i]!));
  rC.set(rn, a);
  const lI = new Float64Array(inactive.length);
  const yC = new Float64Array(a + rn.length);
  kkt.solve(rx, rlI, rC, x, lI, yC);
  l.fill(0);
  inactive.forEach((i, r) => (l[i] = lI[r]!));
  active.forEach((i, r) => (l[i] = yC[r]!));
  nu.set(yC.subarray(a));
}

export interface PolishOptions {
  /** The element's cache (of this `el`): Q's factor and the constraint rows' L⁻¹cᵢ, shared by the polishes. */
  readonly cache?: PolishCache | undefined;
  /** Rows the polish may add to a guess that the exact solve violates before it gives up (default m). */
  readonly maxRounds?: number | undefined;
}

export interface Polished {
  readonly z: Float64Array;
  readonly lam: Float64Array;
  readonly nu: Float64Array;
  readonly slack: Float64Array;
  readonly residual: number;
  readonly factor: PartitionedKkt;
}

/**
 * Active-set polish of an interior-point iterate: takes 𝒜 = {i : λᵢ > sᵢ}, solves the KKT system
 * on 𝒜 exactly, and returns the result if it is a KKT point of the QP to within `accept` (so the
 * guess of 𝒜 was right: λ𝒜 ≥ 0 and the other constraints hold), else null. Multipliers and
 * slacks below zero by rounding are clamped to 0.
 */
export function polish(
  el: QpElement,
  lam: Float64Array,
  s: Float64Array,
  accept: number,
  activeSet?: readonly boolean[],
  options: PolishOptions = {},
): Polished | null {
  const { n, m, k, p, h, b } = el;
  const maxRounds = Math.min(m, options.maxRounds ?? m);
  const set = activeSet ? [...activeSet] : Array.from(lam, (l, i) => l > s[i]!);
  const rhsX = p.map((v) => -v);
  let found: { factor: PartitionedKkt; z: Float64Array; y: Float64Array; nu: Float64Array } | null = null;
  // An exact solve on 𝒜 that violates a row outside 𝒜 beyond rounding has the wrong active set:
  // add the most violated row and solve again. Near a degenerate vertex (a weakly active row
  // nearly parallel to a free direction) such a violation passes every relative test while z
  // sits far from the solution. A row that makes the system singular is dependent on 𝒜 and
  // is left out.
  for (let round = 0; round <= maxRounds; round++) {
    const factor = factorPartitioned(el, lam, s, true, set, options.cache);
    if (factor === null) {
      if (found === null) return null;
      break;
    }
    const z = new Float64Array(n);
    const y = new Float64Array(m);
    const nu = new Float64Array(k);
    solvePartitioned(factor, rhsX, h, b, z, y, nu);
    found = { factor, z, y, nu };
    const worstRow = mostViolatedRow(el, z, set);
    if (worstRow < 0) break;
    if (round === maxRounds) return null;
    set[worstRow] = true;
  }
  const { factor, z, y, nu } = found!;
  return polishedPoint(el, factor, z, y, nu, accept);
}

/**
 * The point of an exact solve on an active set (z, multipliers y of every row, 0 off 𝒜, and ν),
 * or null if its KKT residual exceeds `accept`. Multipliers and slacks below zero by rounding are
 * clamped to 0, bound rows of 𝒜 snapped.
 */
export function polishedPoint(
  el: QpElement,
  factor: PartitionedKkt,
  z: Float64Array,
  y: Float64Array,
  nu: Float64Array,
  accept: number,
): Polished | null {
  const { n, m, G, h } = el;
  const gz = new Float64Array(m);
  snapBounds(el, z, factor.active);
  matVec(m, n, G, z, gz);
  // The unclamped point's violations catch a wrong guess of 𝒜 (a negative λ or slack).
  let worst = 0;
  for (let i = 0; i < m; i++) worst = Math.max(worst, -y[i]!, gz[i]! - h[i]!);
  const lamOut = y.map((v) => Math.max(0, v));
  const slack = h.map((v, i) => Math.max(0, v - gz[i]!));
  const residual = Math.max(worst, kktResidual(el, z, lamOut, nu, slack));
  if (!(residual <= accept)) return null;
  return { z, lam: lamOut, nu, slack, residual, factor };
}

/**
 * Puts each variable that an active bound row (one nonzero, gᵢⱼzⱼ ≤ hᵢ) fixes exactly on its bound.
 * The exact solve holds it there only up to rounding, and a bound at 0 has no scale of its own: a
 * zⱼ of −1e-16 would count as a violation of its full size (accept.ts judges each row by its own terms).
 */
function snapBounds(el: QpElement, z: Float64Array, active: Int32Array): void {
  const { n, G, h } = el;
  for (const i of active) {
    let at = -1;
    for (let j = 0; j < n; j++) {
      if (G[i * n + j] === 0) continue;
      if (at >= 0) {
        at = -2;
        break;
      }
      at = j;
    }
    if (at >= 0) z[at] = h[i]! / G[i * n + at]!;
  }
}

/** A row outside 𝒜 violated by more than this fraction of its magnitude is missing from 𝒜. */
const ROW_VIOLATION = 1e-11;

/** The row outside the active set violated the most, relative to its magnitude (−1: none beyond rounding). */
function mostViolatedRow(el: QpElement, z: Float64Array, set: readonly boolean[]): number {
  let worst = ROW_VIOLATION;
  let at = -1;
  for (let i = 0; i < el.m; i++) {
    if (set[i]) continue;
    const violation = rowViolation(el, z, i);
    if (violation > worst) {
      worst = violation;
      at = i;
    }
  }
  return at;
}

/** (gᵢz − hᵢ) relative to the row's magnitude |hᵢ| + Σⱼ|gᵢⱼzⱼ| (0 for a row of magnitude 0). */
export function rowViolation(el: QpElement, z: Float64Array, i: number): number {
  const { n, G, h } = el;
  let gz = 0;
  let mag = Math.abs(h[i]!);
  for (let j = 0; j < n; j++) {
    const v = G[i * n + j]! * z[j]!;
    gz += v;
    mag += Math.abs(v);
  }
  return mag > 0 ? (gz - h[i]!) / mag : 0;
}
