/**
 * The live playground (out/playground.html), bundled for the browser by playground.ts: argmin
 * runs in the page. Points x_i are projected onto a polytope P = {z : Gz ≤ h} by one batched
 * QP, z_i = argmin ½‖z − x_i‖² s.t. Gz ≤ h, and L = ½ Σ‖z_i − x_i‖² is differentiated through
 * the QP's implicit (KKT) VJP. Drag a point or a vertex: the projections, the descent arrows
 * −∂L/∂x_i and −∂L/∂h_j (how pushing face j outwards would shrink L), and the interior-point
 * iterations update on every move. A solve takes well under a millisecond, so it runs on the
 * main thread (a Web Worker would only add latency).
 */
// First: the page's CSP forbids eval, and zod (inside the library) would probe for it on load.
import '@argmin/viz/strict-csp';
import { mul, sub, sum, type Tensor, tensor, valueAndGrad } from '@argmin/autodiff';
import { qp } from '@argmin/nodes-convex';

type Pt = { x: number; y: number };

const NS = 'http://www.w3.org/2000/svg';
const I2 = tensor([
  [1, 0],
  [0, 1],
]);
/** Plane coordinates: [-3, 3]² mapped onto a 600×600 SVG. */
const SCALE = 100;
const toSvg = (p: Pt): Pt => ({ x: 300 + p.x * SCALE, y: 300 - p.y * SCALE });
const fromSvg = (p: Pt): Pt => ({ x: (p.x - 300) / SCALE, y: (300 - p.y) / SCALE });

const state = {
  vertices: [
    { x: -1.2, y: -0.9 },
    { x: 1.1, y: -1.1 },
    { x: 1.5, y: 0.5 },
    { x: 0.2, y: 1.4 },
    { x: -1.4, y: 0.6 },
  ] as Pt[],
  points: [
    { x: -2.2, y: 1.9 },
    { x: 2.4, y: 1.6 },
    { x: 0.3, y: -2.3 },
    { x: 0.1, y: 0.2 },
  ] as Pt[],
};

/** Halfspaces of the convex polygon through the vertices (counter-clockwise): outward normals. */
function halfspaces(vs: readonly Pt[]): { G: number[][]; h: number[] } {
  const G: number[][] = [];
  const h: number[] = [];
  const area = vs.reduce((s, a, i) => {
    const b = vs[(i + 1) % vs.length]!;
    return s + a.x * b.y - b.x * a.y;
  }, 0);
  const sign = area >= 0 ? 1 : -1; // clockwise input: flip the normals
  vs.forEach((a, i) => {
    const b = vs[(i + 1) % vs.length]!;
    let nx = sign * (b.y - a.y);
    let ny = sign * (a.x - b.x);
    const len = Math.hypot(nx, ny) || 1;
    nx /= len;
    ny /= len;
    G.push([nx, ny]);
    h.push(nx * a.x + ny * a.y);
  });
  return { G, h };
}

interface Solved {
  readonly z: Pt[];
  readonly loss: number;
  readonly dx: Pt[];
  readonly dh: number[];
  readonly iterations: readonly number[];
  readonly residual: readonly number[];
  readonly status: readonly string[];
  readonly ms: number;
}

function solve(): Solved {
  const { G, h } = halfspaces(state.vertices);
  const x = tensor(state.points.map((p) => [p.x, p.y]));
  const Gt = tensor(G);
  let info: { iterations: readonly number[]; residual: readonly number[]; status: readonly string[] } | undefined;
  let zT: Tensor | undefined;
  const t0 = performance.now();
  const [loss, [gx, gh]] = valueAndGrad(
    (xs: Tensor, hs: Tensor) => {
      const out = qp({ Q: I2, p: mul(xs, -1), G: Gt, h: hs });
      info = out.info;
      zT = out.z;
      const r = sub(out.z, xs);
      return mul(sum(mul(r, r)), 0.5);
    },
    { argnums: [0, 1] },
  )(x, tensor(h));
  const ms = performance.now() - t0;
  const zs = zT!.data;
  const pts = (d: Float64Array) => state.points.map((_, i) => ({ x: d[2 * i]!, y: d[2 * i + 1]! }));
  return {
    z: pts(zs),
    loss: loss.data[0]!,
    dx: pts((gx as Tensor).data),
    dh: Array.from((gh as Tensor).data),
    iterations: info!.iterations,
    residual: info!.residual,
    status: info!.status,
    ms,
  };
}

const el = <K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>, parent?: Element) => {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  parent?.append(e);
  return e;
};

const svg = document.getElementById('plane') as unknown as SVGSVGElement;
const layer = el('g', {}, svg);
const table = document.getElementById('iterations')!;
const summary = document.getElementById('summary')!;
let solves = 0;

function arrow(from: Pt, d: Pt, cls: string, parent: Element): void {
  const a = toSvg(from);
  const b = toSvg({ x: from.x + d.x, y: from.y + d.y });
  if (Math.hypot(b.x - a.x, b.y - a.y) < 2) return;
  el('line', { x1: a.x, y1: a.y, x2: b.x, y2: b.y, class: cls, 'marker-end': `url(#head-${cls})` }, parent);
}

function draw(): void {
  const s = solve();
  solves++;
  layer.replaceChildren();
  const poly = state.vertices.map((v) => toSvg(v));
  el('polygon', { points: poly.map((p) => `${p.x},${p.y}`).join(' '), class: 'polytope' }, layer);
  const { G } = halfspaces(state.vertices);
  // Face arrows: −∂L/∂h_j along the outward normal of face j, from the face's midpoint.
  state.vertices.forEach((a, j) => {
    const b = state.vertices[(j + 1) % state.vertices.length]!;
    const mid = { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 };
    const n = G[j]!;
    const k = -s.dh[j]! * 0.35;
    arrow(mid, { x: n[0]! * k, y: n[1]! * k }, 'grad-h', layer);
  });
  state.points.forEach((p, i) => {
    const a = toSvg(p);
    const z = toSvg(s.z[i]!);
    el('line', { x1: a.x, y1: a.y, x2: z.x, y2: z.y, class: 'link' }, layer);
    arrow(p, { x: -s.dx[i]!.x * 0.5, y: -s.dx[i]!.y * 0.5 }, 'grad-x', layer);
  });
  state.vertices.forEach((v, i) => {
    const q = toSvg(v);
    el('circle', { cx: q.x, cy: q.y, r: 8, class: 'vertex handle', 'data-vertex': i }, layer);
  });
  s.z.forEach((zp, i) => {
    const z = toSvg(zp);
    el('circle', { cx: z.x, cy: z.y, r: 6, class: 'solution', 'data-solution': i }, layer);
  });
  state.points.forEach((p, i) => {
    const q = toSvg(p);
    el('circle', { cx: q.x, cy: q.y, r: 9, class: 'point handle', 'data-point': i }, layer);
  });

  table.replaceChildren();
  s.iterations.forEach((it, i) => {
    const tr = document.createElement('tr');
    const z = s.z[i]!;
    for (const text of [`x${i + 1}`, `(${z.x.toFixed(2)}, ${z.y.toFixed(2)})`, String(it), s.residual[i]!.toExponential(1), s.status[i]!]) {
      const td = document.createElement('td');
      td.textContent = text;
      tr.append(td);
    }
    table.append(tr);
  });
  summary.textContent = `L = ${s.loss.toFixed(4)} · ${s.ms.toFixed(1)} ms per solve + gradient · ${solves} solves`;
  Object.assign(document.body.dataset, {
    state: 'ready',
    solves: String(solves),
    solution: JSON.stringify(s.z.map((z) => [round(z.x), round(z.y)])),
    gradX: JSON.stringify(s.dx.map((d) => [round(d.x), round(d.y)])),
    gradH: JSON.stringify(s.dh.map(round)),
    iterations: JSON.stringify(s.iterations),
  });
}
const round = (v: number) => Math.round(v * 1e6) / 1e6;

// Dragging: pointer capture keeps the drag alive when the pointer leaves the handle.
let dragging: { list: Pt[]; index: number } | undefined;
svg.addEventListener('pointerdown', (e) => {
  const t = e.target as Element;
  const p = t.getAttribute('data-point');
  const v = t.getAttribute('data-vertex');
  if (p === null && v === null) return;
  dragging = p !== null ? { list: state.points, index: Number(p) } : { list: state.vertices, index: Number(v) };
  svg.setPointerCapture(e.pointerId);
  e.preventDefault();
});
svg.addEventListener('pointermove', (e) => {
  if (!dragging) return;
  const r = svg.getBoundingClientRect();
  const q = fromSvg({ x: ((e.clientX - r.left) / r.width) * 600, y: ((e.clientY - r.top) / r.height) * 600 });
  const next = { x: Math.max(-2.9, Math.min(2.9, q.x)), y: Math.max(-2.9, Math.min(2.9, q.y)) };
  const prev = dragging.list[dragging.index]!;
  dragging.list[dragging.index] = next;
  if (dragging.list === state.vertices && !isConvex(state.vertices)) dragging.list[dragging.index] = prev; // keep P convex
  draw();
});
const stop = () => {
  dragging = undefined;
};
svg.addEventListener('pointerup', stop);
svg.addEventListener('pointercancel', stop);

/** Strictly convex polygon: every turn has the same sign. */
function isConvex(vs: readonly Pt[]): boolean {
  let sign = 0;
  for (let i = 0; i < vs.length; i++) {
    const a = vs[i]!;
    const b = vs[(i + 1) % vs.length]!;
    const c = vs[(i + 2) % vs.length]!;
    const cross = (b.x - a.x) * (c.y - b.y) - (b.y - a.y) * (c.x - b.x);
    if (Math.abs(cross) < 1e-9) return false;
    if (sign === 0) sign = Math.sign(cross);
    else if (Math.sign(cross) !== sign) return false;
  }
  return true;
}

try {
  draw();
} catch (err) {
  document.body.dataset.state = 'error';
  summary.textContent = `The solver failed: ${(err as Error).message}`;
}
