// Folding by trace scope (src/page/autogroup.ts): graphs traced without clusters get scope groups
// so that their first view has at most AUTO_GROUP_TARGET boxes; what the reader needs to see
// (inputs, parameters, solvers, outputs) stays visible; small graphs are left alone.
import { fromJSON } from '@argmin/graph';
import { describe, expect, it } from 'vitest';
import { AUTO_GROUP_TARGET, autoGroup } from '../src/page/autogroup.js';
import { buildModel } from '../src/page/model.js';
import { buildView } from '../src/page/view.js';
import { syntheticGraph } from '../src/synthetic.js';

const firstView = (g: Parameters<typeof autoGroup>[0]) => buildView(buildModel(autoGroup(g)), new Set());

describe('autoGroup', () => {
  it.each([60, 200, 2000])('folds a flat %i-node graph into at most AUTO_GROUP_TARGET (24) boxes, keeping every node', (n) => {
    const g = syntheticGraph({ nodes: n, clusters: false, seed: 3 });
    const grouped = autoGroup(g);
    expect(grouped.nodes.map((x) => x.id)).toEqual(g.nodes.map((x) => x.id));
    expect(grouped.clusters.length).toBeGreaterThan(0);
    expect(firstView(g).leafCount).toBeLessThanOrEqual(AUTO_GROUP_TARGET);
    expect(() => fromJSON(grouped)).not.toThrow(); // still a valid graph
  });

  it('keeps inputs, parameters, optimization nodes and output producers at the top level', () => {
    const g = syntheticGraph({ nodes: 300, clusters: false, seed: 5 });
    const outputs = new Set(g.outputs);
    for (const n of autoGroup(g).nodes) {
      const landmark = n.kind === 'input' || n.kind === 'parameter' || n.kind === 'optimization' || n.outputs.some((v) => outputs.has(v));
      if (landmark) expect(n.cluster, `${n.id} (${n.kind})`).toBeUndefined();
    }
  });

  it('names each scope after what it starts using and its commonest ops', () => {
    const labels = autoGroup(syntheticGraph({ nodes: 300, clusters: false, seed: 5 })).clusters.map((c) => c.label);
    expect(labels.every((l) => l.length > 0)).toBe(true);
    expect(labels.some((l) => l.includes(': '))).toBe(true);
  });

  it('leaves small graphs and graphs already folded by their clusters unchanged', () => {
    const flat = syntheticGraph({ nodes: 30, clusters: false }); // 43 nodes, the generator's minimum
    expect(autoGroup(flat, flat.nodes.length)).toBe(flat); // fits the target: untouched
    expect(autoGroup(flat, flat.nodes.length - 1)).not.toBe(flat);
    const clustered = syntheticGraph({ nodes: 2000 });
    expect(autoGroup(clustered).clusters.length).toBeGreaterThanOrEqual(clustered.clusters.length);
    // Its top level is clusters and landmarks only, which stay: still within the issue's ~40.
    expect(firstView(clustered).leafCount).toBeLessThanOrEqual(40);
  });

  it('is deterministic', () => {
    const g = syntheticGraph({ nodes: 500, clusters: false, seed: 9 });
    expect(autoGroup(g)).toEqual(autoGroup(g));
  });
});
