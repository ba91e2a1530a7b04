import { loadavg } from 'node:os';
import { pathToFileURL } from 'node:url';
import { Rng } from '@argmin/autodiff';
import { choleskyInto, gemm, ldltInto, luFactor, syrk, trsm } from '@argmin/autodiff/kernels';
import { median, medianMs, printRows } from './timing.js';
import type { BenchRow } from './types.js';

/**
 * Dense kernels against the scalar limit of this machine. The limit is measured here, in the same
 * run: independent chains x ← x·a + b (one multiply and one add each, what a gemm micro-kernel
 * does per entry of its tile), 8 to 14 chains, the best count's rate. No JavaScript engine
 * vectorizes float64 code, so this is the ceiling for any JS kernel; the gemm rows report their
 * share of it. Where WebAssembly SIMD compiles, gemm's micro-kernel is f64x2 WebAssembly
 * (kernels/gemm-simd.ts) and passes that ceiling (shares above 100%); elsewhere it is the scalar
 * kernel. Then gemm at n = 64 … 512 and the blocked factorizations and solves built on it.
 * Every figure is a median over repeated runs (wall time).
 *
 *   pnpm exec tsx --conditions=source bench/kernels.bench.ts [--quick]
 */

/** `count` independent multiply-add chains, unrolled (generated, so the count is a parameter). */
function chains(count: number): (iterations: number, a: number, b: number) => number {
  const vars = Array.from({ length: count }, (_, i) => `x${i}`);
  const body = [
    ...vars.map((v, i) => `let ${v} = ${(i + 1) / count};`),
    'for (let t = 0; t < iterations; t++) {',
    ...vars.map((v) => `  ${v} = ${v} * a + b;`),
    '}',
    `return ${vars.join(' + ')};`,
  ].join('\n');
  return new Function('iterations', 'a', 'b', body) as (iterations: number, a: number, b: number) => number;
}

/** The chain count with the highest rate on this machine (a few short runs of each). */
function bestChainCount(): number {
  let best = { rate: 0, count: 0 };
  for (const count of [8, 10, 12, 13, 14]) {
    const f = chains(count);
    const iterations = Math.round(2e7 / count);
    const rate = (count * iterations) / medianMs(() => f(iterations, 0.999999, 1e-7), 5);
    if (rate > best.rate) best = { rate, count };
  }
  return best.count;
}

/** Wall milliseconds of one call. */
function timeOnce(fn: () => unknown): number {
  const t0 = performance.now();
  fn();
  return performance.now() - t0;
}

function randomMatrix(n: number, rng: Rng): Float64Array {
  return Float64Array.from({ length: n * n }, () => rng.uniform() * 2 - 1);
}

/** G·Gᵀ/n + I: symmetric positive definite and well conditioned. */
function spd(n: number, rng: Rng): Float64Array {
  const g = randomMatrix(n, rng);
  const a = new Float64Array(n * n);
  gemm(false, true, n, n, n, 1 / n, g, 0, n, g, 0, n, 0, a, 0, n);
  for (let i = 0; i < n; i++) a[i * n + i]! += 1;
  return a;
}

export async function run({ quick = false }: { quick?: boolean } = {}): Promise<BenchRow[]> {
  const rng = Rng.seeded(7);
  const runs = quick ? 5 : 15;
  const rows: BenchRow[] = [];
  // Rounds alternate the peak and every gemm size, so each share compares runs taken under the
  // same load (a shared machine's load changes within seconds).
  const count = bestChainCount();
  const peakChains = chains(count);
  const iterations = Math.round(5e7 / count);
  const peakRun = () => peakChains(iterations, 0.999999, 1e-7);
  const products = [64, 128, 256, 512].map((n) => {
    const a = randomMatrix(n, rng);
    const b = randomMatrix(n, rng);
    const c = new Float64Array(n * n);
    // Several products per timed run for the small sizes, so the clock's resolution does not matter.
    const reps = Math.max(1, Math.round(2e7 / n ** 3));
    const run = () => {
      for (let r = 0; r < reps; r++) gemm(false, false, n, n, n, 1, a, 0, n, b, 0, n, 0, c, 0, n);
    };
    return { n, reps, run, times: [] as number[] };
  });
  const peakTimes: number[] = [];
  for (let round = -2; round < runs; round++) {
    const t = timeOnce(peakRun);
    if (round >= 0) peakTimes.push(t);
    for (const p of products) {
      const tp = timeOnce(p.run);
      if (round >= 0) p.times.push(tp);
    }
  }
  const peak = (2 * count * iterations) / (median(peakTimes) * 1e6);
  rows.push({
    group: 'kernels',
    name: `scalar peak (${count} multiply-add chains)`,
    ours: peak,
    unit: 'GFLOP/s',
    reference: 'this machine, this run',
  });
  for (const { n, reps, times } of products) {
    const gflops = (2 * n ** 3 * reps) / (median(times) * 1e6);
    rows.push({
      group: 'kernels',
      name: `gemm ${n}×${n}×${n}`,
      ours: gflops,
      unit: 'GFLOP/s',
      ...(n === 512 ? { target: '≥ 6 and ≥ 70% of peak' } : {}),
    });
    rows.push({ group: 'kernels', name: `gemm ${n}: share of the scalar peak`, ours: (100 * gflops) / peak, unit: '%' });
  }

  for (const n of [100, 200]) {
    const a = spd(n, rng);
    const out = new Float64Array(n * n);
    const reps = n === 100 ? 20 : 4;
    const time = (fn: () => unknown) =>
      medianMs(() => {
        for (let r = 0; r < reps; r++) fn();
      }, runs) / reps;
    rows.push({ group: 'kernels', name: `Cholesky n=${n}`, ours: time(() => choleskyInto(a, n, out)), unit: 'ms' });
    rows.push({ group: 'kernels', name: `LDLᵀ n=${n}`, ours: time(() => ldltInto(a, n, out)), unit: 'ms' });
    rows.push({ group: 'kernels', name: `LU n=${n}`, ours: time(() => luFactor(a, n)), unit: 'ms' });
    // The lower triangle of X·Xᵀ for a square X (the QP's Q + GᵀDG): n³ flops.
    const syrkMs = time(() => syrk(false, n, n, 1, a, 0, n, 0, out, 0, n));
    rows.push({ group: 'kernels', name: `syrk ${n}×${n} (lower)`, ours: n ** 3 / syrkMs / 1e6, unit: 'GFLOP/s' });
    choleskyInto(a, n, out);
    const rhs = randomMatrix(n, rng);
    const x = new Float64Array(n * n);
    rows.push({
      group: 'kernels',
      name: `trsm n=${n}, ${n} right-hand sides`,
      ours: time(() => {
        x.set(rhs);
        trsm({ lower: true }, n, n, out, 0, n, x, 0, n);
      }),
      unit: 'ms',
    });
  }
  // Last, because it cannot be undone: once any ArrayBuffer in the process has been detached (a
  // transfer to a worker, a fetch body, tfjs), V8 checks detachment on every typed-array access,
  // the pack buffer's included. Rounds alternate again with the peak.
  const buffer = new ArrayBuffer(8);
  structuredClone(buffer, { transfer: [buffer] });
  const big = products.at(-1)!;
  const detachedPeak: number[] = [];
  const detachedGemm: number[] = [];
  for (let round = -2; round < runs; round++) {
    const t = timeOnce(peakRun);
    const tg = timeOnce(big.run);
    if (round >= 0) {
      detachedPeak.push(t);
      detachedGemm.push(tg);
    }
  }
  const gflops = (2 * big.n ** 3 * big.reps) / (median(detachedGemm) * 1e6);
  const peakAfter = (2 * count * iterations) / (median(detachedPeak) * 1e6);
  rows.push({ group: 'kernels', name: `gemm ${big.n} after an ArrayBuffer detach`, ours: gflops, unit: 'GFLOP/s' });
  rows.push({ group: 'kernels', name: `gemm ${big.n} after a detach: share of the peak`, ours: (100 * gflops) / peakAfter, unit: '%' });
  return rows;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const rows = await run({ quick: process.argv.includes('--quick') });
  printRows(rows);
  // Timings on a shared machine mean little without the load they were taken under.
  console.log(`\n1-minute load average at the end: ${loadavg()[0]!.toFixed(2)}`);
}
