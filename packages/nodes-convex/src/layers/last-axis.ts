import { InvalidInputError, Tensor, reshape, type NodeCallOptions, type NodeOutput, type OptimizationNode } from '@argmin/autodiff';
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

/** Checks a layer function's arguments and runs its node over the last axis of `params.x`. */
export function runLayer<S extends { y: Tensor }, O extends object>(
  node: OptimizationNode<{ x: Tensor }, S, O>,
  params: unknown,
  options: O & NodeCallOptions<S>,
): NodeOutput<S> {
  if (params instanceof Tensor) {
    throw new InvalidInputError(`${node.name}: pass the input as { x }, e.g. layer({ x }, options), not a bare Tensor`);
  }
  const x = params !== null && typeof params === 'object' ? (params as { x?: unknown }).x : undefined;
  if (!(x instanceof Tensor)) {
    throw new InvalidInputError(
      `${node.name}: parameter 'x' must be a Tensor, got ${x === null ? 'null' : Array.isArray(x) ? 'an array' : typeof x}`,
    );
  }
  if (options === null || typeof options !== 'object') throw new InvalidInputError(`${node.name}: options must be an object`);
  return applyOverLastAxis(node, x, options);
}
