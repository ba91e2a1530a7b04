import { test as propTest } from '@fast-check/vitest';
import { describe, expect, test } from 'vitest';
import {
  type Graph,
  GraphBuilder,
  type GraphIssue,
  GraphValidationError,
  type NodeData,
  type ShapeRules,
  type ValueData,
  assertValidGraph,
  validateGraph,
} from '../src/index.js';
import { graphArb } from './arbitraries.js';

/** input x (n0) and parameter W (n1) → matvec (n2, label 'Wx') → relu (n3). */
function good(): Graph {
  const b = new GraphBuilder('good');
  const [x] = b.addNode({ kind: 'input', op: 'input', inputs: [], outputShapes: [[3]], label: 'x' }).outputIds;
  const [w] = b.addNode({ kind: 'parameter', op: 'parameter', inputs: [], outputShapes: [[2, 3]], label: 'W' }).outputIds;
  const [y] = b.addNode({ kind: 'op', op: 'matvec', inputs: [w!, x!], outputShapes: [[2]], label: 'Wx' }).outputIds;
  const [z] = b.addNode({ kind: 'op', op: 'relu', inputs: [y!], outputShapes: [[2]] }).outputIds;
  b.setOutputs([z!]);
  return b.build();
}

/** A mutable deep copy with `{}` records, to break on purpose. */
type Mutable = {
  name: string;
  nodes: Record<string, { -readonly [K in keyof NodeData]: NodeData[K] } & { outputs: string[] }>;
  nodeOrder: string[];
  values: Record<string, { -readonly [K in keyof ValueData]: ValueData[K] }>;
  clusters: Record<string, { id: string; label: string; kind: 'unroll' | 'group'; parent?: string }>;
  outputs: string[];
};
const broken = (change: (g: Mutable) => void): Graph => {
  const g = JSON.parse(JSON.stringify(good())) as Mutable;
  change(g);
  return g;
};

const codes = (issues: readonly GraphIssue[]) => issues.map((i) => i.code);

describe('validateGraph', () => {
  propTest.prop([graphArb()])('accepts every graph a builder makes', (g) => {
    expect(validateGraph(g)).toEqual([]);
  });

  test.each<[string, (g: Mutable) => void, GraphIssue['code'], RegExp]>([
    [
      'a dangling input',
      (g) => void (g.nodes.n3!.inputs = ['v9']),
      'dangling-input',
      /node n3 \(op 'relu'\): input 0 is value 'v9', which does not exist/,
    ],
    [
      'an input node with inputs',
      (g) => void (g.nodes.n0!.inputs = ['v1']),
      'source-with-inputs',
      /node n0 \(op 'input', label 'x'\): a node of kind 'input' takes no inputs/,
    ],
    [
      'a value claiming another output index',
      (g) => void (g.values.v2!.index = 1),
      'producer-mismatch',
      /node n2 \(op 'matvec', label 'Wx'\): output 0 is value 'v2', which claims output 1 of node 'n2'/,
    ],
    [
      'a value with a missing producer',
      (g) => void (g.values.v7 = { id: 'v7', shape: [], producer: 'n7', index: 0 }),
      'orphan-value',
      /value v7 names producer 'n7', which does not exist/,
    ],
    [
      'an output value that does not exist',
      (g) => void g.nodes.n3!.outputs.push('v8'),
      'missing-output-value',
      /node n3 \(op 'relu'\): output 1 is value 'v8'/,
    ],
    [
      'a value produced twice',
      (g) => void (g.nodes.n3!.outputs = ['v3', 'v2']),
      'produced-twice',
      /node n3 \(op 'relu'\): output 1 is value 'v2', which node n2 also produces/,
    ],
    ['a graph output that does not exist', (g) => void (g.outputs = ['v5']), 'graph-output-missing', /graph output 0 is value 'v5'/],
    [
      'a node in a missing cluster',
      (g) => void (g.nodes.n2!.cluster = 'c4'),
      'missing-cluster',
      /node n2 \(op 'matvec', label 'Wx'\): cluster 'c4' does not exist/,
    ],
    [
      'a cluster with a missing parent',
      (g) => void (g.clusters.c0 = { id: 'c0', label: 'it', kind: 'group', parent: 'c3' }),
      'cluster-parent-missing',
      /cluster c0 \('it'\) has parent 'c3'/,
    ],
    [
      'clusters nested in a loop',
      (g) => {
        g.clusters.c0 = { id: 'c0', label: 'a', kind: 'group', parent: 'c1' };
        g.clusters.c1 = { id: 'c1', label: 'b', kind: 'group', parent: 'c0' };
      },
      'cluster-cycle',
      /clusters nest in a loop: c0 → c1 → c0/,
    ],
    [
      'a record key that differs from the id',
      (g) => void (g.values.v0!.id = 'vx'),
      'key-mismatch',
      /value stored under key 'v0' has id 'vx'/,
    ],
    ['a node missing from nodeOrder', (g) => void g.nodeOrder.pop(), 'node-order', /node n3 \(op 'relu'\) is missing from nodeOrder/],
    ['a node listed twice in nodeOrder', (g) => void g.nodeOrder.push('n1'), 'node-order', /node n1 appears twice in nodeOrder/],
    [
      'a node and a cluster sharing an id',
      (g) => void (g.clusters.n1 = { id: 'n1', label: 'x', kind: 'group' }),
      'id-collision',
      /id 'n1' is used by both a node and a cluster/,
    ],
    ['a negative dimension', (g) => void (g.values.v1!.shape = [2, -3]), 'invalid-shape', /value v1: dimension 1 is -3/],
    [
      'a strategy on an ordinary op',
      (g) => void (g.nodes.n3!.strategy = 'unroll'),
      'optimization-fields',
      /node n3 \(op 'relu'\): kind 'op' is not 'optimization'/,
    ],
    [
      'non-JSON attrs',
      (g) => void (g.nodes.n3!.attrs = { slope: Infinity }),
      'invalid-attrs',
      /node n3 \(op 'relu'\): attrs.slope: Infinity/,
    ],
    [
      'a cycle',
      (g) => void (g.nodes.n2!.inputs = ['v1', 'v3']),
      'cycle',
      /cycle through 2 nodes: node n2 \(op 'matvec', label 'Wx'\) → node n3 \(op 'relu'\) → node n2/,
    ],
  ])('reports %s, naming the culprit', (_what, change, code, message) => {
    const issues = validateGraph(broken(change));
    expect(codes(issues)).toContain(code);
    expect(issues.find((i) => i.code === code)!.message).toMatch(message);
  });

  test('reports every issue at once, and assertValidGraph throws them all', () => {
    const g = broken((m) => {
      m.nodes.n3!.inputs = ['v9'];
      m.outputs = ['v5'];
    });
    expect(codes(validateGraph(g)).sort()).toEqual(['dangling-input', 'graph-output-missing']);
    expect(() => assertValidGraph(g)).toThrow(GraphValidationError);
    expect(() => assertValidGraph(g)).toThrow(/graph 'good' is invalid \(2 issues\):\n {2}- node n3/);
    expect(() => assertValidGraph(good())).not.toThrow();
  });
});

describe('shape rules', () => {
  const rules: ShapeRules = {
    matvec: ([a, x]) =>
      a!.length !== 2 || x!.length !== 1
        ? 'matvec takes a matrix and a vector'
        : a![1] !== x![0]
          ? `input 1 has length ${x![0]}, but the matrix has ${a![1]} columns`
          : [[a![0]!]],
    relu: ([x]) => [x!],
    exp: () => {
      throw new Error('boom');
    },
  };

  test('accept consistent shapes', () => {
    expect(validateGraph(good(), { shapeRules: rules })).toEqual([]);
  });

  test('name the node, the input and both shapes when the rule rejects the inputs', () => {
    const g = broken((m) => void (m.values.v0!.shape = [4]));
    const [issue] = validateGraph(g, { shapeRules: rules }).filter((i) => i.code === 'shape-mismatch');
    expect(issue!.node).toBe('n2');
    expect(issue!.message).toBe(
      "node n2 (op 'matvec', label 'Wx'): input 1 has length 4, but the matrix has 3 columns; input shapes: 0 = v1 [2, 3], 1 = v0 [4]",
    );
  });

  test('name the output and both shapes when a recorded shape disagrees with the rule', () => {
    const g = broken((m) => void (m.values.v3!.shape = [5]));
    const issues = validateGraph(g, { shapeRules: rules });
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ code: 'shape-mismatch', node: 'n3', value: 'v3' });
    expect(issues[0]!.message).toMatch(
      /node n3 \(op 'relu'\): output 0 \(value v3\) has shape \[5\] but the shape rule gives \[2\]; input shapes: 0 = v2 \[2\]/,
    );
  });

  test('report a rule that throws, and skip ops without a rule or with dangling inputs', () => {
    const b = new GraphBuilder();
    const [x] = b.addNode({ kind: 'input', op: 'input', inputs: [], outputShapes: [[2]] }).outputIds;
    b.addNode({ kind: 'op', op: 'exp', inputs: [x!], outputShapes: [[2]] });
    b.addNode({ kind: 'op', op: 'constructor', inputs: [x!], outputShapes: [[7]] }); // no rule: unchecked
    const issues = validateGraph(b.build(), { shapeRules: rules });
    expect(codes(issues)).toEqual(['shape-rule-error']);
    expect(issues[0]!.message).toMatch(/node n1 \(op 'exp'\): shape rule for 'exp' threw: boom/);
    const dangling = broken((m) => void (m.nodes.n2!.inputs = ['v1', 'v9']));
    expect(codes(validateGraph(dangling, { shapeRules: rules }))).toEqual(['dangling-input']);
  });
});
