/**
 * softmaxLayer: implicit vs unrolled backward — time of forward+backward and the tensor bytes the
 * recorded computation keeps for the backward, at n = 10, 100, 1000 (batch 1).
 */
import { Rng, mul, randn, sum, vjp, type Strategy, type Tensor } from '@argmin/autodiff';
import { softmaxLayer } from '@argmin/nodes-convex';
import { medianMs, printRows } from './timing.js';
import type { BenchRow } from './types.js';

export async function run({ quick }: { quick: boolean }): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  for (const n of [10, 100, 1000]) {
    const rng = Rng.seeded(n);
    const x = randn([n], rng);
    const c = randn([n], rng);
    for (const strategy of ['implicit', 'unroll'] as Strategy[]) {
      const loss = (t: Tensor) => sum(mul(softmaxLayer({ x: t }, { strategy }).y, c));
      const ms = medianMs(() => vjp(loss, x).pullback(null), quick ? 5 : 20);
      const bytes = vjp(loss, x).retainedBytes();
      rows.push({ group: 'convex.softmax', name: `${strategy} fwd+bwd n=${n}`, ours: ms, unit: 'ms' });
      rows.push({ group: 'convex.softmax', name: `${strategy} retained n=${n}`, ours: bytes / 1024, unit: 'KiB' });
    }
  }
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) printRows(await run({ quick: process.argv.includes('--quick') }));
