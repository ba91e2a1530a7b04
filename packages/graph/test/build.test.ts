import { describe, expect, test } from 'vitest';
import {
  type AttrValue,
  GraphBuilder,
  GraphError,
  MAX_ATTR_DEPTH,
  MAX_TEXT_LENGTH,
  parseGraph,
  serializeGraph,
  validateGraph,
} from '../src/index.js';

function small() {
  const b = new GraphBuilder('small');
  const c = b.addCluster({ label: 'solver', kind: 'unroll' });
  const inner = b.addCluster({ label: 'iteration 0', kind: 'group', parent: c });
  const x = b.addNode({ kind: 'input', op: 'input', inputs: [], outputShapes: [[3]], label: 'x' });
  const w = b.addNode({ kind: 'parameter', op: 'parameter', inputs: [], outputShapes: [[2, 3]], label: 'W' });
  const y = b.addNode({
    kind: 'op',
    op: 'matvec',
    inputs: [w.outputIds[0]!, x.outputIds[0]!],
    outputShapes: [[2]],
    attrs: { transpose: false },
    cluster: inner,
  });
  const qp = b.addNode({
    kind: 'optimization',
    op: 'convex.qp',
    plugin: 'convex',
    strategy: 'implicit',
    inputs: [y.outputIds[0]!],
    outputShapes: [[2], [1]],
    info: { status: ['converged'], iterations: [7], residual: [1e-10] },
  });
  return { b, c, inner, x, w, y, qp };
}

describe('GraphBuilder', () => {
  test('allocates ids per builder, in call order', () => {
    const { b, c, inner, x, w, y, qp } = small();
    expect([c, inner]).toEqual(['c0', 'c1']);
    expect([x.nodeId, w.nodeId, y.nodeId, qp.nodeId]).toEqual(['n0', 'n1', 'n2', 'n3']);
    expect(qp.outputIds).toEqual(['v3', 'v4']);
    // A second builder starts again from 0: no module-level counters.
    const other = new GraphBuilder().addNode({ kind: 'input', op: 'input', inputs: [], outputShapes: [[]] });
    expect(other).toEqual({ nodeId: 'n0', outputIds: ['v0'] });
    expect(b.size).toBe(4);
  });

  test('builds a valid, deeply frozen graph', () => {
    const { b, qp, x } = small();
    b.setOutputs([qp.outputIds[0]!]);
    b.setValueSummary(x.outputIds[0]!, { min: -1, max: 2, mean: 0.5, norm: 3, data: [-1, 0.5, 2] });
    b.setGradNorm(x.outputIds[0]!, Number.POSITIVE_INFINITY);
    const g = b.build();
    expect(validateGraph(g)).toEqual([]);
    expect(g.nodeOrder).toEqual(['n0', 'n1', 'n2', 'n3']);
    expect(g.values.v3).toEqual({ id: 'v3', shape: [2], producer: 'n3', index: 0 });
    expect(g.values.v0!.gradNorm).toBe(Infinity);
    expect(g.nodes.n2!.cluster).toBe('c1');
    expect(g.clusters.c1!.parent).toBe('c0');
    for (const frozen of [
      g,
      g.nodes,
      g.values,
      g.nodeOrder,
      g.nodes.n2!,
      g.nodes.n2!.inputs,
      g.nodes.n2!.attrs,
      g.nodes.n3!.info!.residual,
      g.values.v0!.summary!.data!,
    ]) {
      expect(Object.isFrozen(frozen)).toBe(true);
    }
  });

  test('copies what the caller passes, so later mutation does not leak in', () => {
    const b = new GraphBuilder();
    const attrs = { axes: [0, 1] };
    const inputs: string[] = [];
    const shape = [2, 2];
    b.addNode({ kind: 'constant', op: 'constant', inputs, outputShapes: [shape], attrs });
    attrs.axes.push(2);
    shape.push(9);
    const g = b.build();
    expect(g.nodes.n0!.attrs).toEqual({ axes: [0, 1] });
    expect(g.values.v0!.shape).toEqual([2, 2]);
    expect(Object.isFrozen(attrs)).toBe(false);
  });

  test.each([
    [{ kind: 'op', op: 'exp', inputs: ['v9'], outputShapes: [[]] }, /node n0 \(op 'exp'\): input 0 is value 'v9', which does not exist/],
    [{ kind: 'input', op: 'input', inputs: ['v0'], outputShapes: [[]] }, /takes no inputs/],
    [{ kind: 'op', op: '', inputs: [], outputShapes: [[]] }, /op must be a non-empty string/],
    [{ kind: 'op', op: 'f', inputs: [], outputShapes: [[-1]] }, /output 0: dimension 0 is -1/],
    [{ kind: 'op', op: 'f', inputs: [], outputShapes: [[1.5]] }, /dimension 0 is 1.5/],
    [{ kind: 'op', op: 'f', inputs: [], outputShapes: [[]], cluster: 'c7' }, /cluster 'c7' does not exist/],
    [{ kind: 'op', op: 'f', inputs: [], outputShapes: [[]], strategy: 'unroll' }, /only optimization nodes/],
    [{ kind: 'op', op: 'f', inputs: [], outputShapes: [[]], attrs: { lo: -Infinity } }, /attrs.lo: -Infinity is not a finite number/],
    [{ kind: 'op', op: 'f', inputs: [], outputShapes: [[]], attrs: { w: new Float64Array(2) as never } }, /attrs.w: a typed array/],
    [
      { kind: 'op', op: 'f', label: 'L', inputs: [], outputShapes: [[]], attrs: { a: [{ b: undefined as never }] } },
      /node n0 \(op 'f', label 'L'\): attrs.a.0.b: a undefined/,
    ],
    [{ kind: 'bogus', op: 'f', inputs: [], outputShapes: [[]] }, /unknown kind 'bogus'/],
  ] as const)('rejects an invalid node spec: %j', (spec, message) => {
    const b = new GraphBuilder();
    expect(() => b.addNode(spec as never)).toThrow(message);
    // A rejected node leaves no trace: the next node still gets n0.
    expect(b.addNode({ kind: 'input', op: 'input', inputs: [], outputShapes: [[]] }).nodeId).toBe('n0');
  });

  test('rejects unknown outputs, values and parents, and use after build', () => {
    const b = new GraphBuilder('g');
    expect(() => b.setOutputs(['v0'])).toThrow(GraphError);
    expect(() => b.setGradNorm('v0', 1)).toThrow(/value 'v0' does not exist/);
    expect(() => b.addCluster({ label: 'x', kind: 'group', parent: 'c3' })).toThrow(/parent cluster 'c3' does not exist/);
    b.build();
    expect(() => b.addNode({ kind: 'input', op: 'input', inputs: [], outputShapes: [] })).toThrow(/already built/);
    expect(() => b.build()).toThrow(/already built/);
  });

  test("enforces the format's limits, so whatever it accepts can be saved and loaded back", () => {
    let deep: AttrValue = 1;
    for (let i = 1; i < MAX_ATTR_DEPTH; i++) deep = [deep];
    const b = new GraphBuilder('x'.repeat(MAX_TEXT_LENGTH));
    b.addNode({ kind: 'constant', op: 'c', inputs: [], outputShapes: [[]], label: 'l'.repeat(MAX_TEXT_LENGTH), attrs: { deep } });
    const g = b.build();
    expect(parseGraph(serializeGraph(g))).toEqual(g);

    const c = new GraphBuilder();
    const one = { kind: 'constant', op: 'c', inputs: [], outputShapes: [[]] } as const;
    expect(() => c.addNode({ ...one, label: 'l'.repeat(MAX_TEXT_LENGTH + 1) })).toThrow(
      /node n0 \(op 'c', label 'l{79}…'\): label is longer than 10000/,
    );
    expect(() => c.addNode({ ...one, attrs: { deep: [deep] } })).toThrow(/attrs(\.deep)(\.0)+: nested deeper than 32/);
    expect(() => c.addNode({ ...one, kind: 'optimization', info: { status: ['s'.repeat(101)], iterations: [], residual: [] } })).toThrow(
      /node n0 \(op 'c'\): info.status: a status must be a string of at most 100 characters/,
    );
    expect(() => new GraphBuilder('x'.repeat(MAX_TEXT_LENGTH + 1))).toThrow(/name is longer than/);
  });

  test('appends 100,000 nodes in linear time', () => {
    const b = new GraphBuilder('big');
    const start = performance.now();
    let [v] = b.addNode({ kind: 'input', op: 'input', inputs: [], outputShapes: [[4]] }).outputIds;
    for (let i = 1; i < 100_000; i++) {
      [v] = b.addNode({ kind: 'op', op: 'tanh', inputs: [v!], outputShapes: [[4]], attrs: { i } }).outputIds;
    }
    const g = b.build();
    expect(g.nodeOrder).toHaveLength(100_000);
    expect(g.nodes.n99999!.inputs).toEqual(['v99998']);
    expect(performance.now() - start).toBeLessThan(20_000); // quadratic would take hours
  });
});
