import type { SolveStatus } from '@argmin/autodiff';
import { certifiesInfeasible, certifiesUnbounded, relativeKktError, weaklyActive } from './accept.js';
import { kktResidual, matVec, type QpElement } from './dense.js';
import { identityScaling, ruiz, scaleElement, scalePoint, unscalePoint, type Scaling } from './equilibrate.js';
import { interiorPoint, ipmWorkspace, type IpmWorkspace, type WarmPoint } from './ipm.js';
import { activeSetSolve, warmGuess } from './active-set.js';
import { polishFinish } from './finish.js';
import { PolishCache } from './polish-cache.js';
import { factorPartitioned, polish, type PartitionedKkt, type Polished } from './polish.js';
import type { SparseKkt } from './sparse-kkt.js';

/**
 * A bound at least this many times the typical bound is absent (1e20 is Clarabel's convention
 * for an infinite bound; here it is relative, so data scaled by 1e90 keep their bounds).
 */
export const HUGE_BOUND = 1e20;

/** The threshold above which hᵢ is absent: HUGE_BOUND times the lower median of |h|, |b| (at least 1). */
export function hugeThreshold(el: QpElement): number {
  const { h, b } = el;
  const mags = new Float64Array(h.length + b.length);
  let count = 0;
  let nan = false;
  for (const v of [h, b]) {
    for (let i = 0; i < v.length; i++) {
      if (v[i] === 0) continue;
      mags[count] = Math.abs(v[i]!);
      nan ||= Number.isNaN(mags[count++]!);
    }
  }
  // A typed array sorts numerically in place, without the boxed differences of a comparator; with
  // a NaN, where that comparator's order is the sort's own, the comparator sort is kept.
  const sorted = nan ? Array.from(mags.subarray(0, count)).sort((x, y) => x - y) : mags.subarray(0, count).sort();
  const typical = count > 0 ? sorted[(count - 1) >> 1]! : 1;
  return HUGE_BOUND * Math.max(1, typical);
}
/** Rounds of the active-set method before the interior point takes over (2–9 on the bench's QPs). */
const ACTIVE_SET_ROUNDS = 20;
/** A constraint is weakly active when both λᵢ and sᵢ are below this fraction of their scales. */
export const WEAK_MARGIN = 1e-6;

/** How the accepted point was obtained, reported per element in `info.method`. */
export type QpMethod = 'active-set' | 'polish' | 'interior' | 'degenerate-polish' | 'sparse-polish' | 'sparse-ipm' | 'none';

export interface ElementSolution {
  readonly status: SolveStatus;
  readonly iterations: number;
  readonly z: Float64Array;
  readonly lam: Float64Array;
  readonly nu: Float64Array;
  readonly slack: Float64Array;
  /** The KKT factor at the solution, in original units, when converged (sparse for routed elements). */
  readonly factor: { readonly kind: 'active' | 'interior'; readonly factor: PartitionedKkt | SparseKkt } | null;
  readonly method: QpMethod;
  readonly weak: readonly number[];
  /** The worst per-condition relative KKT error on the original data (∞ when not a solution). */
  readonly error: number;
  /** kktResidual of the point on the full element, when the solver computed it (the sparse route). */
  readonly absolute?: number;
}

export interface Point {
  z: Float64Array;
  lam: Float64Array;
  nu: Float64Array;
  slack: Float64Array;
}

/** Workspaces keyed by the reduced sizes, shared by the elements of a batch. */
export type WorkCache = Map<string, IpmWorkspace>;

/**
 * Solves one QP element on equilibrated data and accepts the result only after checking it on
 * the original data, condition by condition (accept.ts):
 *
 * 1. rows with hᵢ ≥ hugeThreshold are dropped (absent); `withAll` keeps them (the caller retries
 *    that way when the solution violates one of them);
 * 2. Ruiz equilibration (equilibrate.ts), exact in powers of two;
 * 3. with the polish on and Q positive definite, the primal–dual active-set method (active-set.ts)
 *    from the warm start's guess of the active set, accepted if its point passes the check;
 * 4. otherwise the interior point with the active-set polish, its certificates of infeasibility or
 *    unboundedness confirmed on the original data before they are reported;
 * 5. the degenerate path: when the interior point stalls, fails or returns a point the check
 *    rejects, the polish is retried on the other natural guesses of the active set (the
 *    primal one {sᵢ ≈ 0} and the strict one {λᵢ ≫ 0}), keeping the first that passes;
 * 6. 'converged' only for a point whose relative KKT error is within `accept`; otherwise the
 *    best point found is returned with the interior point's status (or 'failed').
 */
export function solveElement(
  full: QpElement,
  opts: {
    tol: number;
    maxIter: number;
    polish: boolean;
    accept: number;
    warm: WarmPoint | undefined;
    withAll: boolean;
    equilibrate: boolean;
  },
  cache: WorkCache,
): ElementSolution {
  const rows = opts.withAll ? null : keptRows(full);
  const el = rows ? pickRows(full, rows) : full;
  const warmEl = opts.warm && rows ? pickWarm(opts.warm, rows) : opts.warm;
  const done = (
    status: SolveStatus,
    iterations: number,
    pt: Point,
    factor: ElementSolution['factor'],
    method: QpMethod,
    error: number,
  ): ElementSolution => {
    const out = rows ? expand(full, rows, pt) : pt;
    const weak = status === 'converged' ? weaklyActive(el, pt.z, pt.lam, pt.slack, WEAK_MARGIN).map((i) => (rows ? rows[i]! : i)) : [];
    return { status, iterations, ...out, factor, method, weak, error };
  };
  const check = (pt: Point) => relativeKktError(el, pt.z, pt.lam, pt.nu, pt.slack);
  // The active-set method on the element scaled by `s` (as `se`), from the warm start's guess;
  // its point is kept only if it passes the acceptance test.
  // ('gave up': it ran and returned nothing; 'rejected': its point failed the test or Q has no safe factor.)
  const activeSet = (
    s: Scaling,
    se: QpElement,
    polishCache: PolishCache,
    warm: WarmPoint | undefined,
  ): ElementSolution | 'gave up' | 'rejected' => {
    if (polishCache.L === null) return 'rejected';
    const a = activeSetSolve(se, warmGuess(se, warm), polishCache, Math.min(ACTIVE_SET_ROUNDS, opts.maxIter));
    if (a === null) return 'gave up';
    const pt = unscalePoint(s, a);
    const err = check(pt);
    if (!(err <= opts.accept)) return 'rejected';
    const factor = { ...a.factor, original: { scaling: s, rows, m: full.m } };
    return done('converged', a.rounds, pt, { kind: 'active', factor }, 'active-set', err);
  };
  // A strictly convex element first gets the active-set method on the data as given: it solves
  // exactly on its guess, so scaling matters only through rounding, and equilibrating (a dozen
  // passes over the data and a scaled copy) was a sixth of a solve at n = 50…100. If Q had no
  // safe factor or the point failed the test, the method is tried again on the equilibrated
  // element; if it gave up (it wanders on this problem), only when equilibrating changed the
  // data much, else the interior point runs at once.
  let direct: ReturnType<typeof activeSet> = 'rejected';
  if (opts.polish && opts.equilibrate) {
    direct = activeSet(identityScaling(el), el, new PolishCache(el), warmEl);
    if (typeof direct !== 'string') return direct;
  }
  const sc = opts.equilibrate ? ruiz(el) : identityScaling(el);
  const se = scaleElement(el, sc);
  const warm = warmEl ? scalePoint(sc, warmEl) : undefined;
  const original = { scaling: sc, rows, m: full.m };
  const withOriginal = (f: PartitionedKkt): PartitionedKkt => ({ ...f, original });
  const fromPolish = (p: Polished): Point => unscalePoint(sc, { z: p.z, lam: p.lam, nu: p.nu, slack: p.slack });
  const polishing = opts.polish ? polishFinish(se, el, sc, opts.accept) : null;
  const finish = polishing?.finish;
  const cached = { cache: polishing?.cache };
  if (polishing && (direct !== 'gave up' || reshapes(sc))) {
    const scaled = activeSet(sc, se, polishing.cache, warm);
    if (typeof scaled !== 'string') return scaled;
  }
  const certify = (kind: 'infeasible' | 'unbounded', x: Float64Array, lam: Float64Array, nu: Float64Array) =>
    kind === 'unbounded'
      ? certifiesUnbounded(
          el,
          x.map((v, i) => sc.d[i]! * v),
        )
      : certifiesInfeasible(
          el,
          lam.map((v, i) => sc.e[i]! * v),
          nu.map((v, i) => sc.f[i]! * v),
        );
  // Without the polish the derivative is taken at the final iterate, where D = λ/s is off its
  // 0/∞ limits by the final complementarity: one more decade of it is worth an iteration.
  const ipmTol = opts.polish ? opts.tol : opts.tol / 10;
  const key = `${se.n},${se.m},${se.k}`;
  let work = cache.get(key);
  if (!work) cache.set(key, (work = ipmWorkspace(se)));
  const r = interiorPoint(se, { tol: ipmTol, maxIter: opts.maxIter, warm, finish, certify }, work);
  const it = r.iterations;
  if (r.status === 'infeasible' || r.status === 'unbounded') {
    const zeros = { z: new Float64Array(el.n), lam: new Float64Array(el.m), nu: new Float64Array(el.k), slack: new Float64Array(el.m) };
    return done(r.status, it, zeros, null, 'none', Infinity);
  }

  // The candidates in order of preference: the polish (exact on its active set), then — the
  // degenerate path — the polish on the other natural guesses of the active set, and only then
  // the interior point's own iterate (whose accuracy degrades near a degenerate vertex).
  const iterate = unscalePoint(sc, { z: r.x, lam: r.lam, nu: r.nu, slack: r.s });
  const iterateError = check(iterate);
  const p0 = polishing?.polished() ?? (opts.polish ? polish(se, r.lam, r.s, Infinity, undefined, cached) : null);
  if (p0) {
    const pt = fromPolish(p0);
    const err = check(pt);
    // A polished point that passes is preferred to the iterate even when the iterate's residual
    // is smaller: near a degenerate vertex an interior iterate with a tiny KKT residual can sit
    // √residual away from the solution, the polished one is exact on its active set.
    if (err <= opts.accept) {
      return done('converged', it, pt, { kind: 'active', factor: withOriginal(p0.factor) }, 'polish', err);
    }
  }
  if (opts.polish && !(p0 && check(fromPolish(p0)) <= opts.accept)) {
    for (const guess of activeSetGuesses(se, r.lam, r.s).slice(1)) {
      const p = polish(se, r.lam, r.s, Infinity, guess, cached);
      if (!p) continue;
      const pt = fromPolish(p);
      const err = check(pt);
      if (err <= opts.accept)
        return done('converged', it, pt, { kind: 'active', factor: withOriginal(p.factor) }, 'degenerate-polish', err);
    }
  }
  if (r.status === 'converged' && iterateError <= opts.accept) {
    const f = factorPartitioned(se, r.lam, r.s, false);
    if (f) return done('converged', it, iterate, { kind: 'interior', factor: withOriginal(f) }, 'interior', iterateError);
  }
  const status: SolveStatus = r.status === 'converged' ? 'failed' : r.status;
  return done(status, it, iterate, null, 'none', iterateError);
}

/** The per-element residual reported in `info.residual` (absolute, on the original data). */
export function absoluteResidual(el: QpElement, s: ElementSolution): number {
  return s.absolute ?? kktResidual(el, s.z, s.lam, s.nu, s.slack);
}

/**
 * Guesses of the active set at a stalled iterate (scaled data, so slacks and multipliers are
 * comparable with 1): {sᵢ small} keeps weakly active rows, {λᵢ not small} drops them.
 */
export function activeSetGuesses(se: QpElement, lam: Float64Array, s: Float64Array): boolean[][] {
  const m = se.m;
  if (m === 0) return [];
  let lMax = 0;
  let sMax = 0;
  for (let i = 0; i < m; i++) {
    lMax = Math.max(lMax, lam[i]!);
    sMax = Math.max(sMax, s[i]!);
  }
  const guesses: boolean[][] = [];
  const seen = new Set<string>();
  const add = (g: boolean[]) => {
    const key = g.map(Number).join('');
    if (!seen.has(key)) {
      seen.add(key);
      guesses.push(g);
    }
  };
  add(Array.from(lam, (l, i) => l > s[i]!));
  for (const t of [1e-6, 1e-4, 1e-2]) {
    add(Array.from(s, (v) => v <= t * (1 + sMax)));
    add(Array.from(lam, (l) => l >= t * (1 + lMax)));
  }
  return guesses;
}

/** Whether a scaling moves some row, column or the objective by more than 16×. */
function reshapes(sc: Scaling): boolean {
  const far = (v: number) => v > 16 || v < 1 / 16;
  return far(sc.c) || sc.d.some(far) || sc.e.some(far) || sc.f.some(far);
}

export function keptRows(el: QpElement): Int32Array | null {
  const huge = hugeThreshold(el);
  const kept: number[] = [];
  for (let i = 0; i < el.m; i++) if (el.h[i]! < huge) kept.push(i);
  return kept.length === el.m ? null : Int32Array.from(kept);
}

export function pickRows(el: QpElement, rows: Int32Array): QpElement {
  const { n } = el;
  const G = new Float64Array(rows.length * n);
  rows.forEach((i, r) => G.set(el.G.subarray(i * n, (i + 1) * n), r * n));
  return { ...el, m: rows.length, G, h: Float64Array.from(rows, (i) => el.h[i]!) };
}

function pickWarm(w: WarmPoint, rows: Int32Array): WarmPoint {
  return {
    ...(w.z ? { z: w.z } : {}),
    ...(w.nu ? { nu: w.nu } : {}),
    ...(w.lam ? { lam: Float64Array.from(rows, (i) => w.lam![i]!) } : {}),
    ...(w.slack ? { slack: Float64Array.from(rows, (i) => w.slack![i]!) } : {}),
  };
}

/** A solution of the row-reduced problem as one of the full problem (λ = 0, s = h − Gz on dropped rows). */
export function expand(full: QpElement, rows: Int32Array, pt: Point): Point {
  const gz = new Float64Array(full.m);
  matVec(full.m, full.n, full.G, pt.z, gz);
  const lam = new Float64Array(full.m);
  const slack = full.h.map((h, i) => h - gz[i]!);
  rows.forEach((i, r) => {
    lam[i] = pt.lam[r]!;
    slack[i] = pt.slack[r]!;
  });
  return { z: pt.z, lam, nu: pt.nu, slack };
}

/** Whether z satisfies the rows a reduced solve dropped (each against its own scale). */
export function satisfiesDropped(full: QpElement, z: Float64Array, accept: number): boolean {
  const { n, m, G, h } = full;
  const huge = hugeThreshold(full);
  for (let i = 0; i < m; i++) {
    if (h[i]! < huge) continue;
    let v = 0;
    let a = 0;
    for (let j = 0; j < n; j++) {
      v += G[i * n + j]! * z[j]!;
      a += Math.abs(G[i * n + j]! * z[j]!);
    }
    if (v - h[i]! > accept * (a + h[i]!)) return false;
  }
  return true;
}

export type { Scaling };
