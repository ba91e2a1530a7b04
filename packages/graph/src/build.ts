/**
 * `GraphBuilder`: the fast, mutable way to make a graph, used by the autodiff tracer. Each call
 * is O(1) in the size of the graph (plus the size of the node's own inputs, outputs and attrs),
 * so tracing 100,000+ ops stays linear; immer edits copy the node table on every change and
 * would make that quadratic.
 *
 * Ids are allocated by the builder, never by module-level counters: nodes `n0, n1, …`, values
 * `v0, v1, …`, clusters `c0, c1, …` in call order, so tracing the same function twice gives
 * identical graphs.
 */
import { cloneSummary, record } from './data.js';
import { GraphError } from './errors.js';
import { type ClusterSpec, type NodeSpec, checkText, materializeCluster, materializeNode } from './spec.js';
import type { ClusterData, Graph, NodeData, ValueData, ValueSummary } from './types.js';

/** Ids of a node just added and of its output values (in output order). */
export interface AddedNode {
  readonly nodeId: string;
  readonly outputIds: readonly string[];
}

/**
 * Appends nodes, clusters and annotations, then `build()`s a frozen `Graph`. Every node is
 * checked when added (its inputs must exist, so a builder can only make DAGs). After `build()`
 * the builder is spent: further calls throw.
 */
export class GraphBuilder {
  private readonly nodes = record<NodeData>();
  private readonly nodeOrder: string[] = [];
  private readonly values = record<ValueData>();
  private readonly clusters = record<ClusterData>();
  private outputs: readonly string[] = Object.freeze([]);
  private valueCount = 0;
  private clusterCount = 0;
  private built = false;

  private readonly lookup = {
    hasValue: (id: string): boolean => this.values[id] !== undefined,
    hasCluster: (id: string): boolean => this.clusters[id] !== undefined,
  };

  constructor(readonly name = 'graph') {
    checkText('GraphBuilder', 'name', name);
  }

  /** Adds a node and its output values. Throws a `GraphError` naming the node if `spec` is invalid. */
  addNode(spec: NodeSpec): AddedNode {
    this.assertOpen();
    const nodeId = `n${this.nodeOrder.length}`;
    const outputIds = spec.outputShapes.map((_, i) => `v${this.valueCount + i}`);
    const { node, values } = materializeNode(spec, nodeId, outputIds, this.lookup);
    this.valueCount += outputIds.length;
    this.nodes[nodeId] = node;
    this.nodeOrder.push(nodeId);
    for (const v of values) this.values[v.id] = v;
    return { nodeId, outputIds: node.outputs };
  }

  /** Adds a cluster (its parent must exist) and returns its id. */
  addCluster(spec: ClusterSpec): string {
    this.assertOpen();
    const id = `c${this.clusterCount}`;
    this.clusters[id] = materializeCluster(spec, id, this.lookup);
    this.clusterCount++;
    return id;
  }

  /** Sets the graph's result values (they must exist). */
  setOutputs(valueIds: readonly string[]): void {
    this.assertOpen();
    for (const id of valueIds) {
      if (!this.lookup.hasValue(id)) throw new GraphError(`graph output '${id}' is not a value of this graph`);
    }
    this.outputs = Object.freeze(valueIds.slice());
  }

  /** Records summary statistics of a value (non-finite numbers are allowed: they are data). */
  setValueSummary(valueId: string, summary: ValueSummary): void {
    const v = this.value(valueId);
    this.values[valueId] = Object.freeze({ ...v, summary: cloneSummary(summary) });
  }

  /** Records the norm of the gradient reaching a value. */
  setGradNorm(valueId: string, gradNorm: number): void {
    const v = this.value(valueId);
    if (typeof gradNorm !== 'number') throw new GraphError(`value ${valueId}: gradNorm must be a number`);
    this.values[valueId] = Object.freeze({ ...v, gradNorm });
  }

  /** The node with this id, e.g. to read back what was recorded. */
  node(nodeId: string): NodeData {
    const n = this.nodes[nodeId];
    if (n === undefined) throw new GraphError(`node '${nodeId}' does not exist`);
    return n;
  }

  /** Number of nodes added so far. */
  get size(): number {
    return this.nodeOrder.length;
  }

  /** Freezes and returns the graph. The builder cannot be used afterwards. */
  build(): Graph {
    this.assertOpen();
    this.built = true;
    // Nodes and values were frozen when added; only the containers remain.
    return Object.freeze({
      name: this.name,
      nodes: Object.freeze(this.nodes),
      nodeOrder: Object.freeze(this.nodeOrder),
      values: Object.freeze(this.values),
      clusters: Object.freeze(this.clusters),
      outputs: this.outputs,
    });
  }

  private value(valueId: string): ValueData {
    this.assertOpen();
    const v = this.values[valueId];
    if (v === undefined) throw new GraphError(`value '${valueId}' does not exist`);
    return v;
  }

  private assertOpen(): void {
    if (this.built) throw new GraphError(`GraphBuilder '${this.name}' was already built; start a new builder`);
  }
}
