import { qp, sinkhorn } from '@argmin/nodes-convex';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { applyNode } from '../../src/extend.js';
import { ArgminError, InvalidInputError, Rng, Tensor, randn, randu, vjp } from '../../src/index.js';
import { openWorkerPool, type WorkerPool } from '../../src/parallel/index.js';
import { scaleNode } from './fixture-plugin.js';

/**
 * Node calls split across worker threads (`workers: n`) compute what the in-thread call
 * computes: outputs, per-element SolveInfo and VJPs (batched and shared parameters), on batches
 * that do not divide evenly, and after the workers dropped what they kept for the backward.
 */

const plugins = [new URL('../../../nodes-convex/src/index.ts', import.meta.url), new URL('./fixture-plugin.ts', import.meta.url)];
let pool: WorkerPool;
beforeAll(async () => {
  // minBatch 4: the small batches below go to the workers (the default, 16, is the measured crossover).
  pool = await openWorkerPool({ size: 2, plugins, minBatch: 4 });
});
afterAll(async () => {
  await pool?.close();
});

type Rec = Record<string, Tensor>;

/** Max |a − b| / (1 + max |a|) over every tensor of two records. */
function maxRelDiff(a: Record<string, Tensor | null | undefined>, b: Record<string, Tensor | null | undefined>): number {
  let worst = 0;
  for (const k of Object.keys(a)) {
    const x = a[k];
    const y = b[k];
    if (!x || !y) {
      if (x || y) return Number.POSITIVE_INFINITY;
      continue;
    }
    expect(y.shape, k).toEqual(x.shape);
    let scale = 0;
    for (const v of x.data) scale = Math.max(scale, Math.abs(v));
    for (let i = 0; i < x.size; i++) worst = Math.max(worst, Math.abs(x.data[i]! - y.data[i]!) / (1 + scale));
  }
  return worst;
}

/** Solution and VJP of `call` for a fixed random cotangent on every output. */
function solveAndVjp(call: (p: Rec) => object, params: Rec, seed: number): { out: Rec; info: unknown; grads: Rec } {
  let info: unknown;
  const { value, pullback } = vjp((p: Rec) => {
    const { info: i, ...out } = call(p) as Rec & { info: unknown };
    info = i;
    return out;
  }, params);
  const rng = Rng.seeded(seed);
  const cot = Object.fromEntries(Object.entries(value as Rec).map(([k, t]) => [k, randn(t.shape, rng)]));
  const [grads] = pullback(cot) as [Rec];
  return { out: value as Rec, info, grads };
}

function randomQp(n: number, batch: number, seed: number): Rec {
  const rng = Rng.seeded(seed);
  const L = randn([n, n], rng);
  const Q = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++)
      for (let r = 0; r < n; r++) Q[i * n + j]! += (L.data[i * n + r]! * L.data[j * n + r]!) / n + (i === j && r === 0 ? 0.1 : 0);
  const G = randn([batch, n, n], rng);
  // h = G z₀ + s with s > 0: every element feasible.
  const h = randu([batch, n], rng, 0.1, 1);
  return { Q: new Tensor(Q, [n, n]), p: randn([batch, n], rng), G, h, A: randn([batch, 1, n], rng), b: randn([batch, 1], rng) };
}

describe('workers: the parallel path equals the in-thread call', () => {
  test('qp, B = 37 on 2 workers, Q shared (its gradient summed across workers)', () => {
    const params = randomQp(6, 37, 1);
    const here = solveAndVjp((p) => qp(p as never), params, 2);
    const before = pool.exchanges;
    const there = solveAndVjp((p) => qp(p as never, { workers: 2 }), params, 2);
    expect(pool.exchanges - before, 'one forward and one backward exchange').toBe(2);
    expect(maxRelDiff(here.out, there.out)).toBeLessThanOrEqual(1e-12);
    expect(there.info).toEqual(here.info);
    expect(maxRelDiff(here.grads, there.grads)).toBeLessThanOrEqual(1e-12);
  });

  test('a batched warm start is cut to each worker’s slice', () => {
    const params = randomQp(5, 11, 12);
    const start = qp(params as never).z;
    const warm = new Tensor(
      start.data.map((v, i) => v + 0.01 * Math.sin(i)),
      start.shape,
    );
    const here = solveAndVjp((p) => qp(p as never, { warmStart: { z: warm } }), params, 13);
    const before = pool.exchanges;
    const there = solveAndVjp((p) => qp(p as never, { warmStart: { z: warm }, workers: 2 }), params, 13);
    expect(pool.exchanges - before).toBe(2);
    expect(maxRelDiff(here.out, there.out)).toBeLessThanOrEqual(1e-12);
    expect(maxRelDiff(here.grads, there.grads)).toBeLessThanOrEqual(1e-12);
  });

  test('sinkhorn, B = 9 on 2 workers, C shared', () => {
    const rng = Rng.seeded(3);
    const norm = (t: Tensor) => {
      const d = Float64Array.from(t.data);
      for (let e = 0; e < t.shape[0]!; e++) {
        const row = d.subarray(e * t.shape[1]!, (e + 1) * t.shape[1]!);
        const s = row.reduce((x, y) => x + y, 0);
        for (let i = 0; i < row.length; i++) row[i]! /= s;
      }
      return new Tensor(d, t.shape);
    };
    const params = { a: norm(randu([9, 7], rng, 0.5, 1.5)), b: norm(randu([9, 5], rng, 0.5, 1.5)), C: randu([7, 5], rng) };
    const here = solveAndVjp((p) => sinkhorn(p as never, { epsilon: 0.1 }), params, 4);
    const before = pool.exchanges;
    const there = solveAndVjp((p) => sinkhorn(p as never, { epsilon: 0.1, workers: 2 }), params, 4);
    expect(pool.exchanges - before).toBe(2);
    expect(maxRelDiff(here.out, there.out)).toBeLessThanOrEqual(1e-12);
    expect(there.info).toEqual(here.info);
    expect(maxRelDiff(here.grads, there.grads)).toBeLessThanOrEqual(1e-12);
  });

  test('a call between a forward and its backward does not change that backward (reused shared memory)', () => {
    // Each call copies its inputs into shared memory the pool reuses; what the workers keep of a
    // slice for its backward (here the parameters themselves: the generic implicit VJP reads
    // them again) must not read the next call's data.
    const rng = Rng.seeded(31);
    const first = { x: randn([12, 5], rng), c: randn([12], rng) };
    const cot = { y: randn([12, 5], rng) };
    const call = (p: Rec, workers?: number) => ({ y: applyNode(scaleNode, p as never, workers ? { workers } : {}).y });
    const here = vjp((p: Rec) => call(p), first).pullback(cot) as [Rec];
    const { pullback } = vjp((p: Rec) => call(p, 2), first);
    call({ x: randn([12, 5], rng), c: randn([12], rng) }, 2);
    const [grads] = pullback(cot) as [Rec];
    expect(maxRelDiff(here[0], grads)).toBe(0);
  });

  test('an infeasible element keeps its status and gets the policy zero gradient', () => {
    const params = randomQp(4, 9, 5);
    const G = Float64Array.from(params.G!.data);
    const h = Float64Array.from(params.h!.data);
    // Element 4: z₀ ≤ −1 and −z₀ ≤ −1, no feasible point.
    G.fill(0, 4 * 16, 4 * 16 + 8);
    G[4 * 16] = 1;
    G[4 * 16 + 4] = -1;
    h[16] = -1;
    h[17] = -1;
    const bad = { ...params, G: new Tensor(G, params.G!.shape), h: new Tensor(h, params.h!.shape) };
    const here = solveAndVjp((p) => qp(p as never, { onUnconverged: 'zero' }), bad, 6);
    const before = pool.exchanges;
    const there = solveAndVjp((p) => qp(p as never, { onUnconverged: 'zero', workers: 2 }), bad, 6);
    expect(pool.exchanges - before).toBe(2);
    expect((there.info as { status: string[] }).status[4]).toBe('infeasible');
    expect(there.info).toEqual(here.info);
    expect(maxRelDiff(here.grads, there.grads)).toBeLessThanOrEqual(1e-12);
  });

  test('after the workers evicted a kept slice, the backward solves again in-thread (replies in 64-byte chunks)', async () => {
    const small = await openWorkerPool({ size: 2, plugins, keepLimit: 1, minBatch: 0, mailboxBytes: 64, makeDefault: false });
    try {
      const a = randomQp(5, 6, 7);
      const b = randomQp(5, 6, 8);
      const call = (p: Rec, w?: WorkerPool) => {
        // Two node calls on one tape: the second evicts the first's slices (keepLimit 1).
        const first = qp({ ...p } as never, w ? { workers: w } : {});
        const second = qp({ ...b, p: first.z } as never, w ? { workers: w } : {});
        return { z: second.z };
      };
      const here = solveAndVjp((p) => call(p), a, 9);
      const there = solveAndVjp((p) => call(p, small), a, 9);
      expect(small.exchanges, 'two forwards, two backwards (the first finds its slices gone)').toBe(4);
      const { info: i1, ...x } = qp(a as never, { workers: small });
      const { info: i2, ...y } = qp(a as never);
      expect(maxRelDiff(x, y)).toBe(0);
      expect(i1).toEqual(i2);
      expect(maxRelDiff(here.grads, there.grads)).toBeLessThanOrEqual(1e-12);
    } finally {
      await small.close();
    }
  });

  test('a second derivative through a call solved on workers (recorded implicit VJP, in-thread)', () => {
    const rng = Rng.seeded(14);
    const norm = (t: Tensor) =>
      new Tensor(
        t.data.map((v) => v / t.data.reduce((x, y) => x + y, 0)),
        t.shape,
      );
    const a = norm(randu([6], rng, 0.5, 1.5));
    const b = norm(randu([5], rng, 0.5, 1.5));
    const C = randu([9, 6, 5], rng);
    const W = randn([9, 6, 5], rng);
    const V = randn([9, 6, 5], rng);
    const second = (workers?: number) => {
      const inner = (c: Tensor) =>
        (
          vjp((cc: Tensor) => sinkhorn({ a, b, C: cc }, { epsilon: 0.2, ...(workers ? { workers } : {}) }).plan, c).pullback(W) as [Tensor]
        )[0];
      return (vjp(inner, C).pullback(V) as [Tensor])[0];
    };
    const here = second();
    const before = pool.exchanges;
    const there = second(2);
    expect(pool.exchanges - before, 'the forward and the first-order backward on the workers').toBe(2);
    expect(maxRelDiff({ g: here }, { g: there })).toBeLessThanOrEqual(1e-12);
  });

  test('an unbatched call or a batch under minBatch runs in-thread with the same result', () => {
    const params = randomQp(4, 3, 10);
    const single = Object.fromEntries(
      Object.entries(params).map(([k, t]) => [k, k === 'Q' ? t : new Tensor(t.data.slice(0, t.size / 3), t.shape.slice(1))]),
    );
    const before = pool.exchanges;
    const { info: i1, ...a } = qp(params as never);
    const { info: i2, ...b } = qp(params as never, { workers: 2 });
    expect(maxRelDiff(a, b)).toBe(0);
    const { info: i3, ...c } = qp(single as never);
    const { info: i4, ...d } = qp(single as never, { workers: 2 });
    expect(maxRelDiff(c, d)).toBe(0);
    expect([i2, i4]).toEqual([i1, i3]);
    expect(pool.exchanges).toBe(before);
  });
});

describe('workers: bad values are typed errors naming the node and the option', () => {
  const params = randomQp(4, 12, 11);
  test.each([0, -1, 1.5, 'two', Number.NaN])('workers: %s', (w) => {
    expect(() => qp(params as never, { workers: w as number })).toThrow(InvalidInputError);
    expect(() => qp(params as never, { workers: w as number })).toThrow(/convex\.qp: option 'workers' must be a positive integer/);
  });
  test('more workers than the pool has', () => {
    expect(() => qp(params as never, { workers: 3 })).toThrow(/convex\.qp: option 'workers' is 3 but the open worker pool has 2 workers/);
  });
  test('a closed pool', async () => {
    const other = await openWorkerPool({ size: 1, plugins, makeDefault: false });
    await other.close();
    expect(() => qp(params as never, { workers: other })).toThrow(/closed/);
  });
});

describe('workers: what fails in a worker fails in the caller, typed', () => {
  const x = new Tensor(
    Float64Array.from({ length: 40 }, (_, i) => i),
    [10, 4],
  );
  const c = new Tensor(new Float64Array(10).fill(2), [10]);
  test('an error of the solve names the element within the worker’s slice and where the slice starts', () => {
    expect(applyNode(scaleNode, { x, c }, { workers: 2, strategy: 'solve' }).y.data[39]).toBe(78);
    const call = () => applyNode(scaleNode, { x, c }, { workers: 2, strategy: 'solve', failOn: 29 });
    expect(call).toThrow(InvalidInputError);
    expect(call).toThrow(
      'test.scale: x of element 2 holds 29 (worker 1 had batch elements 5–9; element numbers in this message count from 5)',
    );
    // The pool is still usable.
    expect(applyNode(scaleNode, { x, c }, { workers: 2, strategy: 'solve' }).y.data[0]).toBe(0);
  });
  test('an option holding code cannot travel', () => {
    expect(() => applyNode(scaleNode, { x, c }, { workers: 2, strategy: 'solve', map: () => {} })).toThrow(
      /test\.scale: option 'map' is a function, which cannot be sent to a worker/,
    );
  });
  test('a tensor option with a batch-sized leading axis is refused; another travels whole', () => {
    const call = (weights: Tensor) => applyNode(scaleNode, { x, c }, { workers: 2, strategy: 'solve', weights });
    expect(() => call(new Tensor(new Float64Array(10), [10]))).toThrow(
      /test\.scale: option 'weights' is a tensor whose leading axis has the batch size \(10\)/,
    );
    expect(call(new Tensor(new Float64Array(3), [3])).y.data[5]).toBe(10);
  });
  test('a worker thread that exits fails the call and closes the pool', async () => {
    const doomed = await openWorkerPool({ size: 2, plugins, minBatch: 0, makeDefault: false });
    expect(() => applyNode(scaleNode, { x, c }, { workers: doomed, strategy: 'solve', exitOn: 30 })).toThrow(ArgminError);
    expect(doomed.closed).toBe(true);
    await doomed.close();
  });
});
