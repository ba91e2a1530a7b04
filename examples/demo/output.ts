/** Writes a part's files: graph JSON, viewer page, figures; and the summary of all parts. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { serializeGraph, toJSON } from '@argmin/graph';
import { renderViewerHtml } from '@argmin/viz/node';
import type { DemoPart, PartResult } from './part.js';

/** What the index page and summary.json know about a part (file names are relative to out/). */
export interface PartRecord {
  readonly id: string;
  readonly title: string;
  readonly reference: string;
  readonly status: 'ok' | 'failed';
  readonly summary: string;
  readonly description: string;
  readonly seconds: number;
  readonly files: { readonly graph?: string; readonly viewer?: string; readonly figures: { title: string; file: string; svg: string }[] };
  readonly metrics: PartResult['metrics'];
  readonly graphSize?: { nodes: number; values: number };
}

export function writePart(outDir: string, part: DemoPart, result: PartResult, seconds: number): PartRecord {
  mkdirSync(outDir, { recursive: true });
  const graphFile = `${part.id}.graph.json`;
  const viewerFile = `${part.id}.viewer.html`;
  writeFileSync(join(outDir, graphFile), serializeGraph(result.graph));
  const json = toJSON(result.graph);
  writeFileSync(join(outDir, viewerFile), renderViewerHtml(json, { title: `${part.title} · argmin` }));
  const figures = result.figures.map((f) => {
    const file = `${part.id}.${f.name}.svg`;
    writeFileSync(join(outDir, file), f.svg);
    return { title: f.title, file, svg: f.svg };
  });
  return {
    id: part.id,
    title: part.title,
    reference: part.reference,
    status: 'ok',
    summary: result.summary,
    description: result.description,
    seconds,
    files: { graph: graphFile, viewer: viewerFile, figures },
    metrics: result.metrics,
    graphSize: { nodes: json.nodes.length, values: json.values.length },
  };
}

/** The record of a part whose run threw: its error message stands in for the summary. */
export function notRun(part: DemoPart, reason: string, seconds: number): PartRecord {
  return {
    id: part.id,
    title: part.title,
    reference: part.reference,
    status: 'failed',
    summary: reason,
    description: '',
    seconds,
    files: { figures: [] },
    metrics: {},
  };
}

/** summary.json: every part's status, summary line and metrics (without the inline SVG). */
export function writeSummary(outDir: string, records: readonly PartRecord[], meta: Record<string, unknown>): void {
  const parts = records.map(({ files, ...r }) => ({ ...r, files: { ...files, figures: files.figures.map(({ svg: _svg, ...f }) => f) } }));
  writeFileSync(join(outDir, 'summary.json'), `${JSON.stringify({ ...meta, parts }, null, 2)}\n`);
}
