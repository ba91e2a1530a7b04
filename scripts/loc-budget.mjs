// Fails if a source file passes the line budget: one concern per file keeps files small.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const BUDGET = 400;
const over = [];
function walk(dir) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (p.endsWith('.ts')) {
      // Lines as `wc -l` counts them (newline characters).
      const lines = readFileSync(p, 'utf8').split('\n').length - 1;
      if (lines > BUDGET) over.push(`${p}: ${lines} lines`);
    }
  }
}
for (const pkg of readdirSync('packages')) {
  try {
    walk(join('packages', pkg, 'src'));
  } catch {
    /* no src */
  }
}
if (over.length) {
  console.error(`Source files over ${BUDGET} lines:\n  ${over.join('\n  ')}`);
  process.exit(1);
}
console.log(`all source files within ${BUDGET} lines`);
