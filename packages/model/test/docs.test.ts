import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';

// Every ```ts block of docs/modeling.md runs as written. A block without imports runs after the
// page's import block (the one the examples section says they share).
const text = readFileSync(new URL('../../../docs/modeling.md', import.meta.url), 'utf8');
const blocks = [...text.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
const withoutImports = (b: string) => b.replace(/import [\s\S]*?from '[^']+';/g, '').trim();
const prelude = blocks.find((b) => withoutImports(b) === '')!;
// Written under node_modules (ignored by git), where the workspace packages resolve.
const dir = new URL('../node_modules/.snippets/', import.meta.url);

describe('docs/modeling.md examples run', () => {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  blocks.forEach((code, i) => {
    if (code === prelude) return;
    test(`example ${i + 1}`, async () => {
      const path = new URL(`modeling_${i}.ts`, dir);
      writeFileSync(path, code.includes('import ') ? code : `${prelude}\n${code}`);
      const printed: unknown[][] = [];
      const log = console.log;
      console.log = (...args: unknown[]) => printed.push(args);
      try {
        await import(path.href);
      } finally {
        console.log = log;
      }
      expect(printed.length).toBeGreaterThan(0);
      for (const line of printed) expect(String(line)).not.toMatch(/NaN/);
    });
  });
  test('every example is at most ~12 lines of user code', () => {
    for (const b of blocks) expect(withoutImports(b).split('\n').length).toBeLessThanOrEqual(12);
  });
});
