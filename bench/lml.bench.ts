import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import { pathToFileURL } from 'node:url';
import { Rng, randn, vjp, type Tensor } from '@argmin/autodiff';
import { lml } from '../packages/nodes-convex/src/lml/node.js';
import { median } from './timing.js';
import type { BenchRow } from './types.js';

/**
 * LML (soft top-k) at n = 10 … 10000 over a batch of 32 rows, k = max(1, n/10) (DCEM-like elite
 * fractions): forward, implicit backward (the closed form), unrolled backward (30 taped Newton
 * steps) and the memory each backward keeps alive.
 *
 *   pnpm exec tsx --conditions=source bench/lml.bench.ts [--quick]
 *
 * Times are the median over batches of the mean per call in a batch (warm JIT); "backward" is the pullback alone, the forward done beforehand.
 * Retained memory: heap + ArrayBuffer bytes still reachable from the {value, pullback} pair that
 * vjp returns, measured as the difference of process.memoryUsage() around it with forced full
 * GCs. It is what a training loop holds between its forward and backward passes: the outputs,
 * the tape (every recorded op's inputs and outputs) and whatever the node saved.
 */

const BATCH = 32;

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Median over `batches` batches of the mean milliseconds per call in a batch of `inner` calls, after a warm-up. */
export function medianBatchMs(fn: () => unknown, { batches = 15, inner = 5, budgetMs = 1500 } = {}): number {
  warmUp(fn);
  const times: number[] = [];
  const start = performance.now();
  for (let b = 0; b < batches && (b < 3 || performance.now() - start < budgetMs); b++) {
    const t0 = performance.now();
    for (let i = 0; i < inner; i++) fn();
    times.push((performance.now() - t0) / inner);
  }
  return median(times);
}

/** Median time of the second phase of `setup` (e.g. a pullback), the first phase untimed. */
export function medianPhaseMs(setup: () => () => unknown, opts: { batches?: number; budgetMs?: number } = {}): number {
  const { batches = 15, budgetMs = 1500 } = opts;
  warmUp(() => setup()());
  const times: number[] = [];
  const start = performance.now();
  for (let b = 0; b < batches && (b < 3 || performance.now() - start < budgetMs); b++) {
    const phase = setup();
    const t0 = performance.now();
    phase();
    times.push(performance.now() - t0);
  }
  return median(times);
}

/** Runs `fn` for ~150 ms (at least 3 calls, at most 200), so the JIT has optimized it. */
function warmUp(fn: () => unknown): void {
  const start = performance.now();
  for (let i = 0; i < 200 && (i < 3 || performance.now() - start < 150); i++) fn();
}

function usedBytes(): number {
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

/**
 * Bytes kept reachable by what `make` returns (forced full GCs before and after). Small results
 * are measured over 32 copies kept at once and divided, below the heap's accounting noise.
 */
export function retainedBytes(make: () => unknown): number {
  const measure = (copies: number): number => {
    gc();
    gc();
    const before = usedBytes();
    const kept = Array.from({ length: copies }, make);
    gc();
    gc();
    const after = usedBytes();
    if (kept.length !== copies) throw new Error('unreachable');
    return Math.max(0, after - before) / copies;
  };
  const once = measure(1);
  return once < 1 << 20 ? measure(32) : once;
}

export async function run({ quick = false }: { quick?: boolean } = {}): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const sizes = quick ? [10, 100, 1000] : [10, 100, 1000, 10000];
  const budgetMs = quick ? 400 : 1500;
  for (const n of sizes) {
    const k = Math.max(1, Math.floor(n / 10));
    const rng = Rng.seeded(n);
    const x = randn([BATCH, n], rng, 2);
    const cot = randn([BATCH, n], rng);
    const group = 'convex.lml';
    const tag = `n=${n} B=${BATCH} k=${k}`;
    const forward = medianBatchMs(() => lml(x, { k }), { inner: n >= 10000 ? 1 : 5, budgetMs });
    const backward = (strategy: 'implicit' | 'unroll') =>
      medianPhaseMs(
        () => {
          const { pullback } = vjp((xx: Tensor) => lml(xx, { k }, { strategy }), x);
          return () => pullback(cot);
        },
        { budgetMs },
      );
    const memory = (strategy: 'implicit' | 'unroll') => retainedBytes(() => vjp((xx: Tensor) => lml(xx, { k }, { strategy }), x)) / 1024;
    rows.push({
      group,
      name: `forward ${tag}`,
      ours: forward,
      unit: 'ms',
      ...(n === 100 ? { target: '≤ 0.3', reference: 'locuslab/lml 2–3 ms on this machine' } : {}),
    });
    rows.push({ group, name: `implicit backward ${tag}`, ours: backward('implicit'), unit: 'ms' });
    rows.push({ group, name: `unrolled backward (30 steps) ${tag}`, ours: backward('unroll'), unit: 'ms' });
    rows.push({ group, name: `retained, implicit ${tag}`, ours: memory('implicit'), unit: 'KiB' });
    rows.push({ group, name: `retained, unrolled ${tag}`, ours: memory('unroll'), unit: 'KiB' });
  }
  return rows;
}

export function printRows(rows: readonly BenchRow[]): void {
  const fmt = (v: number) => (v >= 100 ? v.toFixed(0) : v >= 1 ? v.toFixed(2) : v.toPrecision(3));
  console.log('| group | case | ours | unit | target | reference |');
  console.log('|---|---|---:|---|---|---|');
  for (const r of rows) console.log(`| ${r.group} | ${r.name} | ${fmt(r.ours)} | ${r.unit} | ${r.target ?? ''} | ${r.reference ?? ''} |`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  printRows(await run({ quick: process.argv.includes('--quick') }));
}
