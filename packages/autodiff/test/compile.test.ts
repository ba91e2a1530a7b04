import { serializeGraph } from '@argmin/graph';
import { describe, expect, test } from 'vitest';
import {
  PluginError,
  Rng,
  Tensor,
  add,
  createRuntime,
  grad,
  matmul,
  mean,
  mul,
  randn,
  sub,
  sum,
  tanh,
  tensor,
  trace,
  vjp,
  type SolveStatus,
} from '../src/index.js';
import { applyNode, defineNode, definePlugin } from '../src/extend.js';
import { decodeValues, encodeValues } from '../src/graph-values.js';
import { relErr, sameBits } from './compile-helpers.js';

// A two-layer MLP like the demo's: weights are parameters, x is the input.
const mlp = (params: { W1: Tensor; b1: Tensor; W2: Tensor }, x: Tensor) => {
  const h = tanh(add(matmul(x, params.W1), params.b1));
  return { y: matmul(h, params.W2), scale: 2 };
};

describe('runtime.compile', () => {
  const rng = Rng.seeded(7);
  const params = { W1: randn([3, 5], rng), b1: randn([5], rng), W2: randn([5, 2], rng) };
  const x = randn([4, 3], rng);

  test('stored values are exact, -0, ±∞ and NaN included', () => {
    const d = new Float64Array([0.1, -0, Infinity, -Infinity, Number.NaN, 5e-324, 1 / 3]);
    const back = decodeValues(JSON.parse(JSON.stringify(encodeValues(d))), [7], 'test');
    expect(sameBits(back, new Tensor(d, [7]))).toBe(true);
    expect(() => decodeValues({ dtype: 'f64le', size: 2, base64: ['AAAA'] }, [2], 'n1')).toThrow(/n1: stored value has 4 base64/);
  });

  test('trace → save → load → run: an MLP reproduces outputs to the bit and gradients to round-off', () => {
    const g = trace(mlp, [params, x], { argNames: ['params', 'x'], parameters: [0], storeValues: true });
    const runtime = createRuntime();
    const run = runtime.compile(runtime.loadGraph(serializeGraph(g)));
    const out = run(x) as { y: Tensor; scale: number };
    expect(out.scale).toBe(2);
    expect(sameBits(out.y, mlp(params, x).y)).toBe(true);
    const loss = (f: (x: Tensor) => Tensor) => (v: Tensor) => sum(mul(f(v), f(v)));
    const gOrig = grad(loss((v) => mlp(params, v).y))(x) as Tensor;
    const gRun = grad(loss((v) => (run(v) as { y: Tensor }).y))(x) as Tensor;
    expect(relErr(gRun, gOrig)).toBeLessThanOrEqual(1e-12);

    // With parameters as arguments, gradients reach the weights too.
    const runP = runtime.compile(runtime.loadGraph(serializeGraph(g)), { parameters: 'arguments' });
    const lw = (f: typeof mlp) => (p: typeof params) => mean(mul(f(p, x).y, f(p, x).y));
    const gw = grad(lw(mlp))(params) as typeof params;
    const gwRun = grad(lw((p, v) => runP(p, v)))(params) as typeof params;
    for (const k of ['W1', 'b1', 'W2'] as const) expect(relErr(gwRun[k], gw[k])).toBeLessThanOrEqual(1e-12);
  });

  test('a graph without stored values cannot run, and the error says how to fix it', () => {
    const c = tensor([1, 2, 3]);
    const runtime = createRuntime();
    const gc = trace((v: Tensor) => mul(v, c), [c]);
    expect(() => runtime.compile(runtime.loadGraph(serializeGraph(gc)))).toThrow(/has no stored value; trace with \{ storeValues: true \}/);
    // Parameters without stored values are arguments, as traced.
    const g = trace(mlp, [params, x], { parameters: [0] });
    // Wrong input shapes are typed errors.
    const run = runtime.compile(runtime.loadGraph(serializeGraph(g)), { parameters: 'arguments' });
    expect(() => run(params, randn([4, 2], rng))).toThrow(/input 'arg1' must have shape \[4, 3\], got \[4, 2\]/);
  });

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
  });
  const halvePlugin = definePlugin({ name: 'test-halve', version: '1.0.0', argminApi: '^1', nodes: [halve] });

  test('optimization nodes run through their plugin, with recorded strategy; a missing plugin is named', () => {
    const f = (v: Tensor) => applyNode(halve, { x: v }, { strategy: 'solve', tol: 1e-9 }).y;
    const v = tensor([1, -2, 4]);
    const g = trace(f, [v], { storeValues: true });
    const text = serializeGraph(g);
    const runtime = createRuntime({ plugins: [halvePlugin] });
    const loaded = runtime.loadGraph(text);
    expect(loaded.nodes[loaded.nodeOrder[1]!]!.attrs).toMatchObject({ strategy: 'solve', tol: 1e-9 });
    const run = runtime.compile(loaded);
    expect(sameBits(run(v) as Tensor, f(v))).toBe(true);
    // strategy 'solve' round-trips: the gradient is zero by declaration, as in the original.
    expect(Array.from((vjp(run, v).pullback(tensor([1, 1, 1]))[0] as Tensor).data)).toEqual([0, 0, 0]);
    expect(() => createRuntime().loadGraph(text)).toThrow(/'test.halve' \(node n1\) is not provided by any loaded plugin/);
    expect(() => createRuntime().compile(loaded)).toThrow(PluginError);
    expect(() => createRuntime().compile(loaded)).toThrow(
      /'test.halve' is not provided by this runtime; add the plugin of namespace 'test'/,
    );
  });
});

describe('node options in graph files', () => {
  const halve2 = defineNode<{ x: Tensor }, { y: Tensor }>({
    name: 'test.halve2',
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
  });
  const runtime = createRuntime({ plugins: [definePlugin({ name: 'test-halve2', version: '1.0.0', argminApi: '^1', nodes: [halve2] })] });
  const v = tensor([1, -2, 4]);

  test('a strategy object with its linear solve round-trips and drives the implicit VJP', () => {
    const f = (x: Tensor) => applyNode(halve2, { x }, { strategy: { kind: 'implicit', linearSolve: { method: 'dense' } } }).y;
    const g = runtime.loadGraph(serializeGraph(trace(f, [v], { storeValues: true })));
    const node = g.nodes[g.nodeOrder[1]!]!;
    expect(node.attrs.strategy).toEqual({ kind: 'implicit', linearSolve: { method: 'dense' } });
    const run = runtime.compile(g);
    const cot = tensor([1, 2, 3]);
    expect(Array.from((vjp(run, v).pullback(cot)[0] as Tensor).data)).toEqual([0.5, 1, 1.5]);
  });

  test('an option that is a function cannot be saved: compiling names it', () => {
    const f = (x: Tensor) => applyNode(halve2, { x }, { model: (u: number) => u } as never).y;
    const g = runtime.loadGraph(serializeGraph(trace(f, [v], { storeValues: true })));
    expect(() => runtime.compile(g)).toThrow(
      /node 'n1' \(test.halve2\): option 'model' was a function or object that a graph file cannot hold/,
    );
  });
});

describe('hostile graph files', () => {
  const runtime = createRuntime();
  const base = JSON.parse(serializeGraph(trace((v: Tensor) => sum(v), [tensor([1, 2])], { storeValues: true })));

  test('unknown ops, cycles, __proto__ keys, deep nesting, bad values → typed errors, no pollution', () => {
    const unknown = structuredClone(base);
    unknown.nodes[1].op = 'evil.exec';
    expect(() => runtime.loadGraph(unknown)).toThrow(/evil\.exec/);
    const cyc = structuredClone(base);
    cyc.nodes[0].inputs = [cyc.nodes[1].outputs[0]];
    cyc.nodes[0].kind = 'op';
    cyc.nodes[0].op = 'neg';
    expect(() => runtime.loadGraph(cyc)).toThrow(/cycle/);
    const proto = `{"format":"argmin.graph","version":1,"name":"p","nodes":[],"values":[],"clusters":[],"outputs":[],"signature":{"__proto__":{"polluted":1}}}`;
    expect(() => runtime.loadGraph(proto)).toThrow(/__proto__/);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    const n = 100_000;
    const deep = JSON.stringify(base).replace(/\}$/, `,"signature":${'['.repeat(n)}1${']'.repeat(n)}}`);
    expect(() => runtime.loadGraph(deep)).toThrow(/nested deeper than 64/);
    const badValue = structuredClone(base);
    badValue.nodes[0].kind = 'constant';
    badValue.nodes[0].attrs = { value: { dtype: 'f64le', size: 2, base64: ['!!!!!!!!!!!!!!!!!!!!!!!!'] } };
    expect(() => runtime.compile(runtime.loadGraph(badValue))).toThrow(/invalid base64 character/);
  });

  test('10⁶ nodes are refused before anything is built', () => {
    const nodes = Array.from({ length: 1_000_001 }, () => 0);
    const t0 = performance.now();
    expect(() =>
      runtime.loadGraph({ format: 'argmin.graph', version: 1, name: 'big', nodes, values: [], clusters: [], outputs: [] }),
    ).toThrow(/exceed the limit of 1000000/);
    expect(performance.now() - t0).toBeLessThan(5_000);
  });
});
