import { pathToFileURL } from 'node:url';
import { Rng, randn, valueAndGrad, type Tensor } from '@argmin/autodiff';
import type { TensorRecord } from '@argmin/autodiff/extend';
import { type Amortized, amortize, mlp, type MlpParams } from '@argmin/nodes-amortized';
import { mpcNode } from '@argmin/nodes-control';
import { qpNode } from '@argmin/nodes-convex';
import { chainFamily } from '../examples/lib/amortized-lqr.js';
import { qpFamily } from '../examples/lib/amortized-qp.js';
import { medianBatchMs } from './lml.bench.js';
import { median, printRows } from './timing.js';
import type { BenchRow } from './types.js';

/**
 * Amortized optimization on the families of examples/amortized-qp.ts (box QP, n = 50, contexts in
 * R^10) and examples/amortized-lqr.ts (3-mass chain, T = 30, |u| ≤ 1): per context, over one batch
 * of 200 held-out contexts, the solver from scratch against the model's prediction (`infer`:
 * everything from the context tensor to the prediction on the constraints), timed in alternating
 * rounds (medians), and one training step on the objective loss (batch 64). Timing does not
 * depend on θ, so the model is at its initialization; the examples report the trained model's gap
 * and warm-start savings. The QP's deployed model is the example's (10→12→50 softsign, linear
 * skip, clamped onto the box in the model); 10→64→64→50 tanh is the larger one it replaced.
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
    { target = '≥ 100', withTraining = true }: { target?: string | null; withTraining?: boolean } = {},
  ) => {
    const B = x.shape[0]!;
    const theta = am.init(Rng.seeded(1));
    const { solve, predict } = alternatingMs(
      () => am.solve(x),
      () => am.infer(theta, x),
      quick ? 3 : 7,
    );
    rows.push({ group, name: `solve from scratch, ${what}`, ours: solve / B, unit: 'ms/context' });
    rows.push({ group, name: `amortized prediction, ${what}`, ours: predict / B, unit: 'ms/context' });
    rows.push({ group, name: `speed-up, ${what}`, ours: solve / predict, unit: '×', ...(target ? { target } : {}) });
    if (!withTraining) return;
    const step = valueAndGrad((th: MlpParams) => am.loss(th, { x: train }));
    rows.push({
      group,
      name: `training step (objective loss, batch ${train.shape[0]}), ${what}`,
      ours: medianBatchMs(() => step(theta), { budgetMs }),
      unit: 'ms',
    });
  };

  const rng = Rng.seeded(0);
  const fam = qpFamily(50, 10, rng);
  const qpX = randn([200, 10], rng);
  const qpTrain = randn([64, 10], rng);
  const deployed = mlp({ sizes: [10, 12, 50], activation: 'softsign', linearSkip: true, outputBounds: [-1, 1] });
  const qpAm = amortize(qpNode, deployed, { problem: fam.problem, loss: 'objective', penaltyWeight: 0, shapes: { z: [50] } });
  add('amortized', 'box QP n=50', qpAm, qpX, qpTrain, { target: '≥ 1000' });
  const larger = mlp({ sizes: [10, 64, 64, 50], activation: 'tanh', linearSkip: true, outputBounds: [-1, 1] });
  const qpLarger = amortize(qpNode, larger, { problem: fam.problem, loss: 'objective', penaltyWeight: 0, shapes: { z: [50] } });
  add('amortized', 'box QP n=50, MLP 10→64→64→50 tanh', qpLarger, qpX, qpTrain, { target: null, withTraining: false });

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

/**
 * Median milliseconds of `solve` (one call a round) and `predict` (the mean of a round of calls
 * lasting about a tenth of a solve, so the timer's resolution does not matter) over `rounds`
 * alternating rounds, after a warm-up of both: the two sides see the same load.
 */
function alternatingMs(solve: () => unknown, predict: () => unknown, rounds: number): { solve: number; predict: number } {
  const time = (fn: () => unknown, calls: number) => {
    const t0 = performance.now();
    for (let i = 0; i < calls; i++) fn();
    return (performance.now() - t0) / calls;
  };
  const inner = Math.max(1, Math.round(time(solve, 1) / 10 / time(predict, 50)));
  const s: number[] = [];
  const p: number[] = [];
  for (let r = 0; r < rounds; r++) {
    s.push(time(solve, 1));
    p.push(time(predict, inner));
  }
  return { solve: median(s), predict: median(p) };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  printRows(await run({ quick: process.argv.includes('--quick') }));
}
