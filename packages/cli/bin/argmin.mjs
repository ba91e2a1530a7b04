#!/usr/bin/env node
// The `argmin` command. In the monorepo it runs the TypeScript sources through tsx, with the
// `source` export condition so that workspace packages resolve to their sources too: no build
// step on a fresh clone. A published install (no tsx) runs the compiled dist/main.js instead.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { constants } from 'node:os';
import { fileURLToPath } from 'node:url';

const source = fileURLToPath(new URL('../src/main.ts', import.meta.url));
let tsx;
try {
  tsx = import.meta.resolve('tsx');
} catch {
  tsx = undefined;
}

// Sources only in the monorepo: an installed package (under node_modules) always runs dist, even
// when the consumer happens to have tsx.
const inWorkspace = !source.split(/[\\/]/).includes('node_modules');
if (inWorkspace && existsSync(source) && tsx) {
  const child = spawn(process.execPath, ['--conditions=source', '--import', tsx, source, ...process.argv.slice(2)], { stdio: 'inherit' });
  // Ctrl+C reaches the child through the process group; forward signals sent to this process only.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(signal, () => {
      if (child.exitCode === null) child.kill(signal);
    });
  }
  child.on('exit', (code, signal) => process.exit(code ?? 128 + (constants.signals[signal] ?? 0)));
} else {
  await import(new URL('../dist/main.js', import.meta.url).href);
}
