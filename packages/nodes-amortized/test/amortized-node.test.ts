import { InvalidInputError, Rng, type Tensor, createRuntime, randn, sum, trace } from '@argmin/autodiff';
import { toJSON } from '@argmin/graph';
import { arbTensor, describeOptimizationNode } from '@argmin/autodiff/testing';
import { qpNode } from '@argmin/nodes-convex';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { amortize } from '../src/amortize.js';
import { amortizedNode, amortizedPlugin, amortizedPredict } from '../src/amortized-node.js';
import { mlp } from '../src/mlp.js';
import { clampBox, qpFamily } from './helpers/families.js';

const fam = qpFamily(4, 3);
const net = mlp({ sizes: [3, 8, 4], activation: 'tanh', linearSkip: true });
const am = amortize(qpNode, net, { problem: fam.problem, project: clampBox, loss: 'objective' });
const theta = am.init(Rng.seeded(1));
const node = amortizedNode(am, theta, randn([2, 3], Rng.seeded(9)));

// The weights at one fixed draw plus a small random perturbation, and a random context.
const arbParams = fc
  .record({ x: arbTensor([3], { min: -1, max: 1 }), d: arbTensor([8], { min: -0.3, max: 0.3 }) })
  .map(({ x, d }) => ({ ...theta, x, b0: d }));

describeOptimizationNode(node, {
  params: arbParams,
  strategies: ['unroll', 'solve'],
  residualTol: Number.POSITIVE_INFINITY,
  gradientTol: 1e-6,
  sharedParam: 'W0',
});

describe('an amortizer as a node', () => {
  test('its prediction equals the amortizer’s own, on the fast path and with ops', () => {
    const x = randn([5, 3], Rng.seeded(2));
    const fast = amortizedPredict(node, x, theta, { strategy: 'solve' });
    const ops = amortizedPredict(node, x, theta);
    const direct = am.infer(theta, x).z!;
    for (let i = 0; i < direct.size; i++) {
      expect(fast.z!.data[i]).toBeCloseTo(direct.data[i]!, 12);
      expect(ops.z!.data[i]).toBeCloseTo(direct.data[i]!, 12);
    }
    expect(fast.info.status.every((s) => s === 'converged')).toBe(true);
  });

  test('a traced loss shows it as one optimization node, and a runtime with its plugin loads the graph', () => {
    const x = randn([2, 3], Rng.seeded(3));
    const g = trace((xx: Tensor) => sum(amortizedPredict(node, xx, theta, { strategy: 'solve' }).z!), [x], { name: 'amortized QP' });
    expect(
      Object.values(g.nodes)
        .filter((n) => n.kind === 'optimization')
        .map((n) => n.op),
    ).toEqual(['amortized.convex.qp']);
    const json = toJSON(g);
    const runtime = createRuntime({ plugins: [amortizedPlugin(node)] });
    expect(() => runtime.loadGraph(json)).not.toThrow();
    expect(JSON.stringify(json)).toContain('amortized.convex.qp');
    expect(() => createRuntime({ plugins: [] }).loadGraph(json)).toThrow(/amortized\.convex\.qp/);
  });

  test("'implicit' and a non-tensor context are typed errors", () => {
    expect(() => amortizedPredict(node, randn([3], Rng.seeded(4)), theta, { strategy: 'implicit' })).toThrow(InvalidInputError);
    expect(() => amortizedPredict(node, [1, 2, 3] as never, theta)).toThrow(/context 'x' must be a Tensor/);
  });
});
