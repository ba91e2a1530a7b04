import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';

// Every ```ts block of the README and the user docs runs as written: an example that drifts
// from the API fails here.
const documents = ['README.md', 'docs/getting-started.md', 'docs/concepts.md'];
const root = new URL('../', import.meta.url);
const dir = new URL('./.snippets/', import.meta.url);

function blocks(file: string): string[] {
  let text = '';
  try {
    text = readFileSync(new URL(file, root), 'utf8');
  } catch {
    return [];
  }
  return [...text.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
}

describe('documentation examples run', () => {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const file of documents) {
    blocks(file).forEach((code, i) => {
      test(`${file} example ${i + 1}`, async () => {
        const path = new URL(`${file.replace(/[/.]/g, '_')}_${i}.ts`, dir);
        writeFileSync(path, code);
        const log = console.log;
        const printed: unknown[] = [];
        console.log = (...args: unknown[]) => printed.push(args);
        try {
          await import(path.href);
        } finally {
          console.log = log;
        }
        expect(printed.length).toBeGreaterThan(0);
      });
    });
  }
});
