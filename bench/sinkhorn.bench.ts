import { pathToFileURL } from 'node:url';
import { Rng, Tensor, randu, vjp } from '@argmin/autodiff';
import { sinkhorn } from '../packages/nodes-convex/src/sinkhorn/node.js';
import type { SinkhornParams } from '../packages/nodes-convex/src/sinkhorn/problem.js';
import { medianBatchMs, medianPhaseMs, printRows, retainedBytes } from './lml.bench.js';
import type { BenchRow } from './types.js';

/**
 * Entropic OT at n = m = 50, 200, 1000 and ε = 0.5, 0.05, 0.01 on the fixtures' kind of problem
 * (squared distances of uniform points in [0, 1]², scaled to max 1; random positive marginals):
 * forward to the default tolerance (L1 marginal error ≤ 1e-9), the implicit backward of a
 * cotangent on the plan (the Schur-complement solve), the unrolled backward, and the memory each
 * keeps alive (measured as in lml.bench.ts).
 *
 *   pnpm exec tsx --conditions=source bench/sinkhorn.bench.ts [--quick]
 *
 * Unrolling runs as many log-domain steps as the forward needed iterations, capped (the cap is
 * in the row's name): each step keeps ~12 n×m tensors alive, 96 MB at n = 1000, so a full unroll
 * there does not fit in memory; the per-step cost and memory scale linearly.
 */

function problem(n: number, m: number, seed: number): SinkhornParams {
  const rng = Rng.seeded(seed);
  const x = randu([n, 2], rng);
  const y = randu([m, 2], rng);
  const C = new Float64Array(n * m);
  let max = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < m; j++) {
      const d = (x.data[2 * i]! - y.data[2 * j]!) ** 2 + (x.data[2 * i + 1]! - y.data[2 * j + 1]!) ** 2;
      C[i * m + j] = d;
      max = Math.max(max, d);
    }
  }
  const normalized = (t: Tensor) => {
    const s = t.data.reduce((acc, v) => acc + v, 0);
    return new Tensor(
      t.data.map((v) => v / s),
      t.shape,
    );
  };
  return {
    a: normalized(randu([n], rng, 0.5, 1.5)),
    b: normalized(randu([m], rng, 0.5, 1.5)),
    C: new Tensor(
      C.map((v) => v / max),
      [n, m],
    ),
  };
}

const UNROLL_CAP: Record<number, number> = { 50: 400, 200: 100, 1000: 4 };

export async function run({ quick = false }: { quick?: boolean } = {}): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const cases = quick
    ? ([
        [50, 0.05],
        [200, 0.05],
      ] as const)
    : [50, 200, 1000].flatMap((n) => [0.5, 0.05, 0.01].map((e) => [n, e] as const));
  const budgetMs = quick ? 400 : 1500;
  for (const [n, epsilon] of cases) {
    const params = problem(n, n, n);
    const iterations = sinkhorn(params, { epsilon }).info.iterations[0]!;
    const steps = Math.min(iterations, UNROLL_CAP[n]!);
    const cot = randu([n, n], Rng.seeded(1), -1, 1);
    const group = 'convex.sinkhorn';
    const tag = `n=m=${n} ε=${epsilon}`;
    const call = (strategy: 'implicit' | 'unroll') => (p: SinkhornParams) =>
      sinkhorn(p, { epsilon, strategy, ...(strategy === 'unroll' ? { maxIter: steps } : {}) }).plan;
    const backward = (strategy: 'implicit' | 'unroll') =>
      medianPhaseMs(
        () => {
          const { pullback } = vjp(call(strategy), params);
          return () => pullback(cot);
        },
        { batches: n >= 1000 ? 3 : 15, budgetMs },
      );
    const memory = (strategy: 'implicit' | 'unroll') => retainedBytes(() => vjp(call(strategy), params)) / 1024;
    rows.push({
      group,
      name: `forward ${tag} (${iterations} iterations)`,
      ours: medianBatchMs(() => sinkhorn(params, { epsilon }), { inner: n >= 1000 ? 1 : 5, batches: n >= 1000 ? 5 : 15, budgetMs }),
      unit: 'ms',
      ...(n === 50 && epsilon === 0.05 ? { target: '≤ 1.5', reference: 'POT 0.8.2 ot.sinkhorn (numpy) ≈ 2.0 ms on this machine' } : {}),
    });
    rows.push({ group, name: `implicit backward ${tag}`, ours: backward('implicit'), unit: 'ms' });
    rows.push({ group, name: `unrolled backward ${tag} (${steps} steps)`, ours: backward('unroll'), unit: 'ms' });
    rows.push({ group, name: `retained, implicit ${tag}`, ours: memory('implicit'), unit: 'KiB' });
    rows.push({ group, name: `retained, unrolled ${tag} (${steps} steps)`, ours: memory('unroll'), unit: 'KiB' });
  }
  return rows;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  printRows(await run({ quick: process.argv.includes('--quick') }));
}
