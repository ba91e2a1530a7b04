import { test } from '@fast-check/vitest';
import fc from 'fast-check';
import { describe, expect } from 'vitest';
import {
  type Graph,
  GraphBuilder,
  type NodeData,
  type ValueData,
  GraphError,
  GraphValidationError,
  ancestors,
  descendants,
  pathBetween,
  reverseTopologicalOrder,
  topologicalOrder,
  validateGraph,
} from '../src/index.js';
import { chain, graphArb, shuffled } from './arbitraries.js';

/** Every edge producer → consumer, from the nodes' outputs and inputs. */
function edges(graph: Graph): [string, string][] {
  const producer = new Map<string, string>();
  for (const id of graph.nodeOrder) for (const v of graph.nodes[id]!.outputs) producer.set(v, id);
  return graph.nodeOrder.flatMap((id) => graph.nodes[id]!.inputs.map((v): [string, string] => [producer.get(v)!, id]));
}

/** Reachability by brute force (transitive closure by repeated relaxation). */
function reachable(graph: Graph): Map<string, Set<string>> {
  const reach = new Map(graph.nodeOrder.map((id) => [id, new Set<string>()]));
  const es = edges(graph);
  for (let changed = true; changed; ) {
    changed = false;
    for (const [u, w] of es) {
      const before = reach.get(u)!.size;
      reach.get(u)!.add(w);
      for (const x of reach.get(w)!) reach.get(u)!.add(x);
      if (reach.get(u)!.size !== before) changed = true;
    }
  }
  return reach;
}

describe('topologicalOrder', () => {
  test.prop([graphArb(), fc.integer()])('puts u before v for every edge u → v, whatever nodeOrder is', (g, seed) => {
    const graph = shuffled(g, seed);
    const order = topologicalOrder(graph);
    expect([...order].sort()).toEqual([...graph.nodeOrder].sort());
    const position = new Map(order.map((id, i) => [id, i]));
    for (const [u, v] of edges(graph)) expect(position.get(u)!).toBeLessThan(position.get(v)!);
  });

  test.prop([graphArb()])('reverse order puts consumers first', (graph) => {
    expect(reverseTopologicalOrder(graph)).toEqual([...topologicalOrder(graph)].reverse());
  });

  test.prop([graphArb()])('keeps nodeOrder when it already is topological (deterministic ties)', (graph) => {
    expect(topologicalOrder(graph)).toEqual(graph.nodeOrder);
  });

  // The time bound only catches quadratic behaviour (seconds, not hours): CI machines are shared.
  test('orders a 100,000-node chain without overflowing the stack, in linear time', () => {
    const graph = chain(100_000);
    const start = performance.now();
    const order = topologicalOrder(shuffled(graph, 7));
    const ms = performance.now() - start;
    expect(order).toEqual(graph.nodeOrder);
    expect(ms).toBeLessThan(20_000);
    expect(ancestors(graph, 'n99999').size).toBe(99_999);
    expect(descendants(graph, 'n0').size).toBe(99_999);
    expect(pathBetween(graph, ['v0'], ['v99999'])).toHaveLength(99_999);
  });

  test('names the nodes of a cycle', () => {
    // n1 consumes v2 (produced by n2), n2 consumes v1 (produced by n1): a 2-cycle behind an input.
    const graph = cyclic();
    expect(() => topologicalOrder(graph)).toThrow(GraphValidationError);
    try {
      topologicalOrder(graph);
    } catch (e) {
      const issue = (e as GraphValidationError).issues[0]!;
      expect(issue.code).toBe('cycle');
      expect(issue.message).toContain("node n1 (op 'add', label 'a')");
      expect(issue.message).toContain("node n2 (op 'mul')");
      expect(issue.message).not.toContain('n0');
    }
  });
});

describe('cycles in big graphs', () => {
  test('a 100,000-node ring is reported without overflowing the stack, with a readable message', () => {
    const n = 100_000;
    const nodes: Record<string, NodeData> = {};
    const values: Record<string, ValueData> = {};
    for (let i = 0; i < n; i++) {
      nodes[`n${i}`] = { id: `n${i}`, kind: 'op', op: 'neg', inputs: [`v${(i + n - 1) % n}`], outputs: [`v${i}`], attrs: {} };
      values[`v${i}`] = { id: `v${i}`, shape: [], producer: `n${i}`, index: 0 };
    }
    const graph: Graph = { name: 'ring', nodes, values, nodeOrder: Object.keys(nodes), clusters: {}, outputs: [] };
    const issues = validateGraph(graph);
    expect(issues).toHaveLength(1);
    expect(issues[0]!.message).toMatch(
      /^cycle through 100000 nodes: node n0 \(op 'neg'\) → node n1 .* → … 99988 more → node n0 \(op 'neg'\)$/,
    );
    expect(issues[0]!.message.length).toBeLessThan(1_000);
  });
});

/** input n0 → n1 ⇄ n2, written by hand (a builder cannot make cycles). */
function cyclic(): Graph {
  return {
    name: 'cyclic',
    nodeOrder: ['n0', 'n1', 'n2'],
    nodes: {
      n0: { id: 'n0', kind: 'input', op: 'input', inputs: [], outputs: ['v0'], attrs: {} },
      n1: { id: 'n1', kind: 'op', op: 'add', label: 'a', inputs: ['v0', 'v2'], outputs: ['v1'], attrs: {} },
      n2: { id: 'n2', kind: 'op', op: 'mul', inputs: ['v1'], outputs: ['v2'], attrs: {} },
    },
    values: {
      v0: { id: 'v0', shape: [], producer: 'n0', index: 0 },
      v1: { id: 'v1', shape: [], producer: 'n1', index: 0 },
      v2: { id: 'v2', shape: [], producer: 'n2', index: 0 },
    },
    clusters: {},
    outputs: ['v2'],
  };
}

describe('ancestors, descendants, pathBetween', () => {
  test.prop([graphArb(undefined, 15)])('agree with a brute-force transitive closure', (graph) => {
    const reach = reachable(graph);
    for (const id of graph.nodeOrder) {
      expect(new Set(descendants(graph, id))).toEqual(reach.get(id));
      const anc = new Set(graph.nodeOrder.filter((u) => reach.get(u)!.has(id)));
      expect(new Set(ancestors(graph, id))).toEqual(anc);
    }
  });

  test.prop([graphArb(undefined, 15), fc.nat(), fc.nat()])(
    'pathBetween = consumers of sources ↓ ∩ producers of targets ↑',
    (graph, a, b) => {
      const valueIds = Object.keys(graph.values);
      const from = valueIds[a % valueIds.length]!;
      const to = valueIds[b % valueIds.length]!;
      const reach = reachable(graph);
      const fromNodes = graph.nodeOrder.filter((id) => graph.nodes[id]!.inputs.includes(from));
      const toNode = graph.values[to]!.producer;
      const expected = graph.nodeOrder.filter(
        (id) => fromNodes.some((f) => f === id || reach.get(f)!.has(id)) && (id === toNode || reach.get(id)!.has(toNode)),
      );
      const got = pathBetween(graph, [from], [to]);
      expect(new Set(got)).toEqual(new Set(expected));
      const position = new Map(topologicalOrder(graph).map((id, i) => [id, i]));
      expect(got.map((id) => position.get(id))).toEqual([...got.map((id) => position.get(id)!)].sort((x, y) => x - y));
    },
  );

  test('pathBetween prunes nodes that do not lie between the values', () => {
    const b = new GraphBuilder();
    const [x] = b.addNode({ kind: 'input', op: 'input', inputs: [], outputShapes: [[]] }).outputIds;
    const [c] = b.addNode({ kind: 'constant', op: 'constant', inputs: [], outputShapes: [[]] }).outputIds;
    const [y] = b.addNode({ kind: 'op', op: 'exp', inputs: [x!], outputShapes: [[]] }).outputIds; // n2: on the path
    const [z] = b.addNode({ kind: 'op', op: 'exp', inputs: [c!], outputShapes: [[]] }).outputIds; // n3: off (only from c)
    const [w] = b.addNode({ kind: 'op', op: 'add', inputs: [y!, z!], outputShapes: [[]] }).outputIds; // n4
    b.addNode({ kind: 'op', op: 'log', inputs: [y!], outputShapes: [[]] }); // n5: off (not to w)
    const graph = b.build();
    expect(pathBetween(graph, [x!], [w!])).toEqual(['n2', 'n4']);
    expect(pathBetween(graph, [w!], [x!])).toEqual([]);
    expect(() => pathBetween(graph, ['nope'], [w!])).toThrow(GraphError);
    expect(() => ancestors(graph, 'nope')).toThrow(/node 'nope' does not exist/);
  });

  test('ids that are Object.prototype properties are ordinary ids', () => {
    const node: NodeData = { id: 'constructor', kind: 'input', op: 'input', inputs: [], outputs: ['toString'], attrs: {} };
    const graph: Graph = {
      ...cyclic(),
      nodeOrder: ['constructor'],
      nodes: { constructor: node },
      values: { toString: { id: 'toString', shape: [], producer: 'constructor', index: 0 } },
      outputs: [],
    };
    expect(topologicalOrder(graph)).toEqual(['constructor']);
    expect(() => descendants(graph, 'hasOwnProperty')).toThrow(GraphError);
  });
});
