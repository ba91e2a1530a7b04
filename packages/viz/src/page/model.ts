// Indexes a GraphJSON once for the viewer: lookups by id, the cluster tree, and per-cluster
// statistics (how many ops a folded box stands for, how many unrolled iterations).
import type { ClusterData, GraphJSON, NodeData, ValueData } from '@argmin/graph';

export interface ClusterStats {
  /** Nodes in the cluster and all its sub-clusters. */
  readonly nodeCount: number;
  /** Unrolled iterations, when they can be told: sub-clusters, or distinct `attrs.iteration`. */
  readonly iterations?: number;
  /** Optimization nodes inside, for the folded box's badge. */
  readonly solvers: number;
}

export interface GraphModel {
  readonly graph: GraphJSON;
  readonly nodes: ReadonlyMap<string, NodeData>;
  readonly values: ReadonlyMap<string, ValueData>;
  readonly clusters: ReadonlyMap<string, ClusterData>;
  /** Value id → ids of the nodes consuming it. */
  readonly consumers: ReadonlyMap<string, readonly string[]>;
  /** Cluster id → ids of its direct sub-clusters ('' for top-level clusters). */
  readonly childClusters: ReadonlyMap<string, readonly string[]>;
  readonly clusterStats: ReadonlyMap<string, ClusterStats>;
  readonly outputs: ReadonlySet<string>;
}

export function buildModel(graph: GraphJSON): GraphModel {
  const nodes = new Map(graph.nodes.map((n) => [n.id, n]));
  const values = new Map(graph.values.map((v) => [v.id, v]));
  const clusters = new Map(graph.clusters.map((c) => [c.id, c]));
  const consumers = new Map<string, string[]>();
  for (const node of graph.nodes) {
    for (const input of node.inputs) push(consumers, input, node.id);
  }
  const childClusters = new Map<string, string[]>();
  for (const c of graph.clusters) push(childClusters, parentOf(c, clusters) ?? '', c.id);
  return {
    graph,
    nodes,
    values,
    clusters,
    consumers,
    childClusters,
    clusterStats: clusterStatistics(graph, clusters, childClusters),
    outputs: new Set(graph.outputs),
  };
}

/** A cluster's parent, ignoring references to unknown clusters (they would orphan the subtree). */
function parentOf(c: ClusterData, clusters: ReadonlyMap<string, ClusterData>): string | undefined {
  return c.parent !== undefined && c.parent !== c.id && clusters.has(c.parent) ? c.parent : undefined;
}

/**
 * The clusters containing a node, outermost first. Iterative with a visited set, so a malformed
 * file with a parent cycle cannot hang the page.
 */
export function clusterPath(clusters: ReadonlyMap<string, ClusterData>, clusterId: string | undefined): string[] {
  const path: string[] = [];
  const seen = new Set<string>();
  let id = clusterId;
  while (id !== undefined && clusters.has(id) && !seen.has(id)) {
    seen.add(id);
    path.push(id);
    id = parentOf(clusters.get(id)!, clusters);
  }
  return path.reverse();
}

function clusterStatistics(
  graph: GraphJSON,
  clusters: ReadonlyMap<string, ClusterData>,
  childClusters: ReadonlyMap<string, readonly string[]>,
): Map<string, ClusterStats> {
  const counts = new Map<string, { nodes: number; solvers: number; iterations: Set<number> }>();
  const entry = (id: string) => {
    let e = counts.get(id);
    if (!e) counts.set(id, (e = { nodes: 0, solvers: 0, iterations: new Set() }));
    return e;
  };
  for (const node of graph.nodes) {
    const it = node.attrs?.iteration;
    const direct = node.cluster;
    for (const id of clusterPath(clusters, direct)) {
      const e = entry(id);
      e.nodes++;
      if (node.kind === 'optimization') e.solvers++;
      if (id === direct && typeof it === 'number') e.iterations.add(it);
    }
  }
  const stats = new Map<string, ClusterStats>();
  for (const c of clusters.values()) {
    const e = entry(c.id);
    const subs = childClusters.get(c.id)?.length ?? 0;
    const iterations = subs > 0 ? subs : e.iterations.size > 0 ? e.iterations.size : undefined;
    stats.set(c.id, { nodeCount: e.nodes, solvers: e.solvers, ...(iterations !== undefined && c.kind === 'unroll' ? { iterations } : {}) });
  }
  return stats;
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/** The name of a node's i-th input: an optimization node's parameter name (attrs.inputNames). */
export function inputName(node: NodeData, index: number): string | undefined {
  const names = node.attrs?.inputNames;
  const name = Array.isArray(names) ? names[index] : undefined;
  return typeof name === 'string' && name ? name : undefined;
}
