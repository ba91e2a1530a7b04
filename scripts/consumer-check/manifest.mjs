// Static checks of one packed package (a .tgz from `pnpm pack`): what a registry would serve.
// No `workspace:` ranges left, every file the manifest points at is in the tarball, then publint
// and @arethetypeswrong/cli on it. Returns a list of problems (empty: the package is fine).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const bin = (name) => join(root, 'node_modules', '.bin', name);
const DEP_FIELDS = ['dependencies', 'peerDependencies', 'optionalDependencies'];

/** Every file path an `exports` value points at (all conditions, all subpaths). */
function exportTargets(value, out = []) {
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) for (const v of value) exportTargets(v, out);
  else if (value && typeof value === 'object') for (const v of Object.values(value)) exportTargets(v, out);
  return out;
}

export function checkTarball(tgz, { tools = true } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'argmin-manifest-'));
  try {
    const untar = spawnSync('tar', ['-xzf', tgz, '-C', dir], { encoding: 'utf8' });
    if (untar.status !== 0) return [`cannot extract ${tgz}: ${untar.stderr.trim()}`];
    const pkgDir = join(dir, 'package');
    const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
    const name = pkg.name ?? tgz;
    const problems = [];
    for (const field of DEP_FIELDS) {
      for (const [dep, range] of Object.entries(pkg[field] ?? {})) {
        if (String(range).startsWith('workspace:'))
          problems.push(`${name}: ${field}.${dep} is '${range}' (not installable outside the monorepo)`);
      }
    }
    const targets = [
      ...exportTargets(pkg.exports),
      pkg.main,
      pkg.types,
      ...Object.values(typeof pkg.bin === 'string' ? { b: pkg.bin } : (pkg.bin ?? {})),
    ];
    for (const t of targets.filter((x) => typeof x === 'string' && !x.includes('*'))) {
      if (!existsSync(join(pkgDir, t))) problems.push(`${name}: the manifest points at ${t}, which is not in the package`);
    }
    if (tools) {
      const publint = spawnSync(bin('publint'), ['run', pkgDir, '--pack', 'false', '--level', 'warning', '--strict'], { encoding: 'utf8' });
      if (publint.status !== 0) problems.push(`${name}: publint:\n${(publint.stdout + publint.stderr).trim()}`);
      // ESM-only packages: node10 / CommonJS resolution is not a target.
      const attw = spawnSync(bin('attw'), [tgz, '--profile', 'esm-only', '--format', 'ascii', '--no-color'], { encoding: 'utf8' });
      if (attw.status !== 0) problems.push(`${name}: @arethetypeswrong/cli:\n${(attw.stdout + attw.stderr).trim()}`);
    }
    return problems;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
