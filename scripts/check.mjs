// `pnpm check`: the static checks CI runs before the tests — typecheck, lint and format, the line
// budget, plugin versions in step with package.json. Runs them all and reports every failure.
import { spawnSync } from 'node:child_process';

const steps = [
  ['typecheck', 'pnpm', ['exec', 'tsc', '-p', 'tsconfig.json', '--noEmit']],
  ['lint', 'pnpm', ['exec', 'biome', 'check', '.']],
  ['line budget', process.execPath, ['scripts/loc-budget.mjs']],
  ['plugin versions', process.execPath, ['scripts/sync-versions.mjs', '--check']],
];

const failed = [];
for (const [name, cmd, args] of steps) {
  const started = performance.now();
  const r = spawnSync(cmd, args, { stdio: 'inherit' });
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(`${r.status === 0 ? 'ok  ' : 'FAIL'} ${name} (${seconds} s)`);
  if (r.status !== 0) failed.push(name);
}
if (failed.length) {
  console.error(`check failed: ${failed.join(', ')}`);
  process.exit(1);
}
