// The installed bin works from a fresh clone: no build step, run through tsx from the sources.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../bin/argmin.mjs', import.meta.url));

describe('bin/argmin.mjs', () => {
  it('prints help and the version', () => {
    const help = spawnSync(process.execPath, [bin, '--help'], { encoding: 'utf8', cwd: '/' });
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('Usage: argmin <command>');
    const version = spawnSync(process.execPath, [bin, '--version'], { encoding: 'utf8' });
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('exits with the command status', () => {
    const r = spawnSync(process.execPath, [bin, 'view', 'does-not-exist.json'], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('cannot read does-not-exist.json');
  });
});

describe('pnpm exec argmin', () => {
  it('is wired at the workspace root', () => {
    const root = fileURLToPath(new URL('../../..', import.meta.url));
    const r = spawnSync('pnpm', ['exec', 'argmin', 'view', '--help'], { encoding: 'utf8', cwd: root });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('Usage: argmin view');
  });
});
