import { readFileSync } from 'node:fs';
import { corePlugin, type Plugin } from '@argmin/autodiff';
import { controlPlugin } from '@argmin/nodes-control';
import { convexPlugin } from '@argmin/nodes-convex';
import { expect, test } from 'vitest';

// A plugin is named and versioned as its package: a traced graph records plugin versions, and a
// runtime checks them against what the graph needs, so a stale version would mislabel graphs.
const cases: [string, Plugin][] = [
  ['autodiff', corePlugin],
  ['nodes-convex', convexPlugin],
  ['nodes-control', controlPlugin],
];

test.each(cases)('the %s plugin carries its package.json name and version', (dir, plugin) => {
  const pkg = JSON.parse(readFileSync(new URL(`../packages/${dir}/package.json`, import.meta.url), 'utf8'));
  expect({ name: plugin.name, version: plugin.version }).toEqual({ name: pkg.name, version: pkg.version });
});
