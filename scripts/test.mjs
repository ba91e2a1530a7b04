// `pnpm test`, the README's test command and what CI runs: the static checks (scripts/check.mjs),
// then every test. It prepares what the browser tests need on a fresh machine first.
// `pnpm test:unit [vitest args]` runs the tests alone.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const run = (cmd, args) => spawnSync(cmd, args, { stdio: 'inherit' }).status ?? 1;

const checked = run(process.execPath, [new URL('./check.mjs', import.meta.url).pathname]);
if (checked !== 0) process.exit(checked);
const ensure = new URL('./ensure-chromium.mjs', import.meta.url);
if (existsSync(ensure)) {
  const status = run(process.execPath, [ensure.pathname]);
  if (status !== 0) process.exit(status);
}
process.exit(run('pnpm', ['exec', 'vitest', 'run', ...process.argv.slice(2)]));
