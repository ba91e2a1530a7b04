// Writes each package's src/package-info.ts from its package.json, so a plugin's name and version
// are the package's own (a release bumps package.json; this keeps the plugin in step). Packages opt
// in by having the file. `--check` fails instead of writing when a file is stale (CI runs it).
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const check = process.argv.includes('--check');
const stale = [];
for (const dir of readdirSync('packages')) {
  const target = join('packages', dir, 'src', 'package-info.ts');
  if (!existsSync(target)) continue;
  const { name, version } = JSON.parse(readFileSync(join('packages', dir, 'package.json'), 'utf8'));
  const text = [
    `// Generated from ${dir}/package.json by scripts/sync-versions.mjs (\`pnpm version-packages\` runs it).`,
    '// Do not edit: CI fails when this disagrees with package.json.',
    `export const PACKAGE_NAME = '${name}';`,
    `export const PACKAGE_VERSION = '${version}';`,
    '',
  ].join('\n');
  if (readFileSync(target, 'utf8') === text) continue;
  stale.push(target);
  if (!check) writeFileSync(target, text);
}
if (check && stale.length) {
  console.error(`package-info.ts out of date with package.json (run node scripts/sync-versions.mjs):\n  ${stale.join('\n  ')}`);
  process.exit(1);
}
console.log(check ? 'package-info.ts files match package.json' : `updated ${stale.length} package-info.ts file(s)`);
