import { describe, expect, it } from 'vitest';
import { syntheticGraph } from '../src/synthetic.js';

describe('syntheticGraph', () => {
  it('has about the requested size, and is deterministic', () => {
    for (const n of [40, 120, 2000]) {
      const g = syntheticGraph({ nodes: n });
      expect(g.nodes.length).toBeGreaterThanOrEqual(n);
      expect(g.nodes.length).toBeLessThan(n * 1.05 + 10);
    }
    expect(syntheticGraph({ nodes: 200 })).toEqual(syntheticGraph({ nodes: 200 }));
  });

  it('has every node kind, unroll clusters with iterations, and SolveInfo with history', () => {
    const g = syntheticGraph();
    expect(new Set(g.nodes.map((n) => n.kind))).toEqual(new Set(['input', 'parameter', 'constant', 'op', 'optimization']));
    expect(g.clusters.some((c) => c.kind === 'unroll')).toBe(true);
    expect(g.clusters.some((c) => c.parent !== undefined)).toBe(true);
    const solver = g.nodes.find((n) => n.kind === 'optimization')!;
    expect(solver.info?.history?.length).toBe(4);
    expect(new Set(g.nodes.flatMap((n) => n.info?.status ?? []))).toEqual(new Set(['converged', 'max_iter', 'infeasible', 'unbounded']));
  });

  it('can drop every cluster', () => {
    const g = syntheticGraph({ nodes: 100, clusters: false });
    expect(g.clusters).toEqual([]);
    expect(g.nodes.every((n) => n.cluster === undefined)).toBe(true);
  });
});
