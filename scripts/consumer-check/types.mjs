// Type-checks consumer.ts in the consumer project under both module resolutions users have.
import { spawnSync } from 'node:child_process';
import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');

const MODES = {
  nodenext: { module: 'nodenext', moduleResolution: 'nodenext' },
  bundler: { module: 'esnext', moduleResolution: 'bundler' },
};

/**
 * Returns problems: tsc's output per mode that failed. `source`: the file to check (consumer.ts);
 * `types`: the ambient type packages the consumer has installed; `lib`: TypeScript's libraries.
 */
export function typecheck(
  projectDir,
  source = fileURLToPath(new URL('./consumer.ts', import.meta.url)),
  { types = ['node'], lib = ['es2023', 'dom'] } = {},
) {
  copyFileSync(source, join(projectDir, 'consumer.ts'));
  const problems = [];
  for (const [mode, opts] of Object.entries(MODES)) {
    const config = join(projectDir, `tsconfig.${mode}.json`);
    const compilerOptions = { ...opts, target: 'es2022', lib, types, strict: true, noEmit: true, skipLibCheck: false };
    writeFileSync(config, JSON.stringify({ compilerOptions, files: ['consumer.ts'] }, null, 2));
    const r = spawnSync(process.execPath, [tsc, '-p', config], { cwd: projectDir, encoding: 'utf8' });
    if (r.status !== 0) problems.push(`TypeScript (${mode}, skipLibCheck false):\n${(r.stdout + r.stderr).trim()}`);
  }
  return problems;
}
