import { InvalidInputError, Tensor, type SolveInfo, type SolveStatus } from '@argmin/autodiff';
import type { RiccatiFactors } from '../lqr/riccati.js';
import { strideOf } from '../shared/shapes.js';
import { DdpContext } from './ddp.js';
import type { NumericDynamics } from './dynamics-eval.js';
import type { Bounds } from './line-search.js';
import type { MpcOptions, MpcParams, MpcSizes, MpcSolution } from './problem.js';

/** What the MPC forward keeps for its VJP: costates and dynamics Jacobians at the solution. */
export interface MpcSaved {
  readonly sizes: MpcSizes;
  readonly Csym: Float64Array;
  readonly dyn: NumericDynamics;
  /** Costates λ [B, T, ns] at the solution. */
  readonly lam: Float64Array;
  readonly bounds: Bounds;
}

export type MpcControls = MpcOptions & { tol?: number; maxIter?: number; warmStart?: Partial<MpcSolution> };

/**
 * Box-DDP (Tassa et al. 2014; mpc.pytorch's box-constrained iLQR): at each iteration, linearize
 * the dynamics along the current trajectory, run the Riccati backward pass in the deltas with a
 * box QP for each step's control (clamped controls get no feedback), then roll the new policy
 * through the true dynamics with a backtracking line search on the true cost. Stops per batch
 * element once the projected gradient of the cost in the controls (from the costates) is at
 * most `tol` (default 1e-10); 'failed' if no step size decreases the cost before that (within
 * 1e3·tol it counts as converged: the cost cannot resolve smaller steps),
 * 'unbounded' if Q_uu is not positive definite. Elements iterate in lockstep so that model
 * dynamics run once per time step for all rows.
 */
export function solveMpc(params: MpcParams, options: MpcControls): { solution: MpcSolution; info: SolveInfo; saved: MpcSaved } {
  const ctx = new DdpContext(params, options);
  const { T, ns, nc } = ctx.sizes;
  const B = ctx.B;
  const tol = options.tol ?? 1e-10;
  const maxIter = options.maxIter ?? 100;
  const x = new Float64Array(B * T * ns);
  const u = initialControls(options.warmStart?.u, B, T, nc, ctx.bounds);
  const all = Array.from({ length: B }, (_, b) => b);
  rollout(ctx.dyn, params.x0, all, u, x, T, ns, nc);
  const cost = all.map((b) => ctx.cost(b, x, u));

  const lam = new Float64Array(B * T * ns);
  const status: SolveStatus[] = new Array(B).fill('max_iter');
  const iterations = new Array<number>(B).fill(0);
  const residual = new Array<number>(B).fill(Infinity);
  const history: number[][] = all.map(() => []);
  const kPrev = new Float64Array(B * T * nc);
  let active = all;
  for (let it = 0; active.length > 0; it++) {
    ctx.dyn.linearize(active, x, u);
    const policies = new Map<number, RiccatiFactors>();
    for (const b of active) {
      const pg = (residual[b] = ctx.projectedGradient(b, x, u, lam));
      history[b]!.push(pg);
      if (pg <= tol) {
        status[b] = 'converged';
        continue;
      }
      if (it >= maxIter) continue;
      const policy = ctx.backward(b, x, u, kPrev.subarray(b * T * nc, (b + 1) * T * nc));
      if (!policy) {
        status[b] = 'unbounded';
        continue;
      }
      kPrev.set(policy.k, b * T * nc);
      policies.set(b, policy);
      iterations[b] = it + 1;
    }
    const stepping = [...policies.keys()];
    const moved = ctx.search(stepping, policies, x, u, cost);
    active = stepping.filter((b) => moved.has(b));
    // An element whose line search finds no decrease cannot make progress: it stops here,
    // converged if only roundoff stands between it and the tolerance.
    for (const b of stepping) if (!moved.has(b)) status[b] = residual[b]! <= 1e3 * tol ? 'converged' : 'failed';
  }
  const lead = ctx.sizes.batch === null ? [] : [B];
  return {
    solution: { x: new Tensor(x, [...lead, T, ns]), u: new Tensor(u, [...lead, T, nc]) },
    info: { status, iterations, residual, history },
    saved: { sizes: ctx.sizes, Csym: ctx.Csym, dyn: ctx.dyn, lam, bounds: ctx.bounds },
  };
}

/** The warm start (or zeros), per element, clamped into the box. */
export function initialControls(warm: Tensor | undefined, B: number, T: number, nc: number, bounds: Bounds): Float64Array {
  const u = new Float64Array(B * T * nc);
  if (warm) {
    if (warm.size !== T * nc && warm.size !== B * T * nc) {
      throw new InvalidInputError(
        `control.mpc: warmStart.u must have shape [T,nc] or [B,T,nc] = [${B},${T},${nc}], got [${warm.shape.join(',')}]`,
      );
    }
    for (let b = 0; b < B; b++) u.set(warm.size === T * nc ? warm.data : warm.data.subarray(b * T * nc, (b + 1) * T * nc), b * T * nc);
  }
  for (let b = 0; b < B; b++) {
    for (let i = 0; i < T * nc; i++) u[b * T * nc + i] = Math.min(Math.max(u[b * T * nc + i]!, bounds.lo(b, i)), bounds.hi(b, i));
  }
  return u;
}

/** x_0 = x0, x_{t+1} = g(x_t, u_t) for the listed elements, into x [B, T, ns]. */
export function rollout(
  dyn: NumericDynamics,
  x0: Tensor,
  elems: readonly number[],
  u: Float64Array,
  x: Float64Array,
  T: number,
  ns: number,
  nc: number,
): void {
  const E = elems.length;
  const s0 = strideOf(x0, 1);
  const xt = new Float64Array(E * ns);
  const ut = new Float64Array(E * nc);
  const next = new Float64Array(E * ns);
  for (const b of elems) for (let i = 0; i < ns; i++) x[b * T * ns + i] = x0.data[b * s0 + i]!;
  for (let t = 0; t < T - 1; t++) {
    elems.forEach((b, e) => {
      xt.set(x.subarray((b * T + t) * ns, (b * T + t + 1) * ns), e * ns);
      ut.set(u.subarray((b * T + t) * nc, (b * T + t + 1) * nc), e * nc);
    });
    dyn.next(t, elems, xt, ut, next);
    elems.forEach((b, e) => x.set(next.subarray(e * ns, (e + 1) * ns), (b * T + t + 1) * ns));
  }
}
