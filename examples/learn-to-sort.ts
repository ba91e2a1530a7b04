/**
 * Learning to sort with Gumbel-Sinkhorn (Mena, Belanger, Linderman & Snoek, 2018).
 *
 * A small network scores, for each number of a sequence on its own, every position it could
 * take; the scores X [n, n] go through the Birkhoff projection P = sinkhornPermutation(X + Gumbel
 * noise, τ), a soft permutation, and the loss compares Pᵀx with the sorted sequence. Gradients
 * flow through Sinkhorn's implicit VJP. At test time the hard assignment (argmax per row, no
 * noise) is compared with the true ranks.
 *
 *   pnpm exec tsx examples/learn-to-sort.ts
 */
import {
  Rng,
  Tensor,
  add,
  expandDims,
  matmul,
  mean,
  mul,
  randn,
  randu,
  relu,
  reshape,
  sub,
  sum,
  valueAndGrad,
  zeros,
} from '@argmin/autodiff';
import { sinkhornPermutation } from '@argmin/nodes-convex';

const N = 6; // numbers per sequence
const HIDDEN = 32;
const BATCH = 32;
const STEPS = 300;
const TAU = 1;

type Params = { W1: Tensor; b1: Tensor; W2: Tensor; b2: Tensor };

/** Position scores X[b, i, j] of number i of sequence b at position j, each number scored alone. */
function scores(p: Params, x: Tensor): Tensor {
  const h = relu(add(matmul(reshape(x, [-1, 1]), p.W1), p.b1));
  return reshape(add(matmul(h, p.W2), p.b2), [-1, N, N]);
}

function sorted(x: Tensor): Tensor {
  const out = new Float64Array(x.size);
  for (let b = 0; b < x.size / N; b++) out.set(x.data.slice(b * N, (b + 1) * N).sort(), b * N);
  return new Tensor(out, x.shape);
}

/** Mean squared error between Pᵀx (the numbers moved to their positions) and sort(x). */
function loss(p: Params, x: Tensor, rng: Rng): Tensor {
  // As the scores sharpen, a sequence with two nearly equal numbers can need more iterations than
  // the budget; its gradient is then dropped (info.status says which) rather than trusted.
  const P = sinkhornPermutation(scores(p, x), { tau: TAU, noise: { rng, scale: 0.5 }, maxIter: 2000, onUnconverged: 'zero' });
  const placed = sum(mul(P, expandDims(x, -1)), 1); // [B, N]: Σᵢ P[b, i, j] x[b, i]
  const err = sub(placed, sorted(x));
  return mean(mul(err, err));
}

/** Adam, in plain loops over the parameters' data (the optimizer is not part of the graph). */
function adam(params: Params, lr = 0.01, b1 = 0.9, b2 = 0.999) {
  const m = new Map<string, Float64Array>();
  const v = new Map<string, Float64Array>();
  let t = 0;
  return (p: Params, g: Params): Params => {
    t++;
    const next: Record<string, Tensor> = {};
    for (const k of Object.keys(params) as (keyof Params)[]) {
      const mk = m.get(k) ?? new Float64Array(p[k].size);
      const vk = v.get(k) ?? new Float64Array(p[k].size);
      const w = Float64Array.from(p[k].data);
      for (let i = 0; i < w.length; i++) {
        const gi = g[k].data[i]!;
        mk[i] = b1 * mk[i]! + (1 - b1) * gi;
        vk[i] = b2 * vk[i]! + (1 - b2) * gi * gi;
        w[i]! -= (lr * (mk[i]! / (1 - b1 ** t))) / (Math.sqrt(vk[i]! / (1 - b2 ** t)) + 1e-8);
      }
      m.set(k, mk);
      v.set(k, vk);
      next[k] = new Tensor(w, p[k].shape);
    }
    return next as Params;
  };
}

/** Fraction of numbers put at their true rank, and of sequences sorted exactly, without noise. */
function accuracy(p: Params, x: Tensor): { perNumber: number; perSequence: number } {
  // A low temperature makes P nearly a permutation; the iteration budget only bounds the time.
  const P = sinkhornPermutation(scores(p, x), { tau: 0.1, maxIter: 500 });
  const batch = x.size / N;
  let right = 0;
  let whole = 0;
  for (let b = 0; b < batch; b++) {
    const row = Array.from(x.data.slice(b * N, (b + 1) * N));
    const order = row.map((_, i) => i).sort((i, j) => row[i]! - row[j]!);
    let all = true;
    order.forEach((i, rank) => {
      const scoresOfI = P.data.slice(b * N * N + i * N, b * N * N + (i + 1) * N);
      const placed = scoresOfI.indexOf(Math.max(...scoresOfI));
      if (placed === rank) right++;
      else all = false;
    });
    if (all) whole++;
  }
  return { perNumber: right / (batch * N), perSequence: whole / batch };
}

const rng = Rng.seeded(0);
let params: Params = {
  W1: randn([1, HIDDEN], rng, 1),
  b1: randn([HIDDEN], rng, 0.5),
  W2: randn([HIDDEN, N], rng, 1 / Math.sqrt(HIDDEN)),
  b2: zeros([N]),
};
const step = adam(params, 0.02);
const lossAndGrad = valueAndGrad((p: Params, x: Tensor, r: Rng) => loss(p, x, r));
const test = randu([500, N], Rng.seeded(123));
const noise = Rng.seeded(1);
const start = performance.now();
console.log(`learning to sort ${N} numbers in [0, 1] (batch ${BATCH}, τ = ${TAU}); chance accuracy ≈ ${(1 / N).toFixed(2)}`);
for (let s = 1; s <= STEPS; s++) {
  const [value, grads] = lossAndGrad(params, randu([BATCH, N], rng), noise);
  params = step(params, grads as Params);
  if (s % 50 === 0 || s === 1) {
    const acc = accuracy(params, test);
    console.log(
      `step ${String(s).padStart(3)}  loss ${(value as Tensor).item().toExponential(2)}  test accuracy ${(100 * acc.perNumber).toFixed(1)}% per number, ${(100 * acc.perSequence).toFixed(1)}% sequences sorted`,
    );
  }
}
const final = accuracy(params, test);
console.log(
  `final test accuracy: ${(100 * final.perNumber).toFixed(1)}% of numbers at their rank, ${(100 * final.perSequence).toFixed(1)}% of sequences fully sorted (${((performance.now() - start) / 1000).toFixed(1)} s)`,
);
