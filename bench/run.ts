/**
 * `pnpm bench`: runs every `bench/*.bench.ts` module, prints one table and writes it to
 * bench/results.json. `pnpm bench -- --quick` runs fewer repetitions; `--only qp,lml` picks modules.
 * Every timing is a median over repeated runs (never a best-of), and the machine's load average
 * is recorded beside it: on a shared machine a figure means little without the load it ran under.
 * Each module runs in its own process, so no module's figures depend on what ran before it (JIT
 * state, heap, and V8's process-wide fast paths: one detached ArrayBuffer, as tfjs or a fetch
 * body leaves, slows every typed-array loop in the process for good; see docs/performance.md).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { printRows } from './timing.js';
import type { BenchRow } from './types.js';

const quick = process.argv.includes('--quick');
const onlyArg = process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length);
const only = onlyArg ? new Set(onlyArg.split(',')) : null;
const dir = new URL('.', import.meta.url);
const modules = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts'))
  .sort();
const rows: BenchRow[] = [];
const loadBefore = loadavg()[0]!;
const scratch = mkdtempSync(join(tmpdir(), 'argmin-bench-'));
for (const file of modules) {
  const name = file.replace('.bench.ts', '');
  if (only && !only.has(name)) continue;
  process.stderr.write(`running ${file}…\n`);
  // A fresh node with this one's loader flags (tsx, --conditions=source) runs the module's run()
  // and writes its rows as JSON.
  const out = join(scratch, `${name}.json`);
  const script = [
    `const mod = await import(${JSON.stringify(new URL(file, dir).href)});`,
    `const rows = await mod.run({ quick: ${quick} });`,
    `(await import('node:fs')).writeFileSync(${JSON.stringify(out)}, JSON.stringify(rows));`,
  ].join('\n');
  execFileSync(process.execPath, [...process.execArgv, '--input-type=module', '-e', script], { stdio: ['ignore', 'inherit', 'inherit'] });
  rows.push(...(JSON.parse(readFileSync(out, 'utf8')) as BenchRow[]));
}
rmSync(scratch, { recursive: true, force: true });
printRows(rows);
const load = { before: loadBefore, after: loadavg()[0]! };
const machine = { node: process.version, cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, date: new Date().toISOString() };
writeFileSync(new URL('results.json', dir), `${JSON.stringify({ machine, statistic: 'median', load, quick, rows }, null, 2)}\n`);
console.log(`\nall timings are medians; 1-minute load average ${load.before.toFixed(2)} before, ${load.after.toFixed(2)} after`);
console.log(`\nwrote bench/results.json (${rows.length} rows)`);
