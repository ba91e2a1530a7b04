import { Rng, randn } from '@argmin/autodiff';
import { qpNode, type QpParams } from '@argmin/nodes-convex';
import { describe, expect, test } from 'vitest';
import { adam } from '../src/adam.js';
import { amortize } from '../src/amortize.js';
import { evaluateAmortized } from '../src/measure.js';
import { mlp } from '../src/mlp.js';
import { maxAbsDiff } from './helpers/assert.js';
import { clampBox, qpFamily } from './helpers/families.js';

// The deployed form of the box-QP amortizer: the clamp onto −1 ≤ z ≤ 1 is the model's
// outputBounds (no `project`), so `infer` is the model's fused pass alone.
const fam = qpFamily(4, 3);
const xTrain = randn([256, 3], Rng.seeded(1));
const xTest = randn([32, 3], Rng.seeded(2));
const sizes = [3, 16, 4];
const bounded = mlp({ sizes, activation: 'softsign', linearSkip: true, outputBounds: [-1, 1] });
const free = mlp({ sizes, activation: 'softsign', linearSkip: true });

/** A QP family whose `problem` counts its calls. */
function counted(): { problem: (x: Parameters<typeof fam.problem>[0]) => QpParams; calls: () => number } {
  let calls = 0;
  return {
    problem: (x) => {
      calls++;
      return fam.problem(x);
    },
    calls: () => calls,
  };
}

describe('amortize(convex.qp) with the clamp inside the model', () => {
  test('the same loss and predictions as the clamp as a projection, for the same θ', () => {
    const inModel = amortize(qpNode, bounded, { problem: fam.problem, loss: 'objective', penaltyWeight: 0 });
    const projected = amortize(qpNode, free, { problem: fam.problem, loss: 'objective', project: clampBox });
    const theta = { ...inModel.init(Rng.seeded(3)), Wskip: randn([3, 4], Rng.seeded(4), 2) };
    const batch = { x: xTest };
    expect(Math.abs(inModel.loss(theta, batch).item() - projected.loss(theta, batch).item())).toBeLessThan(1e-12);
    const z = inModel.infer(theta, xTest).z!;
    expect(maxAbsDiff(z, projected.infer(theta, xTest).z!)).toBeLessThan(1e-12);
    // Both bounds are reached by these weights, so the clamp is exercised.
    expect(z.data.some((v) => v === 1) && z.data.some((v) => v === -1)).toBe(true);
  });

  test('infer equals the taped predict to 1e-12 and never builds the problem; with a projection it must', () => {
    const spy = counted();
    const am = amortize(qpNode, bounded, { problem: spy.problem, loss: 'objective', penaltyWeight: 0, shapes: { z: [4] } });
    const theta = am.init(Rng.seeded(5));
    const taped = am.predict(theta, xTest).z!;
    const before = spy.calls();
    const fast = am.infer(theta, xTest).z!;
    expect(spy.calls()).toBe(before);
    expect(maxAbsDiff(fast, taped)).toBeLessThan(1e-12);
    const spy2 = counted();
    const withProject = amortize(qpNode, free, { problem: spy2.problem, loss: 'objective', project: clampBox, shapes: { z: [4] } });
    withProject.infer(theta, xTest);
    expect(spy2.calls()).toBe(1);
  });

  test('training takes the gap from O(1) to under 1%, feasibly, on the path the projected model takes', () => {
    const am = amortize(qpNode, bounded, { problem: fam.problem, loss: 'objective', penaltyWeight: 0 });
    const projected = amortize(qpNode, free, { problem: fam.problem, loss: 'objective', project: clampBox });
    const theta0 = am.init(Rng.seeded(6));
    const train = (a: typeof am) =>
      a.fit(theta0, { x: xTrain }, { steps: 300, batchSize: 32, optimizer: adam({ lr: 2e-2 }), rng: Rng.seeded(7) });
    const [fit, fitProjected] = [train(am), train(projected)];
    // Equal losses for equal θ make equal gradients, so both runs are the same run.
    expect(maxAbsDiff(fit.params.W1!, fitProjected.params.W1!)).toBeLessThan(1e-9);
    const reference = am.solve(xTest);
    const [untrained, trained] = [theta0, fit.params].map((t) =>
      evaluateAmortized(am, t, xTest, { rounds: 1, predictRepeats: 1, reference }),
    );
    expect(untrained!.gap).toBeGreaterThan(0.5);
    expect(trained!.gap).toBeLessThan(0.01);
    expect(trained!.gap).toBeGreaterThanOrEqual(0);
    expect(trained!.violationMax).toBeLessThanOrEqual(0);
  });
});
