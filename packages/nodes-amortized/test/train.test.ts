import {
  DifferentiationError,
  InvalidInputError,
  Rng,
  ShapeError,
  Tensor,
  add,
  log,
  matmul,
  mean,
  mul,
  randn,
  sub,
  sum,
  tensor,
  type Tensor as T,
} from '@argmin/autodiff';
import { describe, expect, test } from 'vitest';
import { adam } from '../src/adam.js';
import { split, validateDataset, type Dataset } from '../src/data.js';
import { train, type TrainProgress } from '../src/train.js';
import { expectError } from './helpers/assert.js';

/** y = x·w + b on 3 features, noise-free: least squares reaches zero loss. */
const wTrue = tensor([1.5, -2, 0.5]);
function regressionData(n: number, seed: number): Dataset {
  const x = randn([n, 3], Rng.seeded(seed));
  return { x, y: add(matmul(x, wTrue), 0.7) };
}
type Linear = { w: T; b: T };
const mse = (p: Linear, batch: Dataset) => {
  const r = sub(add(matmul(batch.x!, p.w), p.b), batch.y!);
  return mean(mul(r, r));
};
const start = (): Linear => ({ w: tensor([0, 0, 0]), b: tensor([0]) });

/** The sample ids a loss saw, step by step (the data carry each sample's index as a feature). */
function recordBatches(n: number, batchSize: number, steps: number, seed = 0): { batches: number[][]; epochs: number[] } {
  const batches: number[][] = [];
  const epochs: number[] = [];
  const data = {
    id: new Tensor(
      Float64Array.from({ length: n }, (_, i) => i),
      [n],
    ),
  };
  train(
    { a: tensor([1]) },
    {
      data,
      steps,
      batchSize,
      rng: Rng.seeded(seed),
      loss: (p, batch) => (batches.push(Array.from(batch.id!.data)), sum(mul(p.a, p.a))),
      onStep: (s) => epochs.push(s.epoch),
    },
  );
  return { batches, epochs };
}

describe('train: minibatch gradient descent', () => {
  test('fits a linear regression to near-zero loss and recovers the weights', () => {
    const data = regressionData(64, 1);
    const result = train(start(), { loss: mse, data, steps: 600, batchSize: 16, optimizer: adam({ lr: 0.05 }) });
    expect(result.steps).toBe(600);
    expect(result.losses).toHaveLength(600);
    expect(result.losses[0]).toBeGreaterThan(1);
    expect(mse(result.params, data).item()).toBeLessThan(1e-6);
    result.params.w.data.forEach((v, i) => expect(v).toBeCloseTo(wTrue.data[i]!, 3));
    expect(result.params.b.item()).toBeCloseTo(0.7, 3);
    expect(result.seconds).toBeGreaterThanOrEqual(0);
  });

  test('each epoch walks a fresh permutation: every sample once per epoch when the batch size divides N', () => {
    const { batches, epochs } = recordBatches(12, 4, 9);
    expect(batches.every((b) => b.length === 4)).toBe(true);
    for (let e = 0; e < 3; e++) {
      const seen = batches
        .slice(3 * e, 3 * e + 3)
        .flat()
        .sort((a, b) => a - b);
      expect(seen).toEqual(Array.from({ length: 12 }, (_, i) => i));
    }
    expect(epochs).toEqual([1, 1, 1, 2, 2, 2, 3, 3, 3]);
    // Fresh permutations: the epochs do not repeat one order.
    expect(batches.slice(0, 3).flat()).not.toEqual(batches.slice(3, 6).flat());
  });

  test('a remainder smaller than a batch starts the next epoch (full batches only, no repeats within one)', () => {
    const { batches, epochs } = recordBatches(10, 4, 6);
    expect(batches.every((b) => b.length === 4)).toBe(true);
    expect(epochs).toEqual([1, 1, 2, 2, 3, 3]);
    for (let e = 0; e < 3; e++) expect(new Set(batches.slice(2 * e, 2 * e + 2).flat()).size).toBe(8);
  });

  test('a batch larger than the data is the whole data; the default batch is min(64, N)', () => {
    expect(recordBatches(5, 8, 2).batches.map((b) => [...b].sort())).toEqual([
      [0, 1, 2, 3, 4],
      [0, 1, 2, 3, 4],
    ]);
    const sizes: number[] = [];
    train(
      { a: tensor([1]) },
      { data: { v: randn([100, 2], Rng.seeded(0)) }, steps: 1, loss: (p, b) => (sizes.push(b.v!.shape[0]!), sum(p.a)) },
    );
    expect(sizes).toEqual([64]);
  });

  test('the same rng seed gives the same run; another seed another order', () => {
    const data = regressionData(32, 2);
    const run = (seed: number) =>
      train(start(), { loss: mse, data, steps: 20, batchSize: 8, rng: Rng.seeded(seed), optimizer: adam({ lr: 0.01 }) }).losses;
    expect(run(3)).toEqual(run(3));
    expect(run(3)).not.toEqual(run(4));
    expect(recordBatches(8, 8, 1, 5).batches).toEqual(recordBatches(8, 8, 1, 5).batches);
  });
});

describe('train: callbacks', () => {
  test('onStep reports each step with its loss; evaluate runs every k steps and at the end; its metrics ride along', () => {
    const data = regressionData(16, 3);
    const progress: TrainProgress[] = [];
    const evaluatedAt: number[] = [];
    const result = train(start(), {
      loss: mse,
      data,
      steps: 10,
      batchSize: 16,
      optimizer: adam({ lr: 0.1 }),
      onStep: (p) => progress.push(p),
      evaluate: { every: 3, fn: (p) => (evaluatedAt.push(progress.length + 1), { full: mse(p, data).item() }) },
    });
    expect(progress.map((p) => p.step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(progress.every((p) => p.steps === 10 && p.epoch === p.step)).toBe(true);
    expect(progress.map((p) => p.loss)).toEqual(result.losses);
    expect(result.evaluations.map((e) => e.step)).toEqual([3, 6, 9, 10]);
    expect(evaluatedAt).toEqual([3, 6, 9, 10]);
    expect(progress[1]!.metrics).toBeUndefined();
    expect(progress[4]!.metrics).toBe(result.evaluations[0]!.metrics);
    // The batch is the whole data, so the evaluation at step k is the loss before step k + 1.
    expect(result.evaluations[0]!.metrics.full).toBeCloseTo(result.losses[3]!, 12);
    expect(result.evaluations[3]!.metrics.full).toBeCloseTo(mse(result.params, data).item(), 12);
  });

  test('shouldStop ends training before a step; the final parameters are evaluated once more', () => {
    const data = regressionData(16, 4);
    const asked: number[] = [];
    const result = train(start(), {
      loss: mse,
      data,
      steps: 100,
      batchSize: 4,
      shouldStop: (p) => (asked.push(p.step), p.step >= 5),
      evaluate: { every: 4, fn: () => ({ calls: 1 }) },
    });
    expect(asked).toEqual([0, 1, 2, 3, 4, 5]);
    expect(result.steps).toBe(5);
    expect(result.losses).toHaveLength(5);
    expect(result.evaluations.map((e) => e.step)).toEqual([4, 5]);
  });

  test('zero steps return the parameters unchanged', () => {
    const p = start();
    const result = train(p, { loss: mse, data: regressionData(4, 5), steps: 0, evaluate: { every: 1, fn: () => ({}) } });
    expect(result.params).toBe(p);
    expect([result.steps, result.losses.length, result.evaluations.length]).toEqual([0, 0, 0]);
  });
});

describe('train and datasets: bad input', () => {
  test('a NaN or ∞ in the data names the entry, the sample and the feature', () => {
    const x = Float64Array.from({ length: 12 }, (_, i) => i);
    x[7] = NaN;
    const data = { y: randn([4], Rng.seeded(0)), x: new Tensor(x, [4, 3]) };
    expectError(
      () => train(start(), { loss: mse, data, steps: 1 }),
      InvalidInputError,
      'train:',
      "entry 'x'",
      'NaN',
      'sample 2',
      'feature 1',
      '[4,3]',
    );
    expectError(
      () => validateDataset('fit', { y: tensor([1, Infinity]) }),
      InvalidInputError,
      'fit:',
      "'y'",
      'Infinity',
      'sample 1',
      'feature 0',
    );
  });

  test('entries with different sample counts, scalars, non-tensors, empty data', () => {
    expectError(
      () => train(start(), { loss: mse, data: { x: randn([4, 3], Rng.seeded(0)), y: tensor([1, 2, 3]) }, steps: 1 }),
      ShapeError,
      "'x' has 4",
      "'y'",
      'has 3',
    );
    expectError(() => validateDataset('t', { x: tensor(1) }), ShapeError, "'x'", 'scalar');
    expectError(() => validateDataset('t', { x: [1, 2] as unknown as T }), InvalidInputError, "'x'", 'Tensor');
    expectError(() => validateDataset('t', {}), InvalidInputError, 'empty');
    expectError(() => validateDataset('t', { x: randn([0, 3], Rng.seeded(0)) }), InvalidInputError, 'no samples');
    expect(validateDataset('t', { x: randn([5, 2, 2], Rng.seeded(0)), y: tensor([1, 2, 3, 4, 5]) })).toBe(5);
  });

  test('bad steps, batch size or evaluation period; a loss that turns NaN names the step', () => {
    const data = regressionData(8, 6);
    expectError(() => train(start(), { loss: mse, data, steps: 1.5 }), InvalidInputError, "'steps'");
    expectError(() => train(start(), { loss: mse, data, steps: 1, batchSize: 0 }), InvalidInputError, "'batchSize'");
    expectError(
      () => train(start(), { loss: mse, data, steps: 1, evaluate: { every: 0, fn: () => ({}) } }),
      InvalidInputError,
      "'evaluate.every'",
    );
    // log(w·x) goes NaN once a prediction turns negative.
    const risky = (p: Linear, b: Dataset) => mean(log(add(matmul(b.x!, p.w), p.b)));
    expectError(
      () => train({ w: tensor([0, 0, 0]), b: tensor([-1]) }, { loss: risky, data, steps: 3 }),
      DifferentiationError,
      'step 1',
      'NaN',
    );
  });
});

describe('split', () => {
  test('holds out round(fraction·N) samples after a seeded shuffle, keeping the entries row-aligned', () => {
    const n = 20;
    const data = {
      id: new Tensor(
        Float64Array.from({ length: n }, (_, i) => i),
        [n],
      ),
      twice: new Tensor(
        Float64Array.from({ length: 2 * n }, (_, i) => Math.floor(i / 2)),
        [n, 2],
      ),
    };
    const { train: a, test: b } = split(data, 0.25, Rng.seeded(1));
    expect([a.id!.shape[0], b.id!.shape[0]]).toEqual([15, 5]);
    expect([...a.id!.data, ...b.id!.data].sort((x, y) => x - y)).toEqual(Array.from({ length: n }, (_, i) => i));
    b.id!.data.forEach((id, r) => expect([b.twice!.data[2 * r], b.twice!.data[2 * r + 1]]).toEqual([id, id]));
    expect(split(data, 0.25, Rng.seeded(1)).test.id!.data).toEqual(b.id!.data);
    expect(Array.from(a.id!.data)).not.toEqual(Array.from({ length: 15 }, (_, i) => i));
    expect(split(data, 0.01, Rng.seeded(1)).test.id!.size).toBe(1);
    expectError(() => split(data, 1, Rng.seeded(1)), InvalidInputError, "'fraction'");
  });
});
