// With FULL_REPORT=<file> (set by `pnpm test:full`), every test file appends, after its tests, one
// JSON line per test with the cases it recorded and its worst error/tolerance ratio
// (`recordCase` in @argmin/autodiff/testing; checkVjp and the node contract call it).
// scripts/test-full.mjs summarises the lines. Without FULL_REPORT this file does nothing.
import { appendFileSync } from 'node:fs';
import { relative } from 'node:path';
import { afterAll, expect } from 'vitest';

const target = process.env.FULL_REPORT;
if (target) {
  const { setTestNameSource, takeFigures } = await import('@argmin/autodiff/testing');
  setTestNameSource(() => expect.getState().currentTestName);
  afterAll(() => {
    const file = relative(process.cwd(), expect.getState().testPath ?? '');
    const lines = takeFigures().map(([test, figures]) => JSON.stringify({ file, test, ...figures }));
    if (lines.length) appendFileSync(target, `${lines.join('\n')}\n`);
  });
}
