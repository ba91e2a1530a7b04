import {
  InvalidInputError,
  Tensor,
  reshape,
  type SolveInfo,
  type NodeCallOptions,
  type NodeOutput,
  type OptimizationNode,
} from '@argmin/autodiff';
import { applyNode, type TensorRecord } from '@argmin/autodiff/extend';

/**
 * Runs a node whose parameter `x` is a vector over the last axis of a tensor of any rank: the
 * leading axes are flattened into one batch axis for the call and restored on the outputs.
 */
export function applyOverLastAxis<S extends TensorRecord, O extends object>(
  node: OptimizationNode<{ x: Tensor }, S, O>,
  x: Tensor,
  options: O & NodeCallOptions<S>,
): NodeOutput<S> {
  if (x.ndim <= 2) return applyNode(node, { x: x.ndim === 0 ? reshape(x, [1]) : x }, options);
  const lead = x.shape.slice(0, -1);
  const n = x.shape[x.ndim - 1]!;
  const out = applyNode(node, { x: reshape(x, [-1, n]) }, options);
  const restored: Record<string, Tensor> = {};
  for (const key of Object.keys(node.signature.solution)) {
    const t = out[key] as Tensor;
    restored[key] = reshape(t, [...lead, ...t.shape.slice(1)]);
  }
  return { ...(restored as unknown as S), info: out.info };
}

/** ∞-norm of a − b per row of a [B, n] (or [n]) layout, for convergence tests in solves. */
export function rowChange(a: Float64Array, b: Float64Array, rows: number): Float64Array {
  const n = a.length / rows;
  const out = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let m = 0;
    for (let i = r * n; i < (r + 1) * n; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
    out[r] = m;
  }
  return out;
}

/**
 * The report option of the layer functions: with `info: true` a layer returns `{ y, info }`
 * (the solver's status per row, iterations, residual) instead of the bare tensor, so a row that
 * did not converge (a small maxIter, a NaN warm start) is visible. Either way an unconverged row
 * follows the gradient policy (`onUnconverged`) in the backward pass, like every node.
 */
export interface LayerReport {
  readonly info?: boolean;
}

export interface LayerOutput {
  readonly y: Tensor;
  readonly info: SolveInfo;
}

/** Checks the input of a layer function, runs its node and returns y, or { y, info } if asked. */
export function runLayer<S extends { y: Tensor }, O extends object>(
  node: OptimizationNode<{ x: Tensor }, S, O>,
  x: unknown,
  options: O & NodeCallOptions<S> & LayerReport,
): Tensor | LayerOutput {
  if (!(x instanceof Tensor)) {
    throw new InvalidInputError(
      `${node.name}: parameter 'x' must be a Tensor, got ${x === null ? 'null' : Array.isArray(x) ? 'an array' : typeof x}`,
    );
  }
  if (options === null || typeof options !== 'object') throw new InvalidInputError(`${node.name}: options must be an object`);
  const { info, ...rest } = options;
  if (info !== undefined && typeof info !== 'boolean') {
    throw new InvalidInputError(`${node.name}: option 'info' must be a boolean, got ${typeof info}`);
  }
  const out = applyOverLastAxis(node, x, rest as O & NodeCallOptions<S>);
  return info ? { y: out.y, info: out.info } : out.y;
}
