import { Rng, Tensor, broadcastTo, randn, randu } from '@argmin/autodiff';
import { checkVjp } from '@argmin/autodiff/testing';
import { linearRollout, lqrObjective, mpcNode, rolloutStates } from '@argmin/nodes-control';
import { describe, expect, test } from 'vitest';
import { adam } from '../src/adam.js';
import { amortize } from '../src/amortize.js';
import { evaluateAmortized } from '../src/measure.js';
import { mlp, type MlpParams } from '../src/mlp.js';
import { compareWarmStart, solveWarm } from '../src/warm-start.js';
import { maxAbsDiff, rmsError } from './helpers/assert.js';
import { integratorFamily } from './helpers/families.js';

// u*(x0) = argmin Σ ½‖x_t‖² + 0.05‖u_t‖² (terminal 5‖x‖²) of a double integrator, horizon 8, |u| ≤ 1.
const fam = integratorFamily(8, 1);
const xTrain = randn([256, 2], Rng.seeded(1));
// Held-out initial states away from the origin, where f(u*) → 0 would blow up relative gaps.
const xTest = awayFromOrigin(randn([32, 2], Rng.seeded(2)), 0.5);
const net = mlp({ sizes: [2, 16, 8], activation: 'tanh', linearSkip: true });
const options = { problem: fam.problem, predict: ['u' as const], shapes: { u: [8, 1] } };
const fitOptions = { steps: 300, batchSize: 32, optimizer: adam({ lr: 2e-2 }), rng: Rng.seeded(3) };
const quick = { rounds: 1, predictRepeats: 1 } as const;
const reference = amortize(mpcNode, net, { ...options, loss: 'objective' }).solve(xTest);

describe('amortize(control.mpc)', () => {
  test('the reference problems have active bounds, and converge', () => {
    const active = reference.u.data.filter((v) => Math.abs(v) > 1 - 1e-9).length / reference.u.size;
    expect(active).toBeGreaterThan(0.2);
    expect(reference.info.status.every((s) => s === 'converged')).toBe(true);
  });

  test("'objective' rolls the controls through the dynamics (no solve in the loop): the suboptimality drops 10×, the box holds", () => {
    const am = amortize(mpcNode, net, { ...options, loss: 'objective' });
    const theta0 = am.init(Rng.seeded(4));
    const fit = am.fit(theta0, { x: xTrain }, fitOptions);
    const before = evaluateAmortized(am, theta0, xTest, { ...quick, reference });
    const after = evaluateAmortized(am, fit.params, xTest, { ...quick, reference });
    expect(before.gap).toBeGreaterThan(0.5);
    expect(after.gap).toBeLessThan(0.1 * before.gap);
    expect(after.gap).toBeGreaterThanOrEqual(0);
    expect(after.violationMax).toBeLessThanOrEqual(0);
    expect(am.infer(fit.params, xTest).u!.shape).toEqual([32, 8, 1]);
  });

  test("'regression' on the MPC solutions: the error drops 5×", () => {
    const am = amortize(mpcNode, net, { ...options, loss: 'regression' });
    const data = am.dataset(xTrain);
    expect(Object.keys(data).sort()).toEqual(['u', 'x']);
    const theta0 = am.init(Rng.seeded(4));
    const fit = am.fit(theta0, data, fitOptions);
    const error = (theta: MlpParams) => rmsError(am.infer(theta, xTest).u!, reference.u);
    expect(error(fit.params)).toBeLessThan(0.2 * error(theta0));
  });

  test('warm-started from the trained prediction, box-DDP needs fewer iterations for the same controls', () => {
    const am = amortize(mpcNode, net, { ...options, loss: 'objective' });
    const theta = am.fit(am.init(Rng.seeded(4)), { x: xTrain }, fitOptions).params;
    const report = compareWarmStart(am, theta, xTest, { repeats: 1 });
    expect(report.warm.meanIterations).toBeLessThan(0.75 * report.cold.meanIterations);
    expect(report.warm.converged).toBe(32);
    expect(report.solutionDifference).toBeLessThan(1e-8);
    const { output, start } = solveWarm(am, theta, xTest, { call: { strategy: 'solve' } });
    expect(maxAbsDiff(start.u!, am.infer(theta, xTest).u!)).toBe(0);
    expect(maxAbsDiff(output.u, reference.u)).toBeLessThan(1e-8);
  });

  test('the gradients of both losses in θ match central differences', () => {
    const x = randn([5, 2], Rng.seeded(5), 0.5);
    for (const loss of ['objective', 'regression'] as const) {
      const am = amortize(mpcNode, net, { ...options, loss });
      const batch = am.dataset(x);
      checkVjp((t: MlpParams) => am.loss(t, batch), [am.init(Rng.seeded(6))], { seed: 1 });
    }
  });
});

describe("the control objective (the MPC node's own `objective`)", () => {
  const spec = mpcNode.objective!;
  const x0 = randn([4, 2], Rng.seeded(7));
  const u = randu([4, 8, 1], Rng.seeded(8), -1.5, 1.5);

  test('with shared dynamics and cost (condensed: one gemm) it equals lqrObjective of the linear rollout', () => {
    const p = fam.problem(x0);
    const states = linearRollout({ F: p.F!, x0 }, u);
    expect(maxAbsDiff(rolloutStates(p, u), states)).toBeLessThan(1e-14);
    const direct = lqrObjective(p, { x: states, u });
    expect(maxAbsDiff(spec.objective(p, { u }, {}), direct)).toBeLessThan(1e-10);
    // Per-context (batched) cost blocks take the rollout path: the same values.
    const batched = { ...p, C: broadcastTo(p.C, [4, ...p.C.shape]) };
    expect(maxAbsDiff(spec.objective(batched, { u }, {}), direct)).toBeLessThan(1e-10);
  });

  test('the projection clamps onto [uLower, uUpper]; the violation is the largest excess', () => {
    const p = fam.problem(x0);
    const projected = spec.project!(p, { u }, {}).u as Tensor;
    projected.data.forEach((v, i) => expect(v).toBe(Math.min(1, Math.max(-1, u.data[i]!))));
    const v = spec.violation!(p, { u }, {});
    for (let b = 0; b < 4; b++) {
      const excess = Math.max(0, ...Array.from(u.data.subarray(8 * b, 8 * b + 8), (w) => Math.abs(w) - 1));
      expect(v.data[b]).toBeCloseTo(excess, 14);
    }
  });
});

/** Rows of x `[B, 2]` pushed out radially to a norm of at least r. */
function awayFromOrigin(x: Tensor, r: number): Tensor {
  const d = Float64Array.from(x.data);
  for (let b = 0; b < x.shape[0]!; b++) {
    const norm = Math.hypot(d[2 * b]!, d[2 * b + 1]!);
    const scale = (r + norm) / norm;
    d[2 * b] = d[2 * b]! * scale;
    d[2 * b + 1] = d[2 * b + 1]! * scale;
  }
  return new Tensor(d, x.shape);
}
