/**
 * A @dagrejs/graphlib view of a graph, for structure queries: predecessors and successors of a
 * node, the children of a cluster, in and out edges. graphlib's containers are iterative and
 * fast; its `alg.*` functions (topsort, dfs, …) are recursive and overflow the stack on deep
 * graphs, so use `topologicalOrder`, `ancestors`, `descendants` and `pathBetween` from this
 * package instead.
 */
import { Graph as GraphlibGraph } from '@dagrejs/graphlib';
import { own } from './data.js';
import { GraphError } from './errors.js';
import type { ClusterData, Graph, NodeData } from './types.js';

/** Label of a graphlib node: either a graph node or a cluster (its compound parent). */
export type StructureNodeLabel =
  | { readonly type: 'node'; readonly node: NodeData }
  | { readonly type: 'cluster'; readonly cluster: ClusterData };

/** Label of a graphlib edge producer → consumer: the value carried and the consumer's input index. */
export interface StructureEdgeLabel {
  readonly value: string;
  readonly input: number;
}

/** The graphlib graph returned by `toGraphlib`. */
export type StructureGraph = GraphlibGraph<{ readonly name: string }, StructureNodeLabel, StructureEdgeLabel>;

/**
 * Builds a directed, compound multigraph: one graphlib node per graph node and per cluster
 * (nodes and clusters share graphlib's namespace, so their ids must differ), a node's parent is
 * its cluster and a cluster's parent its parent cluster, and one edge per consumed input, named
 * by the input index (so `x * x` gives two parallel edges). A fresh graph each call: graphlib
 * graphs are mutable, so callers may change theirs freely.
 *
 * Throws a `GraphError` if a node or cluster names a missing cluster, if clusters nest in a
 * loop, or if a node and a cluster share an id.
 */
export function toGraphlib(graph: Graph): StructureGraph {
  const g: StructureGraph = new GraphlibGraph({ directed: true, compound: true, multigraph: true });
  g.setGraph({ name: graph.name });
  for (const cluster of Object.values(graph.clusters)) g.setNode(cluster.id, { type: 'cluster', cluster });

  const producer = new Map<string, string>();
  for (const id of graph.nodeOrder) {
    const node = own(graph.nodes, id);
    if (node === undefined) continue;
    if (own(graph.clusters, id) !== undefined) throw new GraphError(`id '${id}' is used by both a node and a cluster`);
    g.setNode(id, { type: 'node', node });
    for (const v of node.outputs) if (!producer.has(v)) producer.set(v, id);
  }

  for (const cluster of Object.values(graph.clusters)) {
    if (cluster.parent !== undefined) setParent(g, graph, cluster.id, cluster.parent, `cluster ${cluster.id}`);
  }
  for (const id of graph.nodeOrder) {
    const node = own(graph.nodes, id);
    if (node === undefined) continue;
    if (node.cluster !== undefined) setParent(g, graph, id, node.cluster, `node ${id}`);
    node.inputs.forEach((value, input) => {
      const from = producer.get(value);
      if (from !== undefined) g.setEdge(from, id, { value, input }, String(input));
    });
  }
  return g;
}

function setParent(g: StructureGraph, graph: Graph, child: string, parent: string, who: string): void {
  // graphlib would silently create a missing parent as an unlabelled node.
  if (own(graph.clusters, parent) === undefined) throw new GraphError(`${who}: cluster '${parent}' does not exist`);
  try {
    g.setParent(child, parent);
  } catch (e) {
    throw new GraphError(`${who}: cannot nest in cluster '${parent}': ${(e as Error).message}`);
  }
}
