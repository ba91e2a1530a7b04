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
  // The guess as a 0/1 mask, changed in place; `from` is the guess of the last exchange.
  const set = new Uint8Array(m);
  for (let i = 0; i < m; i++) set[i] = guess[i] ? 1 : 0;
  const from = new Uint8Array(m);
  const active = new Int32Array(m);
  const seen = new SeenGuesses(m);
  const ex = new Exchange(m);
  const none = new Float64Array(m);
  // The last exchange (from → its first lastDrops of ex.drops, lastJoins of ex.joins), to redo
  // with its most violated row alone when its guess is singular. It shares ex's buffers: every
  // round that exchanges again either returns or replaces it.
  let hasLast = false;
  let [lastDrops, lastJoins] = [0, 0];
  // After a repeated guess, rows are exchanged one at a time (the most negative multiplier
  // leaves, else the most violated row joins): slower, but it breaks most cycles.
  let single = false;
  let [fewest, fewestAt] = [Infinity, 0];
  for (let round = 1; round <= maxRounds; round++) {
    if (seen.has(set)) {
      if (single || !hasLast) return null;
      single = true;
      seen.clear();
      set.set(from);
      ex.apply(set, Math.min(1, lastDrops), lastDrops > 0 ? 0 : Math.min(1, lastJoins));
      continue;
    }
    seen.add(set);
    let a = 0;
    for (let i = 0; i < m; i++) if (set[i]) active[a++] = i;
    const sol = cache.solveOn(active.subarray(0, a));
    if (sol === null) {
      if (!hasLast || lastJoins <= 1) return null;
      lastJoins = 1;
      set.set(from);
      ex.apply(set, lastDrops, lastJoins);
      continue;
    }
    const { z, y, nu, schur } = sol;
    ex.run(el, z, y, set, single);
    // Where it converges the exchanges shrink about geometrically (the bench's n = 200: 99 69 45
    // 24 17 7 4 1 0); where they hover it would not converge soon: three rounds with more than the
    // fewest so far end it (150 of 150 bench QPs, n = 5…200, still converge).
    const changes = ex.drops.count + ex.joins.count;
    if (changes <= fewest) [fewest, fewestAt] = [changes, round];
    else if (round - fewestAt >= PATIENCE) return null;
    if (changes === 0) {
      // The factor the backward pass reuses, of this guess. solveOn's results are the cache's
      // scratch: what the point and the factor keep (z, ν, S's factor) are copies.
      const kept = schur && { ...schur, l: schur.l.slice(0, schur.n * schur.n) };
      const factor = factorPartitioned(el, none, none, true, set, cache, kept ?? undefined);
      const point = factor && polishedPoint(el, factor, z.slice(), y, nu.slice(), Infinity);
      return point && { ...point, rounds: round };
    }
    // No more rows join than the equalities leave room for (n − k − |𝒜|): more would be dependent.
    const size = a - ex.drops.count;
    hasLast = true;
    lastDrops = ex.drops.count;
    lastJoins = Math.min(ex.joins.count, Math.max(1, n - k - size));
    from.set(set);
    ex.apply(set, lastDrops, lastJoins);
  }
  return null;
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

/** The guesses tried so far, as copies of their masks (a handful: at most one per round). */
class SeenGuesses {
  private readonly masks: Uint8Array[] = [];
  private count = 0;

  constructor(private readonly m: number) {}

  has(set: Uint8Array): boolean {
    for (let g = 0; g < this.count; g++) {
      const mask = this.masks[g]!;
      let i = 0;
      while (i < this.m && mask[i] === set[i]) i++;
      if (i === this.m) return true;
    }
    return false;
  }

  add(set: Uint8Array): void {
    // The masks of a cleared history are reused.
    if (this.count === this.masks.length) this.masks.push(new Uint8Array(this.m));
    this.masks[this.count++]!.set(set);
  }

  clear(): void {
    this.count = 0;
  }
}

/**
 * Rows in order of a score (by row), ascending (sign 1) or descending (−1), filled and sorted in
 * place. Ties keep row order, which is the order they were pushed in: the stable sort of {i, v}
 * records this replaced.
 */
class RankedRows {
  readonly rows: Int32Array;
  count = 0;
  // One comparator per buffer, returning −1, 0, 1 rather than the difference of two scores: no
  // closure per sort, no boxed double per comparison.
  private readonly order = (a: number, b: number): number => {
    const d = this.score[a]! - this.score[b]!;
    return d < 0 ? -this.sign : d > 0 ? this.sign : a - b;
  };

  constructor(
    m: number,
    private readonly score: Float64Array,
    private readonly sign: 1 | -1,
  ) {
    this.rows = new Int32Array(m);
  }

  sort(): void {
    // Most later rounds exchange one row or none: no view to sort.
    if (this.count > 1) this.rows.subarray(0, this.count).sort(this.order);
  }
}

/**
 * One exchange of the method: the rows of 𝒜 whose multiplier is negative beyond rounding leave
 * (`drops`, the most negative first), the rows outside it that z violates beyond rounding join
 * (`joins`, the most violated relative to the row's magnitude first). Buffers of one
 * activeSetSolve call, reused by its rounds.
 */
class Exchange {
  readonly drops: RankedRows;
  readonly joins: RankedRows;
  /** y of a row of 𝒜, the violation of a row outside it. */
  private readonly score: Float64Array;

  constructor(m: number) {
    this.score = new Float64Array(m);
    this.drops = new RankedRows(m, this.score, 1);
    this.joins = new RankedRows(m, this.score, -1);
  }

  run(el: QpElement, z: Float64Array, y: Float64Array, set: Uint8Array, single: boolean): void {
    const { m } = el;
    const { drops, joins, score } = this;
    let yMax = 0;
    for (let i = 0; i < m; i++) yMax = Math.max(yMax, Math.abs(y[i]!));
    drops.count = 0;
    joins.count = 0;
    for (let i = 0; i < m; i++) {
      if (set[i]) {
        if (y[i]! < -EXCHANGE_TOL * yMax) {
          score[i] = y[i]!;
          drops.rows[drops.count++] = i;
        }
        continue;
      }
      const violation = rowViolation(el, z, i);
      if (violation > EXCHANGE_TOL) {
        score[i] = violation;
        joins.rows[joins.count++] = i;
      }
    }
    drops.sort();
    joins.sort();
    if (single) {
      if (drops.count > 0) [drops.count, joins.count] = [1, 0];
      else joins.count = Math.min(1, joins.count);
    }
  }

  /** `set` with its first `nDrops` drops left and first `nJoins` joins joined, in place. */
  apply(set: Uint8Array, nDrops: number, nJoins: number): void {
    for (let r = 0; r < nDrops; r++) set[this.drops.rows[r]!] = 0;
    for (let r = 0; r < nJoins; r++) set[this.joins.rows[r]!] = 1;
  }
}
