import { InvalidInputError } from '../errors.js';
import { withoutRecording } from '../tape.js';
import { Tensor } from '../tensor.js';
import { elementVjps } from '../optimization/apply.js';
import type { NodeLayout } from '../optimization/batch.js';
import type { AnyNode, SolveResult, TensorRecord } from '../optimization/node.js';
import { resolvePlan } from '../optimization/strategy.js';
import {
  decodeValue,
  elementRange,
  errorReply,
  type SolveRequest,
  type VjpRequest,
  type WorkerReply,
  type WorkerRequest,
} from './protocol.js';

/** What a worker keeps of a slice for its backward: the slice's call and its solve result. */
interface Kept {
  readonly node: AnyNode;
  readonly params: TensorRecord;
  readonly options: Record<string, unknown>;
  readonly layout: NodeLayout;
  readonly result: SolveResult<TensorRecord>;
  readonly batch: number;
  readonly lo: number;
  readonly hi: number;
}

/**
 * The worker's side, independent of the thread API: answers one request at a time with the
 * nodes of its plugins (found by name). Slices kept for a backward are released by the caller,
 * or evicted oldest first beyond `keepLimit` (a later VJP of an evicted slice is answered
 * 'missing', and the caller differentiates it in-thread).
 */
export function createServer(nodes: ReadonlyMap<string, AnyNode>, keepLimit: number): (message: WorkerRequest) => WorkerReply | null {
  const kept = new Map<number, Kept>();
  return (message) => {
    try {
      switch (message.kind) {
        case 'solve':
          return solveSlice(message);
        case 'vjp':
          return vjpSlice(message);
        case 'release':
          for (const id of message.ids) kept.delete(id);
          return null;
        case 'stop':
          kept.clear();
          return null;
      }
    } catch (e) {
      return errorReply(e);
    }
  };

  function solveSlice(m: SolveRequest): WorkerReply {
    const node = nodes.get(m.node);
    if (!node)
      throw new InvalidInputError(`${m.node}: no plugin of this worker pool provides the node (it has ${[...nodes.keys()].join(', ')})`);
    // A kept slice owns its parameters: the caller reuses the shared memory they came in.
    const params: Record<string, Tensor> = {};
    for (const [k, t] of Object.entries(m.params)) params[k] = new Tensor(m.keep ? t.data.slice() : t.data, t.shape);
    const options = decodeValue(m.options) as Record<string, unknown>;
    const layout: NodeLayout = { size: m.hi - m.lo, batched: new Set(m.batched), dims: m.dims };
    const result = withoutRecording(() => node.solve(params, options, layout)) as SolveResult<TensorRecord>;
    for (const [k, view] of Object.entries(m.out)) elementRange(view, m.batch, m.lo, m.hi).set(result.solution[k]!.data);
    if (m.keep) {
      kept.set(m.id, { node, params, options, layout, result, batch: m.batch, lo: m.lo, hi: m.hi });
      for (const id of kept.keys()) {
        if (kept.size <= keepLimit) break;
        kept.delete(id);
      }
    }
    return { kind: 'solved', info: result.info };
  }

  function vjpSlice(m: VjpRequest): WorkerReply {
    const s = kept.get(m.id);
    if (!s) return { kind: 'missing' };
    const cot: Record<string, Tensor | null> = {};
    for (const [k, c] of Object.entries(m.cot)) {
      cot[k] = c === null ? null : new Tensor(elementRange(c, s.batch, s.lo, s.hi), s.result.solution[k]!.shape);
    }
    const plan = resolvePlan(s.node, s.options);
    if (plan.kind !== 'implicit') throw new InvalidInputError(`${s.node.name}: a worker was asked for the VJP of a '${plan.kind}' call`);
    const grads = withoutRecording(() => elementVjps(s.node, s.params, s.result, cot, s.options, s.layout, plan));
    const present: string[] = [];
    for (const [k, view] of Object.entries(m.grads)) {
      const g = grads[k];
      if (!g) continue;
      present.push(k);
      (s.layout.batched.has(k) ? elementRange(view, s.batch, s.lo, s.hi) : view).set(g.data);
    }
    return { kind: 'grads', present };
  }
}
