// The consumer check (scripts/consumer-check.mjs) must fail when a package's manifest or types
// break. Its stages run here on small, deliberately broken packages (offline, a few seconds):
// a `workspace:` range left in the manifest, an export pointing at a missing file, and
// declarations with TS1170 (what @argmin/graph once shipped) — next to the fixed versions.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
// @ts-expect-error plain JavaScript modules of the check, without declarations
import { checkTarball } from '../scripts/consumer-check/manifest.mjs';
// @ts-expect-error see above
import { typecheck } from '../scripts/consumer-check/types.mjs';

const dir = mkdtempSync(join(tmpdir(), 'argmin-consumer-check-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Fake {
  readonly manifest?: Record<string, unknown>;
  readonly dts?: string;
  readonly files?: Record<string, string>;
}

/** Writes a package folder and packs it like npm does (a tarball with a `package/` prefix). */
function fakePackage(name: string, fake: Fake = {}): { folder: string; tgz: string } {
  const base = join(dir, name);
  const folder = join(base, 'package');
  mkdirSync(join(folder, 'dist'), { recursive: true });
  const manifest = {
    name: `@argmin/${name}`,
    version: '0.1.0',
    description: 'a test package',
    license: 'MIT',
    type: 'module',
    exports: { '.': { types: './dist/index.d.ts', import: './dist/index.js' } },
    main: './dist/index.js',
    types: './dist/index.d.ts',
    files: ['dist'],
    ...fake.manifest,
  };
  writeFileSync(join(folder, 'package.json'), JSON.stringify(manifest, null, 2));
  writeFileSync(join(folder, 'dist', 'index.js'), 'export const stat = "NaN";\n');
  writeFileSync(join(folder, 'dist', 'index.d.ts'), fake.dts ?? 'export declare const stat: "NaN" | "Infinity" | "-Infinity";\n');
  for (const [f, text] of Object.entries(fake.files ?? {})) writeFileSync(join(folder, f), text);
  const tgz = join(base, `${name}.tgz`);
  const tar = spawnSync('tar', ['-czf', tgz, '-C', base, 'package']);
  expect(tar.status).toBe(0);
  return { folder, tgz };
}

describe('consumer check: manifests', () => {
  it('passes a well-formed package', () => {
    expect(checkTarball(fakePackage('good').tgz, { tools: false })).toEqual([]);
  });

  it('fails on a workspace: range left in the packed manifest', () => {
    const { tgz } = fakePackage('workspace-range', { manifest: { dependencies: { '@argmin/graph': 'workspace:^' } } });
    const problems: string[] = checkTarball(tgz, { tools: false });
    expect(problems).toEqual([
      "@argmin/workspace-range: dependencies.@argmin/graph is 'workspace:^' (not installable outside the monorepo)",
    ]);
  });

  it('fails on an export that points at a file the package does not contain, also in publint and attw', () => {
    const { tgz } = fakePackage('missing-export', {
      manifest: {
        exports: {
          '.': { types: './dist/index.d.ts', import: './dist/index.js' },
          './node': { types: './dist/node.d.ts', import: './dist/node.js' },
        },
      },
    });
    const problems: string[] = checkTarball(tgz);
    expect(problems[0]).toBe('@argmin/missing-export: the manifest points at ./dist/node.d.ts, which is not in the package');
    expect(problems.some((p) => p.startsWith('@argmin/missing-export: publint:'))).toBe(true);
    expect(problems.some((p) => p.startsWith('@argmin/missing-export: @arethetypeswrong/cli:'))).toBe(true);
  });
});

describe('consumer check: TypeScript with skipLibCheck false', () => {
  /** No DOM, no @types/node: four tsc runs stay quick. */
  const BARE = { types: [], lib: ['es2023'] };

  /** A consumer project with one installed package. */
  function project(name: string, dts: string): string {
    const p = join(dir, `project-${name}`);
    const { folder } = fakePackage(`types-${name}`, { dts });
    mkdirSync(join(p, 'node_modules', '@argmin'), { recursive: true });
    symlinkSync(folder, join(p, 'node_modules', '@argmin', 'fake'));
    writeFileSync(join(p, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
    writeFileSync(join(p, 'use.ts'), "import { stat } from '@argmin/fake';\nexport const s: string = stat;\n");
    return p;
  }

  it('fails on declarations with TS1170 under nodenext and bundler, passes once they are fixed', { timeout: 240_000 }, () => {
    // What z.enum(['NaN', 'Infinity', '-Infinity']) emitted into @argmin/graph's schema.d.ts.
    const broken = project('broken', 'export declare const stat: { NaN: "NaN"; [-Infinity]: "-Infinity" }["NaN"];\n');
    const problems: string[] = typecheck(broken, join(broken, 'use.ts'), BARE);
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/^TypeScript \(nodenext, skipLibCheck false\):[\s\S]*error TS1170/);
    expect(problems[1]).toMatch(/^TypeScript \(bundler, skipLibCheck false\):[\s\S]*error TS1170/);
    const fixed = project('fixed', 'export declare const stat: "NaN" | "Infinity" | "-Infinity";\n');
    expect(typecheck(fixed, join(fixed, 'use.ts'), BARE)).toEqual([]);
  });
});
