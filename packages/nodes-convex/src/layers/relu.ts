import { Tensor, add, mul, relu, sub, zeros, type NodeCallOptions, type NodeOutput, type SolveStatus } from '@argmin/autodiff';
import { defineNode } from '@argmin/autodiff/extend';
import { rowChange, runLayer } from './last-axis.js';

type P = { x: Tensor };
type S = { y: Tensor };

/** Step of the projected-gradient iteration; 1/2 gives linear convergence with rate 1/2. */
const STEP = 0.5;

/**
 * ReLU as an argmin: y = argmin ½‖y − x‖² s.t. y ≥ 0, solved by projected gradient.
 * Its optimality residual is the projected-gradient fixed point y − Π₊(y − ∇f(y)).
 */
export const reluNode = defineNode<P, S>({
  name: 'convex.relu',
  signature: { params: { x: '(n)' }, solution: { y: '(n)' } },
  options: {},
  solve({ x }, { tol = 1e-13, maxIter = 200, warmStart }) {
    const rows = x.ndim === 2 ? x.shape[0]! : 1;
    let y: Float64Array = Float64Array.from(warmStart?.y?.data ?? new Float64Array(x.size));
    const next = new Float64Array(x.size);
    const iterations = new Array<number>(rows).fill(0);
    let change: Float64Array = new Float64Array(rows).fill(Infinity);
    const scales = Array.from({ length: rows }, (_, r) => rowScale(x.data, r, x.size / rows));
    for (let k = 0; k < maxIter && change.some((c, r) => c > tol * scales[r]!); k++) {
      for (let i = 0; i < y.length; i++) next[i] = Math.max((1 - STEP) * y[i]! + STEP * x.data[i]!, 0);
      change = rowChange(y, next, rows);
      change.forEach((c, r) => c > 0 && iterations[r]!++);
      y = Float64Array.from(next);
    }
    // The change is judged relative to the row's size: with x of order 1e-150 an absolute test
    // would accept the first iterate, y = x/2.
    const status: SolveStatus[] = Array.from(change, (c, r) => (c <= tol * scales[r]! ? 'converged' : 'max_iter'));
    return { solution: { y: new Tensor(y, x.shape) }, info: { status, iterations, residual: Array.from(change) } };
  },
  optimality({ x }, { y }) {
    return sub(y, relu(sub(y, sub(y, x))));
  },
  step: {
    defaultSteps: 60,
    init: ({ x }, { warmStart }) => ({ y: warmStart?.y ?? zeros(x.shape) }),
    update: ({ x }, { y }) => ({ y: relu(add(mul(y, 1 - STEP), mul(x, STEP))) }),
  },
});

/** max |xᵢ| over row r (the unit of its change), at least the smallest normal number. */
function rowScale(x: Float64Array, r: number, n: number): number {
  let m = 0;
  for (let i = r * n; i < (r + 1) * n; i++) m = Math.max(m, Math.abs(x[i]!));
  return Math.max(m, 2 ** -1022);
}

/**
 * ReLU computed as the solution of its argmin problem, over the last axis of `x`: `{ y, info }`, like
 * every node, with the solver's status per row (a row that did not converge follows the gradient
 * policy, `onUnconverged`, in the backward pass).
 */
export function reluLayer(params: { readonly x: Tensor }, options: NodeCallOptions<S> = {}): NodeOutput<S> {
  return runLayer(reluNode, params, options);
}
