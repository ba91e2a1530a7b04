import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Workspace packages resolve to their TypeScript sources through the `source` export condition,
// so tests never need a build first.
const conditions = ['source', 'import', 'module', 'node', 'default'];
const packages = readdirSync(new URL('./packages', import.meta.url));

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions } },
  test: {
    reporters: ['default', './scripts/summary-reporter.ts'],
    setupFiles: ['./scripts/relaxed-simd.ts', './scripts/fast-check-seed.ts', './scripts/test-figures.ts'].map((f) =>
      fileURLToPath(new URL(f, import.meta.url)),
    ),
    testTimeout: 60_000,
    hookTimeout: 120_000,
    projects: [
      ...packages.map((name) => ({
        extends: true as const,
        test: { name, root: `packages/${name}`, include: ['test/**/*.test.ts'] },
      })),
      { extends: true as const, test: { name: 'workspace', root: '.', include: ['test/**/*.test.ts'] } },
    ],
  },
});
