// Draws a laid-out view as SVG: open clusters, then edges and their shape labels, then boxes.
// Every string from the graph goes through textContent (see dom.ts).
import type { ElkEdgeSection, ElkExtendedEdge, ElkNode } from 'elkjs/lib/elk-api.js';
import { BOX, type Description } from './describe.js';
import { svg } from './dom.js';
import { CLUSTER_HEADER, edgeLabel } from './elk-graph.js';
import type { GraphModel } from './model.js';
import type { ItemId, View, VisibleEdge, VisibleItem } from './view.js';

export interface Box {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

export interface Rendered {
  readonly itemEls: ReadonlyMap<ItemId, SVGGElement>;
  readonly edgeEls: ReadonlyMap<string, SVGGElement>;
  readonly boxes: ReadonlyMap<ItemId, Box>;
  /** Edge ids touching each item, for highlighting neighbours. */
  readonly edgesOf: ReadonlyMap<ItemId, readonly string[]>;
  readonly bounds: Box;
}

export function renderView(
  viewport: SVGGElement,
  layout: ElkNode,
  view: View,
  model: GraphModel,
  describe: (item: VisibleItem) => Description,
): Rendered {
  const boxes = new Map<ItemId, Box>();
  const collect = (n: ElkNode) => {
    for (const c of n.children ?? []) {
      boxes.set(c.id, { x: c.x ?? 0, y: c.y ?? 0, width: c.width ?? 0, height: c.height ?? 0 });
      collect(c);
    }
  };
  collect(layout);

  const clusterLayer = svg('g', { class: 'layer-clusters' });
  const edgeLayer = svg('g', { class: 'layer-edges' });
  const labelLayer = svg('g', { class: 'layer-edge-labels' });
  const nodeLayer = svg('g', { class: 'layer-nodes' });
  const itemEls = new Map<ItemId, SVGGElement>();

  const drawItem = (item: VisibleItem) => {
    const box = boxes.get(item.id);
    if (!box) return;
    const d = describe(item);
    if (item.type === 'open') {
      const g = drawOpenCluster(item.id, d, box);
      clusterLayer.append(g);
      itemEls.set(item.id, g);
      item.children.forEach(drawItem);
    } else {
      const g = drawBox(item, d, box);
      nodeLayer.append(g);
      itemEls.set(item.id, g);
    }
  };
  view.roots.forEach(drawItem);

  const edgeEls = new Map<string, SVGGElement>();
  const edgesOf = new Map<ItemId, string[]>();
  const laidEdges = new Map<string, ElkExtendedEdge>();
  const collectEdges = (n: ElkNode) => {
    for (const e of n.edges ?? []) laidEdges.set(e.id, e);
    for (const c of n.children ?? []) collectEdges(c);
  };
  collectEdges(layout);
  for (const e of view.edges) {
    const laid = laidEdges.get(e.id);
    const sections = laid?.sections ?? [];
    if (sections.length === 0) continue;
    const g = svg('g', { class: 'edge', 'data-edge': e.id });
    g.append(svg('path', { d: sections.map(sectionPath).join(' '), 'marker-end': 'url(#arrow)' }));
    edgeLayer.append(g);
    edgeEls.set(e.id, g);
    for (const end of [e.source, e.target]) (edgesOf.get(end) ?? edgesOf.set(end, []).get(end)!).push(e.id);
    labelLayer.append(drawEdgeLabel(e, laid!, sections, model));
  }

  viewport.replaceChildren(clusterLayer, edgeLayer, labelLayer, nodeLayer);
  return {
    itemEls,
    edgeEls,
    boxes,
    edgesOf,
    bounds: { x: 0, y: 0, width: layout.width ?? 0, height: layout.height ?? 0 },
  };
}

function drawBox(item: VisibleItem, d: Description, box: Box): SVGGElement {
  const g = svg('g', {
    class: `item ${d.cls}${item.type === 'folded' ? ' folded' : ''}`,
    'data-id': item.id,
    transform: `translate(${box.x},${box.y})`,
  });
  const h = item.type === 'folded' ? box.height - 8 : box.height;
  if (item.type === 'folded') {
    // A stack of cards: the box stands for many nodes.
    g.append(svg('rect', { class: 'stack', x: 8, y: 8, width: box.width - 8, height: h, rx: 8 }));
    g.append(svg('rect', { class: 'stack', x: 4, y: 4, width: box.width - 8, height: h, rx: 8 }));
  }
  const w = item.type === 'folded' ? box.width - 8 : box.width;
  g.append(svg('rect', { class: 'box', width: w, height: h, rx: 8 }));
  if (item.type === 'node' && item.node.kind === 'optimization') {
    g.append(svg('rect', { class: 'accent', x: 0, y: 0, width: 5, height: h, rx: 2.5 }));
  }
  const x = BOX.padX;
  const titleY = d.subtitleShown ? 18 : 19.5;
  g.append(svg('text', { class: 'title', x, y: titleY }, d.titleShown));
  if (d.subtitleShown) g.append(svg('text', { class: 'sub', x, y: 34 }, d.subtitleShown));
  if (d.badges.length) {
    let bx = x;
    const by = (d.subtitleShown ? BOX.line2 : BOX.line1) - 4;
    for (const b of d.badges) {
      const t = svg('text', { x: BOX.badgePad, y: 12.5 }, b.text);
      const bw = b.width;
      const bg = svg('g', { class: `badge ${b.cls}`, transform: `translate(${bx},${by})` });
      bg.append(svg('rect', { width: bw, height: 17, rx: 8.5 }), t);
      g.append(bg);
      bx += bw + BOX.badgeGap;
    }
  }
  if (item.type === 'folded') {
    const cx = w - 13;
    const toggle = svg('g', { class: 'toggle', transform: `translate(${cx},13)` });
    toggle.append(svg('circle', { r: 8 }), svg('path', { d: 'M -4 0 H 4 M 0 -4 V 4' }));
    g.append(toggle);
  }
  // Tooltip with the full text, since titles are cut to the box width.
  g.append(svg('title', {}, d.subtitle ? `${d.title}\n${d.subtitle}` : d.title));
  return g;
}

function drawOpenCluster(id: ItemId, d: Description, box: Box): SVGGElement {
  const g = svg('g', { class: `cluster open ${d.cls}`, 'data-id': id, transform: `translate(${box.x},${box.y})` });
  g.append(svg('rect', { class: 'frame', width: box.width, height: box.height, rx: 12 }));
  const header = svg('g', { class: 'cluster-header', 'data-id': id });
  header.append(svg('rect', { class: 'header-bg', width: box.width, height: CLUSTER_HEADER, rx: 12 }));
  header.append(svg('text', { class: 'title', x: 14, y: 17 }, d.title));
  header.append(svg('text', { class: 'sub', x: 14, y: 32 }, d.subtitle));
  const toggle = svg('g', { class: 'toggle', transform: `translate(${box.width - 18},${CLUSTER_HEADER / 2})` });
  toggle.append(svg('circle', { r: 8 }), svg('path', { d: 'M -4 0 H 4' }));
  header.append(toggle, svg('title', {}, 'Click to fold'));
  g.append(header);
  return g;
}

/** A polyline with its bends rounded off, which reads better than sharp orthogonal corners. */
function sectionPath(s: ElkEdgeSection): string {
  const pts = [s.startPoint, ...(s.bendPoints ?? []), s.endPoint];
  let d = `M${pts[0]!.x},${pts[0]!.y}`;
  for (let i = 1; i < pts.length - 1; i++) {
    const [a, b, c] = [pts[i - 1]!, pts[i]!, pts[i + 1]!];
    const r = Math.min(6, dist(a, b) / 2, dist(b, c) / 2);
    const p = towards(b, a, r);
    const q = towards(b, c, r);
    d += ` L${p.x},${p.y} Q${b.x},${b.y} ${q.x},${q.y}`;
  }
  const last = pts[pts.length - 1]!;
  return `${d} L${last.x},${last.y}`;
}

type Pt = { x: number; y: number };
const dist = (a: Pt, b: Pt) => Math.hypot(a.x - b.x, a.y - b.y);
function towards(from: Pt, to: Pt, r: number): Pt {
  const l = dist(from, to) || 1;
  return { x: round(from.x + ((to.x - from.x) * r) / l), y: round(from.y + ((to.y - from.y) * r) / l) };
}
const round = (v: number) => Math.round(v * 10) / 10;

function drawEdgeLabel(e: VisibleEdge, laid: ElkExtendedEdge, sections: readonly ElkEdgeSection[], model: GraphModel): SVGTextElement {
  const text = edgeLabel(e, model);
  const label = laid.labels?.[0];
  let x: number;
  let y: number;
  if (label?.x !== undefined && label.y !== undefined) {
    x = label.x + 3;
    y = label.y + 11;
  } else {
    // Big views skip ELK's label placement: put the label just after the edge leaves its source.
    const s = sections[0]!;
    const next = s.bendPoints?.[0] ?? s.endPoint;
    x = s.startPoint.x + Math.min(24, (next.x - s.startPoint.x) / 2) + 4;
    y = s.startPoint.y + (next.y - s.startPoint.y) * 0.3 - 3;
  }
  return svg('text', { class: 'edge-label', 'data-edge': e.id, x: round(x), y: round(y) }, text);
}
