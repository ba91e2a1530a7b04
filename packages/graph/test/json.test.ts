import { test as propTest } from '@fast-check/vitest';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  type Graph,
  GraphBuilder,
  GraphError,
  GraphFormatError,
  GraphValidationError,
  fromJSON,
  graphJsonSchema,
  graphJsonSchemaAsJSONSchema,
  parseGraph,
  serializeGraph,
  toJSON,
} from '../src/index.js';
import { anyStat, graphArb } from './arbitraries.js';

function tiny(): Graph {
  const b = new GraphBuilder('tiny');
  const c = b.addCluster({ label: 'solve', kind: 'unroll' });
  const [x] = b.addNode({ kind: 'input', op: 'input', inputs: [], outputShapes: [[2]], label: 'x' }).outputIds;
  const { outputIds } = b.addNode({
    kind: 'optimization',
    op: 'convex.qp',
    plugin: 'convex',
    strategy: 'implicit',
    inputs: [x!],
    outputShapes: [[2]],
    attrs: { eps: 1e-8 },
    cluster: c,
    info: { status: ['converged'], iterations: [4], residual: [1e-9] },
  });
  b.setOutputs(outputIds);
  b.setGradNorm(outputIds[0]!, 0.5);
  return b.build();
}

/** The JSON of `tiny()` as plain mutable data, to corrupt in tests. */
// biome-ignore lint/suspicious/noExplicitAny: tests write arbitrary junk into the parsed document.
const doc = (): any => JSON.parse(serializeGraph(tiny()));

const formatError = (f: () => unknown): GraphFormatError => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(GraphFormatError);
    return e as GraphFormatError;
  }
  throw new Error('expected a GraphFormatError');
};

describe('JSON round trip', () => {
  test('writes format version 1 in a stable, documented shape', () => {
    expect(toJSON(tiny())).toEqual({
      format: 'argmin.graph',
      version: 1,
      name: 'tiny',
      nodes: [
        { id: 'n0', kind: 'input', op: 'input', label: 'x', inputs: [], outputs: ['v0'], attrs: {} },
        {
          id: 'n1',
          kind: 'optimization',
          op: 'convex.qp',
          inputs: ['v0'],
          outputs: ['v1'],
          attrs: { eps: 1e-8 },
          cluster: 'c0',
          plugin: 'convex',
          strategy: 'implicit',
          info: { status: ['converged'], iterations: [4], residual: [1e-9] },
        },
      ],
      values: [
        { id: 'v0', shape: [2], producer: 'n0', index: 0 },
        { id: 'v1', shape: [2], producer: 'n1', index: 0, gradNorm: 0.5 },
      ],
      clusters: [{ id: 'c0', label: 'solve', kind: 'unroll' }],
      outputs: ['v1'],
    });
  });

  propTest.prop([graphArb()])('toJSON → JSON.stringify → parseGraph gives an equal, frozen graph', (g) => {
    const back = parseGraph(JSON.stringify(toJSON(g)));
    expect(back).toEqual(g);
    expect(back.nodeOrder).toEqual(g.nodeOrder);
    expect(Object.isFrozen(back.nodes) && Object.isFrozen(back.nodes[back.nodeOrder[0]!]!.attrs)).toBe(true);
    expect(Object.getPrototypeOf(back.nodes)).toBe(null);
  });

  propTest.prop([graphArb(anyStat)])('serializeGraph keeps NaN and ±Infinity statistics', (g) => {
    expect(parseGraph(serializeGraph(g))).toEqual(g);
  });

  test('plain JSON.stringify writes non-finite statistics as null, read back as NaN', () => {
    const b = new GraphBuilder();
    const [v] = b.addNode({ kind: 'input', op: 'input', inputs: [], outputShapes: [[]] }).outputIds;
    b.setGradNorm(v!, Infinity);
    const back = parseGraph(JSON.stringify(toJSON(b.build())));
    expect(back.values.v0!.gradNorm).toBeNaN();
    expect(serializeGraph(back)).toContain('"gradNorm":"NaN"');
  });

  test('the zod schema is exported, and as JSON Schema', () => {
    expect(graphJsonSchema.safeParse(toJSON(tiny())).success).toBe(true);
    const schema = graphJsonSchemaAsJSONSchema() as { properties: Record<string, { const?: unknown }>; required: string[] };
    expect(schema.properties.format!.const).toBe('argmin.graph');
    expect(schema.properties.version!.const).toBe(1);
    expect(schema.required).toEqual(expect.arrayContaining(['nodes', 'values', 'clusters', 'outputs']));
  });
});

describe('loading untrusted JSON', () => {
  test.each<[string, () => unknown, string, RegExp]>([
    ['text that is not JSON', () => parseGraph('{"format":'), '', /not valid JSON/],
    ['an array', () => fromJSON([]), '', /expected a JSON object .* got an array/],
    ['null', () => fromJSON(null), '', /got object/],
    ['another format', () => fromJSON({ ...doc(), format: 'onnx' }), 'format', /not an argmin graph: format is "onnx"/],
    ['a future version', () => fromJSON({ ...doc(), version: 2 }), 'version', /unsupported version 2, this library reads version 1/],
    ['a version written as a string', () => fromJSON({ ...doc(), version: '1' }), 'version', /version must be a number, got "1"/],
    [
      'inputs that are not an array',
      () => {
        const d = doc();
        d.nodes[1].inputs = 'v0';
        return fromJSON(d);
      },
      'nodes.1.inputs',
      /expected array, received string/,
    ],
    [
      'a dimension written as a string',
      () => {
        const d = doc();
        d.values[0].shape = ['Infinity'];
        return fromJSON(d);
      },
      'values.0.shape.0',
      /expected number/,
    ],
    [
      'a statistic written as an arbitrary string',
      () => {
        const d = doc();
        d.values[1].gradNorm = '1e3';
        return fromJSON(d);
      },
      'values.1.gradNorm',
      /.+/,
    ],
    [
      'a fractional output index',
      () => {
        const d = doc();
        d.values[0].index = 0.5;
        return fromJSON(d);
      },
      'values.0.index',
      /expected int/,
    ],
    [
      'an unknown node kind',
      () => {
        const d = doc();
        d.nodes[0].kind = 'eval';
        return fromJSON(d);
      },
      'nodes.0.kind',
      /.+/,
    ],
    [
      'a 10 MB label',
      () => {
        const d = doc();
        d.nodes[0].label = 'x'.repeat(10_000_000);
        return fromJSON(d);
      },
      'nodes.0.label',
      /<=10000 characters/,
    ],
    [
      'an empty id',
      () => {
        const d = doc();
        d.outputs = [''];
        return fromJSON(d);
      },
      'outputs.0',
      /.+/,
    ],
    [
      '__proto__ as an id',
      () => {
        const d = doc();
        d.nodes[0].id = '__proto__';
        return fromJSON(d);
      },
      'nodes.0.id',
      /'__proto__' is not a valid id/,
    ],
    [
      'duplicate node ids',
      () => {
        const d = doc();
        d.nodes[1].id = 'n0';
        return fromJSON(d);
      },
      'nodes.1.id',
      /duplicate node id 'n0' \(first at nodes.0.id\)/,
    ],
    [
      'duplicate value ids',
      () => {
        const d = doc();
        d.values[1].id = 'v0';
        return fromJSON(d);
      },
      'values.1.id',
      /duplicate value id 'v0'/,
    ],
    ['more nodes than allowed', () => fromJSON(doc(), { maxNodes: 1 }), 'nodes', /2 entries exceed the limit of 1 \(option maxNodes\)/],
  ])('rejects %s with a GraphFormatError at the right path', (_what, load, path, message) => {
    const e = formatError(load);
    expect(e.path).toBe(path);
    expect(e.message).toMatch(message);
    if (path !== '') expect(e.message.startsWith(`${path}: `)).toBe(true);
  });

  test('rejects __proto__ keys instead of polluting prototypes', () => {
    const text = serializeGraph(tiny()).replace('"attrs":{"eps"', '"attrs":{"__proto__":{"polluted":true},"eps"');
    expect(text).toContain('__proto__');
    const e = formatError(() => parseGraph(text));
    expect(e.path).toBe('nodes.1.attrs');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    const top = `{"__proto__":{"polluted":true},${serializeGraph(tiny()).slice(1)}`;
    expect(formatError(() => parseGraph(top)).message).toMatch(/'__proto__' is not allowed/);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  test('rejects deep nesting and cyclic objects without overflowing the stack', () => {
    const deep = serializeGraph(tiny()).replace('"attrs":{"eps"', `"attrs":{"deep":${'['.repeat(200_000)}${']'.repeat(200_000)},"eps"`);
    expect(formatError(() => parseGraph(deep)).message).toMatch(/nested deeper than 64 levels \(option maxDepth\)/);
    const d = doc();
    d.nodes[1].attrs.self = d.nodes[1].attrs;
    expect(formatError(() => fromJSON(d)).path).toMatch(/^nodes\.1\.attrs\.self\.self/);
    expect(fromJSON(doc(), { maxDepth: 6 }).name).toBe('tiny');
  });

  test('ids named after Object.prototype members are ordinary ids', () => {
    const d = doc();
    const text = JSON.stringify(d).replaceAll('"v0"', '"constructor"').replaceAll('"n0"', '"toString"');
    const g = parseGraph(text);
    // biome-ignore lint/complexity/useLiteralKeys: ids that shadow Object.prototype members
    expect(g.nodes['toString']!.outputs).toEqual(['constructor']);
    // biome-ignore lint/complexity/useLiteralKeys: as above
    expect(g.values['constructor']!.producer).toBe('toString');
    expect(g.values.hasOwnProperty).toBeUndefined();
  });

  test('ignores unknown properties, so a later 1.x file with extra optional fields loads', () => {
    const d = doc();
    d.createdBy = 'argmin 1.3';
    d.nodes[0].colour = 'red';
    const g = fromJSON(d);
    expect(g.nodes.n0).not.toHaveProperty('colour');
    expect(g).toEqual(tiny());
  });

  test('a well-formed but inconsistent graph fails structural validation, unless told not to', () => {
    const d = doc();
    d.nodes[1].inputs = ['v7'];
    expect(() => fromJSON(d)).toThrow(GraphValidationError);
    expect(() => fromJSON(d)).toThrow(/graph file 'tiny' is invalid \(1 issue\):\n {2}- node n1 \(op 'convex.qp'\): input 0 is value 'v7'/);
    expect(fromJSON(d, { validate: false }).nodes.n1!.inputs).toEqual(['v7']);
  });

  propTest.prop([graphArb(undefined, 8), fc.nat(), fc.jsonValue({ maxDepth: 3 })])(
    'never fails with anything but a GraphError when part of a valid file is replaced by junk',
    (g, at, junk) => {
      const d = JSON.parse(serializeGraph(g));
      const slots: [Record<string | number, unknown>, string | number][] = [];
      const stack: unknown[] = [d];
      while (stack.length > 0) {
        const v = stack.pop();
        if (typeof v !== 'object' || v === null) continue;
        for (const k of Object.keys(v)) {
          slots.push([v as Record<string, unknown>, k]);
          stack.push((v as Record<string, unknown>)[k]);
        }
      }
      const [parent, key] = slots[at % slots.length]!;
      parent[key] = junk;
      try {
        fromJSON(d);
      } catch (e) {
        expect(e).toBeInstanceOf(GraphError);
      }
    },
  );

  propTest.prop([fc.anything()])('rejects arbitrary values with a GraphFormatError', (junk) => {
    expect(() => fromJSON(junk)).toThrow(GraphFormatError);
  });
});
