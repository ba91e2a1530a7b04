/**
 * Graph traversals, all iterative: traced graphs are chains 100,000 nodes deep, and recursive
 * walks (graphlib's `alg.*` included) overflow the stack at a depth of about 4,200.
 *
 * Edges run from the node producing a value to each node consuming it, as listed by the nodes'
 * `outputs` and `inputs`. Inputs whose value has no producer are ignored here (validation
 * reports them).
 */
import { describeNode, own } from './data.js';
import { GraphError, type GraphIssue, GraphValidationError } from './errors.js';
import type { Graph } from './types.js';

/** Dense adjacency over `nodeOrder` positions; an edge appears once per consuming input. */
interface Adjacency {
  readonly ids: readonly string[];
  readonly position: ReadonlyMap<string, number>;
  readonly producerOf: ReadonlyMap<string, number>;
  readonly consumersOf: ReadonlyMap<string, readonly number[]>;
  readonly preds: readonly (readonly number[])[];
  readonly succs: readonly (readonly number[])[];
}

// Graphs made by this package are frozen, so their adjacency can be cached without going stale.
const cache = new WeakMap<Graph, Adjacency>();

function adjacency(graph: Graph): Adjacency {
  const cached = cache.get(graph);
  if (cached !== undefined) return cached;
  // Skips ids that are absent or repeated in nodeOrder (validation reports both).
  const position = new Map<string, number>();
  const ids: string[] = [];
  for (const id of graph.nodeOrder) {
    if (position.has(id) || own(graph.nodes, id) === undefined) continue;
    position.set(id, ids.length);
    ids.push(id);
  }
  const producerOf = new Map<string, number>();
  ids.forEach((id, i) => {
    for (const v of graph.nodes[id]!.outputs) if (!producerOf.has(v)) producerOf.set(v, i);
  });
  const preds: number[][] = ids.map(() => []);
  const succs: number[][] = ids.map(() => []);
  const consumersOf = new Map<string, number[]>();
  ids.forEach((id, i) => {
    for (const v of graph.nodes[id]!.inputs) {
      let list = consumersOf.get(v);
      if (list === undefined) consumersOf.set(v, (list = []));
      list.push(i);
      const p = producerOf.get(v);
      if (p === undefined) continue;
      preds[i]!.push(p);
      succs[p]!.push(i);
    }
  });
  const adj: Adjacency = { ids, position, producerOf, consumersOf, preds, succs };
  if (Object.isFrozen(graph) && Object.isFrozen(graph.nodes) && Object.isFrozen(graph.nodeOrder)) {
    cache.set(graph, adj);
  }
  return adj;
}

/**
 * Kahn's algorithm, always taking the ready node that comes first in `nodeOrder` (a binary
 * heap of positions, O((n + e) log n)). So the result is the topological order closest to
 * `nodeOrder`: equal to it whenever it already is one (always, for builder graphs), and stable
 * under edits. On a cycle, `cycle` lists the nodes of one cycle in edge order and `order`
 * holds only the nodes that could be ordered.
 */
export function kahn(graph: Graph): { order: string[]; cycle?: string[] } {
  const { ids, preds, succs } = adjacency(graph);
  const indegree = preds.map((p) => p.length);
  const ready = new MinHeap();
  indegree.forEach((d, i) => {
    if (d === 0) ready.push(i);
  });
  const sorted: number[] = [];
  while (ready.size > 0) {
    const i = ready.pop();
    sorted.push(i);
    for (const s of succs[i]!) if (--indegree[s]! === 0) ready.push(s);
  }
  const order = sorted.map((i) => ids[i]!);
  if (order.length === ids.length) return { order };

  // Every unordered node has an unordered predecessor, so walking predecessors must revisit one.
  const seenAt = new Map<number, number>();
  const walk: number[] = [];
  let x = indegree.findIndex((d) => d > 0);
  while (!seenAt.has(x)) {
    seenAt.set(x, walk.length);
    walk.push(x);
    x = preds[x]!.find((p) => indegree[p]! > 0)!;
  }
  const loop = walk.slice(seenAt.get(x)).reverse();
  // Start at the node that comes first in nodeOrder, so the report does not depend on the walk.
  const first = loop.indexOf(loop.reduce((a, b) => Math.min(a, b)));
  const cycle = [...loop.slice(first), ...loop.slice(0, first)].map((i) => ids[i]!);
  return { order, cycle };
}

/** The validation issue for a cycle: names every node on it with its op and label. */
export function cycleIssue(graph: Graph, cycle: readonly string[]): GraphIssue {
  const SHOWN = 12; // a cycle through a whole unrolled solver would make an unreadable message
  const names = cycle.slice(0, SHOWN).map((id) => describeNode(graph.nodes[id]!));
  const path = cycle.length <= SHOWN ? [...names, names[0]] : [...names, `… ${cycle.length - SHOWN} more`, names[0]];
  return {
    code: 'cycle',
    node: cycle[0]!,
    message: `cycle through ${cycle.length} node${cycle.length === 1 ? '' : 's'}: ${path.join(' → ')}`,
  };
}

/**
 * Node ids so that every node comes after the producers of its inputs. Iterative (Kahn), O(n + e).
 * Throws a `GraphValidationError` naming the nodes of a cycle if there is one.
 */
export function topologicalOrder(graph: Graph): readonly string[] {
  const { order, cycle } = kahn(graph);
  if (cycle !== undefined) throw new GraphValidationError([cycleIssue(graph, cycle)], 'graph has a cycle');
  return order;
}

/** Consumers before producers: the order of a backward pass. */
export function reverseTopologicalOrder(graph: Graph): readonly string[] {
  return topologicalOrder(graph).slice().reverse();
}

function reach(starts: Iterable<number>, next: readonly (readonly number[])[]): Set<number> {
  const seen = new Set<number>();
  const stack = [...starts];
  while (stack.length > 0) {
    const i = stack.pop()!;
    if (seen.has(i)) continue;
    seen.add(i);
    for (const j of next[i]!) if (!seen.has(j)) stack.push(j);
  }
  return seen;
}

function positionOf(graph: Graph, adj: Adjacency, nodeId: string): number {
  const i = adj.position.get(nodeId);
  if (i === undefined) throw new GraphError(`node '${nodeId}' does not exist in graph '${graph.name}'`);
  return i;
}

function neighbours(graph: Graph, nodeId: string, direction: 'preds' | 'succs'): ReadonlySet<string> {
  const adj = adjacency(graph);
  const start = positionOf(graph, adj, nodeId);
  const found = reach(adj[direction][start]!, adj[direction]);
  return new Set([...found].sort((a, b) => a - b).map((i) => adj.ids[i]!));
}

/** Nodes from which `nodeId` can be reached (excluding itself unless on a cycle), in `nodeOrder`. */
export function ancestors(graph: Graph, nodeId: string): ReadonlySet<string> {
  return neighbours(graph, nodeId, 'preds');
}

/** Nodes reachable from `nodeId` (excluding itself unless on a cycle), in `nodeOrder`. */
export function descendants(graph: Graph, nodeId: string): ReadonlySet<string> {
  return neighbours(graph, nodeId, 'succs');
}

/**
 * Nodes lying on some path from one of `fromValueIds` to one of `toValueIds`, in topological
 * order: the nodes a backward pass from the targets to the sources must visit (everything else
 * can be pruned). A node is on a path if it consumes (transitively) a source value and produces
 * (transitively) a target value. Throws if a value id does not exist or the graph has a cycle.
 */
export function pathBetween(graph: Graph, fromValueIds: readonly string[], toValueIds: readonly string[]): readonly string[] {
  const adj = adjacency(graph);
  for (const v of [...fromValueIds, ...toValueIds]) {
    if (own(graph.values, v) === undefined) throw new GraphError(`value '${v}' does not exist in graph '${graph.name}'`);
  }
  const forward = reach(
    fromValueIds.flatMap((v) => adj.consumersOf.get(v) ?? []),
    adj.succs,
  );
  const backward = reach(
    toValueIds.flatMap((v) => {
      const p = adj.producerOf.get(v);
      return p === undefined ? [] : [p];
    }),
    adj.preds,
  );
  return topologicalOrder(graph).filter((id) => {
    const i = adj.position.get(id)!;
    return forward.has(i) && backward.has(i);
  });
}

/** A binary min-heap of integers. */
class MinHeap {
  private readonly items: number[] = [];

  get size(): number {
    return this.items.length;
  }

  push(x: number): void {
    const a = this.items;
    let i = a.push(x) - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (a[parent]! <= x) break;
      a[i] = a[parent]!;
      i = parent;
    }
    a[i] = x;
  }

  pop(): number {
    const a = this.items;
    const top = a[0]!;
    const last = a.pop()!;
    if (a.length > 0) {
      let i = 0;
      for (;;) {
        let child = 2 * i + 1;
        if (child >= a.length) break;
        if (child + 1 < a.length && a[child + 1]! < a[child]!) child++;
        if (a[child]! >= last) break;
        a[i] = a[child]!;
        i = child;
      }
      a[i] = last;
    }
    return top;
  }
}
