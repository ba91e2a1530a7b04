/**
 * `pnpm bench`: runs every `bench/*.bench.ts` module, prints one table and writes it to
 * bench/results.json. `pnpm bench -- --quick` runs fewer repetitions; `--only qp,lml` picks modules.
 * Every timing is a median over repeated runs (never a best-of), and the machine's load average
 * is recorded beside it: on a shared machine a figure means little without the load it ran under.
 */
import { readdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { printRows } from './timing.js';
import type { BenchModule, BenchRow } from './types.js';

const quick = process.argv.includes('--quick');
const onlyArg = process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length);
const only = onlyArg ? new Set(onlyArg.split(',')) : null;
const dir = new URL('.', import.meta.url);
const modules = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts'))
  .sort();
const rows: BenchRow[] = [];
const loadBefore = loadavg()[0]!;
for (const file of modules) {
  const name = file.replace('.bench.ts', '');
  if (only && !only.has(name)) continue;
  process.stderr.write(`running ${file}…\n`);
  const mod = (await import(new URL(file, dir).href)) as BenchModule;
  rows.push(...(await mod.run({ quick })));
}
printRows(rows);
const load = { before: loadBefore, after: loadavg()[0]! };
const machine = { node: process.version, cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, date: new Date().toISOString() };
writeFileSync(new URL('results.json', dir), `${JSON.stringify({ machine, statistic: 'median', load, quick, rows }, null, 2)}\n`);
console.log(`\nall timings are medians; 1-minute load average ${load.before.toFixed(2)} before, ${load.after.toFixed(2)} after`);
console.log(`\nwrote bench/results.json (${rows.length} rows)`);
