// The viewer page (one self-contained HTML file, dist/viewer.html) used as the template of
// renderViewerHtml. A published package ships it prebuilt and never builds anything at run time.
// Only when running from the TypeScript sources in the monorepo (this file is .ts, and the page
// sources are next to it) is a missing or stale page rebuilt, by scripts/build-page.mjs in a
// child process, so that a fresh clone needs no build step.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

// Same depth from src/ and from dist/, so this works from sources and from the compiled package.
const pkgRoot = fileURLToPath(new URL('..', import.meta.url));
const templateFile = join(pkgRoot, 'dist', 'viewer.html');
const buildScript = join(pkgRoot, 'scripts', 'build-page.mjs');
const fromSources = import.meta.url.endsWith('.ts') && existsSync(join(pkgRoot, 'src', 'page')) && existsSync(buildScript);

let cached: string | undefined;

/** The viewer page without a graph (it then shows its "open a file" card). */
export function viewerTemplate(): string {
  if (cached !== undefined) return cached;
  if (fromSources && isStale()) buildTemplate();
  if (!existsSync(templateFile)) {
    throw new Error(`@argmin/viz: the viewer page ${templateFile} is missing; this package was published without its build output`);
  }
  cached = readFileSync(templateFile, 'utf8');
  return cached;
}

/** Rebuilds dist/viewer.html now (synchronously). Monorepo only: needs the dev dependencies. */
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
  // Sources of the page, the build script, and the graph package it bundles.
  const inputs = [join(pkgRoot, 'src', 'page'), join(pkgRoot, 'src', 'strict-csp.ts'), buildScript, join(pkgRoot, '..', 'graph', 'src')];
  return inputs.some((p) => existsSync(p) && newestMtime(p) > built);
}

function newestMtime(path: string): number {
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)));
  return newest;
}
