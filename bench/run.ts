/**
 * `pnpm bench`: runs every `bench/*.bench.ts` module, prints one table and writes it to
 * bench/results.json. `pnpm bench -- --quick` runs fewer repetitions; `--only qp,lml` picks modules.
 */
import { readdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
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
for (const file of modules) {
  const name = file.replace('.bench.ts', '');
  if (only && !only.has(name)) continue;
  process.stderr.write(`running ${file}…\n`);
  const mod = (await import(new URL(file, dir).href)) as BenchModule;
  rows.push(...(await mod.run({ quick })));
}
printRows(rows);
const machine = { node: process.version, cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, date: new Date().toISOString() };
writeFileSync(new URL('results.json', dir), `${JSON.stringify({ machine, quick, rows }, null, 2)}\n`);
console.log(`\nwrote bench/results.json (${rows.length} rows)`);
