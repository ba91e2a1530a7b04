/**
 * The argmin demo: every node family trained end to end, on CPU, in a few minutes.
 *
 *   pnpm demo [--quick] [--out DIR] [--only id,id]
 *
 * Writes to DIR (default ./out): per part its traced graph (<id>.graph.json), the graph viewer
 * (<id>.viewer.html) and its figures (<id>.<name>.svg), then index.html linking them all,
 * summary.json with every part's numbers, and playground.html (the library live in the
 * browser). Seeded: two runs give the same results.
 */
import { resolve } from 'node:path';
import { DEMO_PARTS } from './demo/parts.js';
import { writePlayground } from './demo/playground.js';
import { runDemo } from './demo/run.js';

const args = process.argv.slice(2);
const option = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const quick = args.includes('--quick');
const outDir = resolve(option('--out') ?? 'out');
const only = option('--only')?.split(',');
const parts = only ? DEMO_PARTS.filter((p) => only.includes(p.id)) : DEMO_PARTS;
if (only && parts.length !== only.length) {
  console.error(`unknown part in --only ${only.join(',')}; parts are ${DEMO_PARTS.map((p) => p.id).join(', ')}`);
  process.exit(2);
}

console.log(`argmin demo${quick ? ' (quick)' : ''}: ${parts.length} parts → ${outDir}`);
const records = await runDemo({ parts, outDir, quick });
const failed = records.filter((r) => r.status === 'failed');
// The live page: the library running in the browser (see examples/demo/playground.ts).
const playground = await writePlayground(outDir);
console.log(`\nopen ${resolve(outDir, 'index.html')}\nlive playground: ${playground}`);
if (failed.length > 0) {
  console.error(`${failed.length} part(s) failed: ${failed.map((r) => r.id).join(', ')}`);
  process.exitCode = 1;
}
