/**
 * Immutable edits: each function takes a graph and returns a new one made with immer's
 * `produce`, sharing every untouched node and value with the input, which is never mutated.
 * Results are deeply frozen, including the parts they share with the input (immer's
 * autoFreeze): graphs are immutable by contract, so this only matters for hand-made graphs.
 *
 * Each edit copies the id-keyed tables, so it is O(n): fine for editing a graph, quadratic for
 * making one. To build a large graph use `GraphBuilder`.
 *
 * Fresh ids continue the builder's scheme (`n<k>`, `v<k>`, `c<k>`), taking the first free k
 * from the table's size upwards, so they never collide with existing ids.
 */
import { castDraft, produce } from 'immer';
import { cloneAttrs, cloneInfo, cloneSummary, describeNode, own, record } from './data.js';
import { GraphError } from './errors.js';
import { type ClusterSpec, type NodeSpec, checkText, guard, materializeCluster, materializeNode } from './spec.js';
import { descendants } from './traverse.js';
import type { Attrs, ClusterData, Graph, NodeData, SolveInfoData, ValueData, ValueSummary } from './types.js';

/** A graph with no nodes, values, clusters or outputs. */
export function emptyGraph(name = 'graph'): Graph {
  checkText('graph', 'name', name);
  return Object.freeze({
    name,
    nodes: Object.freeze(record<NodeData>()),
    nodeOrder: Object.freeze([]),
    values: Object.freeze(record<ValueData>()),
    clusters: Object.freeze(record<ClusterData>()),
    outputs: Object.freeze([]),
  });
}

/** Appends a node (see `NodeSpec`); throws a `GraphError` naming the node if the spec is invalid. */
export function addNode(
  graph: Graph,
  spec: NodeSpec,
): { readonly graph: Graph; readonly nodeId: string; readonly outputIds: readonly string[] } {
  const nodeId = freshIds('n', graph.nodes, 1)[0]!;
  const outputIds = freshIds('v', graph.values, spec.outputShapes.length);
  const { node, values } = materializeNode(spec, nodeId, outputIds, lookup(graph));
  const next = produce(graph, (d) => {
    d.nodes[nodeId] = castDraft(node);
    d.nodeOrder.push(nodeId);
    for (const v of values) d.values[v.id] = castDraft(v);
  });
  return { graph: next, nodeId, outputIds: node.outputs };
}

export interface RemoveOptions {
  /**
   * false (default): refuse to remove a node whose outputs are consumed or are graph outputs,
   * so nothing is removed by surprise. true: also remove every node downstream of it, and drop
   * the removed values from the graph outputs.
   */
  readonly cascade?: boolean;
}

/** Removes a node and its output values; see `RemoveOptions` for consumed outputs. */
export function removeNode(graph: Graph, nodeId: string, options: RemoveOptions = {}): Graph {
  const node = getNode(graph, nodeId);
  const downstream = descendants(graph, nodeId);
  if (options.cascade !== true) {
    const consumer = [...downstream].map((id) => graph.nodes[id]!).find((n) => n.inputs.some((v) => node.outputs.includes(v)));
    const used = consumer === undefined ? graph.outputs.find((v) => node.outputs.includes(v)) : undefined;
    const reason =
      consumer !== undefined
        ? `its outputs are consumed by ${describeNode(consumer)}`
        : used !== undefined
          ? `its output ${used} is a graph output`
          : undefined;
    if (reason !== undefined) {
      throw new GraphError(`cannot remove ${describeNode(node)}: ${reason}; pass { cascade: true } to remove downstream nodes too`);
    }
  }
  const removed = new Set([nodeId, ...downstream]);
  const removedValues = new Set([...removed].flatMap((id) => graph.nodes[id]!.outputs));
  return produce(graph, (d) => {
    for (const id of removed) delete d.nodes[id];
    for (const v of removedValues) delete d.values[v];
    d.nodeOrder = d.nodeOrder.filter((id) => !removed.has(id));
    if (graph.outputs.some((v) => removedValues.has(v))) d.outputs = d.outputs.filter((v) => !removedValues.has(v));
  });
}

/** Sets (or, with `undefined`, removes) a node's label. */
export function relabel(graph: Graph, nodeId: string, label: string | undefined): Graph {
  checkText(describeNode(getNode(graph, nodeId)), 'label', label);
  return produce(graph, (d) => {
    if (label === undefined) delete d.nodes[nodeId]!.label;
    else d.nodes[nodeId]!.label = label;
  });
}

/** Sets (or, with `undefined`, removes) a value's label. */
export function relabelValue(graph: Graph, valueId: string, label: string | undefined): Graph {
  getValue(graph, valueId);
  checkText(`value ${valueId}`, 'label', label);
  return produce(graph, (d) => {
    if (label === undefined) delete d.values[valueId]!.label;
    else d.values[valueId]!.label = label;
  });
}

/** Replaces a node's attrs (JSON-compatible, copied). To merge, pass `{ ...node.attrs, ...changes }`. */
export function setAttrs(graph: Graph, nodeId: string, attrs: Attrs): Graph {
  const copy = guard(describeNode(getNode(graph, nodeId)), () => cloneAttrs(attrs));
  return produce(graph, (d) => {
    d.nodes[nodeId]!.attrs = castDraft(copy);
  });
}

/** Sets the graph's result values (they must exist). */
export function setOutputs(graph: Graph, valueIds: readonly string[]): Graph {
  for (const v of valueIds) getValue(graph, v);
  return produce(graph, (d) => {
    d.outputs = valueIds.slice();
  });
}

/** Adds a cluster (its parent must exist). */
export function addCluster(graph: Graph, spec: ClusterSpec): { readonly graph: Graph; readonly clusterId: string } {
  const clusterId = freshIds('c', graph.clusters, 1)[0]!;
  const cluster = materializeCluster(spec, clusterId, lookup(graph));
  return {
    graph: produce(graph, (d) => {
      d.clusters[clusterId] = cluster;
    }),
    clusterId,
  };
}

/** Moves nodes into a cluster, or out of any cluster with `undefined`. */
export function assignCluster(graph: Graph, nodeIds: readonly string[], clusterId: string | undefined): Graph {
  for (const id of nodeIds) getNode(graph, id);
  if (clusterId !== undefined && own(graph.clusters, clusterId) === undefined) {
    throw new GraphError(`cluster '${clusterId}' does not exist`);
  }
  return produce(graph, (d) => {
    for (const id of nodeIds) {
      if (clusterId === undefined) delete d.nodes[id]!.cluster;
      else d.nodes[id]!.cluster = clusterId;
    }
  });
}

/** Records an optimization node's solver report. */
export function setInfo(graph: Graph, nodeId: string, info: SolveInfoData): Graph {
  const node = getNode(graph, nodeId);
  if (node.kind !== 'optimization') {
    throw new GraphError(`${describeNode(node)}: only optimization nodes carry SolveInfo (kind is '${node.kind}')`);
  }
  const copy = guard(describeNode(node), () => cloneInfo(info));
  return produce(graph, (d) => {
    d.nodes[nodeId]!.info = castDraft(copy);
  });
}

/** Records summary statistics of a value. */
export function setValueSummary(graph: Graph, valueId: string, summary: ValueSummary): Graph {
  getValue(graph, valueId);
  const copy = cloneSummary(summary);
  return produce(graph, (d) => {
    d.values[valueId]!.summary = castDraft(copy);
  });
}

/** Records the norm of the gradient reaching a value. */
export function setGradNorm(graph: Graph, valueId: string, gradNorm: number): Graph {
  getValue(graph, valueId);
  if (typeof gradNorm !== 'number') throw new GraphError(`value ${valueId}: gradNorm must be a number`);
  return produce(graph, (d) => {
    d.values[valueId]!.gradNorm = gradNorm;
  });
}

function getNode(graph: Graph, nodeId: string): NodeData {
  const node = own(graph.nodes, nodeId);
  if (node === undefined) throw new GraphError(`node '${nodeId}' does not exist in graph '${graph.name}'`);
  return node;
}

function getValue(graph: Graph, valueId: string): ValueData {
  const value = own(graph.values, valueId);
  if (value === undefined) throw new GraphError(`value '${valueId}' does not exist in graph '${graph.name}'`);
  return value;
}

function lookup(graph: Graph): { hasValue(id: string): boolean; hasCluster(id: string): boolean } {
  return {
    hasValue: (id) => own(graph.values, id) !== undefined,
    hasCluster: (id) => own(graph.clusters, id) !== undefined,
  };
}

/** `count` unused ids `<prefix><k>`, k counting up from the table's size. */
function freshIds(prefix: string, table: { readonly [id: string]: unknown }, count: number): string[] {
  const ids: string[] = [];
  for (let k = Object.keys(table).length; ids.length < count; k++) {
    const id = `${prefix}${k}`;
    if (!Object.hasOwn(table, id)) ids.push(id);
  }
  return ids;
}
