import {
  Tensor,
  add,
  log,
  maximum,
  minimum,
  mul,
  sigmoid,
  sub,
  type NodeCallOptions,
  type NodeOutput,
  type SolveStatus,
} from '@argmin/autodiff';
import { defineNode } from '@argmin/autodiff/extend';
import { rowChange, runLayer } from './last-axis.js';

type P = { x: Tensor };
type S = { y: Tensor };

const STEP = 0.5;
const logistic = (z: number) => (z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z)));
// A warm start on the boundary (0 or 1) is taken just inside it: its logit would be infinite
// and the iteration would stand still there, looking converged.
const logit = (y: number) => {
  const v = Math.min(Math.max(y, Number.MIN_VALUE), 1 - Number.EPSILON / 2);
  return Math.log(v) - Math.log1p(-v);
};

/**
 * The sigmoid as an argmin: y = argmin −yᵀx − H_b(y) s.t. 0 ≤ y ≤ 1, with H_b the binary
 * entropy. Solved by mirror descent (a damped fixed-point iteration in logit coordinates, which
 * keeps the iterate strictly inside the box); optimality is stationarity, logit(y) − x = 0.
 * The implicit VJP uses the closed form ∂y/∂x = y(1 − y), which stays exact where y saturates
 * to 0 or 1 in floating point (there the logit, and so the generic VJP, would overflow).
 */
export const sigmoidNode = defineNode<P, S>({
  name: 'convex.sigmoid',
  signature: { params: { x: '(n)' }, solution: { y: '(n)' } },
  options: {},
  solve({ x }, { tol = 1e-14, maxIter = 200, warmStart }) {
    const rows = x.ndim === 2 ? x.shape[0]! : 1;
    const z = warmStart?.y ? Float64Array.from(warmStart.y.data, logit) : new Float64Array(x.size);
    let y: Float64Array = Float64Array.from(z, logistic);
    const iterations = new Array<number>(rows).fill(0);
    let change: Float64Array = new Float64Array(rows).fill(Infinity);
    const n = x.size / rows;
    for (let k = 0; k < maxIter && change.some((c) => c > tol); k++) {
      const prev = Float64Array.from(z);
      for (let i = 0; i < z.length; i++) z[i] = (1 - STEP) * z[i]! + STEP * x.data[i]!;
      const next = Float64Array.from(z, logistic);
      const moved = rowChange(y, next, rows);
      // The change of y is no measure where σ is flat (a warm start at 0 or 1 barely moves y
      // while z is far from x). With step ½, |z − x| = |Δz| after the step, so the error of y
      // is at most |Δz| times the largest σ' between z and x: that bound is the test.
      change = errorBound(prev, z, x.data, rows, n);
      moved.forEach((c, r) => c > 0 && iterations[r]!++);
      y = next;
    }
    const status: SolveStatus[] = Array.from(change, (c) => (c <= tol ? 'converged' : 'max_iter'));
    return { solution: { y: new Tensor(y, x.shape) }, info: { status, iterations, residual: Array.from(change) } };
  },
  optimality({ x }, { y }) {
    return sub(sub(log(y), log(sub(1, y))), x);
  },
  vjp(_params, { solution: { y } }, { y: yBar }) {
    if (!yBar) return { x: null };
    return {
      x: new Tensor(
        yBar.data.map((g, i) => g * y.data[i]! * (1 - y.data[i]!)),
        y.shape,
      ),
    };
  },
  step: {
    defaultSteps: 80,
    init: ({ x }, { warmStart }) => ({ y: warmStart?.y ?? new Tensor(new Float64Array(x.size).fill(0.5), x.shape) }),
    update: ({ x }, { y }) => {
      // Keep the iterate strictly inside (0, 1) before taking its logit: σ saturates to 0 or 1
      // in floating point for |z| ≳ 37, where the logit would be infinite.
      const inside = minimum(maximum(y, Number.MIN_VALUE), 1 - Number.EPSILON / 2);
      return { y: sigmoid(add(mul(sub(log(inside), log(sub(1, inside))), 1 - STEP), mul(x, STEP))) };
    },
  },
});

/** Per row, max over entries of |Δz|·max σ' on the segment from z to x (σ' ≤ ¼, at 0). */
function errorBound(prev: Float64Array, z: Float64Array, x: Float64Array, rows: number, n: number): Float64Array {
  const out = new Float64Array(rows);
  const slope = (t: number) => {
    const e = Math.exp(-Math.abs(t));
    return e / ((1 + e) * (1 + e));
  };
  for (let r = 0; r < rows; r++) {
    let worst = 0;
    for (let i = r * n; i < (r + 1) * n; i++) {
      const dz = Math.abs(z[i]! - prev[i]!);
      const crosses = (z[i]! <= 0 && x[i]! >= 0) || (z[i]! >= 0 && x[i]! <= 0);
      const s = crosses ? 0.25 : Math.max(slope(z[i]!), slope(x[i]!));
      worst = Math.max(worst, Number.isNaN(dz) ? Infinity : dz * s);
    }
    out[r] = worst;
  }
  return out;
}

/**
 * The sigmoid computed as the solution of its argmin problem, elementwise: `{ y, info }`, like
 * every node, with the solver's status per row (a row that did not converge follows the gradient
 * policy, `onUnconverged`, in the backward pass).
 */
export function sigmoidLayer(params: { readonly x: Tensor }, options: NodeCallOptions<S> = {}): NodeOutput<S> {
  return runLayer(sigmoidNode, params, options);
}
