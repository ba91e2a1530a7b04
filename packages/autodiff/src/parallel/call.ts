import { InvalidInputError } from '../errors.js';
import { Tensor } from '../tensor.js';
import type { NodeLayout } from '../optimization/batch.js';
import type { AnyNode, Cotangents, SolveInfo, SolveResult, TensorRecord } from '../optimization/node.js';
import { coreShapeOf, rankOf, type CoreSpec } from '../optimization/signature.js';
import { defaultWorkerPool, isWorkerPool, type WorkerPool } from './pool.js';
import {
  SharedBatch,
  elementRange,
  encodeValue,
  rethrow,
  sharedZeros,
  splitBatch,
  type SharedTensor,
  type WorkerReply,
  type WorkerRequest,
} from './protocol.js';

/** The workers a call runs on, or null to run in-thread. */
export interface ParallelTarget {
  readonly pool: WorkerPool;
  readonly count: number;
}

/**
 * Where a call with `workers` runs. A bad value is a typed error naming the node; a call that
 * has nothing to split (unbatched, or a batch under the pool's `minBatch`) or that unrolls
 * (the tape must record every iteration in this thread) runs in-thread.
 */
export function parallelTarget(node: AnyNode, workers: unknown, layout: NodeLayout, planKind: string): ParallelTarget | null {
  if (workers === undefined) return null;
  const pool = isWorkerPool(workers) ? workers : defaultWorkerPool();
  const asked = isWorkerPool(workers) ? workers.size : (workers as number);
  if (pool === null) {
    throw new InvalidInputError(
      `${node.name}: option 'workers' is ${asked} but no worker pool is open: open one with await openWorkerPool({ size, plugins }) from '@argmin/autodiff/parallel'`,
    );
  }
  if (pool.closed) throw new InvalidInputError(`${node.name}: option 'workers' names a worker pool that is closed`);
  if (asked > pool.size) {
    throw new InvalidInputError(
      `${node.name}: option 'workers' is ${asked} but the open worker pool has ${pool.size} worker${pool.size > 1 ? 's' : ''}`,
    );
  }
  if (!pool.nodes.has(node.name)) {
    throw new InvalidInputError(
      `${node.name}: option 'workers': no plugin of the worker pool provides this node (it has ${[...pool.nodes].join(', ')})`,
    );
  }
  const solution = node.signature.solution as Record<string, CoreSpec>;
  if (Object.values(solution).some((spec) => coreShapeOf(spec, layout.dims, node.name) === null)) return null;
  if (planKind === 'unroll' || layout.size === null || layout.size < Math.max(2, pool.minBatch)) return null;
  return { pool, count: Math.min(asked, layout.size) };
}

let nextId = 1;

/**
 * Solves a call's batch on the pool: each worker reads its contiguous slice of the (shared)
 * parameters and writes its slice of the outputs. The result's `saved` is the call's handle,
 * whose `vjp` runs the backward on the same workers, which kept their slices.
 */
export function solveOnWorkers(
  node: AnyNode,
  params: TensorRecord,
  options: Readonly<Record<string, unknown>>,
  layout: NodeLayout,
  target: ParallelTarget,
  keep: boolean,
): SolveResult<TensorRecord> {
  const batch = layout.size!;
  const ranges = splitBatch(batch, target.count);
  const shared: Record<string, SharedBatch | Float64Array> = {};
  const given = Object.values(params).filter((t): t is Tensor => t !== undefined);
  const scratch = reusedScratch(
    target.pool,
    'params',
    given.reduce((n, t) => n + t.size, 0),
  );
  let at = 0;
  for (const [k, t] of Object.entries(params)) {
    if (t === undefined) continue;
    const into = scratch.subarray(at, at + t.size);
    at += t.size;
    if (layout.batched.has(k)) shared[k] = new SharedBatch(t.data, batch, into);
    else shared[k] = t.data.buffer instanceof SharedArrayBuffer ? t.data : (into.set(t.data), into);
  }
  const solution = node.signature.solution as Record<string, CoreSpec>;
  const shapes: Record<string, number[]> = {};
  const out: Record<string, Float64Array> = {};
  for (const [k, spec] of Object.entries(solution)) {
    shapes[k] = [batch, ...coreShapeOf(spec, layout.dims, node.name)!];
    out[k] = sharedZeros(shapes[k].reduce((a, b) => a * b, 1));
  }
  const id = nextId++;
  const requests = ranges.map(([lo, hi], worker) => () => {
    const slice: Record<string, SharedTensor> = {};
    for (const [k, t] of Object.entries(params)) {
      if (t === undefined) continue;
      const s = shared[k]!;
      slice[k] = s instanceof SharedBatch ? { data: s.range(lo, hi), shape: [hi - lo, ...t.shape.slice(1)] } : { data: s, shape: t.shape };
    }
    const message: WorkerRequest = {
      kind: 'solve',
      id,
      node: node.name,
      batch,
      lo,
      hi,
      params: slice,
      batched: [...layout.batched],
      dims: { ...layout.dims },
      options: sliceOptions(node, options, batch, lo, hi),
      keep,
      out,
    };
    return { worker, message };
  });
  const replies = exchange(target.pool, requests, node.name, ranges);
  const sol: Record<string, Tensor> = {};
  for (const k of Object.keys(solution)) sol[k] = new Tensor(out[k]!, shapes[k]!);
  const info = mergeInfo(replies.map((r) => (r as Extract<WorkerReply, { kind: 'solved' }>).info));
  const handle = new ParallelCall(target.pool, id, ranges, batch, node);
  if (keep) released.register(handle, { pool: target.pool, id, workers: ranges.length });
  return { solution: sol, info, saved: handle };
}

/** A call solved on workers: its slices stay on them until the handle is collected. */
export class ParallelCall {
  constructor(
    readonly pool: WorkerPool,
    readonly id: number,
    readonly ranges: readonly (readonly [number, number])[],
    readonly batch: number,
    readonly node: AnyNode,
  ) {}

  /** The slices' VJPs on their workers, combined; null when a worker no longer holds its slice. */
  vjp(params: TensorRecord, cot: Cotangents<TensorRecord>, layout: NodeLayout): Record<string, Tensor> | null {
    if (this.pool.closed) return null;
    const cots: Record<string, SharedBatch | null> = {};
    const scratch = reusedScratch(
      this.pool,
      'cotangents',
      Object.values(cot).reduce((n, c) => n + (c ? c.size : 0), 0),
    );
    let at = 0;
    for (const [k, c] of Object.entries(cot)) {
      cots[k] = c ? new SharedBatch(c.data, this.batch, scratch.subarray(at, at + c.size)) : null;
      at += c ? c.size : 0;
    }
    const frozen = new Set<string>(this.node.signature.nondifferentiable ?? []);
    const keys = Object.keys(params).filter((k) => params[k] !== undefined && !frozen.has(k));
    const whole: Record<string, Float64Array> = {};
    for (const k of keys) whole[k] = sharedZeros(layout.batched.has(k) ? params[k]!.size : params[k]!.size * this.ranges.length);
    const requests = this.ranges.map(([lo, hi], worker) => () => {
      // The whole-batch views, with this worker's elements copied in.
      const cotViews: Record<string, Float64Array | null> = {};
      for (const [k, c] of Object.entries(cots)) {
        c?.range(lo, hi);
        cotViews[k] = c ? c.data : null;
      }
      const grads: Record<string, Float64Array> = {};
      for (const k of keys)
        grads[k] = layout.batched.has(k) ? whole[k]! : whole[k]!.subarray(worker * params[k]!.size, (worker + 1) * params[k]!.size);
      return { worker, message: { kind: 'vjp', id: this.id, cot: cotViews, grads } satisfies WorkerRequest };
    });
    const replies = exchange(this.pool, requests, this.node.name, this.ranges);
    if (replies.some((r) => r.kind === 'missing')) return null;
    const present = new Set(replies.flatMap((r) => (r.kind === 'grads' ? r.present : [])));
    const grads: Record<string, Tensor> = {};
    for (const k of keys) {
      if (!present.has(k)) continue;
      const t = params[k]!;
      if (layout.batched.has(k)) grads[k] = new Tensor(whole[k]!, t.shape);
      else {
        // A shared parameter: each worker summed its own elements; the sum of the partial sums.
        const sum = new Float64Array(t.size);
        const parts = whole[k]!;
        for (let w = 0; w < this.ranges.length; w++) for (let i = 0; i < sum.length; i++) sum[i]! += parts[w * t.size + i]!;
        grads[k] = new Tensor(sum, t.shape);
      }
    }
    return grads;
  }
}

/**
 * Shared memory a pool's calls copy their inputs into, kept from call to call: parameters for
 * the forward, cotangents for the backward. Workers read them only while the caller waits for
 * their replies (a worker that keeps a slice for the backward copies its parameters first,
 * serve.ts), so the next call may reuse them. Fresh shared memory costs a page fault per 4 KB
 * on the calling thread, in the serial part of a call: a 5 MB Sinkhorn cost ~2.8 ms to copy into
 * fresh memory, ~0.5 ms into reused memory.
 */
const scratches = new WeakMap<WorkerPool, Record<'params' | 'cotangents', Float64Array | undefined>>();

function reusedScratch(pool: WorkerPool, use: 'params' | 'cotangents', length: number): Float64Array {
  let own = scratches.get(pool);
  if (!own) scratches.set(pool, (own = { params: undefined, cotangents: undefined }));
  const s = own[use];
  if (s && s.length >= length) return s;
  return (own[use] = sharedZeros(length));
}

export function isParallelCall(saved: unknown): saved is ParallelCall {
  return saved instanceof ParallelCall;
}

const released = new FinalizationRegistry<{ pool: WorkerPool; id: number; workers: number }>(({ pool, id, workers }) => {
  if (pool.closed) return;
  for (let w = 0; w < workers; w++) pool.post(w, { kind: 'release', ids: [id] });
});

function exchange(
  pool: WorkerPool,
  requests: readonly (() => { worker: number; message: WorkerRequest })[],
  where: string,
  ranges: readonly (readonly [number, number])[],
): WorkerReply[] {
  // Each request is built just before it is sent, so the next slice's copy overlaps the previous worker's work.
  const replies = pool.exchange(
    (function* () {
      for (const make of requests) yield make();
    })(),
  );
  replies.forEach((r, w) => {
    // A worker numbers the elements of its slice from 0: say where the slice starts.
    const [lo, hi] = ranges[w]!;
    if (r.kind === 'error')
      rethrow(r, where, `worker ${w} had batch elements ${lo}–${hi - 1}; element numbers in this message count from ${lo}`);
  });
  return replies;
}

/**
 * The options a worker solves its slice with: `workers` and `label` dropped, a batched warm
 * start cut to the slice, tensors on shared memory. Code (functions) cannot travel.
 */
function sliceOptions(
  node: AnyNode,
  options: Readonly<Record<string, unknown>>,
  batch: number,
  lo: number,
  hi: number,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(options)) {
    if (k === 'workers' || k === 'label' || v === undefined) continue;
    if (typeof v === 'function') {
      throw new InvalidInputError(
        `${node.name}: option '${k}' is a function, which cannot be sent to a worker; call the node without 'workers'`,
      );
    }
    if (k === 'warmStart') {
      const specs = node.signature.solution as Record<string, CoreSpec>;
      const warm: Record<string, unknown> = {};
      for (const [key, t] of Object.entries(v as Record<string, Tensor | undefined>)) {
        if (!t) continue;
        const sliced = t.ndim === rankOf(specs[key]!) + 1;
        warm[key] = sliced ? new Tensor(elementRange(t.data, batch, lo, hi), [hi - lo, ...t.shape.slice(1)]) : t;
      }
      out[k] = encodeValue(warm);
    } else if (v instanceof Tensor && v.ndim > 0 && v.shape[0] === batch) {
      // Only the node knows whether such a tensor is per batch element; sent whole, a slice would misread it.
      throw new InvalidInputError(
        `${node.name}: option '${k}' is a tensor whose leading axis has the batch size (${batch}); a worker cannot tell whether it holds one entry per batch element: call the node without 'workers'`,
      );
    } else out[k] = encodeValue(v);
  }
  return out;
}

/** The slices' reports as one: every per-element array concatenated in batch order. */
function mergeInfo(parts: readonly SolveInfo[]): SolveInfo {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(parts[0]!)) {
    const values = parts.map((p) => (p as unknown as Record<string, unknown>)[key]);
    out[key] = values.every(Array.isArray) ? ([] as unknown[]).concat(...values) : values[0];
  }
  return out as unknown as SolveInfo;
}
