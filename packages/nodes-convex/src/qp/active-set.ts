import type { QpElement } from './dense.js';
import { factorPartitioned, polishedPoint, rowViolation, type Polished } from './polish.js';
import type { PolishCache } from './polish-cache.js';

/**
 * A row outside 𝒜 violated by more than this fraction of its magnitude joins 𝒜, and a multiplier
 * below −EXCHANGE_TOL times the largest leaves it: a few dozen roundings, no more. The point is
 * then exact on the constraints (a tiny multiplier 1e-12 of an active row keeps its row active);
 * what rounding can flip back and forth ends in a repeated guess, and the interior point.
 */
const EXCHANGE_TOL = 1e-14;
/** Rounds in a row with more exchanges than the fewest so far that end the method. */
const PATIENCE = 3;

/**
 * The primal–dual active-set method (Hintermüller, Ito & Kunisch, 2002) on one strictly convex
 * QP element: from a guess of the active set 𝒜, solve the equality-constrained KKT system on 𝒜
 * exactly (the polish's system), then exchange rows: every row outside 𝒜 that the solution
 * violates beyond rounding joins 𝒜, every row of 𝒜 with a negative multiplier leaves it. When
 * nothing is exchanged the point is a KKT point of the QP (λ𝒜 ≥ 0, every other row holds).
 *
 * It is not globally convergent: it can cycle, and rows that are dependent make a system singular.
 * No more rows join than the equalities leave room for, a singular guess is retried with the
 * last exchange's most violated row alone, and after a repeated guess rows are exchanged one at
 * a time; it gives up on a second repetition, a singular single-row guess, three rounds with more
 * exchanges than the fewest so far (it is wandering, not converging) or after `maxRounds`,
 * and the caller checks what it returns with the acceptance test. On well-posed strictly convex
 * QPs it finds the active set in a few rounds from the empty guess (the bench's random QPs,
 * n = 5…200: 2–9 rounds), where the interior point needs 7–11 iterations to reach the polish;
 * it gives up more often when most of 2n rows are active (near-vertex solutions). A round costs
 * one Schur complement of order |𝒜| + k, Q's factor and the rows L⁻¹cᵢ being shared through the
 * cache (which must hold Q's factor: `cache.L` not null).
 */
export function activeSetSolve(el: QpElement, guess: readonly boolean[], cache: PolishCache, maxRounds: number): ActiveSetResult | null {
  const { n, m, k } = el;
  let set = [...guess];
  const seen = new Set<string>();
  const none = new Float64Array(m);
  // The last exchange, to redo with its most violated row alone when its guess is singular.
  let last: { from: boolean[]; drops: number[]; joins: number[] } | null = null;
  // After a repeated guess, rows are exchanged one at a time (the most negative multiplier
  // leaves, else the most violated row joins): slower, but it breaks most cycles.
  let single = false;
  let [fewest, fewestAt] = [Infinity, 0];
  for (let round = 1; round <= maxRounds; round++) {
    const key = set.map(Number).join('');
    if (seen.has(key)) {
      if (single || last === null) return null;
      single = true;
      seen.clear();
      set = applied(last.from, last.drops.slice(0, 1), last.drops.length > 0 ? [] : last.joins.slice(0, 1));
      continue;
    }
    seen.add(key);
    const active = Int32Array.from(set.flatMap((inSet, i) => (inSet ? [i] : [])));
    const sol = cache.solveOn(active);
    if (sol === null) {
      if (last === null || last.joins.length <= 1) return null;
      last = { from: last.from, drops: last.drops, joins: last.joins.slice(0, 1) };
      set = applied(last.from, last.drops, last.joins);
      continue;
    }
    const { z, y, nu, schur } = sol;
    const { drops, joins } = exchange(el, z, y, set, single);
    // Where it converges the exchanges shrink about geometrically (the bench's n = 200: 99 69 45
    // 24 17 7 4 1 0); where they hover it would not converge soon: three rounds with more than the
    // fewest so far end it (150 of 150 bench QPs, n = 5…200, still converge).
    const changes = drops.length + joins.length;
    if (changes <= fewest) [fewest, fewestAt] = [changes, round];
    else if (round - fewestAt >= PATIENCE) return null;
    if (drops.length === 0 && joins.length === 0) {
      // The factor the backward pass reuses, of this guess.
      const factor = factorPartitioned(el, none, none, true, set, cache, schur ?? undefined);
      const point = factor && polishedPoint(el, factor, z, y, nu, Infinity);
      return point && { ...point, rounds: round };
    }
    // No more rows join than the equalities leave room for (n − k − |𝒜|): more would be dependent.
    let size = -drops.length;
    for (const inSet of set) if (inSet) size++;
    last = { from: set, drops, joins: joins.slice(0, Math.max(1, n - k - size)) };
    set = applied(set, last.drops, last.joins);
  }
  return null;
}

/** `set` with the rows `drops` left and `joins` joined (a new array). */
function applied(set: readonly boolean[], drops: readonly number[], joins: readonly number[]): boolean[] {
  const out = [...set];
  for (const i of drops) out[i] = false;
  for (const i of joins) out[i] = true;
  return out;
}

export interface ActiveSetResult extends Polished {
  /** Rounds taken, each one factored system. */
  readonly rounds: number;
}

/** The guess of the active set of a (scaled) warm start: λᵢ > sᵢ, or with z alone the rows it makes tight or violates. */
export function warmGuess(el: QpElement, warm: { z?: Float64Array; lam?: Float64Array; slack?: Float64Array } | undefined): boolean[] {
  const { n, m, G, h } = el;
  const guess = new Array<boolean>(m).fill(false);
  if (!warm || (!warm.z && !warm.slack)) return guess;
  for (let i = 0; i < m; i++) {
    let s = warm.slack?.[i];
    let mag = Math.abs(h[i]!);
    if (s === undefined) {
      let gz = 0;
      for (let j = 0; j < n; j++) {
        gz += G[i * n + j]! * warm.z![j]!;
        mag += Math.abs(G[i * n + j]! * warm.z![j]!);
      }
      s = h[i]! - gz;
    }
    guess[i] = warm.lam ? warm.lam[i]! > s : s <= 1e-9 * mag;
  }
  return guess;
}

/**
 * One exchange of the method: the rows of 𝒜 whose multiplier is negative beyond rounding leave,
 * the rows outside it that z violates beyond rounding join, the most violated (relative to the
 * row's magnitude) first.
 */
function exchange(
  el: QpElement,
  z: Float64Array,
  y: Float64Array,
  set: readonly boolean[],
  single: boolean,
): { drops: number[]; joins: number[] } {
  const { m } = el;
  let yMax = 0;
  for (let i = 0; i < m; i++) yMax = Math.max(yMax, Math.abs(y[i]!));
  const drops: { i: number; v: number }[] = [];
  const joins: { i: number; v: number }[] = [];
  for (let i = 0; i < m; i++) {
    if (set[i]) {
      if (y[i]! < -EXCHANGE_TOL * yMax) drops.push({ i, v: y[i]! });
      continue;
    }
    const violation = rowViolation(el, z, i);
    if (violation > EXCHANGE_TOL) joins.push({ i, v: violation });
  }
  drops.sort((a, b) => a.v - b.v);
  joins.sort((a, b) => b.v - a.v);
  if (single && drops.length > 0) return { drops: [drops[0]!.i], joins: [] };
  return { drops: drops.map((d) => d.i), joins: joins.slice(0, single ? 1 : joins.length).map((j) => j.i) };
}
