import { InvalidInputError, Rng, Tensor, randn } from '@argmin/autodiff';
import { qpNode } from '@argmin/nodes-convex';
import { describe, expect, test } from 'vitest';
import { amortize } from '../src/amortize.js';
import { evaluateAmortized, medianMs } from '../src/measure.js';
import { mlp } from '../src/mlp.js';
import { expectError } from './helpers/assert.js';
import { clampBox, qpFamily } from './helpers/families.js';

const fam = qpFamily(4, 3);
const am = amortize(qpNode, mlp({ sizes: [3, 8, 4], activation: 'tanh' }), { problem: fam.problem, loss: 'objective', project: clampBox });
const theta = am.init(Rng.seeded(0));
const x = randn([12, 3], Rng.seeded(1));

describe('evaluateAmortized', () => {
  test('reports the relative suboptimality (f(ŷ) − f(y*))/|f(y*)| and violation of infer, against the solver', () => {
    const report = evaluateAmortized(am, theta, x, { rounds: 2, predictRepeats: 2 });
    const optimal = am.assess(x, { z: am.solve(x).z }).objective;
    const predicted = am.assess(x, am.infer(theta, x)).objective;
    const gaps = Array.from(predicted, (f, b) => (f - optimal[b]!) / Math.abs(optimal[b]!)).sort((a, b) => a - b);
    const mean = (v: ArrayLike<number>) => Array.from(v).reduce((a, b) => a + b, 0) / v.length;
    expect(report.contexts).toBe(12);
    expect(report.gap).toBeCloseTo(mean(gaps), 12);
    expect(report.gapMedian).toBeCloseTo(gaps[6]!, 12);
    expect(report.gapMax).toBeCloseTo(gaps[11]!, 12);
    expect(gaps[0]).toBeGreaterThan(0);
    expect(report.optimalObjective).toBeCloseTo(mean(optimal), 12);
    expect(report.predictedObjective).toBeCloseTo(mean(predicted), 12);
    expect(Math.max(report.violation, report.violationMax)).toBeLessThanOrEqual(0);
    expect(report.solveMs).toBeGreaterThan(0);
    expect(report.predictMs).toBeGreaterThan(0);
    expect(report.speedup).toBeCloseTo(report.solveMs / report.predictMs, 10);
  });

  test('a given reference is what the predictions are compared with (the solve is only timed)', () => {
    const solved = am.solve(x);
    // A "reference" at z = 0 (objective 0 for every context): the gaps are then undefined
    // but the optimal objective reported must be that of the reference, not of a fresh solve.
    const fake = { ...solved, z: new Tensor(new Float64Array(solved.z.size), solved.z.shape) };
    const report = evaluateAmortized(am, theta, x, { rounds: 1, predictRepeats: 1, reference: fake });
    expect(report.optimalObjective).toBe(0);
    const real = evaluateAmortized(am, theta, x, { rounds: 1, predictRepeats: 1, reference: solved });
    expect(real.optimalObjective).toBeLessThan(0);
  });

  test('a reference with unconverged solves cannot measure suboptimality', () => {
    // One interior-point iteration and no polish (the polish alone can finish a small QP exactly).
    const unconverged = am.solve(x, { maxIter: 1, polish: false } as { maxIter: number });
    expect(unconverged.info.status.some((s) => s !== 'converged')).toBe(true);
    expectError(
      () => evaluateAmortized(am, theta, x, { rounds: 1, predictRepeats: 1, reference: unconverged }),
      InvalidInputError,
      am.name,
      'did not converge',
    );
  });
});

test("each round's predictions last at least about a quarter of its solve, and at least predictRepeats calls", () => {
  let predictions = 0;
  const busy = (ms: number) => {
    const end = performance.now() + ms;
    while (performance.now() < end);
  };
  // A solve of 20 ms against predictions of well under a millisecond.
  const slow = {
    ...am,
    solve: (xs: Tensor) => (busy(20), am.solve(xs)),
    infer: (t: typeof theta, xs: Tensor) => (predictions++, am.infer(t, xs)),
  };
  const report = evaluateAmortized(slow, theta, x, { rounds: 3, predictRepeats: 2 });
  // One warm-up and one sizing block of predictRepeats, then per round an untimed and a timed
  // block of the same length.
  const timed = (predictions - 1 - 2) / 2;
  expect(timed).toBeGreaterThanOrEqual(3 * 2);
  const blockMs = (timed / 3) * report.predictMs * x.shape[0]!;
  expect(blockMs).toBeGreaterThan(0.1 * report.solveMs * x.shape[0]!);
  expect(report.solveMs * x.shape[0]!).toBeGreaterThanOrEqual(20);
});

describe('medianMs', () => {
  test('runs warm-up plus repeats and returns the median time', () => {
    let calls = 0;
    const ms = medianMs(
      () => {
        calls++;
        const end = performance.now() + (calls === 3 ? 20 : 0.2);
        while (performance.now() < end);
      },
      5,
      1,
    );
    expect(calls).toBe(6);
    // One slow run out of five does not move the median.
    expect(ms).toBeGreaterThanOrEqual(0.2);
    expect(ms).toBeLessThan(15);
  });
});
