// The built viewer page (one self-contained HTML file) used as the template of renderViewerHtml.
// It is built on demand, so a fresh clone needs no build step: the first call runs
// scripts/build-page.mjs (vite) in a child process and caches the result in dist/viewer.html,
// rebuilt whenever a page source is newer than the cache.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

// Same depth from src/ and from dist/, so this works from sources and from the compiled package.
const pkgRoot = fileURLToPath(new URL('..', import.meta.url));
const templateFile = join(pkgRoot, 'dist', 'viewer.html');
const buildScript = join(pkgRoot, 'scripts', 'build-page.mjs');

let cached: string | undefined;

/** The viewer page without a graph (it then shows its "open a file" card). */
export function viewerTemplate(): string {
  if (cached !== undefined) return cached;
  if (isStale()) buildTemplate();
  cached = readFileSync(templateFile, 'utf8');
  return cached;
}

/** Rebuilds dist/viewer.html now (synchronously). */
export function buildTemplate(): void {
  if (!existsSync(buildScript)) throw new Error(`@argmin/viz: cannot build the viewer page, ${buildScript} is missing`);
  const r = spawnSync(process.execPath, [buildScript, '--out', templateFile], { encoding: 'utf8', cwd: pkgRoot });
  if (r.status !== 0) {
    const detail = (r.stderr || r.stdout || String(r.error ?? '')).trim();
    throw new Error(`@argmin/viz: building the viewer page failed:\n${detail}`);
  }
  cached = undefined;
}

function isStale(): boolean {
  if (!existsSync(templateFile)) return true;
  const built = statSync(templateFile).mtimeMs;
  // Sources of the page, the build script, and (in the monorepo) the graph package it bundles.
  const inputs = [join(pkgRoot, 'src', 'page'), buildScript, join(pkgRoot, '..', 'graph', 'src')];
  return inputs.some((p) => existsSync(p) && newestMtime(p) > built);
}

function newestMtime(path: string): number {
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)));
  return newest;
}
