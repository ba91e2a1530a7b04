import { test as propTest } from '@fast-check/vitest';
import { describe, expect, test } from 'vitest';
import {
  type Graph,
  GraphBuilder,
  GraphError,
  addCluster,
  addNode,
  assignCluster,
  emptyGraph,
  relabel,
  relabelValue,
  removeNode,
  setAttrs,
  setGradNorm,
  setInfo,
  setOutputs,
  setValueSummary,
  validateGraph,
} from '../src/index.js';
import { graphArb } from './arbitraries.js';

/** x → exp → y ; x → log → z ; (y, z) → add → w ; qp(w) */
function base(): Graph {
  const b = new GraphBuilder('base');
  const [x] = b.addNode({ kind: 'input', op: 'input', inputs: [], outputShapes: [[2]], label: 'x' }).outputIds;
  const [y] = b.addNode({ kind: 'op', op: 'exp', inputs: [x!], outputShapes: [[2]] }).outputIds;
  const [z] = b.addNode({ kind: 'op', op: 'log', inputs: [x!], outputShapes: [[2]] }).outputIds;
  const [w] = b.addNode({ kind: 'op', op: 'add', inputs: [y!, z!], outputShapes: [[2]] }).outputIds;
  const { outputIds } = b.addNode({ kind: 'optimization', op: 'convex.qp', inputs: [w!], outputShapes: [[2]] });
  b.setOutputs(outputIds);
  return b.build();
}

/** Every edit, applied to `g` with valid arguments. */
const edits: [string, (g: Graph) => Graph][] = [
  ['addNode', (g) => addNode(g, { kind: 'op', op: 'neg', inputs: ['v0'], outputShapes: [[2]] }).graph],
  ['removeNode', (g) => removeNode(g, 'n0', { cascade: true })],
  ['relabel', (g) => relabel(g, 'n1', 'e^x')],
  ['relabelValue', (g) => relabelValue(g, 'v1', 'y')],
  ['setAttrs', (g) => setAttrs(g, 'n1', { base: 2 })],
  ['setOutputs', (g) => setOutputs(g, ['v1', 'v2'])],
  ['addCluster', (g) => addCluster(g, { label: 'group', kind: 'group' }).graph],
  ['setInfo', (g) => setInfo(g, 'n4', { status: ['max_iter'], iterations: [100], residual: [0.1] })],
  ['setValueSummary', (g) => setValueSummary(g, 'v0', { min: 0, max: 1, mean: 0.5, norm: 1 })],
  ['setGradNorm', (g) => setGradNorm(g, 'v0', 3)],
];

describe('immutable edits', () => {
  test.each(edits)('%s leaves its input untouched and returns a frozen, valid graph', (_name, edit) => {
    const g = base();
    const snapshot = structuredClone({ ...g, nodes: { ...g.nodes }, values: { ...g.values }, clusters: { ...g.clusters } });
    // An unfrozen copy too: there, a mutating edit would not be stopped by a TypeError.
    const mutable = structuredClone(snapshot) as Graph;
    const next = edit(g);
    edit(mutable);
    expect(next).not.toBe(g);
    expect(g).toEqual(snapshot);
    expect(mutable).toEqual(snapshot);
    expect(next).not.toEqual(g);
    expect(validateGraph(next)).toEqual([]);
    expect(Object.isFrozen(next) && Object.isFrozen(next.nodes) && Object.isFrozen(next.values)).toBe(true);
    for (const id of next.nodeOrder) expect(Object.isFrozen(next.nodes[id])).toBe(true);
  });

  test('shares untouched nodes and keeps id-keyed tables free of a prototype', () => {
    const g = base();
    const next = relabel(g, 'n1', 'e^x');
    expect(next.nodes.n1!.label).toBe('e^x');
    expect(next.nodes.n2).toBe(g.nodes.n2);
    expect(Object.getPrototypeOf(next.nodes)).toBe(null);
    expect(relabel(next, 'n1', undefined).nodes.n1).not.toHaveProperty('label');
  });

  propTest.prop([graphArb(undefined, 12)])('edits of random graphs never mutate them', (g) => {
    const before = JSON.stringify(g);
    const { graph, nodeId } = addNode(g, { kind: 'op', op: 'id', inputs: Object.keys(g.values).slice(0, 1), outputShapes: [[1]] });
    const after = removeNode(relabel(graph, nodeId, 'new'), g.nodeOrder[0]!, { cascade: true });
    expect(JSON.stringify(g)).toBe(before);
    expect(validateGraph(after)).toEqual([]);
  });

  test('addNode allocates ids that do not collide, even after removals', () => {
    let g = removeNode(base(), 'n4', { cascade: true }); // nodes n0..n3 remain, v4 freed
    const added = addNode(g, { kind: 'op', op: 'neg', inputs: ['v3'], outputShapes: [[2], [2]] });
    expect(added.nodeId).toBe('n4');
    expect(added.outputIds).toEqual(['v4', 'v5']);
    g = removeNode(added.graph, 'n1', { cascade: true }); // removes n1, and n3, n4 downstream
    expect(g.nodeOrder).toEqual(['n0', 'n2']);
    const again = addNode(g, { kind: 'op', op: 'neg', inputs: ['v2'], outputShapes: [[2]] });
    expect(g.nodes[again.nodeId]).toBeUndefined();
    expect(g.values[again.outputIds[0]!]).toBeUndefined();
    expect(validateGraph(again.graph)).toEqual([]);
  });

  test('removeNode refuses to orphan consumers or graph outputs unless asked to cascade', () => {
    const g = base();
    expect(() => removeNode(g, 'n1')).toThrow(/cannot remove node n1 \(op 'exp'\): its outputs are consumed by node n3 \(op 'add'\)/);
    expect(() => removeNode(g, 'n4')).toThrow(/its output v4 is a graph output/);
    const cascaded = removeNode(g, 'n1', { cascade: true });
    expect(cascaded.nodeOrder).toEqual(['n0', 'n2']);
    expect(Object.keys(cascaded.values).sort()).toEqual(['v0', 'v2']);
    expect(cascaded.outputs).toEqual([]);
    const leaf = removeNode(setOutputs(g, []), 'n4');
    expect(leaf.nodeOrder).toEqual(['n0', 'n1', 'n2', 'n3']);
  });

  test('clusters: add, nest, assign and unassign', () => {
    const { graph: g1, clusterId: outer } = addCluster(base(), { label: 'solver', kind: 'unroll' });
    const { graph: g2, clusterId: inner } = addCluster(g1, { label: 'step', kind: 'group', parent: outer });
    expect([outer, inner]).toEqual(['c0', 'c1']);
    const g3 = assignCluster(g2, ['n1', 'n2'], inner);
    expect(g3.nodes.n1!.cluster).toBe('c1');
    expect(assignCluster(g3, ['n1'], undefined).nodes.n1).not.toHaveProperty('cluster');
    expect(() => assignCluster(g3, ['n1'], 'c9')).toThrow(/cluster 'c9' does not exist/);
    expect(() => addCluster(g3, { label: 'x', kind: 'group', parent: 'c9' })).toThrow(GraphError);
  });

  test('edits check their arguments and name what is wrong', () => {
    const g = base();
    expect(() => relabel(g, 'n9', 'x')).toThrow(/node 'n9' does not exist in graph 'base'/);
    expect(() => setOutputs(g, ['v9'])).toThrow(/value 'v9' does not exist/);
    expect(() => setInfo(g, 'n1', { status: [], iterations: [], residual: [] })).toThrow(
      /node n1 \(op 'exp'\): only optimization nodes carry SolveInfo/,
    );
    expect(() => setAttrs(g, 'n1', { bad: Number.NaN })).toThrow(/node n1 \(op 'exp'\): attrs.bad: NaN is not a finite number/);
    expect(() => addNode(g, { kind: 'op', op: 'f', inputs: ['nope'], outputShapes: [] })).toThrow(/input 0 is value 'nope'/);
  });

  test('emptyGraph is an empty, frozen, valid graph to build on', () => {
    const g = emptyGraph('e');
    expect(validateGraph(g)).toEqual([]);
    expect(Object.isFrozen(g.nodes)).toBe(true);
    const { graph, nodeId, outputIds } = addNode(g, { kind: 'input', op: 'input', inputs: [], outputShapes: [[]] });
    expect([nodeId, ...outputIds]).toEqual(['n0', 'v0']);
    expect(graph.nodeOrder).toEqual(['n0']);
    expect(g.nodeOrder).toEqual([]);
  });
});
