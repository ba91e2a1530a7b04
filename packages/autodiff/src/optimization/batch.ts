import { InvalidInputError, ShapeError, formatShape } from '../errors.js';
import { Tensor, assertFinite, sizeOf } from '../tensor.js';
import type { NodeSignature, TensorRecord } from './node.js';

/** How a call's parameters are laid out over the batch. */
export interface BatchLayout {
  /** The batch size, or null when every parameter is at its core rank (an unbatched call). */
  readonly size: number | null;
  /** The parameters that carry the batch axis. */
  readonly batched: ReadonlySet<string>;
}

/**
 * Checks a call's parameters against the node's signature (presence, ranks, finiteness, a common
 * batch size) and returns the batch layout. Errors name the node and the parameter.
 */
export function resolveBatch<P extends TensorRecord>(nodeName: string, signature: NodeSignature<P, TensorRecord>, params: P): BatchLayout {
  const optional = new Set<string>(signature.optional ?? []);
  const batched = new Set<string>();
  let size: number | null = null;
  let sizeFrom = '';
  for (const key of Object.keys(params)) {
    if (!(key in signature.params)) {
      throw new InvalidInputError(`${nodeName}: unknown parameter '${key}' (expected ${Object.keys(signature.params).join(', ')})`);
    }
  }
  for (const [name, rank] of Object.entries(signature.params) as [string, number][]) {
    const t = params[name];
    if (t === undefined) {
      if (optional.has(name)) continue;
      throw new InvalidInputError(`${nodeName}: parameter '${name}' is required`);
    }
    if (!(t instanceof Tensor)) throw new InvalidInputError(`${nodeName}: parameter '${name}' must be a Tensor`);
    assertFinite(t, nodeName, name);
    if (t.ndim === rank + 1) {
      batched.add(name);
      const b = t.shape[0]!;
      if (size === null) {
        size = b;
        sizeFrom = name;
      } else if (b !== size) {
        throw new ShapeError(
          `${nodeName}: parameter '${name}' has batch size ${b} (shape ${formatShape(t.shape)}) but '${sizeFrom}' has ${size}`,
        );
      }
    } else if (t.ndim !== rank) {
      throw new ShapeError(
        `${nodeName}: parameter '${name}' must have rank ${rank} (or ${rank + 1} with a leading batch axis), got shape ${formatShape(t.shape)}`,
      );
    }
  }
  return { size, batched };
}

/** Element b of a batched tensor (a copy of its slice). */
export function batchElement(t: Tensor, b: number): Tensor {
  const inner = t.shape.slice(1);
  const n = sizeOf(inner);
  return new Tensor(t.data.slice(b * n, (b + 1) * n), inner);
}

/** Stacks same-shaped tensors along a new leading axis. */
export function stackBatch(parts: readonly Tensor[]): Tensor {
  const inner = parts[0]!.shape;
  const n = sizeOf(inner);
  const out = new Float64Array(parts.length * n);
  parts.forEach((p, b) => out.set(p.data, b * n));
  return new Tensor(out, [parts.length, ...inner]);
}

/** The parameters of batch element b: batched ones sliced, shared ones as they are. */
export function paramsOfElement<P extends TensorRecord>(params: P, layout: BatchLayout, b: number): P {
  const out: Record<string, Tensor> = {};
  for (const [k, t] of Object.entries(params)) {
    if (t !== undefined) out[k] = layout.batched.has(k) ? batchElement(t, b) : t;
  }
  return out as P;
}

/** Element b of a batched solution (or the solution itself for an unbatched call). */
export function solutionOfElement<S extends TensorRecord>(solution: S, layout: BatchLayout, b: number): S {
  if (layout.size === null) return solution;
  const out: Record<string, Tensor> = {};
  for (const [k, t] of Object.entries(solution)) out[k] = batchElement(t, b);
  return out as S;
}
