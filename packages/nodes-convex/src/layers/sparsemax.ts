import {
  Tensor,
  add,
  concat,
  div,
  greater,
  max,
  maximum,
  relu,
  reshape,
  sub,
  sum,
  type NodeCallOptions,
  type NodeOutput,
  type SolveStatus,
} from '@argmin/autodiff';
import { defineNode } from '@argmin/autodiff/extend';
import { runLayer } from './last-axis.js';

type P = { x: Tensor };
type S = { y: Tensor; tau: Tensor };

/**
 * Sparsemax, the Euclidean projection onto the simplex: y = argmin ½‖y − x‖² s.t. y ≥ 0,
 * 1ᵀy = 1. The solution is y = (x − τ)₊ with the threshold τ the root of Σ(x − τ)₊ = 1, found by
 * Newton's method on τ (Michelot's algorithm: it converges monotonically from τ₀ = max x − 1, in
 * at most n steps). The optimality residual [y − (x − τ)₊; 1ᵀy − 1] is square in (y, τ), and its
 * Jacobian is nonsingular because the support is never empty.
 */
export const sparsemaxNode = defineNode<P, S>({
  name: 'convex.sparsemax',
  signature: { params: { x: '(n)' }, solution: { y: '(n)', tau: '()' } },
  options: {},
  solve({ x }, { tol = 1e-14, maxIter = 1000 }) {
    const rows = x.ndim === 2 ? x.shape[0]! : 1;
    const n = x.size / rows;
    const y = new Float64Array(x.size);
    const tau = new Float64Array(rows);
    const status: SolveStatus[] = [];
    const iterations: number[] = [];
    const residual: number[] = [];
    for (let r = 0; r < rows; r++) {
      // Sparsemax is shift-invariant, so the row is solved relative to its maximum: at
      // |x| ≥ 1e16, max x − 1 rounds to max x and the support would come out empty.
      const raw = x.data.subarray(r * n, (r + 1) * n);
      let top = -Infinity;
      for (const v of raw) top = Math.max(top, v);
      const xr = raw.map((v) => v - top);
      let t = -1;
      let k = 0;
      let excess = Infinity;
      while (k < maxIter) {
        let s = 0;
        let count = 0;
        for (const v of xr) if (v > t) (s += v - t), count++;
        excess = s - 1;
        k++;
        const next = t + excess / count;
        if (!(next > t + tol * Math.max(1, Math.abs(t)))) break;
        t = next;
      }
      tau[r] = t + top;
      for (let i = 0; i < n; i++) y[r * n + i] = Math.max(xr[i]! - t, 0);
      status.push(Math.abs(excess) <= 1e-12 * n ? 'converged' : 'max_iter');
      iterations.push(k);
      residual.push(Math.abs(excess));
    }
    return {
      solution: { y: new Tensor(y, x.shape), tau: new Tensor(tau, x.ndim === 2 ? [rows] : []) },
      info: { status, iterations, residual },
    };
  },
  optimality({ x }, { y, tau }) {
    return concat([sub(y, relu(sub(x, tau))), reshape(sub(sum(y), 1), [1])], 0);
  },
  step: {
    defaultSteps: 50,
    init: ({ x }) => {
      const tau = sub(max(x, -1), 1);
      return { y: relu(sub(x, expand(tau))), tau };
    },
    update: ({ x }, { tau }) => {
      const t = expand(tau);
      const excess = sub(sum(relu(sub(x, t)), -1), 1);
      const count = maximum(sum(greater(x, t), -1), 1);
      const next = add(tau, div(excess, count));
      return { y: relu(sub(x, expand(next))), tau: next };
    },
  },
});

/** τ of shape [B] (or []) as [B, 1] (or [1]), to broadcast against x. */
function expand(tau: Tensor): Tensor {
  return reshape(tau, [...tau.shape, 1]);
}

/**
 * Sparsemax computed as the solution of its argmin problem, over the last axis of `x`: `{ y, info }`, like
 * every node, with the solver's status per row (a row that did not converge follows the gradient
 * policy, `onUnconverged`, in the backward pass).
 */
export function sparsemaxLayer(params: { readonly x: Tensor }, options: NodeCallOptions<S> = {}): NodeOutput<S> {
  return runLayer(sparsemaxNode, params, options);
}
