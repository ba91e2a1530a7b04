import { ArgminError, ConvergenceError, DifferentiationError, InvalidInputError, PluginError, ShapeError } from '../errors.js';
import { Tensor } from '../tensor.js';
import type { SolveInfo } from '../optimization/node.js';

/**
 * The messages between a pool and its workers. Tensors travel as Float64Array views on
 * SharedArrayBuffers: a worker reads its slice of the parameters and writes its slice of the
 * outputs in place, so nothing is copied element-wise and no buffer is ever detached (a detached
 * ArrayBuffer slows every typed-array loop of the process, see docs/performance.md).
 */

/** A tensor on shared memory: a view and its shape. */
export interface SharedTensor {
  readonly data: Float64Array;
  readonly shape: readonly number[];
}

/** Solve batch elements [lo, hi) of a call; write solution key k to `out[k]` at element lo. */
export interface SolveRequest {
  readonly kind: 'solve';
  readonly id: number;
  readonly node: string;
  readonly batch: number;
  readonly lo: number;
  readonly hi: number;
  readonly params: Readonly<Record<string, SharedTensor>>;
  readonly batched: readonly string[];
  readonly dims: Readonly<Record<string, number>>;
  readonly options: Readonly<Record<string, unknown>>;
  /** Keep the slice's solve result (and what its VJP reuses) for a later 'vjp' request. */
  readonly keep: boolean;
  readonly out: Readonly<Record<string, Float64Array>>;
}

/**
 * The VJP of a kept slice: cotangents are whole-batch views (the worker reads its elements);
 * `grads[k]` is the whole-batch view for a batched parameter, this worker's own partial-sum
 * region for a shared one.
 */
export interface VjpRequest {
  readonly kind: 'vjp';
  readonly id: number;
  readonly cot: Readonly<Record<string, Float64Array | null>>;
  readonly grads: Readonly<Record<string, Float64Array>>;
}

export type WorkerRequest =
  | SolveRequest
  | VjpRequest
  | { readonly kind: 'release'; readonly ids: readonly number[] }
  | { readonly kind: 'stop' };

export type WorkerReply =
  | { readonly kind: 'ready'; readonly nodes: readonly string[] }
  | { readonly kind: 'solved'; readonly info: SolveInfo }
  /** Which parameters got a gradient (the others are the symbolic zero). */
  | { readonly kind: 'grads'; readonly present: readonly string[] }
  /** The kept state is gone (released or evicted): the caller differentiates in-thread. */
  | { readonly kind: 'missing' }
  | { readonly kind: 'error'; readonly name: string; readonly message: string };

/** A view of `data` on shared memory: itself when it already is, else one bulk copy. */
export function sharedCopy(data: Float64Array): Float64Array {
  if (data.buffer instanceof SharedArrayBuffer) return data;
  const out = sharedZeros(data.length);
  out.set(data);
  return out;
}

/**
 * A batch-major array on shared memory, copied slice by slice as each worker's request is
 * built, so copying the next slice overlaps the solve of the previous one.
 */
export class SharedBatch {
  readonly data: Float64Array;
  private readonly copies: boolean;
  /** `into`: shared memory of the source's length to copy into (else fresh memory). */
  constructor(
    private readonly source: Float64Array,
    private readonly batch: number,
    into?: Float64Array,
  ) {
    this.copies = !(source.buffer instanceof SharedArrayBuffer);
    this.data = this.copies ? (into ?? sharedZeros(source.length)) : source;
  }

  /** Elements [lo, hi), now on shared memory. */
  range(lo: number, hi: number): Float64Array {
    const view = elementRange(this.data, this.batch, lo, hi);
    if (this.copies) view.set(elementRange(this.source, this.batch, lo, hi));
    return view;
  }
}

export function sharedZeros(length: number): Float64Array {
  return new Float64Array(new SharedArrayBuffer(length * Float64Array.BYTES_PER_ELEMENT));
}

/** Elements [lo, hi) of a batch-major array of `batch` elements. */
export function elementRange(data: Float64Array, batch: number, lo: number, hi: number): Float64Array {
  const per = data.length / batch;
  return data.subarray(lo * per, hi * per);
}

/** [lo, hi) ranges splitting `batch` elements over `parts` workers, sizes differing by ≤ 1. */
export function splitBatch(batch: number, parts: number): [number, number][] {
  const out: [number, number][] = [];
  for (let w = 0, lo = 0; w < parts; w++) {
    const hi = lo + Math.floor(batch / parts) + (w < batch % parts ? 1 : 0);
    out.push([lo, hi]);
    lo = hi;
  }
  return out;
}

const TENSOR = '__argminTensor';

/** An option value as it travels: tensors as shared views, the rest structured-cloned. */
export function encodeValue(v: unknown): unknown {
  if (v instanceof Tensor) return { [TENSOR]: true, data: sharedCopy(v.data), shape: v.shape };
  if (v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, encodeValue(x)]));
  }
  return v;
}

export function decodeValue(v: unknown): unknown {
  if (v === null || typeof v !== 'object' || Array.isArray(v) || ArrayBuffer.isView(v)) return v;
  const o = v as Record<string, unknown>;
  if (o[TENSOR] === true) return new Tensor(o.data as Float64Array, o.shape as number[]);
  return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, decodeValue(x)]));
}

const errorClasses: Record<string, new (message: string) => ArgminError> = {
  ArgminError,
  ShapeError,
  InvalidInputError,
  ConvergenceError,
  PluginError,
  DifferentiationError,
};

export function errorReply(e: unknown): WorkerReply {
  const err = e instanceof Error ? e : new Error(String(e));
  return { kind: 'error', name: err.name, message: err.message };
}

/** A worker's error as the same typed error on the calling thread. */
export function rethrow(reply: Extract<WorkerReply, { kind: 'error' }>, where: string, context = ''): never {
  const message = context ? `${reply.message} (${context})` : reply.message;
  const Class = errorClasses[reply.name];
  if (Class) throw new Class(message);
  throw new ArgminError(`${where}: ${reply.name}: ${message}`);
}
