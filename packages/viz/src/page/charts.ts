// Two small inline-SVG charts for the side panel: residual per iteration (one line per batch
// element, log scale when it spans decades) and a heatmap of a small matrix value.
import { svg } from './dom.js';
import { formatNumber } from './format.js';

const SERIES = ['#2563eb', '#db2777', '#059669', '#d97706', '#7c3aed', '#0891b2', '#dc2626', '#4b5563'];

export function residualChart(history: readonly (readonly (number | null)[])[], width = 296, height = 168): SVGSVGElement {
  const m = { l: 44, r: 10, t: 10, b: 26 };
  const pts = history.flatMap((row) => row.filter((v): v is number => typeof v === 'number' && Number.isFinite(v)));
  const n = Math.max(1, ...history.map((r) => r.length));
  const positive = pts.length > 0 && pts.every((v) => v > 0);
  const lo = pts.length ? Math.min(...pts) : 0;
  const hi = pts.length ? Math.max(...pts) : 1;
  const log = positive && hi / lo > 20;
  const [y0, y1] = log ? [Math.floor(Math.log10(lo)), Math.ceil(Math.log10(hi))] : niceRange(lo, hi);
  const fx = (i: number) => m.l + (n <= 1 ? 0 : (i / (n - 1)) * (width - m.l - m.r));
  const fy = (v: number) => {
    const t = log ? (Math.log10(v) - y0) / (y1 - y0 || 1) : (v - y0) / (y1 - y0 || 1);
    return height - m.b - t * (height - m.t - m.b);
  };

  const root = svg('svg', {
    class: 'chart',
    width,
    height,
    viewBox: `0 0 ${width} ${height}`,
    role: 'img',
    'aria-label': 'Residual per iteration',
  });
  const yTicks = log ? range(y0, y1, Math.max(1, Math.ceil((y1 - y0) / 5))).map((e) => 10 ** e) : linearTicks(y0, y1);
  for (const v of yTicks) {
    const y = fy(v);
    root.append(svg('line', { class: 'grid', x1: m.l, x2: width - m.r, y1: y, y2: y }));
    root.append(
      svg(
        'text',
        { class: 'tick', x: m.l - 6, y: y + 3.5, 'text-anchor': 'end' },
        log ? `1e${Math.round(Math.log10(v))}` : formatNumber(v),
      ),
    );
  }
  for (const i of linearTicks(0, n - 1).filter((t) => Number.isInteger(t))) {
    root.append(svg('text', { class: 'tick', x: fx(i), y: height - m.b + 14, 'text-anchor': 'middle' }, String(i)));
  }
  root.append(svg('line', { class: 'axis', x1: m.l, x2: width - m.r, y1: height - m.b, y2: height - m.b }));
  root.append(svg('text', { class: 'axis-label', x: width - m.r, y: height - 2, 'text-anchor': 'end' }, 'iteration'));

  history.forEach((row, b) => {
    let d = '';
    row.forEach((v, i) => {
      if (typeof v !== 'number' || !Number.isFinite(v) || (log && v <= 0)) return;
      d += `${d ? 'L' : 'M'}${fx(i).toFixed(1)},${fy(v).toFixed(1)}`;
    });
    if (d) root.append(svg('path', { class: 'series', d, stroke: SERIES[b % SERIES.length], 'data-batch': b }));
  });
  return root;
}

export const seriesColor = (b: number): string => SERIES[b % SERIES.length]!;

/** The last two dimensions as rows × columns (the first matrix of a batch); null for scalars. */
export function matrixOf(data: readonly (number | null)[], shape: readonly number[]): { rows: number; cols: number } | null {
  if (shape.length === 0) return null;
  const cols = shape[shape.length - 1]!;
  const rows = shape.length >= 2 ? shape[shape.length - 2]! : 1;
  if (rows * cols === 0 || data.length < rows * cols) return null;
  return { rows, cols };
}

const MAX_CELLS = 64;

export function heatmap(data: readonly (number | null)[], shape: readonly number[], width = 296): SVGSVGElement | null {
  const mat = matrixOf(data, shape);
  if (!mat) return null;
  const rows = Math.min(mat.rows, MAX_CELLS);
  const cols = Math.min(mat.cols, MAX_CELLS);
  const cell = Math.max(2, Math.min(18, Math.floor(width / cols)));
  const finite = data.slice(0, mat.rows * mat.cols).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  const lo = Math.min(0, ...finite);
  const hi = Math.max(0, ...finite);
  const diverging = lo < 0 && hi > 0;
  const scale = Math.max(Math.abs(lo), Math.abs(hi)) || 1;
  const color = (v: number | null) => {
    if (typeof v !== 'number' || !Number.isFinite(v)) return '#e5e7eb';
    if (diverging) return v < 0 ? mix([255, 255, 255], [37, 99, 235], -v / scale) : mix([255, 255, 255], [220, 38, 38], v / scale);
    const t = (v - lo) / (hi - lo || 1);
    return mix([238, 242, 255], [49, 46, 129], t);
  };
  const root = svg('svg', {
    class: 'heatmap',
    width: cols * cell,
    height: rows * cell,
    viewBox: `0 0 ${cols * cell} ${rows * cell}`,
    role: 'img',
    'aria-label': `Heatmap ${mat.rows}×${mat.cols}`,
  });
  const titled = rows * cols <= 400;
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const v = data[r * mat.cols + c] ?? null;
      const rect = svg('rect', { x: c * cell, y: r * cell, width: cell, height: cell, fill: color(v) });
      if (titled) rect.append(svg('title', {}, `[${r}, ${c}] = ${formatNumber(v ?? undefined)}`));
      root.append(rect);
    }
  }
  return root;
}

function mix(a: readonly number[], b: readonly number[], t: number): string {
  const u = Math.max(0, Math.min(1, t));
  return `rgb(${a.map((x, i) => Math.round(x + (b[i]! - x) * u)).join(',')})`;
}

function niceRange(lo: number, hi: number): [number, number] {
  if (lo === hi) return [lo - 1, hi + 1];
  const step = niceStep((hi - lo) / 4);
  return [Math.floor(lo / step) * step, Math.ceil(hi / step) * step];
}

function linearTicks(lo: number, hi: number): number[] {
  if (hi <= lo) return [lo];
  const step = niceStep((hi - lo) / 4);
  return range(Math.ceil(lo / step), Math.floor(hi / step), 1).map((i) => Number((i * step).toPrecision(12)));
}

function niceStep(raw: number): number {
  const p = 10 ** Math.floor(Math.log10(raw));
  const f = raw / p;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * p;
}

function range(a: number, b: number, step: number): number[] {
  const out: number[] = [];
  for (let v = a; v <= b; v += step) out.push(v);
  return out;
}
