import { pathToFileURL } from 'node:url';
import { Rng, randn, valueAndGrad, type Tensor } from '@argmin/autodiff';
import type { TensorRecord } from '@argmin/autodiff/extend';
import { type Amortized, amortize, mlp, type MlpParams } from '@argmin/nodes-amortized';
import { mpcNode } from '@argmin/nodes-control';
import { qpNode } from '@argmin/nodes-convex';
import { chainFamily } from '../examples/lib/amortized-lqr.js';
import { qpFamily } from '../examples/lib/amortized-qp.js';
import { medianBatchMs } from './lml.bench.js';
import { printRows } from './timing.js';
import type { BenchRow } from './types.js';

/**
 * Amortized optimization on the families of examples/amortized-qp.ts (box QP, n = 50, contexts in
 * R^10) and examples/amortized-lqr.ts (3-mass chain, T = 30, |u| ≤ 1): per context, over a batch
 * of 200 held-out contexts, the solver from scratch against the model's prediction (`infer`:
 * MLP, projection onto the constraints), and one training step on the objective loss (batch 64).
 * Timing does not depend on θ, so the model is at its initialization; the examples report the
 * trained model's gap and warm-start savings.
 *
 *   pnpm exec tsx bench/amortized.bench.ts [--quick]
 */
export async function run({ quick }: { quick: boolean }): Promise<BenchRow[]> {
  const budgetMs = quick ? 400 : 1500;
  const rows: BenchRow[] = [];
  const add = <P extends TensorRecord, S extends TensorRecord>(
    group: string,
    what: string,
    am: Amortized<P, S, MlpParams>,
    x: Tensor,
    train: Tensor,
  ) => {
    const B = x.shape[0]!;
    const theta = am.init(Rng.seeded(1));
    const solve = medianBatchMs(() => am.solve(x), { batches: 3, inner: 1, budgetMs }) / B;
    const predict = medianBatchMs(() => am.infer(theta, x), { budgetMs }) / B;
    const step = valueAndGrad((th: MlpParams) => am.loss(th, { x: train }));
    rows.push({ group, name: `solve from scratch, ${what}`, ours: solve, unit: 'ms/context' });
    rows.push({ group, name: `amortized prediction, ${what}`, ours: predict, unit: 'ms/context' });
    rows.push({ group, name: `speed-up, ${what}`, ours: solve / predict, unit: '×', target: '≥ 100' });
    rows.push({
      group,
      name: `training step (objective loss, batch ${train.shape[0]}), ${what}`,
      ours: medianBatchMs(() => step(theta), { budgetMs }),
      unit: 'ms',
    });
  };

  const rng = Rng.seeded(0);
  const fam = qpFamily(50, 10, rng);
  const qpAm = amortize(qpNode, mlp({ sizes: [10, 64, 64, 50], linearSkip: true }), {
    problem: fam.problem,
    loss: 'objective',
    shapes: { z: [50] },
  });
  add('amortized', 'box QP n=50', qpAm, randn([200, 10], rng), randn([64, 10], rng));

  const chain = chainFamily(3, 30);
  const lqrAm = amortize(mpcNode, mlp({ sizes: [chain.ns, 32, 32, 30 * chain.nc], activation: 'tanh', linearSkip: true }), {
    problem: chain.problem,
    loss: 'objective',
    predict: ['u'],
    shapes: { u: [30, chain.nc] },
  });
  add('amortized', 'box LQR 3 masses T=30', lqrAm, randn([200, chain.ns], rng), randn([64, chain.ns], rng));
  return rows;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  printRows(await run({ quick: process.argv.includes('--quick') }));
}
