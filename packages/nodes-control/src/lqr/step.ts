import {
  add,
  broadcastTo,
  concat,
  expandDims,
  index,
  matmul,
  matrixTranspose,
  mul,
  neg,
  slice,
  solve,
  stack,
  zeros,
  type Tensor,
} from '@argmin/autodiff';
import type { SolverStep } from '@argmin/autodiff/extend';
import type { LqrOptions } from './node.js';
import { LQR_RANKS, type LqrParams, type LqrSolution } from './problem.js';

/**
 * The LQR solver written with differentiable ops, for the 'unroll' strategy: one update is the
 * whole Riccati recursion and rollout (it ignores the state, so the second update changes
 * nothing and the unrolled solve stops). Backpropagating through it differentiates the solver
 * itself, an independent check of the closed-form VJP. Works on batched and shared parameters
 * alike: time is indexed from the end of each shape and the matrix ops broadcast the batch.
 */
export const lqrStep: SolverStep<LqrParams, LqrSolution, LqrOptions> = {
  defaultSteps: 2,
  init(params, { warmStart }) {
    const { lead, T, ns, nc } = sizesOf(params);
    return {
      x: warmStart?.x ?? zeros([...lead, T, ns]),
      u: warmStart?.u ?? zeros([...lead, T, nc]),
    };
  },
  update: (params) => riccatiOps(params),
};

function sizesOf(p: LqrParams): { lead: number[]; T: number; ns: number; nc: number } {
  let lead: number[] = [];
  for (const [k, rank] of Object.entries(LQR_RANKS)) {
    const t = (p as Record<string, Tensor | undefined>)[k];
    if (t && t.ndim === rank + 1) lead = [t.shape[0]!];
  }
  const n = p.C.shape[p.C.ndim - 1]!;
  const ns = p.x0.shape[p.x0.ndim - 1]!;
  return { lead, T: p.C.shape[p.C.ndim - 3]!, ns, nc: n - ns };
}

/** Rows r0..r1 and columns c0..c1 of every matrix in a batch `[..., m, n]`. */
export function block(x: Tensor, r0: number, r1: number, c0: number, c1: number): Tensor {
  const lead = x.shape.slice(0, -2);
  return slice(x, [...lead.map(() => 0), r0, c0], [...lead, r1, c1]);
}

/** Entries a..b of the last axis. */
export function part(x: Tensor, a: number, b: number): Tensor {
  const lead = x.shape.slice(0, -1);
  return slice(x, [...lead.map(() => 0), a], [...lead, b]);
}

/** M v for matrices `[..., m, n]` and vectors `[..., n]`. */
export function matvec(M: Tensor, v: Tensor): Tensor {
  return index(matmul(M, expandDims(v, -1)), 0, -1);
}

/** The Riccati recursion and rollout of the module comment, as ops. */
export function riccatiOps(p: LqrParams): LqrSolution {
  const { lead, T, ns } = sizesOf(p);
  const n = p.C.shape[p.C.ndim - 1]!;
  const gains: { K: Tensor; k: Tensor }[] = new Array(T);
  let V: Tensor | null = null;
  let v: Tensor | null = null;
  for (let t = T - 1; t >= 0; t--) {
    const Ct = index(p.C, t, -3);
    let Q = mul(add(Ct, matrixTranspose(Ct)), 0.5);
    let q = index(p.c, t, -2);
    if (V && v) {
      const Ft = index(p.F, t, -3);
      const FtT = matrixTranspose(Ft);
      Q = add(Q, matmul(FtT, matmul(V, Ft)));
      const Vf = p.f ? add(matvec(V, index(p.f, t, -2)), v) : v;
      q = add(q, matvec(FtT, Vf));
    }
    const Quu = block(Q, ns, n, ns, n);
    const Qux = block(Q, ns, n, 0, ns);
    const Qxu = block(Q, 0, ns, ns, n);
    const K = neg(solve(Quu, Qux));
    const k = neg(index(solve(Quu, expandDims(part(q, ns, n), -1)), 0, -1));
    gains[t] = { K, k };
    V = add(block(Q, 0, ns, 0, ns), matmul(Qxu, K));
    V = mul(add(V, matrixTranspose(V)), 0.5);
    v = add(part(q, 0, ns), matvec(Qxu, k));
  }
  const xs: Tensor[] = [];
  const us: Tensor[] = [];
  // Every step of a batched call has the batch axis, even where x0 is shared.
  let x = p.x0.ndim === 1 && lead.length ? broadcastTo(p.x0, [...lead, ns]) : p.x0;
  for (let t = 0; t < T; t++) {
    const { K, k } = gains[t]!;
    const u = add(matvec(K, x), k);
    xs.push(x);
    us.push(u);
    if (t < T - 1) {
      const next = matvec(index(p.F, t, -3), concat([x, u], -1));
      x = p.f ? add(next, index(p.f, t, -2)) : next;
    }
  }
  return { x: stack(xs, -2), u: stack(us, -2) };
}
