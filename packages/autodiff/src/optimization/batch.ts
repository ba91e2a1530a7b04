import { InvalidInputError, ShapeError, formatShape } from '../errors.js';
import { Tensor, sizeOf } from '../tensor.js';
import { assertFiniteValues, assertPsdBlocks, type PsdMode } from './checks.js';
import type { NodeSignature, TensorRecord } from './node.js';
import { type CoreSpec, describeValue, parseSpec, rankOf, resolveDims, specText } from './signature.js';

/** How a call's parameters are laid out over the batch. */
export interface BatchLayout {
  /** The batch size, or null when every parameter is at its core rank (an unbatched call). */
  readonly size: number | null;
  /** The parameters that carry the batch axis. */
  readonly batched: ReadonlySet<string>;
}

/**
 * A call's resolved layout, passed to the node's solve, vjp and step: the batch, and the size of
 * every named dimension of the signature that a given parameter binds (a dimension only absent
 * parameters name, e.g. m of a QP without G, is missing: read it as `dims.m ?? 0`).
 */
export interface NodeLayout extends BatchLayout {
  readonly dims: Readonly<Record<string, number>>;
}

/**
 * Checks a call's parameters against the node's signature, once for every node: that they are
 * an object of Tensors with known names, the required ones present and grouped ones together;
 * ranks and a common batch size; named dimensions that agree across parameters; finite values
 * (±∞ only where the signature allows it); symmetric PSD matrices where it asks for them.
 * Errors name the node, the parameter(s) and their shapes. Returns the layout.
 */
export function resolveLayout<P extends TensorRecord>(nodeName: string, signature: NodeSignature<P, TensorRecord>, params: P): NodeLayout {
  const specs = signature.params as Readonly<Record<string, CoreSpec>>;
  const expected = Object.keys(specs).join(', ');
  if (params === null || typeof params !== 'object' || params instanceof Tensor || Array.isArray(params)) {
    throw new InvalidInputError(`${nodeName}: parameters must be an object { ${expected} }, got ${describeValue(params)}`);
  }
  const given = params as Readonly<Record<string, Tensor | undefined>>;
  for (const key of Object.keys(given)) {
    if (!(key in specs)) throw new InvalidInputError(`${nodeName}: unknown parameter '${key}' (expected ${expected})`);
  }
  const optional = new Set<string>(signature.optional ?? []);
  for (const name of Object.keys(specs)) {
    const t = given[name];
    if (t === undefined) {
      if (!optional.has(name)) throw new InvalidInputError(`${nodeName}: parameter '${name}' is required`);
    } else if (!(t instanceof Tensor)) {
      throw new InvalidInputError(
        `${nodeName}: parameter '${name}' must be a Tensor of ${shapeWords(specs[name]!)}, got ${describeValue(t)}`,
      );
    }
  }
  for (const group of signature.together ?? []) {
    const present = group.filter((k) => given[k] !== undefined);
    if (present.length > 0 && present.length < group.length) {
      const missing = group.filter((k) => given[k] === undefined);
      throw new InvalidInputError(
        `${nodeName}: parameters ${group.map((k) => `'${k}'`).join(' and ')} come together: ${present.map((k) => `'${k}'`).join(', ')} given without ${missing.map((k) => `'${k}'`).join(', ')}`,
      );
    }
  }
  const { size, batched } = resolveBatchAxis(nodeName, specs, given);
  const labels = signature.dimLabels ?? {};
  const dims = resolveDims(nodeName, specs, given, labels);
  const infinite = new Set<string>(signature.infinite ?? []);
  for (const [name, t] of Object.entries(given)) if (t !== undefined) assertFiniteValues(nodeName, name, t, infinite.has(name));
  for (const [name, mode] of Object.entries(signature.psd ?? {}) as [string, PsdMode | undefined][]) {
    const t = given[name];
    if (t === undefined || mode === undefined) continue;
    const core = parseSpec(specs[name]!, nodeName).axes.slice(0, -2);
    const lead = core.map((axis, i) => {
      const n = axis && axis.terms.length === 1 ? axis.terms[0]!.name : `core axis ${i}`;
      return labels[n] ?? n;
    });
    assertPsdBlocks(nodeName, name, t, mode, ['batch element', ...lead]);
  }
  return { size, batched, dims };
}

/** Ranks and the batch axis: a parameter is at its core rank (shared) or has one leading batch axis. */
function resolveBatchAxis(
  nodeName: string,
  specs: Readonly<Record<string, CoreSpec>>,
  given: Readonly<Record<string, Tensor | undefined>>,
): BatchLayout {
  const batched = new Set<string>();
  let size: number | null = null;
  let sizeFrom = '';
  for (const [name, spec] of Object.entries(specs)) {
    const t = given[name];
    if (t === undefined) continue;
    const rank = rankOf(spec);
    if (t.ndim === rank + 1) {
      batched.add(name);
      const b = t.shape[0]!;
      if (size === null) {
        size = b;
        sizeFrom = name;
      } else if (b !== size) {
        throw new ShapeError(
          `${nodeName}: parameter '${name}' of shape ${formatShape(t.shape)} has batch size ${b} but '${sizeFrom}' of shape ${formatShape(given[sizeFrom]!.shape)} has ${size}`,
        );
      }
    } else if (t.ndim !== rank) {
      throw new ShapeError(
        `${nodeName}: parameter '${name}' must have ${typeof spec === 'number' ? '' : `core shape ${specText(spec)}, `}rank ${rank} (or ${rank + 1} with a leading batch axis), got shape ${formatShape(t.shape)}`,
      );
    }
  }
  return { size, batched };
}

function shapeWords(spec: CoreSpec): string {
  return typeof spec === 'number' ? `rank ${spec}` : `core shape ${specText(spec)}`;
}

/** The batch layout alone (the older entry point): see {@link resolveLayout}. */
export function resolveBatch<P extends TensorRecord>(nodeName: string, signature: NodeSignature<P, TensorRecord>, params: P): NodeLayout {
  return resolveLayout(nodeName, signature, params);
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
