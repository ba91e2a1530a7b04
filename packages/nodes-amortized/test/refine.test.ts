import { Rng, randn, type Tensor } from '@argmin/autodiff';
import { checkVjp } from '@argmin/autodiff/testing';
import { lmlNode, qpNode } from '@argmin/nodes-convex';
import { beforeAll, describe, expect, test } from 'vitest';
import { adam } from '../src/adam.js';
import { amortize, type AmortizationLoss } from '../src/amortize.js';
import { evaluateAmortized } from '../src/measure.js';
import { mlp, type MlpParams } from '../src/mlp.js';
import type { Refinement } from '../src/refine.js';
import { rmsError } from './helpers/assert.js';
import { clampBox, lmlFamily, qpFamily, squash } from './helpers/families.js';

// Semi-amortization: the model's prediction, then K differentiable refinement steps.
const fam = qpFamily(4, 3);
const net = mlp({ sizes: [3, 16, 4], activation: 'tanh', linearSkip: true });
const xTrain = randn([256, 3], Rng.seeded(1));
const xTest = randn([32, 3], Rng.seeded(2));
/** 1/L for L ≥ λmax(Q) (the largest absolute row sum): projected gradient steps then never go uphill. */
const stepSize = 1 / maxRowSum(fam.Q);
const qpWith = (refine?: Refinement, loss: AmortizationLoss = 'objective') =>
  amortize(qpNode, net, { problem: fam.problem, loss, project: clampBox, ...(refine ? { refine } : {}) });
const quick = { rounds: 1, predictRepeats: 1 } as const;

describe('refinement of QP predictions', () => {
  let thetas: { name: string; theta: MlpParams }[] = [];
  beforeAll(() => {
    const theta0 = net.init(Rng.seeded(3));
    const trained = qpWith().fit(
      theta0,
      { x: xTrain },
      { steps: 100, batchSize: 32, optimizer: adam({ lr: 2e-2 }), rng: Rng.seeded(4) },
    ).params;
    thetas = [
      { name: 'untrained', theta: theta0 },
      { name: 'trained', theta: trained },
    ];
  });

  test("'gradient': K projected gradient steps on the objective never raise it, per context, and shrink the gap", () => {
    for (const { theta } of thetas) {
      const plain = qpWith().infer(theta, xTest);
      const refined = qpWith({ kind: 'gradient', steps: 5, stepSize }).infer(theta, xTest);
      const before = qpWith().assess(xTest, plain).objective;
      const after = qpWith().assess(xTest, refined).objective;
      after.forEach((f, b) => expect(f).toBeLessThanOrEqual(before[b]! + 1e-12));
      const [g0, g1] = [
        evaluateAmortized(qpWith(), theta, xTest, quick),
        evaluateAmortized(qpWith({ kind: 'gradient', steps: 5, stepSize }), theta, xTest, quick),
      ];
      expect(g1.gap).toBeLessThan(0.5 * g0.gap);
      expect(g1.violationMax).toBeLessThanOrEqual(0);
    }
  });

  test("'solver': K unrolled interior-point iterations from the prediction improve it (K = 3)", () => {
    // One iteration alone can lose ground: the unrolled method restarts the multipliers at 1
    // (nodes-convex qp/step.ts), so its first step moves away from a good ẑ; three recover.
    for (const { theta } of thetas) {
      const g0 = evaluateAmortized(qpWith(), theta, xTest, quick);
      const g3 = evaluateAmortized(qpWith({ kind: 'solver', steps: 3 }), theta, xTest, quick);
      expect(g3.gap).toBeLessThan(0.5 * g0.gap);
      expect(g3.violationMax).toBeLessThan(1e-12);
    }
  });

  test('predict (ops) and infer (fast path) agree with refinement too', () => {
    for (const refine of [
      { kind: 'gradient', steps: 3, stepSize },
      { kind: 'solver', steps: 2 },
    ] as const) {
      const am = qpWith(refine);
      const [a, b] = [am.predict(thetas[1]!.theta, xTest).z!, am.infer(thetas[1]!.theta, xTest).z!];
      a.data.forEach((v, i) => expect(Math.abs(v - b.data[i]!)).toBeLessThan(1e-10));
    }
  });

  test("training end to end through 'gradient' refinement lowers the held-out loss", () => {
    const am = qpWith({ kind: 'gradient', steps: 2, stepSize });
    const theta0 = thetas[0]!.theta;
    const fit = am.fit(theta0, { x: xTrain }, { steps: 40, batchSize: 32, optimizer: adam({ lr: 2e-2 }), rng: Rng.seeded(5) });
    const [before, after] = [theta0, fit.params].map((t) => evaluateAmortized(am, t, xTest, quick).gap);
    expect(after).toBeLessThan(0.25 * before!);
  });
});

describe('refinement is differentiable: the loss gradient in θ matches central differences', () => {
  const x = randn([5, 3], Rng.seeded(6));
  const batch = qpWith(undefined, 'regression').dataset(x);

  for (const loss of ['objective', 'regression'] as const) {
    test(`'gradient' refinement of the QP (second-order terms through the inner gradient), loss '${loss}'`, () => {
      const am = qpWith({ kind: 'gradient', steps: 3, stepSize }, loss);
      checkVjp((t: MlpParams) => am.loss(t, batch), [am.init(Rng.seeded(7))], { seed: 1 });
    });
  }

  // The QP's unrolled interior-point step takes its step lengths and centring as constants (by
  // design, see nodes-convex qp/step.ts), so its K-step gradient is not the exact derivative of
  // the K-step map (off by 30–70% at K = 3, and Adam at lr 2e-2 through it does not descend).
  // LML's unrolled Newton step on ν is differentiated exactly: it carries the check.
  test("'solver' refinement of LML from a predicted (y, ν): exact gradients, and a closer y", () => {
    const lf = lmlFamily(5, 3);
    const lmlNet = mlp({ sizes: [3, 8, 6], activation: 'tanh' });
    const options = { problem: lf.problem, project: squash, nodeOptions: { k: 2 }, predict: ['y', 'nu'] as ('y' | 'nu')[] };
    for (const loss of ['objective', 'regression'] as const) {
      const am = amortize(lmlNode, lmlNet, { ...options, loss, refine: { kind: 'solver', steps: 2 } });
      const data = am.dataset(x);
      checkVjp((t: MlpParams) => am.loss(t, data), [am.init(Rng.seeded(8))], { seed: 2 });
    }
    const plain = amortize(lmlNode, lmlNet, { ...options, loss: 'regression' });
    const refined = amortize(lmlNode, lmlNet, { ...options, loss: 'regression', refine: { kind: 'solver', steps: 2 } });
    const theta = plain.init(Rng.seeded(9));
    const yStar = plain.solve(xTest).y;
    const error = (y: Tensor) => rmsError(y, yStar);
    expect(error(refined.infer(theta, xTest).y!)).toBeLessThan(0.1 * error(plain.infer(theta, xTest).y!));
    // And training end to end through the two Newton steps lowers the held-out error further.
    const fit = refined.fit(theta, refined.dataset(xTrain), {
      steps: 40,
      batchSize: 32,
      optimizer: adam({ lr: 2e-2 }),
      rng: Rng.seeded(10),
    });
    expect(error(refined.infer(fit.params, xTest).y!)).toBeLessThan(0.5 * error(refined.infer(theta, xTest).y!));
  });
});

function maxRowSum(Q: Tensor): number {
  const n = Q.shape[0]!;
  let best = 0;
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < n; j++) s += Math.abs(Q.data[i * n + j]!);
    best = Math.max(best, s);
  }
  return best;
}
