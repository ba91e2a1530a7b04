/**
 * Charts for the examples, drawn server-side with @observablehq/plot on linkedom's document and
 * returned as standalone SVG text (usable as a .svg file and inline in HTML). Series are labelled
 * at their ends rather than by a legend, so the output stays one <svg> element.
 */
import * as Plot from '@observablehq/plot';
import { parseHTML } from 'linkedom';

const SVG_NS = 'http://www.w3.org/2000/svg';

/** A palette that reads well on white and in print (Observable's "observable10" start). */
export const COLORS = ['#4269d0', '#ff725c', '#3ca951', '#a463f2', '#efb118', '#6cc5b0', '#ff8ab7', '#9c6b4e'];

/**
 * Renders Plot options to SVG text (the document is supplied here). Log axes without their own
 * tickFormat get readable labels: plain numbers (0.001 … 1000, not SI prefixes such as `1m`,
 * which read as units like metres or minutes), powers of ten only when the axis spans three
 * decades or more, else 2× and 5× as well, and every other tick left unlabeled.
 */
export function plotSvg(options: Plot.PlotOptions): string {
  const { document } = parseHTML('<html><body></body></html>');
  const axes = { x: readableLog(options.x), y: readableLog(options.y) };
  const node = Plot.plot({ ...options, ...axes, document } as Plot.PlotOptions) as unknown as { outerHTML: string; tagName: string };
  if (node.tagName.toLowerCase() !== 'svg') throw new Error('plotSvg: the plot must be a single SVG (no legend or caption)');
  let svg = node.outerHTML;
  if (!svg.includes('xmlns=')) svg = svg.replace('<svg', `<svg xmlns="${SVG_NS}"`);
  return svg;
}

export interface Series {
  readonly name: string;
  readonly x: readonly number[];
  readonly y: readonly number[];
  /** Dashed line (e.g. a reference or a held-out curve). */
  readonly dashed?: boolean;
  readonly color?: string | undefined;
}

export interface LineChartOptions {
  readonly series: readonly Series[];
  readonly xLabel: string;
  readonly yLabel: string;
  readonly logY?: boolean;
  /** Horizontal reference lines with their labels. */
  readonly rules?: readonly { y: number; label: string; color?: string | undefined }[];
  /** Vertical markers (e.g. where a training phase starts). */
  readonly marks?: readonly { x: number; label: string }[];
  readonly width?: number;
  readonly height?: number;
}

type Row = { x: number; y: number };

/**
 * Tick labels of a log axis spanning `span` decades: over three decades or more only powers of
 * ten, else also 2× and 5×;
 * written 0.01 … 100 and 1e-5 beyond (SI prefixes such as 100µ read as units).
 */
function logTick(span: number, d: number): string {
  const k = Math.floor(Math.log10(d) + 1e-9);
  const mantissa = Math.round(d / 10 ** k);
  if (Math.abs(d / 10 ** k - mantissa) > 1e-6 || !(mantissa === 1 || (span < 3 && (mantissa === 2 || mantissa === 5)))) return '';
  return k >= -3 && k <= 3 ? String(Number(d.toPrecision(1))) : `${mantissa}e${k}`;
}

type ScaleOptions = Plot.PlotOptions['x'];

function readableLog(scale: ScaleOptions): ScaleOptions {
  if (scale?.type !== 'log' || scale.tickFormat !== undefined) return scale;
  // Plot passes tickFormat no tick list: the span comes from a given domain, else the axis is
  // taken to be wide (powers of ten only, which every log axis of three decades or more shows).
  const domain = (scale.domain as readonly number[] | undefined)?.filter((v) => typeof v === 'number' && v > 0);
  const span = domain && domain.length >= 2 ? Math.log10(Math.max(...domain) / Math.min(...domain)) : 3;
  return { ...scale, tickFormat: (d: number) => logTick(span, d) };
}

interface LegendItem {
  readonly label: string;
  readonly color: string;
  readonly dash: 'solid' | 'dashed' | 'dotted';
}

const CHAR_PX = 6.3; // average width of an 11px system-ui character

/** Legend entries laid out in rows above the frame (x offset and row of each). */
function layoutLegend(items: readonly LegendItem[], width: number): { item: LegendItem; dx: number; row: number }[] {
  const out: { item: LegendItem; dx: number; row: number }[] = [];
  let [dx, row] = [0, 0];
  for (const item of items) {
    const w = 30 + CHAR_PX * item.label.length + 16;
    if (dx > 0 && dx + w > width) [dx, row] = [0, row + 1];
    out.push({ item, dx, row });
    dx += w;
  }
  return out;
}

/** A function mark (Plot calls it with the document) drawing the legend's swatches and labels. */
function legendMark(
  placed: readonly { item: LegendItem; dx: number; row: number }[],
  left: number,
  yLabel: string,
  top: number,
): Plot.Markish {
  return ((_index: unknown, _scales: unknown, _values: unknown, _dimensions: unknown, context: { document: Document }) => {
    const doc = context.document;
    const g = doc.createElementNS(SVG_NS, 'g');
    g.setAttribute('aria-label', 'legend');
    for (const { item, dx, row } of placed) {
      const y = 12 + 18 * row;
      const line = doc.createElementNS(SVG_NS, 'line');
      for (const [k, v] of Object.entries({ x1: left + dx, x2: left + dx + 22, y1: y, y2: y, stroke: item.color, 'stroke-width': 2.5 }))
        line.setAttribute(k, String(v));
      if (item.dash !== 'solid') line.setAttribute('stroke-dasharray', item.dash === 'dashed' ? '5,3' : '2,3');
      const text = doc.createElementNS(SVG_NS, 'text');
      for (const [k, v] of Object.entries({ x: left + dx + 28, y, dy: '0.35em', 'text-anchor': 'start', fill: '#333' }))
        text.setAttribute(k, String(v));
      text.textContent = item.label;
      g.append(line, text);
    }
    // Plot puts a top-anchored y label at the very top of the SVG, where the legend is; it is drawn here instead.
    const label = doc.createElementNS(SVG_NS, 'text');
    for (const [k, v] of Object.entries({ x: 3, y: top - 10, 'text-anchor': 'start', fill: 'currentColor' }))
      label.setAttribute(k, String(v));
    label.textContent = yLabel;
    g.append(label);
    return g;
  }) as unknown as Plot.Markish;
}

/** Loss curves (or any x–y series) with a legend above the plot, reference rules included. */
export function lineChart(options: LineChartOptions): string {
  const width = options.width ?? 640;
  const marginLeft = 56;
  const marks: Plot.Markish[] = [];
  const legend: LegendItem[] = [];
  for (const [i, s] of options.series.entries()) {
    const rows: Row[] = s.x.map((x, j) => ({ x, y: s.y[j]! })).filter((r) => Number.isFinite(r.y) && (!options.logY || r.y > 0));
    if (rows.length === 0) continue;
    const stroke = s.color ?? COLORS[i % COLORS.length]!;
    marks.push(Plot.line(rows, { x: 'x', y: 'y', stroke, strokeWidth: 2, ...(s.dashed ? { strokeDasharray: '5,4' } : {}) }));
    if (rows.length < 40) marks.push(Plot.dot(rows, { x: 'x', y: 'y', fill: stroke, r: 2 }));
    legend.push({ label: s.name, color: stroke, dash: s.dashed ? 'dashed' : 'solid' });
  }
  for (const r of options.rules ?? []) {
    const color = r.color ?? '#777';
    marks.push(Plot.ruleY([r.y], { stroke: color, strokeWidth: 1.5, strokeDasharray: '2,3' }));
    legend.push({ label: r.label, color, dash: 'dotted' });
  }
  for (const m of options.marks ?? []) {
    marks.push(Plot.ruleX([m.x], { stroke: '#bbb' }));
    marks.push(
      Plot.text([m.x], {
        x: (d: number) => d,
        frameAnchor: 'top',
        text: () => m.label,
        fill: '#777',
        textAnchor: 'start',
        dx: 4,
        dy: 4,
        fontSize: 10,
      }),
    );
  }
  // The legend sits in the top margin, above the y-axis label: one row of 18 px per line.
  const ys = [...options.series.flatMap((s) => s.y), ...(options.rules ?? []).map((r) => r.y)].filter((y) => y > 0 && Number.isFinite(y));
  const decades = ys.length > 0 ? Math.log10(Math.max(...ys) / Math.min(...ys)) : 0;
  const placed = layoutLegend(legend, width - marginLeft);
  const rows = placed.length === 0 ? 0 : placed[placed.length - 1]!.row + 1;
  const marginTop = 30 + 18 * rows;
  marks.push(legendMark(placed, marginLeft, options.yLabel, marginTop));
  return plotSvg({
    width,
    height: (options.height ?? 290) + 18 * rows,
    marginTop,
    marginRight: 20,
    marginLeft,
    style: { fontSize: '11px', background: 'white' },
    x: { label: options.xLabel, labelAnchor: 'center', labelArrow: 'none', grid: true },
    y: { label: null, grid: true, ...(options.logY ? { type: 'log', tickFormat: (d: number) => logTick(decades, d) } : {}) },
    marks,
  } as Plot.PlotOptions);
}
