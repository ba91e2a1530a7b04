// The consumer check: installs the packages the way a user gets them and uses them from outside
// the monorepo. Builds every package, packs each with `pnpm pack` (which rewrites `workspace:`
// ranges), checks every tarball (manifest targets, publint, @arethetypeswrong/cli), installs the
// tarballs into a fresh npm project, then runs a Node ESM script (QP with gradient, LQR,
// renderViewerHtml, the `argmin` CLI), type-checks a TypeScript consumer with skipLibCheck false
// under moduleResolution nodenext and bundler, and bundles a browser page with esbuild that runs
// in headless Chromium. Exits 1 with every problem listed when anything fails.
//
//   node scripts/consumer-check.mjs [--skip-build] [--keep] [--only graph,autodiff,…]
//
// --only limits the check to some package folders (with what they depend on listed too).
//
// Needs the npm registry for the packages' third-party dependencies (as any user install does).
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { browserCheck } from './consumer-check/browser.mjs';
import { checkTarball } from './consumer-check/manifest.mjs';
import { typecheck } from './consumer-check/types.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const { values } = parseArgs({ options: { 'skip-build': { type: 'boolean' }, keep: { type: 'boolean' }, only: { type: 'string' } } });
const all = readdirSync(join(root, 'packages'));
const packages = values.only ? values.only.split(',') : all;
const unknown = packages.filter((p) => !all.includes(p));
if (unknown.length) {
  console.error(`consumer-check: no package folder ${unknown.join(', ')}; there are ${all.join(', ')}`);
  process.exit(2);
}

const problems = [];
const t0 = performance.now();
const step = (what) => console.log(`[consumer-check ${((performance.now() - t0) / 1000).toFixed(0).padStart(3)} s] ${what}`);
function sh(cmd, args, cwd, what) {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`${what} failed (${cmd} ${args.join(' ')}):\n${(r.stdout + r.stderr).trim().slice(-4000)}`);
  return r.stdout;
}

const work = mkdtempSync(join(tmpdir(), 'argmin-consumer-'));
try {
  if (!values['skip-build']) {
    step(`building ${values.only ? packages.join(', ') : 'every package'} (pnpm build)`);
    const filters = packages.flatMap((p) => ['--filter', `./packages/${p}`]);
    sh('pnpm', ['-r', ...filters, 'run', 'build'], root, 'pnpm build');
  }
  step('packing every package (pnpm pack)');
  const tarballs = join(work, 'tarballs');
  mkdirSync(tarballs);
  for (const p of packages) sh('pnpm', ['pack', '--pack-destination', tarballs], join(root, 'packages', p), `pnpm pack (${p})`);
  const tgzs = readdirSync(tarballs).filter((f) => f.endsWith('.tgz'));

  step(`checking ${tgzs.length} tarballs (manifest targets, publint, @arethetypeswrong/cli)`);
  for (const f of tgzs) problems.push(...checkTarball(join(tarballs, f)));

  step('installing the tarballs into a fresh npm project');
  const project = join(work, 'consumer');
  mkdirSync(project);
  const deps = Object.fromEntries(
    tgzs.map((f) => [`@argmin/${f.replace(/^argmin-/, '').replace(/-\d+\.\d+\.\d+.*\.tgz$/, '')}`, `file:${join(tarballs, f)}`]),
  );
  const devDependencies = { '@types/node': '20.19.43' };
  writeFileSync(
    join(project, 'package.json'),
    JSON.stringify({ name: 'argmin-consumer', private: true, type: 'module', dependencies: deps, devDependencies }, null, 2),
  );
  sh('npm', ['install', '--no-audit', '--no-fund', '--loglevel', 'error'], project, 'npm install of the tarballs');

  step('Node ESM script: QP with gradient, LQR, renderViewerHtml, argmin view');
  // A copy inside the project: Node resolves bare imports from the script's own folder, and from
  // here they would find the monorepo's workspace links instead of the installed tarballs.
  copyFileSync(new URL('./consumer-check/smoke.mjs', import.meta.url), join(project, 'smoke.mjs'));
  const smoke = spawnSync(process.execPath, ['smoke.mjs'], { cwd: project, encoding: 'utf8' });
  if (smoke.status !== 0) problems.push(`Node ESM script:\n${(smoke.stdout + smoke.stderr).trim()}`);
  else console.log(`  ${smoke.stdout.trim()}`);

  step('TypeScript consumer, skipLibCheck false, nodenext and bundler');
  problems.push(...typecheck(project));

  step('browser: esbuild bundle of a page using the packages, run in headless Chromium');
  const browser = await browserCheck(project);
  problems.push(...browser.problems);
  if (browser.bytes) console.log(`  bundle ${(browser.bytes / 1024).toFixed(0)} KB (QP, autodiff, graph, mountViewer without ELK)`);
} catch (err) {
  problems.push(err.message);
} finally {
  if (values.keep) console.log(`kept ${work}`);
  else rmSync(work, { recursive: true, force: true });
}

if (problems.length) {
  console.error(`\nconsumer check FAILED (${problems.length} problem${problems.length > 1 ? 's' : ''}):\n\n${problems.join('\n\n')}`);
  process.exit(1);
}
step('consumer check passed');
