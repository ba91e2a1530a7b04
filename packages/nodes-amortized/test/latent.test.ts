import { InvalidInputError, Rng, ShapeError, Tensor, mul, randn, sub, sum, tensor } from '@argmin/autodiff';
import { checkVjp } from '@argmin/autodiff/testing';
import { qpNode } from '@argmin/nodes-convex';
import { describe, expect, test } from 'vitest';
import { adam } from '../src/adam.js';
import { amortizeLatent, latentSearchModel, type LatentSearch } from '../src/latent.js';
import { evaluateAmortized } from '../src/measure.js';
import { mlp, type MlpParams } from '../src/mlp.js';
import { expectError, maxAbsDiff } from './helpers/assert.js';
import { clampBox, qpFamily } from './helpers/families.js';

// Amortization through a learned latent space (DCEM, Amos & Yarats 2020): the prediction is CEM's
// solution over z of f(decoder_θ(z, x); x), and θ is trained through the unrolled soft search.
const fam = qpFamily(4, 3);
const search: LatentSearch = { latentSize: 2, nSamples: 16, nElite: 4, iters: 3, temperature: 1, seed: 1 };
/** ‖y − x‖² per row: the best output is the context itself. */
const distance = (x: Tensor, y: Tensor) => sum(mul(sub(y, x), sub(y, x)), -1);
/** The identity decoder z ↦ z, as an MLP with one linear layer. */
const identity = mlp({ sizes: [2, 2], activation: 'identity' });
const identityTheta: MlpParams = {
  W0: tensor([
    [1, 0],
    [0, 1],
  ]),
  b0: tensor([0, 0]),
};

describe('amortizeLatent', () => {
  test('a short training of the decoder through DCEM cuts the suboptimality of what the search finds', () => {
    const decoder = mlp({ sizes: [2 + 3, 8, 4], activation: 'tanh' });
    const planner = amortizeLatent(qpNode, decoder, search, {
      problem: fam.problem,
      project: clampBox,
      shapes: { z: [4] },
      contextSize: 3,
    });
    expect(planner.model.name).toBe('latent-cem(mlp[5,8,4], z 2)');
    expect([planner.model.inputSize, planner.model.outputSize]).toEqual([3, 4]);
    const theta0 = planner.init(Rng.seeded(3));
    const fit = planner.fit(
      theta0,
      { x: randn([128, 3], Rng.seeded(1)) },
      { steps: 30, batchSize: 8, optimizer: adam({ lr: 2e-2 }), rng: Rng.seeded(4) },
    );
    const xTest = randn([16, 3], Rng.seeded(2));
    const quick = { rounds: 1, predictRepeats: 1 } as const;
    const before = evaluateAmortized(planner, theta0, xTest, quick);
    const after = evaluateAmortized(planner, fit.params, xTest, quick);
    expect(before.gap).toBeGreaterThan(0.4);
    expect(after.gap).toBeLessThan(0.35 * before.gap);
    expect(after.violationMax).toBeLessThanOrEqual(0);
  });
});

describe('latentSearchModel', () => {
  test("CEM in the decoder's space finds the best output it can decode", () => {
    const long = { latentSize: 2, nSamples: 64, nElite: 8, iters: 12, sigma0: 2, conditioned: false };
    const model = latentSearchModel(identity, long, 2, distance);
    const x = tensor([
      [0.5, -1],
      [1.5, 0.2],
      [-0.3, 0.8],
    ]);
    expect(maxAbsDiff(model.predict(identityTheta, x), x)).toBeLessThan(0.05);
  });

  test('the sampling stream is seeded: a new model with the same seed repeats, each call draws afresh', () => {
    const make = () => latentSearchModel(identity, { ...search, conditioned: false }, 2, distance);
    const x = tensor([
      [0.5, -1],
      [1, 1],
    ]);
    const [a, b] = [make(), make()];
    const first = a.predict(identityTheta, x);
    expect(maxAbsDiff(b.predict(identityTheta, x), first)).toBe(0);
    expect(maxAbsDiff(a.predict(identityTheta, x), first)).toBeGreaterThan(0);
    const other = latentSearchModel(identity, { ...search, conditioned: false, seed: 2 }, 2, distance);
    expect(maxAbsDiff(other.predict(identityTheta, x), first)).toBeGreaterThan(0);
  });

  test("DCEM is differentiable in the decoder's parameters (fixed draws: a fresh model per call)", () => {
    const decoder = mlp({ sizes: [2 + 3, 6, 3], activation: 'tanh' });
    const target = randn([2, 3], Rng.seeded(5));
    const x = randn([2, 3], Rng.seeded(6));
    const run = (theta: MlpParams) =>
      latentSearchModel(decoder, { ...search, seed: 7 }, 3, (_, y) => distance(repeatRows(target, search.nSamples), y)).apply(theta, x);
    checkVjp(run, [decoder.init(Rng.seeded(8))], { seed: 1, rtol: 1e-5, atol: 1e-8 });
  });

  test('sizes: a positive latent size, and a decoder input of latent (+ context) size', () => {
    const decoder = mlp({ sizes: [5, 4] });
    expectError(() => latentSearchModel(decoder, { ...search, latentSize: 0 }, 3, distance), InvalidInputError, "'latentSize'");
    expectError(
      () => latentSearchModel(decoder, { ...search, latentSize: 3 }, 3, distance),
      ShapeError,
      'takes 5 inputs',
      'latent size 3 plus the context size 3 is 6',
    );
    expectError(() => latentSearchModel(decoder, { ...search, conditioned: false }, 3, distance), ShapeError, 'takes 5 inputs', 'is 2');
    expect(latentSearchModel(decoder, { ...search, latentSize: 5, conditioned: false }, 3, distance).inputSize).toBe(3);
  });
});

/** Each row of t `[R, n]` repeated k times in place: `[R·k, n]` (the order the search scores rows in). */
function repeatRows(t: Tensor, k: number): Tensor {
  const [R, n] = [t.shape[0]!, t.shape[1]!];
  const out = new Float64Array(R * k * n);
  for (let r = 0; r < R; r++) for (let j = 0; j < k; j++) out.set(t.data.subarray(r * n, (r + 1) * n), (r * k + j) * n);
  return new Tensor(out, [R * k, n]);
}
