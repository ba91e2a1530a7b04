import {
  Tensor,
  add,
  broadcastTo,
  concat,
  expandDims,
  eye,
  index,
  matmul,
  matrixTranspose,
  maximum,
  minimum,
  mul,
  neg,
  solve,
  stack,
  sub,
  vjp,
  zeros,
} from '@argmin/autodiff';
import type { SolverStep } from '@argmin/autodiff/extend';
import type { DynamicsModel } from '../dynamics/model.js';
import { block, matvec, part } from '../lqr/step.js';
import { DdpContext } from './ddp.js';
import { MPC_RANKS, type MpcOptions, type MpcParams, type MpcSolution } from './problem.js';

/**
 * One box-DDP iteration written with differentiable ops, for the 'unroll' strategy. Its
 * discrete decisions — which controls each step's box QP clamps (and at which bound) and the
 * line search's step size — are taken by the numeric solver at the current iterate and held
 * fixed; everything else (linearization, Riccati pass with the clamped controls eliminated,
 * clamped rollout through the true dynamics) is ops, so gradients flow to C, c, x0, the
 * bounds and the dynamics. With linear dynamics the step lands on the QP's solution once the
 * active set is right, so the unrolled gradient equals the implicit one.
 */
export const mpcStep: SolverStep<MpcParams, MpcSolution, MpcOptions> = {
  defaultSteps: 15,
  init(params, options) {
    const { lead, T, nc } = sizesOf(params);
    const warm = options.warmStart?.u;
    let u = warm ? (warm.ndim === 2 && lead.length ? broadcastTo(warm, [...lead, T, nc]) : warm) : zeros([...lead, T, nc]);
    if (params.uLower) u = maximum(u, params.uLower);
    if (params.uUpper) u = minimum(u, params.uUpper);
    const batchedU = lead.length ? u : expandDims(u, 0);
    const xs = rolloutOps(params, options, batchedU);
    return { x: lead.length ? xs : index(xs, 0, 0), u };
  },
  update(params, state, options) {
    const unbatched = state.x.ndim === 2;
    const x = unbatched ? expandDims(state.x, 0) : state.x;
    const u = unbatched ? expandDims(state.u, 0) : state.u;
    const next = replay(params, options, x, u, plan(params, options, x, u));
    return unbatched ? { x: index(next.x, 0, 0), u: index(next.u, 0, 0) } : next;
  },
};

function sizesOf(p: MpcParams): { lead: number[]; T: number; ns: number; nc: number } {
  let lead: number[] = [];
  for (const [k, rank] of Object.entries(MPC_RANKS)) {
    const t = (p as Record<string, Tensor | undefined>)[k];
    if (t && t.ndim === rank + 1) lead = [t.shape[0]!];
  }
  const n = p.C.shape[p.C.ndim - 1]!;
  const ns = p.x0.shape[p.x0.ndim - 1]!;
  return { lead, T: p.C.shape[p.C.ndim - 3]!, ns, nc: n - ns };
}

/** The numeric iteration's decisions at (x, u) [B,T,·]: free and bound-side masks [B,T,nc], step sizes [B]. */
interface Plan {
  readonly free: Float64Array;
  readonly lower: Float64Array;
  readonly upper: Float64Array;
  readonly alpha: Float64Array;
}

function plan(params: MpcParams, options: MpcOptions & { tol?: number }, x: Tensor, u: Tensor): Plan {
  const ctx = new DdpContext(params, options);
  const { T, ns, nc } = ctx.sizes;
  const B = x.shape[0]!;
  const xd = Float64Array.from(x.data);
  const ud = Float64Array.from(u.data);
  const all = Array.from({ length: B }, (_, b) => b);
  ctx.dyn.linearize(all, xd, ud);
  const lam = new Float64Array(B * T * ns);
  const free = new Float64Array(B * T * nc).fill(1);
  const lower = new Float64Array(B * T * nc);
  const upper = new Float64Array(B * T * nc);
  const alpha = new Float64Array(B).fill(1);
  const policies = new Map();
  const searching: number[] = [];
  for (const b of all) {
    const converged = ctx.projectedGradient(b, xd, ud, lam) <= (options.tol ?? 1e-12);
    const policy = ctx.backward(b, xd, ud);
    if (!policy) continue;
    for (let i = 0; i < T * nc; i++) {
      if (policy.free[i]) continue;
      const o = b * T * nc + i;
      const k = policy.k[i]!;
      const toLo = Math.abs(k - (ctx.bounds.lo(b, i) - ud[o]!));
      const toHi = Math.abs(k - (ctx.bounds.hi(b, i) - ud[o]!));
      free[o] = 0;
      if (toLo <= toHi) lower[o] = 1;
      else upper[o] = 1;
    }
    policies.set(b, policy);
    if (!converged) searching.push(b);
  }
  const cost = all.map((b) => ctx.cost(b, xd, ud));
  const moved = ctx.search(searching, policies, Float64Array.from(xd), Float64Array.from(ud), cost);
  for (const b of searching) alpha[b] = moved.get(b) ?? 0;
  return { free, lower, upper, alpha };
}

/** The iteration of the module comment as ops, on batched x [B,T,ns], u [B,T,nc]. */
function replay(params: MpcParams, options: MpcOptions, x: Tensor, u: Tensor, p: Plan): MpcSolution {
  const [B, T, ns] = x.shape as [number, number, number];
  const nc = u.shape[2]!;
  const n = ns + nc;
  const mask = (a: Float64Array, t: number) => new Tensor(sliceTime(a, B, T, nc, t), [B, nc]);
  const gains: { K: Tensor; k: Tensor }[] = new Array(T);
  let V: Tensor | null = null;
  let v: Tensor | null = null;
  for (let t = T - 1; t >= 0; t--) {
    const xt = index(x, t, -2);
    const ut = index(u, t, -2);
    const Ct = index(params.C, t, -3);
    let Q = mul(add(Ct, matrixTranspose(Ct)), 0.5);
    let q = add(matvec(Q, concat([xt, ut], -1)), index(params.c, t, -2));
    if (V && v) {
      const G = jacobian(params, options.dynamics, xt, ut, t);
      const GT = matrixTranspose(G);
      Q = add(Q, matmul(GT, matmul(V, G)));
      q = add(q, matvec(GT, v));
    }
    const [Quu, Qux, Qxu, Qxx] = [block(Q, ns, n, ns, n), block(Q, ns, n, 0, ns), block(Q, 0, ns, ns, n), block(Q, 0, ns, 0, ns)];
    const [qu, qx] = [part(q, ns, n), part(q, 0, ns)];
    const free = mask(p.free, t);
    // Clamped controls step onto their bound; the free ones solve the QP with those fixed.
    let clamped: Tensor = zeros([B, nc]);
    if (params.uLower) clamped = add(clamped, mul(mask(p.lower, t), sub(index(params.uLower, t, -2), ut)));
    if (params.uUpper) clamped = add(clamped, mul(mask(p.upper, t), sub(index(params.uUpper, t, -2), ut)));
    const reduced = add(mul(Quu, mul(expandDims(free, -1), expandDims(free, -2))), mul(expandDims(sub(1, free), -1), eye(nc)));
    const rhs = neg(mul(free, add(qu, matvec(Quu, clamped))));
    const k = add(index(solve(reduced, expandDims(rhs, -1)), 0, -1), clamped);
    const K = neg(solve(reduced, mul(expandDims(free, -1), Qux)));
    gains[t] = { K, k };
    const KT = matrixTranspose(K);
    V = add(add(Qxx, matmul(Qxu, K)), add(matmul(KT, Qux), matmul(KT, matmul(Quu, K))));
    V = mul(add(V, matrixTranspose(V)), 0.5);
    v = add(add(qx, matvec(Qxu, k)), add(matvec(KT, qu), matvec(KT, matvec(Quu, k))));
  }
  const alpha = new Tensor(Float64Array.from(p.alpha), [B, 1]);
  const xs: Tensor[] = [];
  const us: Tensor[] = [];
  let xh = params.x0.ndim === 1 ? broadcastTo(params.x0, [B, ns]) : params.x0;
  for (let t = 0; t < T; t++) {
    const { K, k } = gains[t]!;
    let uh = add(add(index(u, t, -2), matvec(K, sub(xh, index(x, t, -2)))), mul(alpha, k));
    if (params.uLower) uh = maximum(uh, index(params.uLower, t, -2));
    if (params.uUpper) uh = minimum(uh, index(params.uUpper, t, -2));
    xs.push(xh);
    us.push(uh);
    if (t < T - 1) xh = nextOps(params, options.dynamics, xh, uh, t);
  }
  return { x: stack(xs, -2), u: stack(us, -2) };
}

/** The dynamics as ops on rows [B, ·] at step t. */
function nextOps(params: MpcParams, model: DynamicsModel | undefined, xt: Tensor, ut: Tensor, t: number): Tensor {
  if (params.F) {
    const next = matvec(index(params.F, t, -3), concat([xt, ut], -1));
    return params.f ? add(next, index(params.f, t, -2)) : next;
  }
  return model!.step(xt, ut, params.theta ?? zeros([0]));
}

/** ∂x_{t+1}/∂τ_t [B, ns, n] as ops (for a model: one pullback per state, differentiable again). */
function jacobian(params: MpcParams, model: DynamicsModel | undefined, xt: Tensor, ut: Tensor, t: number): Tensor {
  if (params.F) return index(params.F, t, -3);
  const [B, ns] = xt.shape as [number, number];
  const { pullback } = vjp((xx: Tensor, uu: Tensor) => model!.step(xx, uu, params.theta ?? zeros([0])), xt, ut);
  const rows: Tensor[] = [];
  for (let i = 0; i < ns; i++) {
    const e = new Float64Array(B * ns);
    for (let b = 0; b < B; b++) e[b * ns + i] = 1;
    const [gx, gu] = pullback(new Tensor(e, [B, ns])) as [Tensor, Tensor];
    rows.push(concat([gx, gu], -1));
  }
  return stack(rows, -2);
}

/** x_{t+1} = g(x_t, u_t) from x0 as ops, for batched u [B, T, nc]. */
function rolloutOps(params: MpcParams, options: MpcOptions, u: Tensor): Tensor {
  const [B, T] = u.shape as [number, number];
  const ns = params.x0.shape[params.x0.ndim - 1]!;
  let x = params.x0.ndim === 1 ? broadcastTo(params.x0, [B, ns]) : params.x0;
  const xs = [x];
  for (let t = 0; t < T - 1; t++) xs.push((x = nextOps(params, options.dynamics, x, index(u, t, -2), t)));
  return stack(xs, -2);
}

function sliceTime(a: Float64Array, B: number, T: number, nc: number, t: number): Float64Array {
  const out = new Float64Array(B * nc);
  for (let b = 0; b < B; b++) for (let i = 0; i < nc; i++) out[b * nc + i] = a[(b * T + t) * nc + i]!;
  return out;
}
