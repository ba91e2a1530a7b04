import { Rng, Tensor, add, matmul, mul, randn, sum, tensor, vjp } from '@argmin/autodiff';
import { isTracked } from '@argmin/autodiff/extend';
import { checkVjp } from '@argmin/autodiff/testing';
import { qpNode } from '@argmin/nodes-convex';
import { describe, expect, test } from 'vitest';
import { adam } from '../src/adam.js';
import { amortize } from '../src/amortize.js';
import { evaluateAmortized } from '../src/measure.js';
import { mlp, type MlpParams } from '../src/mlp.js';
import { maxAbsDiff, rmsError } from './helpers/assert.js';
import { clampBox, qpFamily } from './helpers/families.js';

// z*(x) = argmin ½zᵀQz + (xP + p₀)ᵀz s.t. −1 ≤ z ≤ 1, n = 4, x ∈ R³; about a third of the bounds active.
const fam = qpFamily(4, 3);
const xTrain = randn([256, 3], Rng.seeded(1));
const xTest = randn([32, 3], Rng.seeded(2));
const net = mlp({ sizes: [3, 16, 4], activation: 'tanh', linearSkip: true });
const options = { problem: fam.problem, project: clampBox };
const fitOptions = { steps: 300, batchSize: 32, optimizer: adam({ lr: 2e-2 }), rng: Rng.seeded(3) };
const reference = amortize(qpNode, net, { ...options, loss: 'objective' }).solve(xTest);
const quick = { rounds: 1, predictRepeats: 1, reference } as const;

describe('amortize(convex.qp): the three losses train the model', () => {
  test("'objective' needs no solutions: the relative suboptimality drops from O(1) to under 1%, feasibly", () => {
    const am = amortize(qpNode, net, { ...options, loss: 'objective' });
    const theta0 = am.init(Rng.seeded(4));
    const fit = am.fit(theta0, { x: xTrain }, fitOptions);
    const before = evaluateAmortized(am, theta0, xTest, quick);
    const after = evaluateAmortized(am, fit.params, xTest, quick);
    expect(before.gap).toBeGreaterThan(0.5);
    expect(after.gap).toBeLessThan(0.01);
    expect(after.gap).toBeGreaterThanOrEqual(0);
    expect(after.violationMax).toBeLessThanOrEqual(0);
    expect(rmsError(am.infer(fit.params, xTest).z!, reference.z)).toBeLessThan(0.1 * rmsError(am.infer(theta0, xTest).z!, reference.z));
    // The loss is the mean objective, so it falls below its start.
    expect(fit.losses.slice(-10).reduce((a, b) => a + b) / 10).toBeLessThan(fit.losses[0]! - 1);
  });

  test("'regression' fits the solver's solutions: dataset(x) holds them, and the error drops 10×", () => {
    const am = amortize(qpNode, net, { ...options, loss: 'regression' });
    const data = am.dataset(xTrain);
    expect(Object.keys(data).sort()).toEqual(['x', 'z']);
    expect(data.x).toBe(xTrain);
    const solved = am.solve(xTrain);
    expect(maxAbsDiff(data.z!, solved.z)).toBe(0);
    expect(solved.info.status.every((s) => s === 'converged')).toBe(true);
    const theta0 = am.init(Rng.seeded(4));
    const fit = am.fit(theta0, data, fitOptions);
    expect(fit.losses[fit.losses.length - 1]!).toBeLessThan(0.01 * fit.losses[0]!);
    const error = (theta: MlpParams) => rmsError(am.infer(theta, xTest).z!, reference.z);
    expect(error(fit.params)).toBeLessThan(0.1 * error(theta0));
    expect(evaluateAmortized(am, fit.params, xTest, quick).gap).toBeLessThan(0.01);
  });

  test('a weighted loss is the weighted sum of the two, and trains both down', () => {
    const reg = amortize(qpNode, net, { ...options, loss: 'regression' });
    const obj = amortize(qpNode, net, { ...options, loss: 'objective' });
    const mixed = amortize(qpNode, net, { ...options, loss: { regression: 2, objective: 0.5 } });
    const onlyObjective = amortize(qpNode, net, { ...options, loss: { objective: 3 } });
    const batch = reg.dataset(xTest);
    const theta = reg.init(Rng.seeded(5));
    const [r, o] = [reg.loss(theta, batch).item(), obj.loss(theta, batch).item()];
    expect(mixed.loss(theta, batch).item()).toBeCloseTo(2 * r + 0.5 * o, 12);
    expect(onlyObjective.loss(theta, { x: xTest }).item()).toBeCloseTo(3 * o, 12);
    const fit = mixed.fit(theta, reg.dataset(xTrain), fitOptions);
    expect(reg.loss(fit.params, batch).item()).toBeLessThan(0.05 * r);
    expect(obj.loss(fit.params, batch).item()).toBeLessThan(o);
  });
});

describe('amortize(convex.qp): gradients of the loss in θ match central differences', () => {
  const batch = amortize(qpNode, net, { ...options, loss: 'regression' }).dataset(randn([6, 3], Rng.seeded(6)));
  for (const loss of ['regression', 'objective', { regression: 1, objective: 0.5 }] as const) {
    test(`loss ${JSON.stringify(loss)}`, () => {
      const am = amortize(qpNode, net, { ...options, loss });
      checkVjp((theta: MlpParams) => am.loss(theta, batch), [am.init(Rng.seeded(7))], { seed: 2 });
    });
  }

  test('without a projection the objective loss carries the penalty ρ‖relu(Gz − h)‖², also differentiated', () => {
    // A large initial output scale, so that some predictions leave the box.
    const wide = mlp({ sizes: [3, 8, 4], activation: 'tanh', outputScale: 4 });
    const am = amortize(qpNode, wide, { problem: fam.problem, loss: 'objective', penaltyWeight: 3 });
    const theta = am.init(Rng.seeded(8));
    const x = randn([5, 3], Rng.seeded(9));
    const z = am.predict(theta, x).z!;
    const { Q, p } = fam.problem(x);
    const excess = z.data.map((v) => Math.max(Math.abs(v) - 1, 0) ** 2);
    const expected =
      (sum(add(mul(sum(mul(z, matmul(z, Q)), -1), 0.5), sum(mul(p, z), -1))).item() + 3 * excess.reduce((a, b) => a + b)) / 5;
    // Some entries outside the box, some inside: both branches of the penalty are exercised.
    expect(excess.filter((e) => e > 0).length).toBeGreaterThan(0);
    expect(excess.filter((e) => e > 0).length).toBeLessThan(z.size);
    expect(am.loss(theta, { x }).item()).toBeCloseTo(expected, 10);
    checkVjp((t: MlpParams) => am.loss(t, { x }), [theta], { seed: 3 });
  });
});

describe('amortize(convex.qp): predictions', () => {
  const am = amortize(qpNode, net, { ...options, loss: 'objective' });
  const theta = am.init(Rng.seeded(10));

  test('infer (fast path, never recorded) gives what predict (ops) gives; both projected onto the box', () => {
    const x = mul(xTest, 3);
    const a = am.predict(theta, x).z!;
    const b = am.infer(theta, x).z!;
    expect(maxAbsDiff(a, b)).toBeLessThan(1e-12);
    expect(Math.max(...b.data.map(Math.abs))).toBeLessThanOrEqual(1);
    expect(net.apply(theta, x).data.some((v) => Math.abs(v) > 1)).toBe(true);
    let tracked: boolean[] = [];
    vjp((t: MlpParams) => {
      const [p, i] = [am.predict(t, x).z!, am.infer(t, x).z!];
      tracked = [isTracked(p), isTracked(i)];
      return p;
    }, theta);
    expect(tracked).toEqual([true, false]);
  });

  test("the layout is read from one solve when 'shapes' is omitted", () => {
    expect(am.layout(xTest)).toEqual({ keys: ['z'], shapes: { z: [4] }, offsets: { z: 0 }, size: 4 });
    const given = amortize(qpNode, net, { ...options, loss: 'objective', shapes: { z: [4] } });
    expect(given.layout().shapes).toEqual({ z: [4] });
  });

  test('assess reports the objective ½zᵀQz + pᵀz and the largest bound violation, per context', () => {
    const x = tensor([
      [0.5, -1, 0.2],
      [0, 0, 0],
    ]);
    const z = tensor([
      [1.5, 0, -0.2, 0.1],
      [0.3, -1, 0.9, -1.25],
    ]);
    const { Q, p } = fam.problem(x);
    const { objective, violation } = am.assess(x, { z });
    for (let b = 0; b < 2; b++) {
      const zb = z.data.subarray(4 * b, 4 * b + 4);
      let f = 0;
      for (let i = 0; i < 4; i++) {
        f += p.data[4 * b + i]! * zb[i]!;
        for (let j = 0; j < 4; j++) f += 0.5 * zb[i]! * Q.data[4 * i + j]! * zb[j]!;
      }
      expect(objective[b]).toBeCloseTo(f, 12);
    }
    expect(Array.from(violation)).toEqual([0.5, 0.25]);
  });

  test('outputObjective scores raw outputs: projected, then f + ρ·penalty (zero inside the box)', () => {
    const out = new Tensor(Float64Array.from([2, 0, 0, 0, 0.1, 0.2, 0.3, 0.4]), [2, 4]);
    const x = randn([2, 3], Rng.seeded(11));
    const score = am.outputObjective(x, out);
    const clamped = new Tensor(Float64Array.from([1, 0, 0, 0, 0.1, 0.2, 0.3, 0.4]), [2, 4]);
    expect(maxAbsDiff(score, new Tensor(am.assess(x, { z: clamped }).objective, [2]))).toBeLessThan(1e-12);
  });
});
