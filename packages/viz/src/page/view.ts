// What is on screen for a given fold state: nodes, folded cluster boxes and open clusters (a tree),
// plus the edges between them. A node inside a folded cluster is represented by the outermost folded
// cluster that contains it, so edges into and out of a folded solver attach to its box.
import type { ClusterData, NodeData } from '@argmin/graph';
import { type ClusterStats, type GraphModel, clusterPath } from './model.js';

/** 'n:<node id>' or 'c:<cluster id>': node and cluster ids live in separate namespaces. */
export type ItemId = string;

export interface VisibleNode {
  readonly type: 'node';
  readonly id: ItemId;
  readonly node: NodeData;
}
export interface FoldedCluster {
  readonly type: 'folded';
  readonly id: ItemId;
  readonly cluster: ClusterData;
  readonly stats: ClusterStats;
}
export interface OpenCluster {
  readonly type: 'open';
  readonly id: ItemId;
  readonly cluster: ClusterData;
  readonly children: VisibleItem[];
}
/**
 * A copy of a widely shared leaf (a constant or parameter used by many ops), drawn next to one
 * of its consumers. Without copies, one matrix reused by every unrolled iteration produces edges
 * spanning hundreds of layers, and the layered layout's dummy nodes grow quadratically.
 */
export interface ProxyNode {
  readonly type: 'proxy';
  readonly id: ItemId;
  readonly node: NodeData;
}
export type VisibleItem = VisibleNode | FoldedCluster | OpenCluster | ProxyNode;

export interface VisibleEdge {
  readonly id: string;
  readonly source: ItemId;
  readonly target: ItemId;
  /** Value ids carried (several when folding merges parallel edges). */
  readonly values: readonly string[];
  /** Innermost open cluster containing both ends, or null for the top level. */
  readonly container: ItemId | null;
}

export interface View {
  readonly roots: readonly VisibleItem[];
  readonly edges: readonly VisibleEdge[];
  /** Node id → the item that shows it (itself, or the folded cluster that hides it). */
  readonly itemOfNode: ReadonlyMap<string, ItemId>;
  readonly items: ReadonlyMap<ItemId, VisibleItem>;
  /** Node id → its proxy copies, if it has any. */
  readonly proxiesOf: ReadonlyMap<string, readonly ItemId[]>;
  /** Leaf items (nodes, proxies and folded clusters), for sizing budgets. */
  readonly leafCount: number;
}

/** Leaves with at least this many consumers are drawn once per consumer (see ProxyNode). */
export const PROXY_FANOUT = 4;

export const nodeItem = (id: string): ItemId => `n:${id}`;
export const clusterItem = (id: string): ItemId => `c:${id}`;

export function buildView(model: GraphModel, expanded: ReadonlySet<string>): View {
  const roots: VisibleItem[] = [];
  const items = new Map<ItemId, VisibleItem>();
  const itemOfNode = new Map<string, ItemId>();
  /** Open ancestors of each leaf item, outermost first, and the list that holds it. */
  const openPath = new Map<ItemId, readonly string[]>();
  const siblings = new Map<ItemId, VisibleItem[]>();

  const childrenOf = (open: readonly string[]): VisibleItem[] => {
    let list = roots;
    for (const cid of open) {
      const id = clusterItem(cid);
      let item = items.get(id) as OpenCluster | undefined;
      if (!item) {
        item = { type: 'open', id, cluster: model.clusters.get(cid)!, children: [] };
        items.set(id, item);
        list.push(item);
      }
      list = item.children;
    }
    return list;
  };

  for (const node of model.graph.nodes) {
    const path = clusterPath(model.clusters, node.cluster);
    const foldAt = path.findIndex((cid) => !expanded.has(cid));
    const open = foldAt < 0 ? path : path.slice(0, foldAt);
    const id = foldAt < 0 ? nodeItem(node.id) : clusterItem(path[foldAt]!);
    itemOfNode.set(node.id, id);
    if (items.has(id)) continue;
    const parentList = childrenOf(open);
    const item: VisibleItem =
      foldAt < 0
        ? { type: 'node', id, node }
        : { type: 'folded', id, cluster: model.clusters.get(path[foldAt]!)!, stats: model.clusterStats.get(path[foldAt]!)! };
    items.set(id, item);
    openPath.set(id, open);
    siblings.set(id, parentList);
    parentList.push(item);
  }

  const pairs = edgePairs(model, itemOfNode);
  const proxiesOf = new Map<string, ItemId[]>();
  const bySource = new Map<ItemId, EdgePair[]>();
  for (const e of pairs) (bySource.get(e.source) ?? bySource.set(e.source, []).get(e.source)!).push(e);
  for (const [source, out] of bySource) {
    const item = items.get(source)!;
    if (out.length < PROXY_FANOUT || item.type !== 'node' || item.node.inputs.length > 0) continue;
    // The original keeps its first consumer; every other consumer gets a copy beside it.
    out.slice(1).forEach((e, k) => {
      const proxy: ProxyNode = { type: 'proxy', id: `p:${item.node.id}:${k}`, node: item.node };
      items.set(proxy.id, proxy);
      openPath.set(proxy.id, openPath.get(e.target)!);
      siblings.get(e.target)!.push(proxy);
      (proxiesOf.get(item.node.id) ?? proxiesOf.set(item.node.id, []).get(item.node.id)!).push(proxy.id);
      e.source = proxy.id;
    });
  }

  let i = 0;
  const edges = pairs.map((e) => ({ id: `e${i++}`, ...e, container: commonContainer(openPath.get(e.source)!, openPath.get(e.target)!) }));
  const leafCount = [...items.values()].filter((it) => it.type !== 'open').length;
  return { roots, edges, itemOfNode, items, proxiesOf, leafCount };
}

interface EdgePair {
  source: ItemId;
  readonly target: ItemId;
  readonly values: string[];
}

function edgePairs(model: GraphModel, itemOfNode: ReadonlyMap<string, ItemId>): EdgePair[] {
  const byPair = new Map<string, EdgePair>();
  for (const node of model.graph.nodes) {
    const target = itemOfNode.get(node.id)!;
    for (const valueId of node.inputs) {
      const producer = model.values.get(valueId)?.producer;
      const source = producer === undefined ? undefined : itemOfNode.get(producer);
      if (source === undefined || source === target) continue; // dangling, or inside one folded box
      const key = `${source}\u0000${target}`;
      const e = byPair.get(key);
      if (e) {
        if (!e.values.includes(valueId)) e.values.push(valueId);
      } else byPair.set(key, { source, target, values: [valueId] });
    }
  }
  return [...byPair.values()];
}

function commonContainer(a: readonly string[], b: readonly string[]): ItemId | null {
  let k = 0;
  while (k < a.length && k < b.length && a[k] === b[k]) k++;
  return k === 0 ? null : clusterItem(a[k - 1]!);
}

/** Clusters to expand so that a node is visible on its own. */
export function clustersToReveal(model: GraphModel, nodeId: string): string[] {
  return clusterPath(model.clusters, model.nodes.get(nodeId)?.cluster);
}
