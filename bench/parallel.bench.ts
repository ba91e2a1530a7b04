import { readFileSync, readdirSync } from 'node:fs';
import { loadavg } from 'node:os';
import { Rng, Tensor, randu, vjp } from '@argmin/autodiff';
import { openWorkerPool } from '@argmin/autodiff/parallel';
import { qp, sinkhorn } from '@argmin/nodes-convex';
import { printRows } from './lml.bench.js';
import { randomQp } from './qp.bench.js';
import type { BenchRow } from './types.js';
import { coreCeiling } from './core-ceiling.js';

/**
 * Batched node calls split across worker threads (`workers: n`): forward + implicit backward of
 * QP n = 20 (qp.bench.ts's `randomQp`) and Sinkhorn 50×50 (ε = 0.05, every element its own
 * cost), in-thread and on 1 and 2 workers of one pool, for batch sizes from 4 to 256. The
 * configurations alternate round by round, so load on a shared machine hits them alike; the
 * figures are medians, and the ratios are of medians from the same run. The pool's start-up
 * (each worker importing the plugins) is timed once and kept out of the steady state. The first
 * row is the machine's own ceiling for two threads (core-ceiling.ts).
 *
 *   pnpm exec tsx --conditions=source bench/parallel.bench.ts [--quick]
 */

const plugins = [new URL('../packages/nodes-convex/src/index.ts', import.meta.url)];

function sinkhornBatch(n: number, batch: number, seed: number): { a: Tensor; b: Tensor; C: Tensor } {
  const rng = Rng.seeded(seed);
  const marginal = () => {
    const t = randu([batch, n], rng, 0.5, 1.5);
    const d = Float64Array.from(t.data);
    for (let e = 0; e < batch; e++) {
      const row = d.subarray(e * n, (e + 1) * n);
      const s = row.reduce((x, y) => x + y, 0);
      for (let i = 0; i < n; i++) row[i]! /= s;
    }
    return new Tensor(d, [batch, n]);
  };
  return { a: marginal(), b: marginal(), C: randu([batch, n, n], rng) };
}

type Case = { name: string; fwdBwd: (workers: number | undefined) => void };

function qpCase(batch: number): Case {
  const params = randomQp(20, batch, 7000 + batch);
  const cot = new Tensor(
    Float64Array.from({ length: batch * 20 }, (_, i) => Math.sin(i + 1)),
    [batch, 20],
  );
  return {
    name: `qp n=20 B=${batch}`,
    fwdBwd: (workers) => vjp((p: typeof params) => qp(p, workers ? { workers } : {}).z, params).pullback(cot),
  };
}

function sinkhornCase(batch: number): Case {
  const params = sinkhornBatch(50, batch, 8000 + batch);
  const cot = new Tensor(
    Float64Array.from({ length: batch * 2500 }, (_, i) => Math.cos(i)),
    [batch, 50, 50],
  );
  return {
    name: `sinkhorn 50x50 B=${batch}`,
    fwdBwd: (workers) =>
      vjp((p: typeof params) => sinkhorn(p, { epsilon: 0.05, ...(workers ? { workers } : {}) }).plan, params).pullback(cot),
  };
}

/** CPU nanoseconds of every thread of this process so far (Linux schedstat). */
function threadCpu(): Map<string, number> {
  const out = new Map<string, number>();
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      out.set(tid, Number(readFileSync(`/proc/self/task/${tid}/schedstat`, 'utf8').split(' ')[0]));
    } catch {
      // the thread ended meanwhile
    }
  }
  return out;
}

/**
 * One run's wall time, and its critical path in CPU time: the main thread's CPU plus the
 * busiest other thread's (a worker). Wall time on a loaded machine measures the load; the
 * critical path is what a quiet machine with a core per thread would show (never less).
 */
function timeRun(fn: () => void): { wall: number; path: number; total: number; main: number } {
  const before = threadCpu();
  const usage = process.cpuUsage();
  const s = performance.now();
  fn();
  const wall = performance.now() - s;
  const used = process.cpuUsage(usage);
  const after = threadCpu();
  // A running thread's schedstat lags by up to a scheduler tick, so the main thread's share is
  // the process's CPU time (exact) less the other threads' (blocked when read, so exact).
  const total = (used.user + used.system) / 1e3;
  let others = 0;
  let busiest = 0;
  for (const [tid, ns] of after) {
    if (tid === String(process.pid)) continue;
    const d = (ns - (before.get(tid) ?? 0)) / 1e6;
    others += d;
    busiest = Math.max(busiest, d);
  }
  const main = Math.max(0, total - others);
  return { wall, path: main + busiest, total, main };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export async function run({ quick = false }: { quick?: boolean } = {}): Promise<BenchRow[]> {
  const t0 = performance.now();
  // minBatch 0: every batch size goes to the workers, so the crossover is measured, not assumed.
  const pool = await openWorkerPool({ size: 2, plugins, minBatch: 0 });
  const startup = performance.now() - t0;
  const rows: BenchRow[] = [{ group: 'parallel', name: 'pool start-up, 2 workers', ours: startup, unit: 'ms' }];
  // What two threads can gain here at all (core-ceiling.ts): the bound for the rows below.
  const ceiling = await coreCeiling(quick ? 5 : 9);
  rows.push({ group: 'parallel', name: 'ceiling: register-only chains, 2 threads vs 1', ours: ceiling.speedup, unit: '×' });
  process.stderr.write(`  ceiling rounds: ${ceiling.speedups.map((v) => v.toFixed(2)).join(', ')}\n`);
  const configs = [undefined, 1, 2] as const;
  const label = (w: number | undefined) => (w === undefined ? 'in-thread' : `${w} worker${w > 1 ? 's' : ''}`);
  try {
    const sizes = quick ? [8, 64, 256] : [4, 8, 16, 32, 64, 128, 256];
    for (const make of [qpCase, sinkhornCase]) {
      for (const batch of sizes) {
        const c = make(batch);
        const times = new Map<number | undefined, { wall: number; path: number; total: number; main: number }[]>(
          configs.map((w) => [w, []]),
        );
        // Warm-up, here and in the workers (each worker's JIT sees only its calls): ≥ 3 calls and ~200 ms per configuration.
        for (const w of configs) {
          const start = performance.now();
          for (let i = 0; i < 3 || (i < 200 && performance.now() - start < 200); i++) c.fwdBwd(w);
        }
        const rounds = quick ? 5 : batch >= 128 ? 9 : 15;
        for (let r = 0; r < rounds; r++) {
          for (const w of r % 2 ? [...configs].reverse() : configs) {
            times.get(w)!.push(timeRun(() => c.fwdBwd(w)));
          }
        }
        const med = (w: number | undefined, key: 'wall' | 'path' | 'total' | 'main') => median(times.get(w)!.map((t) => t[key]));
        for (const w of configs) {
          rows.push({ group: 'parallel', name: `fwd+bwd ${c.name}, ${label(w)}, wall`, ours: med(w, 'wall'), unit: 'ms' });
          rows.push({ group: 'parallel', name: `fwd+bwd ${c.name}, ${label(w)}, CPU critical path`, ours: med(w, 'path'), unit: 'ms' });
        }
        for (const key of ['wall', 'path'] as const) {
          const what = key === 'wall' ? 'wall' : 'CPU critical path';
          rows.push({
            group: 'parallel',
            name: `speed-up ${c.name}, 2 workers vs 1, ${what}`,
            ours: med(1, key) / med(2, key),
            unit: '×',
            ...(batch === 256 ? { target: '≥ 1.7×' } : {}),
          });
          rows.push({
            group: 'parallel',
            name: `speed-up ${c.name}, 2 workers vs in-thread, ${what}`,
            ours: med(undefined, key) / med(2, key),
            unit: '×',
          });
        }
        const line = (w: number | undefined) =>
          `${label(w)} ${med(w, 'wall').toFixed(1)} ms wall, ${med(w, 'path').toFixed(1)} path (main ${med(w, 'main').toFixed(1)}), ${med(w, 'total').toFixed(1)} cpu`;
        process.stderr.write(`  ${c.name}: ${configs.map(line).join('; ')}; load ${loadavg()[0]!.toFixed(2)}\n`);
      }
    }
  } finally {
    await pool.close();
  }
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  printRows(await run({ quick: process.argv.includes('--quick') }));
}
