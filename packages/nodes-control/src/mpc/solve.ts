import { Tensor, type SolveInfo, type SolveStatus } from '@argmin/autodiff';
import { RiccatiFactors, RiccatiWorkspace, costates, riccatiBackward, type LqrArrays } from '../lqr/riccati.js';
import { symmetricBlocks } from '../lqr/solve.js';
import { strideOf } from '../shared/shapes.js';
import { BoxQp } from './box-qp.js';
import { numericDynamics, type NumericDynamics } from './dynamics-eval.js';
import { lineSearch, trajectoryCost, type Bounds } from './line-search.js';
import { mpcSizes, type MpcOptions, type MpcParams, type MpcSizes, type MpcSolution } from './problem.js';

/** What the MPC forward keeps for its VJP: costates and dynamics Jacobians at the solution. */
export interface MpcSaved {
  readonly sizes: MpcSizes;
  readonly Csym: Float64Array;
  readonly dyn: NumericDynamics;
  /** Costates λ [B, T, ns] at the solution. */
  readonly lam: Float64Array;
  readonly bounds: Bounds;
}

type Controls = MpcOptions & { tol?: number; maxIter?: number; warmStart?: Partial<MpcSolution> };

/**
 * Box-DDP (Tassa et al. 2014; mpc.pytorch's box-constrained iLQR): at each iteration, linearize
 * the dynamics along the current trajectory, run the Riccati backward pass in the deltas with a
 * box QP for each step's control (its clamped controls get no feedback), then roll the new
 * policy through the true dynamics with a backtracking line search on the true cost. Stops per
 * batch element when the projected gradient of the cost in the controls (from the costates) is
 * below `tol`. Elements iterate in lockstep so model dynamics run once per step for all rows.
 */
export function solveMpc(params: MpcParams, options: Controls): { solution: MpcSolution; info: SolveInfo; saved: MpcSaved } {
  const sizes = mpcSizes(params);
  const { T, ns, nc, n } = sizes;
  const B = sizes.batch ?? 1;
  const tol = options.tol ?? 1e-10;
  const maxIter = options.maxIter ?? 100;
  const Csym = symmetricBlocks(params.C, n);
  const sC = strideOf(params.C, 3);
  const sc = strideOf(params.c, 2);
  const dyn = numericDynamics(params, options.dynamics, B, T, ns, nc);
  const bounds = boundsOf(params, B, T, nc);

  const x = new Float64Array(B * T * ns);
  const u = initialControls(options.warmStart?.u, B, T, nc, bounds);
  const all = Array.from({ length: B }, (_, b) => b);
  rollout(dyn, params.x0, all, u, x, T, ns, nc);
  const cost = all.map((b) => trajectoryCost(Csym, b * sC, params.c.data, b * sc, x, u, b, T, ns, nc));

  const ws = new RiccatiWorkspace(T, ns, nc);
  const fac = new RiccatiFactors(T, ns, nc);
  const qp = new BoxQp(nc);
  const q = new Float64Array(T * n);
  const lam = new Float64Array(B * T * ns);
  const grad = new Float64Array(T * nc);
  const status: SolveStatus[] = new Array(B).fill('max_iter');
  const iterations = new Array<number>(B).fill(0);
  const residual = new Array<number>(B).fill(Infinity);
  const history: number[][] = all.map(() => []);
  const kPrev = new Float64Array(B * T * nc);
  let active = all;

  for (let it = 0; active.length > 0; it++) {
    dyn.linearize(active, x, u);
    const stepping: number[] = [];
    const policies = new Map<number, RiccatiFactors>();
    for (const b of active) {
      const arrays: LqrArrays = { C: Csym, cOff: b * sC, q: params.c.data, qOff: b * sc, F: dyn.G.data, FOff: b * dyn.G.stride, f: null, fOff: 0 };
      costates(T, ns, nc, arrays, x, b * T * ns, u, b * T * nc, lam, b * T * ns, grad, 0);
      const pg = projectedGradient(u, b * T * nc, grad, bounds, b, T * nc);
      residual[b] = pg;
      history[b]!.push(pg);
      if (pg <= tol) {
        status[b] = 'converged';
        continue;
      }
      if (it >= maxIter) continue;
      // Backward pass in the deltas: q_t = C_t τ_t + c_t, box δu ∈ [lo − u_t, hi − u_t].
      deltaCost(Csym, b * sC, params.c.data, b * sc, x, u, b, T, ns, nc, q);
      const lo = new Float64Array(T * nc);
      const hi = new Float64Array(T * nc);
      for (let i = 0; i < T * nc; i++) {
        lo[i] = bounds.lo(b, i) - u[b * T * nc + i]!;
        hi[i] = bounds.hi(b, i) - u[b * T * nc + i]!;
      }
      const policy = new RiccatiFactors(T, ns, nc);
      policy.k.set(kPrev.subarray(b * T * nc, (b + 1) * T * nc));
      const failed = riccatiBackward(ws, policy, { ...arrays, q, qOff: 0 }, 'box',
        (t, H, g, k, kOff, free, freeOff) => qp.solve(H, g, lo, hi, t * nc, k, kOff, free, freeOff));
      if (failed >= 0) {
        status[b] = 'unbounded';
        continue;
      }
      kPrev.set(policy.k, b * T * nc);
      policies.set(b, policy);
      stepping.push(b);
      iterations[b] = it + 1;
    }
    void fac;
    const moved = lineSearch({ dyn, params, Csym, sC, sc, bounds, x, u, cost, T, ns, nc, decay: options.linesearchDecay ?? 0.2, maxTries: options.maxLinesearch ?? 10 }, stepping, policies);
    // An element whose line search found no decrease cannot make progress: stop it.
    active = stepping.filter((b) => moved.has(b));
    for (const b of stepping) if (!moved.has(b)) status[b] = residual[b]! <= Math.sqrt(tol) ? 'converged' : 'failed';
  }

  const lead = sizes.batch === null ? [] : [B];
  return {
    solution: { x: new Tensor(x, [...lead, T, ns]), u: new Tensor(u, [...lead, T, nc]) },
    info: { status, iterations, residual, history },
    saved: { sizes, Csym, dyn, lam, bounds },
  };
}

/** ‖u − clamp(u − ∇_u J, lo, hi)‖∞ over one element's T·nc controls. */
function projectedGradient(u: Float64Array, uOff: number, grad: Float64Array, bounds: Bounds, b: number, m: number): number {
  let r = 0;
  for (let i = 0; i < m; i++) {
    const ui = u[uOff + i]!;
    const p = Math.min(Math.max(ui - grad[i]!, bounds.lo(b, i)), bounds.hi(b, i));
    r = Math.max(r, Math.abs(ui - p));
  }
  return r;
}

/** q_t = C_t τ_t + c_t, the cost gradient along element b's trajectory, into q [T, n]. */
function deltaCost(C: Float64Array, cOff: number, c: Float64Array, cLin: number, x: Float64Array, u: Float64Array, b: number, T: number, ns: number, nc: number, q: Float64Array): void {
  const n = ns + nc;
  for (let t = 0; t < T; t++) {
    for (let i = 0; i < n; i++) {
      let s = c[cLin + t * n + i]!;
      const row = cOff + t * n * n + i * n;
      for (let j = 0; j < ns; j++) s += C[row + j]! * x[(b * T + t) * ns + j]!;
      for (let a = 0; a < nc; a++) s += C[row + ns + a]! * u[(b * T + t) * nc + a]!;
      q[t * n + i] = s;
    }
  }
}

/** Element-wise accessors of the (optional, possibly shared) control bounds. */
function boundsOf(p: MpcParams, B: number, T: number, nc: number): Bounds {
  const lo = p.uLower;
  const hi = p.uUpper;
  const sl = lo ? strideOf(lo, 2) : 0;
  const sh = hi ? strideOf(hi, 2) : 0;
  return {
    lo: lo ? (b, i) => lo.data[b * sl + i]! : () => -Infinity,
    hi: hi ? (b, i) => hi.data[b * sh + i]! : () => Infinity,
    size: B * T * nc,
  };
}

function initialControls(warm: Tensor | undefined, B: number, T: number, nc: number, bounds: Bounds): Float64Array {
  const u = new Float64Array(B * T * nc);
  if (warm) {
    if (warm.size !== T * nc && warm.size !== B * T * nc) {
      throw new RangeError(`control.mpc: warmStart.u must have shape [T,nc] or [B,T,nc] = [${B},${T},${nc}], got [${warm.shape.join(',')}]`);
    }
    for (let b = 0; b < B; b++) u.set(warm.size === T * nc ? warm.data : warm.data.subarray(b * T * nc, (b + 1) * T * nc), b * T * nc);
  }
  for (let b = 0; b < B; b++) {
    for (let i = 0; i < T * nc; i++) u[b * T * nc + i] = Math.min(Math.max(u[b * T * nc + i]!, bounds.lo(b, i)), bounds.hi(b, i));
  }
  return u;
}

/** x_0 = x0, x_{t+1} = g(x_t, u_t) for the listed elements, into x [B, T, ns]. */
export function rollout(dyn: NumericDynamics, x0: Tensor, elems: readonly number[], u: Float64Array, x: Float64Array, T: number, ns: number, nc: number): void {
  const E = elems.length;
  const s0 = strideOf(x0, 1);
  const xt = new Float64Array(E * ns);
  const ut = new Float64Array(E * nc);
  const next = new Float64Array(E * ns);
  elems.forEach((b, e) => {
    for (let i = 0; i < ns; i++) x[b * T * ns + i] = x0.data[b * s0 + i]!;
  });
  for (let t = 0; t < T - 1; t++) {
    elems.forEach((b, e) => {
      xt.set(x.subarray((b * T + t) * ns, (b * T + t + 1) * ns), e * ns);
      ut.set(u.subarray((b * T + t) * nc, (b * T + t + 1) * nc), e * nc);
    });
    dyn.next(t, elems, xt, ut, next);
    elems.forEach((b, e) => x.set(next.subarray(e * ns, (e + 1) * ns), (b * T + t + 1) * ns));
  }
}
