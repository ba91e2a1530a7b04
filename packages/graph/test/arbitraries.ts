/** fast-check arbitraries of random valid graphs, shared by the property tests. */
import fc from 'fast-check';
import { type AttrValue, type Graph, GraphBuilder, type NodeKind } from '../src/index.js';

const key = fc.string({ maxLength: 6 }).filter((k) => k !== '__proto__');

export const attrValue: fc.Arbitrary<AttrValue> = fc.letrec<{ value: AttrValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.string({ maxLength: 8 }),
    fc.array(tie('value'), { maxLength: 3 }),
    fc.dictionary(key, tie('value'), { maxKeys: 3, noNullPrototype: true }),
  ),
})).value;

export const attrs = fc.dictionary(key, attrValue, { maxKeys: 3, noNullPrototype: true });

/** Finite statistics without -0 (JSON writes -0 as 0). */
export const finiteStat = fc.double({ noNaN: true, noDefaultInfinity: true }).map((x) => (x === 0 ? 0 : x));
/** Statistics including NaN and ±Infinity, which only `serializeGraph` preserves. */
export const anyStat = fc.oneof(finiteStat, fc.constantFrom(Number.NaN, Infinity, -Infinity));

const shape = fc.array(fc.nat({ max: 5 }), { maxLength: 3 });
const sourceKinds: readonly NodeKind[] = ['input', 'parameter', 'constant'];

const step = (stat: fc.Arbitrary<number>) =>
  fc.record({
    sourceKind: fc.option(fc.constantFrom(...sourceKinds), { nil: undefined, freq: 4 }),
    optimization: fc.boolean(),
    picks: fc.array(fc.nat(), { maxLength: 3 }),
    outputShapes: fc.array(shape, { minLength: 1, maxLength: 2 }),
    label: fc.option(fc.string({ maxLength: 8 }), { nil: undefined }),
    attrs,
    cluster: fc.option(fc.nat(), { nil: undefined }),
    residual: fc.array(stat, { minLength: 1, maxLength: 2 }),
    summary: fc.option(fc.record({ min: stat, max: stat, mean: stat, norm: stat, data: fc.array(stat, { maxLength: 3 }) }), {
      nil: undefined,
    }),
    gradNorm: fc.option(stat, { nil: undefined }),
  });

/** A random valid graph made with GraphBuilder (so nodeOrder is a topological order). */
export function graphArb(stat: fc.Arbitrary<number> = finiteStat, maxNodes = 25): fc.Arbitrary<Graph> {
  return fc
    .record({
      name: fc.string({ maxLength: 10 }),
      clusters: fc.array(fc.record({ label: fc.string({ maxLength: 5 }), parent: fc.option(fc.nat(), { nil: undefined }) }), {
        maxLength: 3,
      }),
      steps: fc.array(step(stat), { minLength: 1, maxLength: maxNodes }),
      outputPicks: fc.array(fc.nat(), { maxLength: 3 }),
    })
    .map(({ name, clusters, steps, outputPicks }) => {
      const b = new GraphBuilder(name);
      const clusterIds: string[] = [];
      for (const c of clusters) {
        const parent = c.parent === undefined || clusterIds.length === 0 ? undefined : clusterIds[c.parent % clusterIds.length];
        clusterIds.push(b.addCluster({ label: c.label, kind: parent === undefined ? 'group' : 'unroll', ...(parent && { parent }) }));
      }
      const values: string[] = [];
      for (const s of steps) {
        const source = s.sourceKind !== undefined || values.length === 0;
        const kind: NodeKind = source ? (s.sourceKind ?? 'input') : s.optimization ? 'optimization' : 'op';
        const cluster = s.cluster === undefined || clusterIds.length === 0 ? undefined : clusterIds[s.cluster % clusterIds.length];
        const { outputIds } = b.addNode({
          kind,
          op: kind === 'optimization' ? 'convex.qp' : source ? kind : `op${s.picks.length}`,
          inputs: source ? [] : s.picks.map((p) => values[p % values.length]!),
          outputShapes: s.outputShapes,
          attrs: s.attrs,
          ...(s.label !== undefined && { label: s.label }),
          ...(cluster !== undefined && { cluster }),
          ...(kind === 'optimization' && {
            plugin: 'convex',
            strategy: 'implicit' as const,
            info: { status: ['converged'], iterations: [3], residual: s.residual, history: [s.residual] },
          }),
        });
        for (const v of outputIds) {
          if (s.summary !== undefined) b.setValueSummary(v, s.summary);
          if (s.gradNorm !== undefined) b.setGradNorm(v, s.gradNorm);
        }
        values.push(...outputIds);
      }
      b.setOutputs(outputPicks.map((p) => values[p % values.length]!));
      return b.build();
    });
}

/** The same graph with `nodeOrder` permuted, so that it is no longer a topological order. */
export function shuffled(graph: Graph, seed: number): Graph {
  const order = graph.nodeOrder.slice();
  let s = seed >>> 0 || 1;
  for (let i = order.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) >>> 0;
    const j = s % (i + 1);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return { ...graph, nodeOrder: order };
}

/** A chain input → op → op → … of `n` nodes, made with the builder. */
export function chain(n: number): Graph {
  const b = new GraphBuilder('chain');
  let [v] = b.addNode({ kind: 'input', op: 'input', inputs: [], outputShapes: [[1]] }).outputIds;
  for (let i = 1; i < n; i++) [v] = b.addNode({ kind: 'op', op: 'neg', inputs: [v!], outputShapes: [[1]] }).outputIds;
  b.setOutputs([v!]);
  return b.build();
}
