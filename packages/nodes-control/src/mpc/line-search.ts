import type { RiccatiFactors } from '../lqr/riccati.js';
import { strideOf } from '../shared/shapes.js';
import { clamp } from './box-qp.js';

/**
 * clamp(v, lo, hi), with values within roundoff of a bound put on it: a step onto a bound computed
 * as u + (hi − u) can land an ulp inside, and the active set must be exact for the gradient.
 */
export function clampSnapped(v: number, lo: number, hi: number): number {
  if (v - lo <= 1e-12 * Math.max(1, Math.abs(lo)) && lo > -Infinity) return lo;
  if (hi - v <= 1e-12 * Math.max(1, Math.abs(hi)) && hi < Infinity) return hi;
  return clamp(v, lo, hi);
}
import type { NumericDynamics } from './dynamics-eval.js';
import type { MpcParams } from './problem.js';

/** Control bounds of element b at flat index i = t·nc + a (±Infinity where absent). */
export interface Bounds {
  lo(b: number, i: number): number;
  hi(b: number, i: number): number;
  readonly size: number;
}

export interface LineSearchState {
  readonly dyn: NumericDynamics;
  readonly params: MpcParams;
  readonly Csym: Float64Array;
  readonly sC: number;
  readonly sc: number;
  readonly bounds: Bounds;
  /** Current trajectories [B, T, ns] and [B, T, nc], and costs [B]; updated in place on acceptance. */
  readonly x: Float64Array;
  readonly u: Float64Array;
  readonly cost: number[];
  readonly T: number;
  readonly ns: number;
  readonly nc: number;
  readonly decay: number;
  readonly maxTries: number;
}

/**
 * The forward pass of box-DDP with backtracking, for the listed elements in lockstep:
 *   û_t = clamp(u_t + K_t (x̂_t − x_t) + α k_t, lo, hi),   x̂_{t+1} = g(x̂_t, û_t),
 * trying α = 1, decay, decay², … per element until the true cost does not increase (up to a
 * roundoff allowance, so the last Newton steps near the solution are always taken). Accepted
 * trajectories replace the current ones; returns the accepted step size of each element that
 * moved.
 */
export function lineSearch(
  s: LineSearchState,
  elems: readonly number[],
  policies: ReadonlyMap<number, RiccatiFactors>,
): Map<number, number> {
  const { dyn, params, T, ns, nc, x, u, bounds } = s;
  const moved = new Map<number, number>();
  const alpha = new Map(elems.map((b) => [b, 1]));
  let searching = elems.slice();
  const s0 = strideOf(params.x0, 1);
  for (let tries = 0; tries < s.maxTries && searching.length > 0; tries++) {
    const E = searching.length;
    // Candidates, time-major [T, E, ·] so each step's rows are contiguous for the dynamics.
    const xc = new Float64Array(T * E * ns);
    const uc = new Float64Array(T * E * nc);
    searching.forEach((b, e) => xc.set(params.x0.data.subarray(b * s0, b * s0 + ns), e * ns));
    for (let t = 0; t < T; t++) {
      searching.forEach((b, e) => {
        const { K, k } = policies.get(b)!;
        const a = alpha.get(b)!;
        for (let i = 0; i < nc; i++) {
          let v = u[(b * T + t) * nc + i]! + a * k[t * nc + i]!;
          for (let j = 0; j < ns; j++) v += K[(t * nc + i) * ns + j]! * (xc[(t * E + e) * ns + j]! - x[(b * T + t) * ns + j]!);
          uc[(t * E + e) * nc + i] = clampSnapped(v, bounds.lo(b, t * nc + i), bounds.hi(b, t * nc + i));
        }
      });
      if (t < T - 1) {
        const next = xc.subarray((t + 1) * E * ns, (t + 2) * E * ns);
        dyn.next(t, searching, xc.subarray(t * E * ns, (t + 1) * E * ns), uc.subarray(t * E * nc, (t + 1) * E * nc), next);
      }
    }
    const still: number[] = [];
    searching.forEach((b, e) => {
      const xb = gather(xc, e, E, T, ns);
      const ub = gather(uc, e, E, T, nc);
      const cNew = trajectoryCost(s.Csym, b * s.sC, params.c.data, b * s.sc, xb, ub, 0, T, ns, nc);
      const cOld = s.cost[b]!;
      if (cNew <= cOld + 1e-12 * Math.max(1, Math.abs(cOld))) {
        x.set(xb, b * T * ns);
        u.set(ub, b * T * nc);
        s.cost[b] = cNew;
        moved.set(b, alpha.get(b)!);
      } else {
        alpha.set(b, alpha.get(b)! * s.decay);
        still.push(b);
      }
    });
    searching = still;
  }
  return moved;
}

/** Element e of a time-major [T, E, m] array, as [T, m]. */
function gather(a: Float64Array, e: number, E: number, T: number, m: number): Float64Array {
  const out = new Float64Array(T * m);
  for (let t = 0; t < T; t++) for (let i = 0; i < m; i++) out[t * m + i] = a[(t * E + e) * m + i]!;
  return out;
}

/** Σ_t ½ τ_tᵀ C_t τ_t + c_tᵀ τ_t of element b's trajectory (x, u at element b's blocks). */
export function trajectoryCost(
  C: Float64Array,
  cOff: number,
  c: Float64Array,
  cLin: number,
  x: Float64Array,
  u: Float64Array,
  b: number,
  T: number,
  ns: number,
  nc: number,
): number {
  const n = ns + nc;
  const tau = new Float64Array(n);
  let total = 0;
  for (let t = 0; t < T; t++) {
    for (let i = 0; i < ns; i++) tau[i] = x[(b * T + t) * ns + i]!;
    for (let a = 0; a < nc; a++) tau[ns + a] = u[(b * T + t) * nc + a]!;
    for (let i = 0; i < n; i++) {
      let s = 0;
      const row = cOff + t * n * n + i * n;
      for (let j = 0; j < n; j++) s += C[row + j]! * tau[j]!;
      total += tau[i]! * (0.5 * s + c[cLin + t * n + i]!);
    }
  }
  return total;
}
