/**
 * Part 5: differentiable sorting and top-k.
 *   - Sinkhorn: learning to sort with Gumbel-Sinkhorn (Mena et al. 2018), as in
 *     examples/learn-to-sort.ts: a network scores every position each number could take, the
 *     scores go through the Birkhoff projection (a soft permutation P), and Pᵀx is compared with
 *     sort(x).
 *   - LML: learning a scorer whose soft top-k (the limited multi-label projection, Amos, Koltun
 *     & Kolter 2019) selects the k best items of a list, whose utility is a hidden nonlinear
 *     function of their features.
 * Both train through the nodes' implicit VJPs.
 */
import {
  Rng,
  Tensor,
  add,
  expandDims,
  log,
  matmul,
  neg,
  ones,
  mean,
  mul,
  randn,
  randu,
  relu,
  reshape,
  squeeze,
  sub,
  sum,
  trace,
  valueAndGrad,
  zeros,
} from '@argmin/autodiff';
import { gumbel, lml, sinkhorn, sinkhornPermutation } from '@argmin/nodes-convex';
import { adam } from '@argmin/nodes-amortized';
import { COLORS, lineChart } from '../lib/plot.js';
import type { DemoPart } from './part.js';

const N = 6; // numbers per sequence to sort
const ITEMS = 10; // items per list for top-k
const K = 3;
const FEATURES = 3;

const sizes = (quick: boolean) =>
  quick ? { sortSteps: 60, topkSteps: 100, evalEvery: 10 } : { sortSteps: 200, topkSteps: 300, evalEvery: 20 };

type Net = { W1: Tensor; b1: Tensor; W2: Tensor; b2: Tensor };

function initNet(inputs: number, hidden: number, outputs: number, rng: Rng): Net {
  return {
    W1: randn([inputs, hidden], rng, 1 / Math.sqrt(inputs)),
    b1: randn([hidden], rng, 0.5),
    W2: randn([hidden, outputs], rng, 1 / Math.sqrt(hidden)),
    b2: zeros([outputs]),
  };
}

const forward = (p: Net, x: Tensor) => add(matmul(relu(add(matmul(x, p.W1), p.b1)), p.W2), p.b2);

// ---- Sinkhorn sorting -------------------------------------------------------------------------

/** Position scores X[b, i, j] of number i of sequence b at position j, each number scored alone. */
const positionScores = (p: Net, x: Tensor) => reshape(forward(p, reshape(x, [-1, 1])), [-1, N, N]);

function sorted(x: Tensor): Tensor {
  const out = new Float64Array(x.size);
  for (let b = 0; b < x.size / N; b++) out.set(x.data.slice(b * N, (b + 1) * N).sort(), b * N);
  return new Tensor(out, x.shape);
}

/** Sequences whose Sinkhorn solve did not converge, so that `onUnconverged: 'zero'` dropped their gradient. */
const dropped = { sequences: 0, of: 0 };

function sortLoss(p: Net, x: Tensor, noise?: Rng): Tensor {
  // A sequence with two nearly equal numbers can need more iterations than the budget as the
  // scores sharpen; its gradient is then dropped rather than trusted, and counted. This is
  // sinkhornPermutation (τ = 1) written out, for the solver's report per sequence.
  const scores = positionScores(p, x);
  const noisy = noise ? add(scores, gumbel(scores.shape, noise, 0.5)) : scores;
  const { plan: P, info } = sinkhorn(
    { a: ones([N]), b: ones([N]), C: neg(noisy) },
    { epsilon: 1, maxIter: 2000, onUnconverged: 'zero', label: 'Sinkhorn (soft permutation)' },
  );
  dropped.sequences += info.status.filter((s) => s !== 'converged').length;
  dropped.of += info.status.length;
  const placed = sum(mul(P, expandDims(x, -1)), 1); // Σᵢ P[b, i, j] x[b, i]
  const err = sub(placed, sorted(x));
  return mean(mul(err, err));
}

/** Fraction of numbers put at their true rank (argmax of P's row at a low temperature), and of whole sequences. */
function sortAccuracy(p: Net, x: Tensor): { perNumber: number; perSequence: number } {
  const P = sinkhornPermutation(positionScores(p, x), { tau: 0.1, maxIter: 500, strategy: 'solve' });
  const batch = x.size / N;
  let right = 0;
  let whole = 0;
  for (let b = 0; b < batch; b++) {
    const row = Array.from(x.data.subarray(b * N, (b + 1) * N));
    const order = row.map((_, i) => i).sort((i, j) => row[i]! - row[j]!);
    let all = true;
    order.forEach((i, rank) => {
      const s = Array.from(P.data.subarray((b * N + i) * N, (b * N + i + 1) * N));
      if (s.indexOf(Math.max(...s)) === rank) right++;
      else all = false;
    });
    if (all) whole++;
  }
  return { perNumber: right / (batch * N), perSequence: whole / batch };
}

// ---- LML top-k ---------------------------------------------------------------------------------

/** Lists of items with features [B, ITEMS, F] and the indicator of the top K by a hidden utility. */
function topkData(lists: number, rng: Rng): { f: Tensor; target: Tensor } {
  const f = randn([lists, ITEMS, FEATURES], rng);
  const target = new Float64Array(lists * ITEMS);
  for (let b = 0; b < lists; b++) {
    const u = Array.from({ length: ITEMS }, (_, i) => {
      const [a, c, d] = f.data.subarray((b * ITEMS + i) * FEATURES, (b * ITEMS + i + 1) * FEATURES);
      return a! + c! * c! - 0.5 * d! * a!;
    });
    const order = u.map((_, i) => i).sort((i, j) => u[j]! - u[i]!);
    for (const i of order.slice(0, K)) target[b * ITEMS + i] = 1;
  }
  return { f, target: new Tensor(target, [lists, ITEMS]) };
}

const itemScores = (p: Net, f: Tensor) => squeeze(forward(p, f), -1);

/** −(1/k) Σᵢ tᵢ log yᵢ with y the soft top-k (LML) of the scores: the LML paper's loss. */
function topkLoss(p: Net, f: Tensor, target: Tensor): Tensor {
  const y = lml(itemScores(p, f), { k: K }, { label: 'LML (soft top-k)' });
  return mul(mean(sum(mul(target, log(y)), -1)), -1 / K);
}

/** Precision@k of the hard top-k of the scores. */
function precisionAtK(p: Net, f: Tensor, target: Tensor): number {
  const s = itemScores(p, f).data;
  let hits = 0;
  const lists = target.shape[0]!;
  for (let b = 0; b < lists; b++) {
    const idx = Array.from({ length: ITEMS }, (_, i) => i).sort((i, j) => s[b * ITEMS + j]! - s[b * ITEMS + i]!);
    for (const i of idx.slice(0, K)) hits += target.data[b * ITEMS + i]!;
  }
  return hits / (lists * K);
}

// ---- The part ----------------------------------------------------------------------------------

export const sortingPart: DemoPart = {
  id: 'sorting-topk',
  title: 'Sinkhorn and LML: learning to sort and to pick the top k',
  reference:
    'Mena, Belanger, Linderman & Snoek, Gumbel-Sinkhorn Networks (ICLR 2018); Amos, Koltun & Kolter, The Limited Multi-Label Projection Layer (2019)',
  units: (quick) => (sizes(quick).sortSteps + sizes(quick).topkSteps / 10) / 20,
  async run({ quick, progress }) {
    const cfg = sizes(quick);
    const rng = Rng.seeded(5);
    // Sorting.
    let sortNet = initNet(1, 32, N, rng);
    const sortOpt = adam({ lr: 0.02 });
    let sortState = sortOpt.init(sortNet);
    const sortGrad = valueAndGrad((p: Net, x: Tensor, r: Rng) => sortLoss(p, x, r));
    const sortTest = randu([300, N], Rng.seeded(123));
    const noise = Rng.seeded(1);
    const sortCurve: { step: number; loss: number; perNumber: number; perSequence: number }[] = [];
    Object.assign(dropped, { sequences: 0, of: 0 });
    for (let s = 1; s <= cfg.sortSteps; s++) {
      const [value, g] = sortGrad(sortNet, randu([32, N], rng), noise) as [Tensor, Net];
      ({ params: sortNet, state: sortState } = sortOpt.update(sortNet, g, sortState));
      if (s % cfg.evalEvery === 0 || s === 1) sortCurve.push({ step: s, loss: value.item(), ...sortAccuracy(sortNet, sortTest) });
      await progress(1 / 20);
    }
    const drops = { ...dropped };
    // Top-k.
    let topNet = initNet(FEATURES, 16, 1, rng);
    const topOpt = adam({ lr: 0.01 });
    let topState = topOpt.init(topNet);
    const topGrad = valueAndGrad(topkLoss);
    const topTest = topkData(500, Rng.seeded(321));
    const topCurve: { step: number; loss: number; precision: number }[] = [
      { step: 0, loss: topkLoss(topNet, topTest.f, topTest.target).item(), precision: precisionAtK(topNet, topTest.f, topTest.target) },
    ];
    for (let s = 1; s <= cfg.topkSteps; s++) {
      const batch = topkData(32, rng);
      const [, g] = topGrad(topNet, batch.f, batch.target) as [Tensor, Net];
      ({ params: topNet, state: topState } = topOpt.update(topNet, g, topState));
      if (s % cfg.evalEvery === 0)
        topCurve.push({
          step: s,
          loss: topkLoss(topNet, topTest.f, topTest.target).item(),
          precision: precisionAtK(topNet, topTest.f, topTest.target),
        });
      await progress(1 / 200);
    }

    const lossChart = lineChart({
      series: [
        { name: 'Sinkhorn sort, train batch', x: sortCurve.map((c) => c.step), y: sortCurve.map((c) => c.loss), color: COLORS[1] },
        { name: 'LML top-k, held out', x: topCurve.map((c) => c.step), y: topCurve.map((c) => c.loss), color: COLORS[0] },
      ],
      logY: true,
      xLabel: 'Adam step',
      yLabel: 'loss',
    });
    const accuracyChart = lineChart({
      series: [
        { name: 'numbers at their rank', x: sortCurve.map((c) => c.step), y: sortCurve.map((c) => c.perNumber), color: COLORS[1] },
        {
          name: 'sequences fully sorted',
          x: sortCurve.map((c) => c.step),
          y: sortCurve.map((c) => c.perSequence),
          color: COLORS[1],
          dashed: true,
        },
        { name: `top-${K} precision`, x: topCurve.map((c) => c.step), y: topCurve.map((c) => c.precision), color: COLORS[0] },
      ],
      rules: [
        { y: K / ITEMS, label: `chance, top-${K} of ${ITEMS}`, color: '#9db0e6' },
        { y: 1 / N, label: `chance, rank of ${N}`, color: '#ffb3a7' },
      ],
      xLabel: 'Adam step',
      yLabel: 'held-out accuracy',
    });
    const sortFinal = sortCurve[sortCurve.length - 1]!;
    const topFinal = topCurve[topCurve.length - 1]!;
    const sample = { x: randu([4, N], Rng.seeded(9)), items: topkData(4, Rng.seeded(10)) };
    const graph = trace(
      (sp: Net, tp: Net, x: Tensor, f: Tensor, t: Tensor) => ({ sort: sortLoss(sp, x), topk: topkLoss(tp, f, t) }),
      [sortNet, topNet, sample.x, sample.items.f, sample.items.target],
      {
        name: 'sorting and top-k losses',
        argNames: ['sort net', 'scorer', 'numbers', 'item features', 'top-k labels'],
        parameters: [0, 1],
      },
    );
    const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
    return {
      summary:
        `Sinkhorn sort of ${N}: ${pct(sortFinal.perNumber)} of numbers at their rank, ${pct(sortFinal.perSequence)} of sequences sorted (chance ${pct(1 / N)}), ` +
        `${drops.sequences} of ${drops.of} training sequences' gradients dropped (Sinkhorn unconverged); ` +
        `LML top-${K} of ${ITEMS}: precision ${pct(topFinal.precision)} (from ${pct(topCurve[0]!.precision)}, chance ${pct(K / ITEMS)})`,
      description:
        `Sorting: a network scores each of ${N} numbers in [0, 1] for every position; Gumbel-Sinkhorn turns the scores into a soft permutation P ` +
        `and the loss compares Pᵀx with sort(x) (${cfg.sortSteps} steps, gradients by Sinkhorn's implicit VJP). Top-k: a small network scores ${ITEMS} items ` +
        `from ${FEATURES} features; the LML layer's soft top-${K} is trained against the true top-${K} by a hidden nonlinear utility (${cfg.topkSteps} steps).`,
      graph,
      figures: [
        { name: 'loss', title: 'Training losses (log scale)', svg: lossChart },
        { name: 'accuracy', title: 'Held-out accuracy (hard decisions)', svg: accuracyChart },
      ],
      metrics: {
        sortPerNumber: sortFinal.perNumber,
        sortPerSequence: sortFinal.perSequence,
        sortInitialPerNumber: sortCurve[0]!.perNumber,
        topkPrecision: topFinal.precision,
        topkInitialPrecision: topCurve[0]!.precision,
        topkChance: K / ITEMS,
        sortChance: 1 / N,
      },
    };
  },
};
