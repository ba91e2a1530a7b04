// Makes sure Debian's Chromium is installed, for the viewer's browser tests (playwright-core drives
// /usr/bin/chromium; no browser is downloaded). Idempotent: a no-op when the binary is present.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const CHROMIUM = '/usr/bin/chromium';

if (existsSync(CHROMIUM)) process.exit(0);

function run(cmd, args, env = {}) {
  console.log(`ensure-chromium: $ ${[cmd, ...args].join(' ')}`);
  const r = spawnSync(cmd, args, { stdio: 'inherit', env: { ...process.env, ...env } });
  if (r.error) fail(`could not run ${cmd}: ${r.error.message}`);
  if (r.status !== 0) fail(`${cmd} ${args.join(' ')} exited with status ${r.status}`);
}

function fail(message) {
  console.error(`ensure-chromium: ${message}`);
  console.error(`ensure-chromium: install Chromium by hand (Debian: apt-get install -y chromium) so that ${CHROMIUM} exists.`);
  process.exit(1);
}

const apt = spawnSync('sh', ['-c', 'command -v apt-get'], { encoding: 'utf8' });
if (apt.status !== 0) fail(`${CHROMIUM} is missing and apt-get is unavailable on this machine.`);
const asRoot = typeof process.getuid !== 'function' || process.getuid() === 0;
const sudo = asRoot ? [] : ['sudo'];
const [cmd, ...pre] = [...sudo, 'apt-get'];

console.log(`ensure-chromium: ${CHROMIUM} is missing; installing Debian's chromium package.`);
run(cmd, [...pre, 'update']);
run(cmd, [...pre, 'install', '-y', 'chromium'], { DEBIAN_FRONTEND: 'noninteractive' });
if (!existsSync(CHROMIUM)) fail(`apt-get finished but ${CHROMIUM} still does not exist.`);
console.log(`ensure-chromium: installed ${CHROMIUM}.`);
