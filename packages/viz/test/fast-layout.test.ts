import type { ElkNode } from 'elkjs/lib/elk-api.js';
import { describe, expect, it } from 'vitest';
import { approximateMeasure, describeItem } from '../src/page/describe.js';
import { toElkGraph } from '../src/page/elk-graph.js';
import { fastLayout } from '../src/page/fast-layout.js';
import { buildModel } from '../src/page/model.js';
import { buildView } from '../src/page/view.js';
import { syntheticGraph } from '../src/synthetic.js';

function laidOut(expandAll: boolean, clusters = true, aspect = 1.6): ElkNode {
  const model = buildModel(syntheticGraph({ nodes: 400, clusters }));
  const view = buildView(model, new Set(expandAll ? model.clusters.keys() : []));
  return fastLayout(toElkGraph(view, model, (i) => describeItem(i, model, approximateMeasure), approximateMeasure).graph, aspect);
}

function siblingsOverlap(n: ElkNode): string | undefined {
  const kids = n.children ?? [];
  for (let i = 0; i < kids.length; i++) {
    for (let j = i + 1; j < kids.length; j++) {
      const [a, b] = [kids[i]!, kids[j]!];
      const apart = a.x! + a.width! <= b.x! || b.x! + b.width! <= a.x! || a.y! + a.height! <= b.y! || b.y! + b.height! <= a.y!;
      if (!apart) return `${a.id} overlaps ${b.id}`;
    }
  }
  for (const k of kids) {
    const inside =
      k.x! >= n.x! - 1e-6 &&
      k.y! >= n.y! - 1e-6 &&
      k.x! + k.width! <= n.x! + n.width! + 1e-6 &&
      k.y! + k.height! <= n.y! + n.height! + 1e-6;
    if (n.id !== 'root' && !inside) return `${k.id} sticks out of ${n.id}`;
    const bad = siblingsOverlap(k);
    if (bad) return bad;
  }
  return undefined;
}

describe('fastLayout', () => {
  for (const [name, expand, clusters] of [
    ['flat', false, false],
    ['folded', false, true],
    ['expanded', true, true],
  ] as const) {
    it(`places every box without overlaps, children inside their cluster (${name})`, () => {
      const root = laidOut(expand, clusters);
      root.x = 0;
      root.y = 0;
      expect(siblingsOverlap(root)).toBeUndefined();
    });
  }

  it('routes every edge, flowing left to right on a DAG', () => {
    const root = laidOut(false, false, Infinity);
    const edges = root.edges ?? [];
    expect(edges.length).toBeGreaterThan(0);
    for (const e of edges) {
      const s = e.sections![0]!;
      expect(s.endPoint.x).toBeGreaterThan(s.startPoint.x);
    }
  });

  it('keeps a long unrolled chain straight instead of drifting', () => {
    const root = laidOut(false, false, Infinity);
    expect(root.height!).toBeLessThan(root.width! / 5);
  });

  it('wraps a long drawing into rows close to the screen aspect', () => {
    const root = laidOut(false, false, 1.6);
    const ratio = root.width! / root.height!;
    expect(ratio).toBeGreaterThan(1.6 / 3);
    expect(ratio).toBeLessThan(1.6 * 3);
    const rows = new Set((root.children ?? []).map((c) => Math.round(c.y! / 100)));
    expect(rows.size).toBeGreaterThan(2);
  });
});
