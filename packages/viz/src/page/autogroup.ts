// Automatic folding by trace scope, for graphs traced without clusters (a model's layers, a loss,
// a solver's preparation all land at the top level). The trace order is the program order, so
// the top level is cut into scopes where the program starts using something new: an op that is
// the first consumer of an input, a parameter or an optimization node's result opens a scope
// (a model layer starts at its weights, a loss term at its data, post-processing at the solve).
// Each scope becomes a folded 'group' cluster; inputs, parameters, optimization nodes and the
// ops producing graph outputs stay visible. Adjacent scopes merge until the first view shows at
// most AUTO_GROUP_TARGET boxes (24). Graphs whose first view is already small are left as they are.
import type { ClusterData, GraphJSON, NodeData } from '@argmin/graph';

/** The first view of a graph shows at most about this many boxes (more would be drawn too small to read at fit zoom). */
export const AUTO_GROUP_TARGET = 24;
/** Scopes with fewer ops than this join their predecessor (a lone `reshape` is not a scope). */
const MIN_SCOPE = 3;

interface Scope {
  members: NodeData[];
  /** Landmarks whose first use opened the scope, for its label. */
  opens: string[];
}

export function autoGroup(graph: GraphJSON, target = AUTO_GROUP_TARGET): GraphJSON {
  const top = graph.nodes.filter((n) => n.cluster === undefined);
  const topClusters = graph.clusters.filter((c) => c.parent === undefined).length;
  if (top.length + topClusters <= target) return graph;

  const producer = new Map<string, NodeData>();
  for (const n of graph.nodes) for (const v of n.outputs) producer.set(v, n);
  const outputs = new Set(graph.outputs);
  const isLandmark = (n: NodeData) =>
    n.kind === 'input' || n.kind === 'parameter' || n.kind === 'optimization' || n.outputs.some((v) => outputs.has(v));

  // Constants go with their first consumer; they are listed before it in trace order.
  const firstConsumer = new Map<string, NodeData>();
  for (const n of graph.nodes) {
    for (const v of n.inputs) {
      const p = producer.get(v);
      if (p && !firstConsumer.has(p.id)) firstConsumer.set(p.id, n);
    }
  }

  // Data that is not an argument (a tensor captured from outside the traced function, e.g. a
  // QP's matrices inside a loss) also marks the start of the code that uses it.
  const shapes = new Map(graph.values.map((v) => [v.id, v.shape]));
  const isData = (n: NodeData) => n.kind === 'constant' && n.outputs.some((v) => (shapes.get(v) ?? []).some((d) => d > 1));
  const scopes: Scope[] = [];
  const used = new Set<string>();
  let current: Scope | undefined;
  for (const n of top) {
    if (isLandmark(n) || n.kind === 'constant') continue;
    const opens: string[] = [];
    for (const v of n.inputs) {
      const p = producer.get(v);
      if (p && (isLandmark(p) || isData(p)) && !used.has(p.id)) {
        used.add(p.id);
        opens.push(isData(p) ? `${p.label ?? 'constant'} ${(shapes.get(p.outputs[0]!) ?? []).join('×')}` : shortName(p));
      }
    }
    if (!current || (opens.length > 0 && current.members.length >= MIN_SCOPE)) {
      current = { members: [], opens: [] };
      scopes.push(current);
    }
    current.members.push(n);
    current.opens.push(...opens);
  }
  // A short last scope joins the one before it.
  const last = scopes[scopes.length - 1];
  if (scopes.length > 1 && last && last.members.length < MIN_SCOPE) {
    scopes.pop();
    scopes[scopes.length - 1]!.members.push(...last.members);
    scopes[scopes.length - 1]!.opens.push(...last.opens);
  }

  const scopeOf = new Map<string, Scope>();
  for (const s of scopes) for (const n of s.members) scopeOf.set(n.id, s);
  const constScope = (n: NodeData) => {
    const c = firstConsumer.get(n.id);
    return c && c.cluster === undefined ? scopeOf.get(c.id) : undefined;
  };
  const landmarks = top.filter((n) => isLandmark(n)).length;
  const looseConstants = top.filter((n) => n.kind === 'constant' && !constScope(n)).length;
  const boxes = () => landmarks + looseConstants + topClusters + scopes.length;
  // Merge the adjacent pair with the fewest ops until the view fits.
  while (scopes.length > 1 && boxes() > target) {
    let best = 0;
    for (let i = 1; i < scopes.length - 1; i++) {
      if (size(scopes[i]!) + size(scopes[i + 1]!) < size(scopes[best]!) + size(scopes[best + 1]!)) best = i;
    }
    const [a, b] = [scopes[best]!, scopes[best + 1]!];
    a.members.push(...b.members);
    a.opens.push(...b.opens);
    scopes.splice(best + 1, 1);
    for (const n of b.members) scopeOf.set(n.id, a);
  }

  const taken = new Set(graph.clusters.map((c) => c.id));
  const clusterId = new Map<Scope, string>();
  const added: ClusterData[] = [];
  let k = 0;
  for (const s of scopes) {
    if (s.members.length < 2) continue; // one op is clearer as itself than as a folded box
    let id = `auto${k++}`;
    while (taken.has(id)) id = `auto${k++}`;
    clusterId.set(s, id);
    added.push({ id, label: scopeLabel(s), kind: 'group' });
  }
  if (added.length === 0) return graph;
  const nodes = graph.nodes.map((n) => {
    if (n.cluster !== undefined || isLandmark(n)) return n;
    const s = n.kind === 'constant' ? constScope(n) : scopeOf.get(n.id);
    const id = s && clusterId.get(s);
    return id ? { ...n, cluster: id } : n;
  });
  return { ...graph, nodes, clusters: [...graph.clusters, ...added] };
}

const size = (s: Scope) => s.members.length;

/** The last path segment of a label: 'θ (MLP).W1' → 'W1'. */
function shortName(n: NodeData): string {
  const label = n.label ?? n.op;
  const dot = label.lastIndexOf('.');
  return dot > 0 && dot < label.length - 1 ? label.slice(dot + 1) : label;
}

/** 'W1, b1: matmul, add, relu' — what the scope starts using, then its commonest ops. */
function scopeLabel(s: Scope): string {
  const counts = new Map<string, number>();
  for (const n of s.members) if (n.kind === 'op') counts.set(n.op, (counts.get(n.op) ?? 0) + 1);
  const ops = [...counts.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 3)
    .map(([op]) => op);
  const uses = [...new Set(s.opens)].slice(0, 3);
  const more = new Set(s.opens).size > 3 ? ', …' : '';
  return uses.length ? `${uses.join(', ')}${more}: ${ops.join(', ')}` : ops.join(', ');
}
