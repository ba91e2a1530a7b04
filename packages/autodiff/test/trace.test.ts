import { describe, expect, test } from 'vitest';
import { parseGraph, serializeGraph, topologicalOrder } from '@argmin/graph';
import { Tensor, add, exp, matmul, mul, sub, sum, tensor, trace, type SolveStatus } from '../src/index.js';
import { applyNode, defineNode } from '../src/extend.js';

const halve = defineNode<{ x: Tensor }, { y: Tensor }>({
  name: 'test.halve',
  signature: { params: { x: 1 }, solution: { y: 1 } },
  solve: ({ x }) => ({
    solution: {
      y: new Tensor(
        x.data.map((v) => v / 2),
        x.shape,
      ),
    },
    info: { status: ['converged'] as SolveStatus[], iterations: [1], residual: [0] },
  }),
  optimality: ({ x }, { y }) => sub(mul(y, 2), x),
  step: { defaultSteps: 3, init: ({ x }) => ({ y: mul(x, 0) }), update: ({ x }, { y }) => ({ y: add(mul(y, 0.5), mul(x, 0.25)) }) },
});

describe('trace', () => {
  test('records inputs, constants and ops in order, with shapes and summaries', () => {
    const W = tensor([
      [1, 2],
      [3, 4],
    ]);
    const g = trace((x: Tensor) => sum(exp(matmul(W, x))), [tensor([0.5, -1])], { name: 'tiny', argNames: ['x'] });
    const nodes = g.nodeOrder.map((id) => g.nodes[id]!);
    // The vector operand is promoted to a column and back, as in NumPy.
    expect(nodes.map((n) => n.op)).toEqual(['input', 'reshape', 'constant', 'matmul', 'reshape', 'exp', 'sum']);
    expect(nodes[0]!.label).toBe('x');
    expect(nodes[2]!.kind).toBe('constant');
    const out = g.values[g.outputs[0]!]!;
    expect(out.shape).toEqual([]);
    expect(out.summary!.data![0]).toBeCloseTo(Math.exp(-1.5) + Math.exp(-2.5), 12);
    expect(topologicalOrder(g)).toEqual(g.nodeOrder);
  });

  test('optimization nodes keep strategy and SolveInfo; unrolled iterations form a cluster; JSON round-trips', () => {
    const g = trace(
      (p: { x: Tensor }) => {
        const a = applyNode(halve, p, { strategy: 'implicit', label: 'halve (implicit)' }).y;
        const b = applyNode(halve, p, { strategy: 'unroll' }).y;
        return sum(add(a, b));
      },
      [{ x: tensor([1, 2]) }],
    );
    const opt = Object.values(g.nodes).find((n) => n.kind === 'optimization')!;
    expect(opt.strategy).toBe('implicit');
    expect(opt.label).toBe('halve (implicit)');
    expect(opt.info!.status).toEqual(['converged']);
    const clusters = Object.values(g.clusters);
    expect(clusters).toHaveLength(1);
    expect(clusters[0]!.kind).toBe('unroll');
    const inCluster = Object.values(g.nodes).filter((n) => n.cluster === clusters[0]!.id);
    expect(inCluster.length).toBeGreaterThanOrEqual(3 * 3);
    expect(Object.values(g.nodes).find((n) => n.kind === 'input')!.label).toBe('arg0.x');
    const loaded = parseGraph(serializeGraph(g));
    expect(loaded).toEqual(g);
  });

  test('tracing twice gives identical graphs', () => {
    const f = (x: Tensor) => sum(mul(x, x));
    expect(serializeGraph(trace(f, [tensor([1, 2, 3])]))).toBe(serializeGraph(trace(f, [tensor([1, 2, 3])])));
  });
});
