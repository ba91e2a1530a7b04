import { Rng, randn } from '@argmin/autodiff';
import { checkVjp } from '@argmin/autodiff/testing';
import { lmlNode } from '@argmin/nodes-convex';
import { describe, expect, test } from 'vitest';
import { adam, cosineDecay } from '../src/adam.js';
import { amortize } from '../src/amortize.js';
import { evaluateAmortized } from '../src/measure.js';
import { mlp, type MlpParams } from '../src/mlp.js';
import { compareWarmStart } from '../src/warm-start.js';
import { rmsError } from './helpers/assert.js';
import { lmlFamily, squash } from './helpers/families.js';

// y*(x) = LML(scores(x), k = 2): a soft top-2 of 5 scores that are linear in a context x ∈ R³.
const fam = lmlFamily(5, 3);
const xTrain = randn([256, 3], Rng.seeded(1));
const xTest = randn([32, 3], Rng.seeded(2));
const base = { problem: fam.problem, project: squash, nodeOptions: { k: 2 } };
const fitOptions = { steps: 300, batchSize: 32, optimizer: adam({ lr: 2e-2 }), rng: Rng.seeded(3) };
const quick = { rounds: 1, predictRepeats: 1 } as const;
const reference = amortize(lmlNode, mlp({ sizes: [3, 5] }), { ...base, loss: 'regression' }).solve(xTest);

describe('amortize(convex.lml)', () => {
  test("'objective': −yᵀx − H(y) with the sum constraint as a penalty; suboptimality, violation and error all drop", () => {
    const net = mlp({ sizes: [3, 16, 5], activation: 'tanh' });
    const am = amortize(lmlNode, net, { ...base, loss: 'objective' });
    const theta0 = am.init(Rng.seeded(4));
    const fit = am.fit(theta0, { x: xTrain }, { ...fitOptions, steps: 400, optimizer: adam({ lr: cosineDecay(5e-2, 400) }) });
    const before = evaluateAmortized(am, theta0, xTest, quick);
    const after = evaluateAmortized(am, fit.params, xTest, quick);
    // A slightly infeasible ŷ (1ᵀŷ ≠ k, held by the penalty only) may score below f(y*): |gap|.
    // Over seeds the ratios are ≤ 0.07 (gap), ≈ 0.1 (violation: the penalty's balance), ≤ 0.08 (error).
    expect(before.gap).toBeGreaterThan(1);
    expect(Math.abs(after.gap)).toBeLessThan(0.15 * before.gap);
    expect(after.violation).toBeLessThan(0.2 * before.violation);
    expect(rmsError(am.infer(fit.params, xTest).y!, reference.y)).toBeLessThan(0.15 * rmsError(am.infer(theta0, xTest).y!, reference.y));
  });

  test("'regression' of two entries, y and the multiplier ν (a scalar per context), laid out in the output in order", () => {
    const net = mlp({ sizes: [3, 16, 6], activation: 'tanh' });
    const am = amortize(lmlNode, net, { ...base, loss: 'regression', predict: ['y', 'nu'] });
    const data = am.dataset(xTrain);
    expect(am.layout()).toEqual({ keys: ['y', 'nu'], shapes: { y: [5], nu: [] }, offsets: { y: 0, nu: 5 }, size: 6 });
    expect(data.nu!.shape).toEqual([256]);
    const theta0 = am.init(Rng.seeded(4));
    const fit = am.fit(theta0, data, fitOptions);
    const at = (theta: MlpParams) => am.infer(theta, xTest);
    expect(at(theta0).nu!.shape).toEqual([32]);
    expect(rmsError(at(fit.params).y!, reference.y)).toBeLessThan(0.1 * rmsError(at(theta0).y!, reference.y));
    expect(rmsError(at(fit.params).nu!, reference.nu)).toBeLessThan(0.1 * rmsError(at(theta0).nu!, reference.nu));
    // The predicted ν warm-starts the LML solver: no more iterations, the same solution.
    const warm = compareWarmStart(am, fit.params, xTest, { repeats: 1 });
    expect(warm.warm.meanIterations).toBeLessThanOrEqual(warm.cold.meanIterations);
    expect(warm.warm.converged).toBe(32);
    expect(warm.solutionDifference).toBeLessThan(1e-8);
    // The raw output's last column is ν, not squashed (the projection only touches y).
    const raw = net.predict(fit.params, xTest);
    expect(Array.from({ length: 32 }, (_, b) => raw.data[6 * b + 5])).toEqual(Array.from(at(fit.params).nu!.data));
  });

  test('the gradients of both losses in θ match central differences', () => {
    const x = randn([6, 3], Rng.seeded(5));
    const reg = amortize(lmlNode, mlp({ sizes: [3, 8, 6], activation: 'tanh' }), { ...base, loss: 'regression', predict: ['y', 'nu'] });
    const obj = amortize(lmlNode, mlp({ sizes: [3, 8, 5], activation: 'softplus' }), { ...base, loss: 'objective' });
    const batch = reg.dataset(x);
    checkVjp((t: MlpParams) => reg.loss(t, batch), [reg.init(Rng.seeded(6))], { seed: 1 });
    checkVjp((t: MlpParams) => obj.loss(t, { x }), [obj.init(Rng.seeded(6))], { seed: 2 });
  });
});
