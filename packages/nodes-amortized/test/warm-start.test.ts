import { InvalidInputError, Rng, Tensor, randn, type NodeOutput } from '@argmin/autodiff';
import { applyNode } from '@argmin/autodiff/extend';
import { checkVjp } from '@argmin/autodiff/testing';
import { qpNode, type QpSolution } from '@argmin/nodes-convex';
import { beforeAll, describe, expect, test } from 'vitest';
import { adam } from '../src/adam.js';
import { amortize } from '../src/amortize.js';
import { mlp, type MlpParams } from '../src/mlp.js';
import { qpInteriorStart } from '@argmin/nodes-convex';
import { compareWarmStart, solveWarm } from '../src/warm-start.js';
import { expectError, maxAbsDiff } from './helpers/assert.js';
import { clampBox, qpFamily } from './helpers/families.js';

// Learned warm starts of the QP's interior-point solver (Amos 2022, §4: amortization as a start).
const fam = qpFamily(4, 3);
const net = mlp({ sizes: [3, 16, 4], activation: 'tanh', linearSkip: true });
const am = amortize(qpNode, net, { problem: fam.problem, loss: 'objective', project: clampBox });
const xTest = randn([32, 3], Rng.seeded(2));
let theta: MlpParams;
let cold: NodeOutput<QpSolution>;
beforeAll(() => {
  theta = am.fit(
    am.init(Rng.seeded(4)),
    { x: randn([256, 3], Rng.seeded(1)) },
    { steps: 300, batchSize: 32, optimizer: adam({ lr: 2e-2 }), rng: Rng.seeded(3) },
  ).params;
  cold = am.solve(xTest);
});

describe('compareWarmStart', () => {
  test('the centred start from ẑ (qpInteriorStart) roughly halves the iterations, to the same solution', () => {
    const report = compareWarmStart(am, theta, xTest, { complete: qpInteriorStart(), repeats: 1 });
    expect(report.contexts).toBe(32);
    expect(report.cold.iterations).toEqual(cold.info.iterations);
    expect(report.warm.iterations).toHaveLength(32);
    expect([report.cold.converged, report.warm.converged]).toEqual([32, 32]);
    expect(report.warm.meanIterations).toBeLessThan(0.65 * report.cold.meanIterations);
    expect(report.iterationReduction).toBeCloseTo(1 - report.warm.meanIterations / report.cold.meanIterations, 14);
    expect(report.solutionDifference).toBeLessThan(1e-8);
    expect(report.warm.predictMs).toBeGreaterThan(0);
    expect(report.timeReduction).toBeCloseTo(1 - (report.warm.solveMs + report.warm.predictMs) / report.cold.solveMs, 10);
  });

  test('ẑ alone helps too; an untrained model does not find the same solution faster', () => {
    // (ẑ alone guesses the active set of the solver's active-set method as well as the centred start does.)
    const centred = compareWarmStart(am, theta, xTest, { complete: qpInteriorStart(), repeats: 1 });
    const zOnly = compareWarmStart(am, theta, xTest, { repeats: 1 });
    expect(zOnly.warm.meanIterations).toBeLessThan(zOnly.cold.meanIterations);
    expect(zOnly.solutionDifference).toBeLessThan(1e-8);
    const untrained = compareWarmStart(am, am.init(Rng.seeded(4)), xTest, { complete: qpInteriorStart(), repeats: 1 });
    expect(untrained.warm.meanIterations).toBeGreaterThan(centred.warm.meanIterations);
    expect(untrained.solutionDifference).toBeLessThan(1e-8);
  });
});

describe('solveWarm', () => {
  test('returns the exact solution and the start it used', () => {
    const { output, start } = solveWarm(am, theta, xTest, { complete: qpInteriorStart() });
    expect(maxAbsDiff(output.z, cold.z)).toBeLessThan(1e-8);
    expect(output.info.status.every((s) => s === 'converged')).toBe(true);
    const expected = qpInteriorStart()(fam.problem(xTest), am.infer(theta, xTest));
    for (const key of ['z', 'lam', 'slack'] as const) expect(maxAbsDiff(start[key]!, expected[key]!)).toBe(0);
    expect(output.info.iterations.reduce((a, b) => a + b)).toBeLessThan(cold.info.iterations.reduce((a, b) => a + b));
  });

  test("the warm-started solve keeps the node's implicit gradient (the start itself carries none)", () => {
    const x = randn([3, 3], Rng.seeded(5));
    const warm = (xs: Tensor) => solveWarm(am, theta, xs, { complete: qpInteriorStart() }).output.z;
    const coldZ = (xs: Tensor) => (applyNode(qpNode, fam.problem(xs), {}) as NodeOutput<QpSolution>).z;
    const a = checkVjp(warm, [x], { seed: 1, rtol: 1e-6 });
    const b = checkVjp(coldZ, [x], { seed: 1, rtol: 1e-6 });
    expect(a.analytic).toBeCloseTo(b.analytic, 8);
  });

  test('controls and call options reach the solver', () => {
    const capped = solveWarm(am, theta, xTest, { controls: { maxIter: 1 }, call: { strategy: 'solve' } });
    expect(capped.output.info.iterations.every((k) => k <= 1)).toBe(true);
  });
});

describe('qpInteriorStart', () => {
  const x = randn([6, 3], Rng.seeded(6));
  const params = fam.problem(x);
  const exact = am.solve(x);

  test('from the exact z*: box multipliers recovered by stationarity, and every pair centred at λᵢsᵢ = μ', () => {
    const mu = 1e-4;
    const start = qpInteriorStart({ mu })(params, { z: exact.z });
    expect(start.z).toBe(exact.z);
    start.lam!.data.forEach((l, i) => expect(l * start.slack!.data[i]!).toBeCloseTo(mu, 15));
    let checked = 0;
    exact.lam.data.forEach((l, i) => {
      if (l > 10 * Math.sqrt(mu)) {
        expect(start.lam!.data[i]).toBeCloseTo(l, 6);
        checked++;
      } else if (exact.slack.data[i]! > 10 * Math.sqrt(mu)) {
        expect(start.slack!.data[i]).toBeCloseTo(exact.slack.data[i]!, 12);
      }
    });
    expect(checked).toBeGreaterThan(2);
  });

  test('predicted multipliers are used (clamped at 0) instead of recovered ones', () => {
    const lam = new Tensor(
      exact.lam.data.map((v, i) => (i % 3 === 0 ? -1 : v + 0.5)),
      exact.lam.shape,
    );
    const start = qpInteriorStart({ mu: 1e-3 })(params, { z: exact.z, lam });
    start.lam!.data.forEach((l, i) => {
      // Row j of G = [I; −I] for context b: slack 1 − z_j (j < 4) or 1 + z_{j−4}.
      const [b, j] = [Math.floor(i / 8), i % 8];
      const slack = j < 4 ? 1 - exact.z.data[4 * b + j]! : 1 + exact.z.data[4 * b + j - 4]!;
      const given = Math.max(0, lam.data[i]!);
      expect(l).toBeCloseTo(given > slack ? Math.max(given, Math.sqrt(1e-3)) : 1e-3 / Math.max(slack, Math.sqrt(1e-3)), 10);
    });
  });

  test('without inequalities it returns the prediction; bad options and a missing z are errors', () => {
    const prediction = { z: exact.z };
    expect(qpInteriorStart()({ Q: params.Q, p: params.p }, prediction)).toBe(prediction);
    expectError(() => qpInteriorStart({ mu: 0 }), InvalidInputError, 'qpInteriorStart', "'mu'");
    expectError(() => qpInteriorStart()(params, {}), InvalidInputError, "'z'");
  });
});
