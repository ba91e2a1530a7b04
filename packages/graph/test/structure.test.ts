import { test as propTest } from '@fast-check/vitest';
import { describe, expect, test } from 'vitest';
import { type Graph, GraphBuilder, GraphError, toGraphlib } from '../src/index.js';
import { chain, graphArb } from './arbitraries.js';

function clustered() {
  const b = new GraphBuilder('clustered');
  const solver = b.addCluster({ label: 'solver', kind: 'unroll' });
  const step = b.addCluster({ label: 'step 0', kind: 'group', parent: solver });
  const [x] = b.addNode({ kind: 'input', op: 'input', inputs: [], outputShapes: [[2]] }).outputIds;
  const [y] = b.addNode({ kind: 'op', op: 'mul', inputs: [x!, x!], outputShapes: [[2]], cluster: step }).outputIds;
  b.addNode({ kind: 'op', op: 'exp', inputs: [y!], outputShapes: [[2]], cluster: solver });
  return b.build();
}

describe('toGraphlib', () => {
  test('makes a compound multigraph: clusters are parents, one edge per consumed input', () => {
    const g = toGraphlib(clustered());
    expect(g.isCompound() && g.isMultigraph() && g.isDirected()).toBe(true);
    expect(g.children('c0').sort()).toEqual(['c1', 'n2']);
    expect(g.children('c1')).toEqual(['n1']);
    expect(g.parent('n1')).toBe('c1');
    expect(g.parent('c1')).toBe('c0');
    expect(g.successors('n0')).toEqual(['n1']);
    expect(g.predecessors('n2')).toEqual(['n1']);
    expect(g.outEdges('n0')!.map((e) => g.edge(e))).toEqual([
      { value: 'v0', input: 0 },
      { value: 'v0', input: 1 },
    ]);
    expect(g.node('n1')).toMatchObject({ type: 'node', node: { op: 'mul' } });
    expect(g.node('c0')).toMatchObject({ type: 'cluster', cluster: { label: 'solver' } });
    expect(g.graph()).toEqual({ name: 'clustered' });
  });

  propTest.prop([graphArb()])('has one graphlib node per node and cluster, and one edge per input', (graph) => {
    const g = toGraphlib(graph);
    expect(g.nodeCount()).toBe(graph.nodeOrder.length + Object.keys(graph.clusters).length);
    const inputs = graph.nodeOrder.reduce((n, id) => n + graph.nodes[id]!.inputs.length, 0);
    expect(g.edgeCount()).toBe(inputs);
  });

  test('handles a 100,000-node chain (only containers, no recursive algorithms)', () => {
    const g = toGraphlib(chain(100_000));
    expect(g.nodeCount()).toBe(100_000);
    expect(g.sources()).toEqual(['n0']);
    expect(g.sinks()).toEqual(['n99999']);
  });

  test('refuses missing or looping clusters and ids shared by a node and a cluster', () => {
    const base = clustered();
    const withCluster = (clusters: Graph['clusters']): Graph => ({ ...base, clusters: { ...base.clusters, ...clusters } });
    expect(() => toGraphlib(withCluster({ c1: { id: 'c1', label: 'x', kind: 'group', parent: 'c9' } }))).toThrow(
      /cluster c1: cluster 'c9' does not exist/,
    );
    expect(() => toGraphlib(withCluster({ c0: { id: 'c0', label: 'a', kind: 'group', parent: 'c1' } }))).toThrow(GraphError);
    expect(() => toGraphlib(withCluster({ n0: { id: 'n0', label: 'x', kind: 'group' } }))).toThrow(
      /id 'n0' is used by both a node and a cluster/,
    );
  });
});
