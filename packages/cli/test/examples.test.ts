import { describe, expect, test } from 'vitest';
import { createRuntime } from '@argmin/autodiff';
import { controlPlugin } from '@argmin/nodes-control';
import { convexPlugin } from '@argmin/nodes-convex';
import { examples } from '../src/examples.js';

describe('built-in examples', () => {
  const runtime = createRuntime({ plugins: [convexPlugin, controlPlugin] });
  for (const name of ['qp', 'lqr', 'sinkhorn', 'mlp']) {
    test(`${name}: traced from the real packages, loads in a runtime with their plugins`, async () => {
      const json = await examples[name]!();
      const graph = runtime.loadGraph(json);
      expect(graph.nodeOrder.length).toBeGreaterThan(3);
      for (const node of Object.values(graph.nodes)) {
        if (node.kind === 'optimization')
          expect(
            node.info!.status.every((s) => s === 'converged'),
            `${node.op} converged`,
          ).toBe(true);
      }
    });
  }
  test('the unrolled Sinkhorn iterations, constants included, sit inside their cluster', async () => {
    const json = await examples.sinkhorn!();
    const outside = json.nodes.filter((n) => !n.cluster);
    expect(json.clusters).toHaveLength(1);
    expect(outside.length).toBeLessThan(25);
  });
});
