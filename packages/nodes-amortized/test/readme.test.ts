import { readFileSync } from 'node:fs';
import { Rng, concat, eye, matmul, maximum, minimum, neg, ones, randn, type Tensor } from '@argmin/autodiff';
import { qpInteriorStart, qpNode, type QpParams } from '@argmin/nodes-convex';
import { expect, test } from 'vitest';
import { adam, amortize, compareWarmStart, evaluateAmortized, mlp } from '../src/index.js';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const code = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!)[0]!;

/** The README example, verbatim apart from the comments and the returned values. */
function example() {
  const P = randn([3, 4], Rng.seeded(0), 2);
  const [Q, G, h] = [eye(4), concat([eye(4), neg(eye(4))], 0), ones([8])];
  const problem = (x: Tensor): QpParams => ({ Q, p: matmul(x, P), G, h });
  const clamp = (_: QpParams, s: { z?: Tensor }) => ({ z: minimum(maximum(s.z!, -1), 1) });

  const am = amortize(qpNode, mlp({ sizes: [3, 32, 4], activation: 'tanh', linearSkip: true }), {
    problem,
    loss: 'objective',
    project: clamp,
  });
  const { params } = am.fit(
    am.init(Rng.seeded(1)),
    { x: randn([512, 3], Rng.seeded(2)) },
    {
      steps: 400,
      batchSize: 32,
      optimizer: adam({ lr: 2e-2 }),
    },
  );
  const xTest = randn([64, 3], Rng.seeded(3));
  const { z } = am.infer(params, xTest);
  const report = evaluateAmortized(am, params, xTest);
  const warm = compareWarmStart(am, params, xTest, { complete: qpInteriorStart() });
  return { am, z: z!, report, warm, xTest };
}

test('the README example is the one tested here', () => {
  // This file's own source (vite rewrites Function.prototype.toString): the body of example().
  const source = readFileSync(new URL(import.meta.url), 'utf8');
  const body = source.slice(source.indexOf('function example() {'), source.indexOf('  return { am'));
  const lines = body
    .split('\n')
    .slice(1)
    .map((l) => l.trim())
    .filter(Boolean);
  const readmeLines = code.split('\n').map((l) => l.replace(/\s+\/\/.*$/, '').trim());
  expect(lines.length).toBeGreaterThan(10);
  for (const line of lines) expect(readmeLines).toContain(line);
  expect(code).toContain("from '@argmin/nodes-amortized'");
});

test('the README example trains, predicts within 1% of optimal, and its prediction saves solver iterations', () => {
  const { z, report, warm, xTest } = example();
  expect(z.shape).toEqual([64, 4]);
  expect(Math.max(...z.data.map(Math.abs))).toBeLessThanOrEqual(1);
  expect(report.gap).toBeLessThan(0.01);
  expect(report.speedup).toBeGreaterThan(1);
  expect(warm.warm.meanIterations).toBeLessThan(warm.cold.meanIterations);
  expect(warm.solutionDifference).toBeLessThan(1e-8);
  expect(xTest.shape).toEqual([64, 3]);
});
