/**
 * Runs the demo's parts in order, writes each part's files and out/index.html, and returns the
 * records. A part that throws is reported as failed (the other parts still run, and the caller
 * decides the exit code).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderIndexHtml } from './index-page.js';
import { notRun, writePart, writeSummary, type PartRecord } from './output.js';
import type { DemoPart } from './part.js';
import { createProgress } from './progress.js';

export interface RunDemoOptions {
  readonly parts: readonly DemoPart[];
  readonly outDir: string;
  readonly quick: boolean;
  /** Show the progress bar and print summaries (default true). */
  readonly progress?: boolean;
}

export async function runDemo({ parts, outDir, quick, progress = true }: RunDemoOptions): Promise<PartRecord[]> {
  const started = performance.now();
  mkdirSync(outDir, { recursive: true });
  const bar = createProgress(
    parts.reduce((s, p) => s + p.units(quick), 0),
    progress,
  );
  const records: PartRecord[] = [];
  for (const [i, part] of parts.entries()) {
    bar.startPart(`${i + 1}/${parts.length} ${part.id}`);
    const t0 = performance.now();
    let reported = 0;
    const advance = (units = 1) => {
      reported += units;
      return bar.advance(units);
    };
    let record: PartRecord;
    try {
      const result = await part.run({ quick, progress: advance });
      record = writePart(outDir, part, result, (performance.now() - t0) / 1000);
    } catch (e) {
      const seconds = (performance.now() - t0) / 1000;
      record = notRun(part, e instanceof Error ? e.message : String(e), seconds);
      if (e instanceof Error && e.stack) bar.log(e.stack);
    }
    await bar.advance(Math.max(0, part.units(quick) - reported));
    records.push(record);
    const tag = record.status === 'ok' ? '' : ` [${record.status.toUpperCase()}]`;
    bar.log(`${i + 1}. ${part.title}${tag} (${record.seconds.toFixed(1)} s)\n   ${record.summary}`);
  }
  bar.stop();
  const seconds = (performance.now() - started) / 1000;
  writeFileSync(join(outDir, 'index.html'), renderIndexHtml(records, { quick, seconds, node: process.version }));
  writeSummary(outDir, records, { quick, seconds });
  return records;
}
