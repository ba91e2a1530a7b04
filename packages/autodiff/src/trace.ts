import { GraphBuilder, type AttrValue, type Graph, type ValueSummary } from '@argmin/graph';
import { encodeTree, encodeValues } from './graph-values.js';
import { Tape, withTape } from './tape.js';
import { Tensor } from './tensor.js';
import { type AnyFunction, flatten } from './tree.js';

export interface TraceOptions {
  /** The graph's name. */
  readonly name?: string;
  /** Labels of the arguments (default 'arg0', 'arg1', …); pytree leaves add their paths. */
  readonly argNames?: readonly string[];
  /** Arguments to mark as learnable parameters rather than inputs. */
  readonly parameters?: readonly number[];
  /** Tensors up to this size keep their values in the graph, for the viewer's heatmaps (default 400). */
  readonly maxSummaryData?: number;
  /**
   * Store the values of constants and parameters (float64, exact) in the graph, so that
   * `runtime.compile` can run it without the original program (default false).
   */
  readonly storeValues?: boolean;
}

/**
 * Runs `f(...examples)` and records every op it applies as a graph: arguments become input
 * (or parameter) nodes, tensors from elsewhere constant nodes, optimization nodes keep their
 * strategy and solver report, and unrolled solvers become clusters. Save it with
 * `serializeGraph` from @argmin/graph, or open it in the viewer.
 */
export function trace(f: AnyFunction, examples: readonly unknown[], options: TraceOptions = {}): Graph {
  const tape = new Tape(true);
  const flats = examples.map((e) => flatten(e));
  const aliases = flats.map((fl) => fl.leaves.map((t) => new Tensor(t.data, t.shape)));
  for (const leaves of aliases) for (const t of leaves) tape.track(t);
  const value = withTape(tape, () => f(...flats.map((fl, i) => fl.unflatten(aliases[i]!))));

  const builder = new GraphBuilder(options.name ?? 'trace');
  const maxData = options.maxSummaryData ?? 400;
  const ids = new Map<Tensor, string>();
  const annotate = (t: Tensor, id: string) => {
    ids.set(t, id);
    builder.setValueSummary(id, summarize(t, maxData));
  };
  flats.forEach((fl, i) => {
    const kind = options.parameters?.includes(i) ? 'parameter' : 'input';
    const argName = options.argNames?.[i] ?? `arg${i}`;
    aliases[i]!.forEach((t, j) => {
      const path = fl.paths[j]!;
      const { outputIds } = builder.addNode({
        kind,
        op: kind,
        inputs: [],
        outputShapes: [t.shape],
        label: path ? `${argName}.${path}` : argName,
        ...(kind === 'parameter' && options.storeValues ? { attrs: { value: encodeValues(t.data) } } : {}),
      });
      annotate(t, outputIds[0]!);
    });
  });
  // A constant sits in the cluster of the op that first uses it, so the scalars an unrolled
  // solver makes in every iteration fold away with the iterations.
  const valueIdOf = (t: Tensor, cluster?: string): string => {
    const known = ids.get(t);
    if (known) return known;
    const label = t.size === 1 ? String(t.data[0]) : 'constant';
    const { outputIds } = builder.addNode({
      kind: 'constant',
      op: 'constant',
      inputs: [],
      outputShapes: [t.shape],
      label,
      ...(cluster !== undefined ? { cluster } : {}),
      ...(options.storeValues ? { attrs: { value: encodeValues(t.data) } } : {}),
    });
    annotate(t, outputIds[0]!);
    return outputIds[0]!;
  };
  const clusterIds = new Map<string, string>();
  for (const c of tape.clusters) {
    const parent = c.parent === undefined ? undefined : clusterIds.get(c.parent);
    clusterIds.set(
      c.id,
      builder.addCluster(parent === undefined ? { label: c.label, kind: c.kind } : { label: c.label, kind: c.kind, parent }),
    );
  }
  for (const e of tape.entries) {
    const cluster = e.cluster === undefined ? undefined : clusterIds.get(e.cluster);
    const inputs = e.inputs.map((t) => valueIdOf(t, cluster));
    const { outputIds } = builder.addNode({
      kind: e.kind,
      op: e.op,
      inputs,
      outputShapes: e.outputs.map((o) => o.shape),
      // Parameter names ride in attrs.inputNames (the viewer labels input edges with them).
      attrs: e.inputNames ? { ...e.attrs, inputNames: [...e.inputNames] } : e.attrs,
      ...(e.label !== undefined ? { label: e.label } : {}),
      ...(cluster !== undefined ? { cluster } : {}),
      ...(e.plugin !== undefined ? { plugin: e.plugin } : {}),
      ...(e.strategy !== undefined ? { strategy: e.strategy } : {}),
      ...(e.info !== undefined ? { info: e.info } : {}),
    });
    e.outputs.forEach((o, i) => annotate(o, outputIds[i]!));
  }
  const outLeaves = flatten(value).leaves;
  builder.setOutputs(outLeaves.map((t) => valueIdOf(t)));
  // The pytree structure of arguments and result, so a compiled graph takes and returns the same.
  let leaf = 0;
  const signature: AttrValue = {
    args: examples.map((_, i) => {
      let j = 0;
      return {
        kind: options.parameters?.includes(i) ? 'parameter' : 'input',
        tree: encodeTree(examples[i], () => j++),
      };
    }),
    output: encodeTree(value, () => leaf++),
  };
  return Object.freeze({ ...builder.build(), signature: Object.freeze(signature) });
}

function summarize(t: Tensor, maxData: number): ValueSummary {
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  let sq = 0;
  for (const v of t.data) {
    if (v < min) min = v;
    if (v > max) max = v;
    sum += v;
    sq += v * v;
  }
  const base = { min, max, mean: t.size ? sum / t.size : 0, norm: Math.sqrt(sq) };
  return t.size <= maxData ? { ...base, data: Array.from(t.data) } : base;
}
