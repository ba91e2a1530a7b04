// A linear-time layered layout for views too big for ELK's budget. ELK's layered algorithm needs
// several seconds for a few thousand boxes; this one takes tens of milliseconds: longest-path
// layers, barycentre ordering sweeps, least-squares placement under spacing constraints (pool
// adjacent violators), compounds laid out bottom-up, and edges drawn as simple three-segment routes.
// It reads and writes the same JSON as ELK (ROOT coordinates), so the renderer does not care.
import type { ElkExtendedEdge, ElkNode } from 'elkjs/lib/elk-api.js';
import { type Wrapped, wrapRows } from './wrap.js';

const LAYER_GAP = 56;
const NODE_GAP = 16;
const SWEEPS = 4;

interface Pad {
  top: number;
  left: number;
  bottom: number;
  right: number;
}

/** `aspect`: width / height of the screen, for wrapping very long drawings into rows. */
export function fastLayout(root: ElkNode, aspect = 1.6): ElkNode {
  const out = structuredClone(root);
  const parentOf = new Map<string, ElkNode>();
  const index = new Map<string, ElkNode>();
  const walk = (n: ElkNode) => {
    index.set(n.id, n);
    for (const c of n.children ?? []) {
      parentOf.set(c.id, n);
      walk(c);
    }
  };
  walk(out);
  layoutCompound(out, parentOf, true);
  const wrapped = wrapRows(out, aspect);
  toAbsolute(out, 0, 0);
  const rowOf = (id: string): number => {
    let cur: ElkNode | undefined = index.get(id);
    while (cur && parentOf.get(cur.id) !== out) cur = parentOf.get(cur.id);
    return (cur && wrapped?.rowOf.get(cur.id)) ?? 0;
  };
  routeEdges(out, index, wrapped && { ...wrapped, rowOfNode: rowOf });
  return out;
}

/** Lays out the children of `node` (recursively first), then sizes `node` around them. */
function layoutCompound(node: ElkNode, parentOf: ReadonlyMap<string, ElkNode>, isRoot = false): void {
  const children = node.children ?? [];
  for (const c of children) if (c.children?.length) layoutCompound(c, parentOf);
  const pad = padding(node, isRoot);
  if (children.length === 0) return;

  // Edges declared here connect descendants of different children: lift each end to the child of
  // `node` that contains it.
  const slot = new Map(children.map((c, i) => [c.id, i]));
  const lift = (id: string): number | undefined => {
    let cur: string | undefined = id;
    while (cur !== undefined && !slot.has(cur)) cur = parentOf.get(cur)?.id;
    return cur === undefined ? undefined : slot.get(cur);
  };
  const succ: number[][] = children.map(() => []);
  const pred: number[][] = children.map(() => []);
  for (const e of node.edges ?? []) {
    const s = lift(e.sources[0]!);
    const t = lift(e.targets[0]!);
    if (s === undefined || t === undefined || s === t) continue;
    succ[s]!.push(t);
    pred[t]!.push(s);
  }

  const layer = assignLayers(succ, pred);
  const layers: number[][] = [];
  children.forEach((_, i) => (layers[layer[i]!] ??= []).push(i));
  const order = orderLayers(layers, succ, pred);

  // Layer x positions: each layer as wide as its widest box.
  const x: number[] = [];
  let cursor = pad.left;
  for (const l of order) {
    const w = Math.max(...l.map((i) => children[i]!.width ?? 0));
    for (const i of l) x[i] = cursor;
    cursor += w + LAYER_GAP;
  }
  const y = placeVertically(order, children, succ, pred);
  const top = Math.min(...y);
  children.forEach((c, i) => {
    c.x = x[i]!;
    c.y = y[i]! - top + pad.top;
  });
  const width = Math.max(...children.map((c) => c.x! + (c.width ?? 0))) + pad.right;
  const height = Math.max(...children.map((c) => c.y! + (c.height ?? 0))) + pad.bottom;
  const min = minimumSize(node);
  node.width = Math.max(width, min.width);
  node.height = Math.max(height, min.height);
}

/** Longest-path layering, cycle-safe (Kahn's order; nodes left on a cycle are taken in order). */
function assignLayers(succ: number[][], pred: number[][]): number[] {
  const n = succ.length;
  const indeg = pred.map((p) => p.length);
  const layer = new Array<number>(n).fill(0);
  const done = new Array<boolean>(n).fill(false);
  const queue: number[] = [];
  for (let i = 0; i < n; i++) if (indeg[i] === 0) queue.push(i);
  let taken = 0;
  let next = 0;
  let head = 0;
  while (taken < n) {
    if (head === queue.length) {
      while (done[next]) next++;
      queue.push(next); // break a cycle: ignore this node's remaining incoming edges
      indeg[next] = 0;
    }
    const v = queue[head++]!;
    if (done[v]) continue;
    done[v] = true;
    taken++;
    for (const w of succ[v]!) {
      if (done[w]) continue;
      layer[w] = Math.max(layer[w]!, layer[v]! + 1);
      if (--indeg[w]! === 0) queue.push(w);
    }
  }
  // Sources (constants, parameters, copies of shared leaves) go just before their first consumer.
  for (let i = 0; i < n; i++) {
    if (pred[i]!.length === 0 && succ[i]!.length > 0) layer[i] = Math.max(0, Math.min(...succ[i]!.map((w) => layer[w]!)) - 1);
  }
  // Compact away empty layers left by the previous step.
  const used = [...new Set(layer)].sort((a, b) => a - b);
  const rank = new Map(used.map((l, k) => [l, k]));
  return layer.map((l) => rank.get(l)!);
}

/** Barycentre sweeps, down then up, keeping the best order seen by a crude crossing proxy. */
function orderLayers(layers: number[][], succ: number[][], pred: number[][]): number[][] {
  const pos = new Map<number, number>();
  const setPos = () => layers.forEach((l) => l.forEach((v, k) => pos.set(v, k)));
  setPos();
  for (let sweep = 0; sweep < SWEEPS; sweep++) {
    const down = sweep % 2 === 0;
    const seq = down ? layers.keys() : [...layers.keys()].reverse().values();
    for (const li of seq) {
      const l = layers[li]!;
      const bary = new Map<number, number>();
      for (const v of l) {
        const nb = down ? pred[v]! : succ[v]!;
        bary.set(v, nb.length ? nb.reduce((a, w) => a + pos.get(w)!, 0) / nb.length : pos.get(v)!);
      }
      l.sort((a, b) => bary.get(a)! - bary.get(b)! || pos.get(a)! - pos.get(b)!);
      l.forEach((v, k) => pos.set(v, k));
    }
  }
  return layers;
}

/** Centres near the average of already-placed neighbours, without overlaps (least squares). */
function placeVertically(order: number[][], children: ElkNode[], succ: number[][], pred: number[][]): number[] {
  const h = children.map((c) => c.height ?? 0);
  const center: number[] = [];
  // Initial: stack each layer.
  for (const l of order) {
    let c = 0;
    for (const v of l) {
      center[v] = c + h[v]! / 2;
      c += h[v]! + NODE_GAP;
    }
  }
  const passes: [number[][], number[][]][] = [
    [order, pred],
    [[...order].reverse(), succ],
    [order, pred],
  ];
  // Sources (constants, parameters, copies of shared leaves) are satellites: they yield to the
  // main flow and do not pull it. Otherwise every layer nudges a long chain sideways and it drifts.
  const isSource = (v: number) => pred[v]!.length === 0;
  for (const [layers, nbrs] of passes) {
    for (const l of layers) {
      const want = l.map((v) => {
        // A source hugs its consumers whichever way the pass goes.
        const all = isSource(v) && succ[v]!.length ? succ[v]! : nbrs[v]!;
        const main = all.filter((w) => !isSource(w));
        const use = main.length ? main : all;
        return use.length ? use.reduce((a, w) => a + center[w]!, 0) / use.length : center[v]!;
      });
      const weight = l.map((v) => (isSource(v) || nbrs[v]!.length === 0 ? 0.01 : 1));
      const placed = isotonicPlace(
        want,
        weight,
        l.map((v) => h[v]!),
      );
      l.forEach((v, k) => (center[v] = placed[k]!));
    }
  }
  return center.map((c, i) => c - h[i]! / 2);
}

/** Minimises Σ wᵢ(yᵢ − wantᵢ)² subject to boxes in order not overlapping (pool adjacent violators). */
function isotonicPlace(want: number[], weight: number[], heights: number[]): number[] {
  const offset: number[] = [];
  let acc = 0;
  for (let k = 0; k < want.length; k++) {
    if (k > 0) acc += (heights[k - 1]! + heights[k]!) / 2 + NODE_GAP;
    offset.push(acc);
  }
  const blocks: { sum: number; weight: number; count: number }[] = [];
  for (let k = 0; k < want.length; k++) {
    blocks.push({ sum: weight[k]! * (want[k]! - offset[k]!), weight: weight[k]!, count: 1 });
    while (blocks.length > 1) {
      const b = blocks[blocks.length - 1]!;
      const a = blocks[blocks.length - 2]!;
      if (a.sum / a.weight <= b.sum / b.weight) break;
      a.sum += b.sum;
      a.weight += b.weight;
      a.count += b.count;
      blocks.pop();
    }
  }
  const out: number[] = [];
  for (const b of blocks) for (let j = 0; j < b.count; j++) out.push(b.sum / b.weight + offset[out.length]!);
  return out;
}

function toAbsolute(node: ElkNode, dx: number, dy: number): void {
  for (const c of node.children ?? []) {
    c.x = (c.x ?? 0) + dx;
    c.y = (c.y ?? 0) + dy;
    toAbsolute(c, c.x, c.y);
  }
}

/** Right side of the source, a vertical jog in the gap before the target, left side of the target. */
type Rows = Wrapped & { readonly rowOfNode: (id: string) => number };

function routeEdges(node: ElkNode, index: ReadonlyMap<string, ElkNode>, rows: Rows | undefined): void {
  for (const e of node.edges ?? []) route(e, index, rows);
  for (const c of node.children ?? []) routeEdges(c, index, rows);
}

function route(e: ElkExtendedEdge, index: ReadonlyMap<string, ElkNode>, rows: Rows | undefined): void {
  const s = index.get(e.sources[0]!);
  const t = index.get(e.targets[0]!);
  if (!s || !t) return;
  const start = { x: s.x! + s.width!, y: s.y! + s.height! / 2 };
  const end = { x: t.x!, y: t.y! + t.height! / 2 };
  const [rs, rt] = rows ? [rows.rowOfNode(s.id), rows.rowOfNode(t.id)] : [0, 0];
  if (rows && rs !== rt) {
    // Across rows: out to the right, along the gap above the later row, then in from the left.
    const gap = rows.gapAbove(Math.max(rs, rt));
    const bendPoints = [
      { x: start.x + 12, y: start.y },
      { x: start.x + 12, y: gap },
      { x: end.x - 16, y: gap },
      { x: end.x - 16, y: end.y },
    ];
    e.sections = [{ id: `${e.id}s`, startPoint: start, endPoint: end, bendPoints }];
    return;
  }
  const jog = end.x - LAYER_GAP / 2 > start.x ? end.x - LAYER_GAP / 2 : (start.x + end.x) / 2;
  const bendPoints =
    Math.abs(start.y - end.y) < 1
      ? []
      : [
          { x: jog, y: start.y },
          { x: jog, y: end.y },
        ];
  e.sections = [{ id: `${e.id}s`, startPoint: start, endPoint: end, bendPoints }];
}

function padding(node: ElkNode, isRoot: boolean): Pad {
  const spec = node.layoutOptions?.['elk.padding'];
  const pad: Pad = isRoot ? { top: 24, left: 24, bottom: 24, right: 24 } : { top: 16, left: 16, bottom: 16, right: 16 };
  for (const m of spec?.matchAll(/(top|left|bottom|right)=(\d+(?:\.\d+)?)/g) ?? []) pad[m[1] as keyof Pad] = Number(m[2]);
  return pad;
}

function minimumSize(node: ElkNode): { width: number; height: number } {
  const m = /\(([\d.]+),([\d.]+)\)/.exec(node.layoutOptions?.['elk.nodeSize.minimum'] ?? '');
  return m ? { width: Number(m[1]), height: Number(m[2]) } : { width: 0, height: 0 };
}
