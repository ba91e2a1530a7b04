/**
 * Internal helpers for the plain data of the IR: id-keyed records, safe lookups, copying and
 * freezing of caller-supplied data, and the one way nodes are described in messages.
 * Not exported from the package.
 */
import { MAX_ATTR_DEPTH, MAX_ATTR_STRING_LENGTH, MAX_ID_LENGTH, MAX_RANK, MAX_STATUS_LENGTH } from './limits.js';
import type { AttrValue, Attrs, NodeData, SolveInfoData, ValueSummary } from './types.js';

/** A mutable record keyed by id. */
export type MutableRecord<T> = { [id: string]: T };

/**
 * A record with no prototype. Graph records are keyed by ids that may come from files, so an id
 * such as `constructor` or `__proto__` must never hit `Object.prototype`: with a null prototype a
 * lookup of an absent id is `undefined` and an assignment always creates an own property.
 */
export function record<T>(): MutableRecord<T> {
  return Object.create(null) as MutableRecord<T>;
}

/** `rec[id]` if it is an own property; robust for graphs built by hand with `{}` records. */
export function own<T>(rec: { readonly [id: string]: T }, id: string): T | undefined {
  return Object.hasOwn(rec, id) ? rec[id] : undefined;
}

/** How every message names a node: id, op and label (long names shortened). */
export function describeNode(node: Pick<NodeData, 'id' | 'op' | 'label'>): string {
  return node.label === undefined
    ? `node ${node.id} (op '${short(node.op)}')`
    : `node ${node.id} (op '${short(node.op)}', label '${short(node.label)}')`;
}

function short(text: string): string {
  return text.length <= 80 ? text : `${text.slice(0, 79)}…`;
}

export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/** Why a shape is invalid (dims must be non-negative safe integers), or undefined. */
export function shapeProblem(shape: unknown): string | undefined {
  if (!Array.isArray(shape)) return 'shape is not an array';
  if (shape.length > MAX_RANK) return `rank ${shape.length} exceeds ${MAX_RANK}`;
  for (let i = 0; i < shape.length; i++) {
    const d: unknown = shape[i];
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) {
      return `dimension ${i} is ${String(d)}, not a non-negative integer`;
    }
  }
  return undefined;
}

/**
 * Thrown by the clone helpers with the path of the offending datum (e.g. `attrs.lo`); callers
 * turn it into a `GraphError` that also names the node.
 */
export class AttrProblem {
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {}
}

/**
 * A frozen deep copy of a JSON-compatible attribute value, so a graph never shares mutable
 * data with its caller. Rejects what would not survive JSON: non-finite numbers, undefined,
 * functions, typed arrays (immer would leave them writable), class instances, `__proto__` keys.
 */
export function cloneAttrs(attrs: Attrs): Attrs {
  if (!isPlainObject(attrs)) throw new AttrProblem('attrs', 'must be a plain object');
  return cloneAttrValue(attrs, 'attrs', 0) as Attrs;
}

function cloneAttrValue(v: unknown, path: string, depth: number): AttrValue {
  if (v === null || typeof v === 'boolean') return v;
  if (typeof v === 'string') {
    if (v.length > MAX_ATTR_STRING_LENGTH) throw new AttrProblem(path, `string longer than ${MAX_ATTR_STRING_LENGTH} characters`);
    return v;
  }
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new AttrProblem(path, `${v} is not a finite number (JSON cannot hold it)`);
    return v === 0 ? 0 : v; // JSON writes -0 as 0: normalise now so a saved graph loads back equal
  }
  if (depth >= MAX_ATTR_DEPTH) throw new AttrProblem(path, `nested deeper than ${MAX_ATTR_DEPTH}`);
  if (Array.isArray(v)) {
    return Object.freeze(v.map((x: unknown, i) => cloneAttrValue(x, join(path, String(i)), depth + 1)));
  }
  if (isPlainObject(v)) {
    const out: { [k: string]: AttrValue } = {};
    for (const k of Object.keys(v)) {
      if (k === '__proto__') throw new AttrProblem(path, "key '__proto__' is not allowed");
      if (k.length > MAX_ID_LENGTH) throw new AttrProblem(path, `key longer than ${MAX_ID_LENGTH} characters`);
      out[k] = cloneAttrValue(v[k], join(path, k), depth + 1);
    }
    return Object.freeze(out);
  }
  const what = ArrayBuffer.isView(v) ? 'a typed array (use a plain number[])' : `a ${typeof v}`;
  throw new AttrProblem(path, `${what} is not a JSON value`);
}

function join(path: string, key: string): string {
  return `${path}.${key}`;
}

function isPlainObject(v: unknown): v is { [k: string]: unknown } {
  if (typeof v !== 'object' || v === null) return false;
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

const freezeNumbers = (xs: readonly number[]): readonly number[] => Object.freeze(xs.slice());

/** A frozen copy of a solver report (its arrays are copied, never shared). */
export function cloneInfo(info: SolveInfoData): SolveInfoData {
  const long = info.status.find((s) => typeof s !== 'string' || s.length > MAX_STATUS_LENGTH);
  if (long !== undefined) throw new AttrProblem('info.status', `a status must be a string of at most ${MAX_STATUS_LENGTH} characters`);
  const base = {
    status: Object.freeze(info.status.slice()),
    iterations: freezeNumbers(info.iterations),
    residual: freezeNumbers(info.residual),
  };
  return Object.freeze(info.history === undefined ? base : { ...base, history: Object.freeze(info.history.map(freezeNumbers)) });
}

/** A frozen copy of a value summary. */
export function cloneSummary(s: ValueSummary): ValueSummary {
  const base = { min: s.min, max: s.max, mean: s.mean, norm: s.norm };
  return Object.freeze(s.data === undefined ? base : { ...base, data: freezeNumbers(s.data) });
}

/** Recursively freezes plain objects and arrays (iteratively: graphs can be deep). */
export function deepFreeze<T>(root: T): T {
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v !== 'object' || v === null || Object.isFrozen(v)) continue;
    Object.freeze(v);
    for (const k of Object.keys(v)) stack.push((v as { [k: string]: unknown })[k]);
  }
  return root;
}
