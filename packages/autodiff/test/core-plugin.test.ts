import { expect, test } from 'vitest';
import { corePlugin } from '../src/index.js';
import * as broadcast from '../src/ops/broadcast.js';
import * as elementwise from '../src/ops/elementwise.js';
import * as indexOps from '../src/ops/index-ops.js';
import * as linalg from '../src/ops/linalg.js';
import * as reduce from '../src/ops/reduce.js';
import * as shape from '../src/ops/shape.js';
import { readFileSync, readdirSync } from 'node:fs';

test('the core plugin provides every op defined in src/ops, so any traced graph loads', () => {
  const provided = new Set((corePlugin.ops ?? []).map((o) => o.name));
  const dir = new URL('../src/ops/', import.meta.url);
  for (const file of readdirSync(dir)) {
    const text = readFileSync(new URL(file, dir), 'utf8');
    // Every op handle must be exported (the plugin collects exported handles).
    expect(text, `${file} defines an op handle that is not exported`).not.toMatch(/^const \w+Op\b/m);
  }
  for (const mod of [broadcast, elementwise, indexOps, linalg, reduce, shape]) {
    for (const [key, value] of Object.entries(mod)) {
      if (key.endsWith('Op') && value && typeof value === 'object' && 'name' in value)
        expect(provided.has((value as { name: string }).name), key).toBe(true);
    }
  }
});
