import { readFileSync } from 'node:fs';
import { expect, test } from 'vitest';
import { GraphBuilder, parseGraph, relabel, serializeGraph, toJSON, topologicalOrder } from '../src/index.js';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const blocks = (lang: string): string[] => [...readme.matchAll(new RegExp(`\`\`\`${lang}\\n([\\s\\S]*?)\`\`\``, 'g'))].map((m) => m[1]!);

/** The usage example of the README, verbatim apart from the assertions. */
function usage() {
  const b = new GraphBuilder('ridge');
  const [x] = b.addNode({ kind: 'input', op: 'input', inputs: [], outputShapes: [[3]], label: 'x' }).outputIds;
  const solver = b.addCluster({ label: 'qp', kind: 'unroll' });
  const { nodeId, outputIds } = b.addNode({
    kind: 'optimization',
    op: 'convex.qp',
    plugin: 'convex',
    strategy: 'implicit',
    inputs: [x!],
    outputShapes: [[3]],
    attrs: { eps: 1e-8 },
    cluster: solver,
    info: { status: ['converged'], iterations: [12], residual: [3e-10] },
  });
  b.setOutputs(outputIds);
  b.setGradNorm(x!, 0.7);
  const graph = b.build();
  return { graph, nodeId };
}

test('the README usage example runs and does what its comments say', () => {
  const code = blocks('ts').find((b) => b.includes('new GraphBuilder'))!;
  for (const line of ["const b = new GraphBuilder('ridge');", 'b.setGradNorm(x, 0.7);', "relabel(graph, nodeId, 'projection')"]) {
    expect(code).toContain(line);
  }
  const { graph, nodeId } = usage();
  expect([...graph.nodeOrder, ...Object.keys(graph.values), ...Object.keys(graph.clusters)]).toEqual(['n0', 'n1', 'v0', 'v1', 'c0']);
  expect(topologicalOrder(graph)).toEqual(['n0', 'n1']);
  const renamed = relabel(graph, nodeId, 'projection');
  expect(parseGraph(serializeGraph(renamed))).toEqual(renamed);
});

test('the README format example is a loadable file, and is what the usage example saves', () => {
  const [text] = blocks('json');
  expect(text).toBeDefined();
  expect(parseGraph(text!)).toEqual(usage().graph);
  expect(toJSON(usage().graph)).toEqual(JSON.parse(text!));
});
