import { withCluster } from '../tape.js';
import type { Tensor } from '../tensor.js';
import type { NodeLayout } from './batch.js';
import type { OptimizationNode, SolveControls, SolveInfo, SolveStatus, TensorRecord } from './node.js';

/**
 * Runs the node's `step` as differentiable ops, so every iteration lands on the active tapes
 * (grouped in an 'unroll' cluster the viewer folds) and gradients flow through them.
 * It always runs the full number of steps (the plan's `steps`): the value may settle before its derivative does (an
 * initial point that is already optimal converges in one step, its derivative does not), so
 * stopping on the value would return a wrong gradient. `tol` only decides the reported status.
 */
export function unrollSolve<P extends TensorRecord, S extends TensorRecord, O extends object>(
  node: OptimizationNode<P, S, O>,
  params: P,
  options: O & SolveControls<S>,
  layout: NodeLayout,
  steps: number,
): { solution: S; info: SolveInfo } {
  const step = node.step!;
  const maxSteps = steps;
  const tol = options.tol ?? 1e-12;
  const batch = layout.size ?? 1;
  return withCluster(`${node.name} unrolled`, 'unroll', () => {
    let state = step.init(params, options, layout);
    let change: Float64Array = new Float64Array(batch).fill(Infinity);
    const history: number[][] = Array.from({ length: batch }, () => []);
    let k = 0;
    while (k < maxSteps) {
      const next = step.update(params, state, options, layout);
      change = maxChangePerElement(state, next, batch);
      change.forEach((c, b) => history[b]!.push(c));
      state = next;
      k++;
    }
    const status: SolveStatus[] = Array.from(change, (c) => (c <= tol ? 'converged' : 'max_iter'));
    return {
      solution: state,
      info: { status, iterations: new Array<number>(batch).fill(k), residual: Array.from(change), history },
    };
  });
}

/** ∞-norm of the change of the state, per batch element (leading axis when batched). */
function maxChangePerElement(prev: TensorRecord, next: TensorRecord, batch: number): Float64Array {
  const out = new Float64Array(batch);
  for (const key of Object.keys(next)) {
    const a: Tensor = prev[key]!;
    const b: Tensor = next[key]!;
    const per = b.size / batch;
    for (let i = 0; i < b.size; i++) {
      const d = Math.abs(b.data[i]! - a.data[i]!);
      const e = Math.floor(i / per);
      if (!(d <= out[e]!)) out[e] = d;
    }
  }
  return out;
}
