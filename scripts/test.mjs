// `pnpm test`: prepares what the browser tests need on a fresh machine, then runs every test.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const ensure = new URL('./ensure-chromium.mjs', import.meta.url);
if (existsSync(ensure)) {
  const r = spawnSync(process.execPath, [ensure.pathname], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
const args = ['vitest', 'run', ...process.argv.slice(2)];
const r = spawnSync('pnpm', ['exec', ...args], { stdio: 'inherit' });
process.exit(r.status ?? 1);
