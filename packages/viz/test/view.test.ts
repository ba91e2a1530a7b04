import type { GraphJSON, NodeData } from '@argmin/graph';
import { describe, expect, it } from 'vitest';
import { buildModel } from '../src/page/model.js';
import { buildView, PROXY_FANOUT } from '../src/page/view.js';
import { syntheticGraph } from '../src/synthetic.js';

const node = (id: string, inputs: string[], cluster?: string, kind: NodeData['kind'] = 'op'): NodeData => ({
  id,
  kind,
  op: kind === 'op' ? 'add' : kind,
  inputs,
  outputs: [`v${id}`],
  attrs: {},
  ...(cluster ? { cluster } : {}),
});

function graph(nodes: NodeData[], clusters: GraphJSON['clusters'] = []): GraphJSON {
  return {
    format: 'argmin.graph',
    version: 1,
    name: 't',
    nodes,
    values: nodes.map((n) => ({ id: `v${n.id}`, shape: [2], producer: n.id, index: 0 })),
    clusters,
    outputs: [],
  };
}

// x → a → [loop: b → c (inner: d)] → e
const g = graph(
  [
    node('x', [], undefined, 'input'),
    node('a', ['vx']),
    node('b', ['va'], 'loop'),
    node('d', ['vb'], 'inner'),
    node('c', ['vd'], 'loop'),
    node('e', ['vc', 'va']),
  ],
  [
    { id: 'loop', label: 'loop', kind: 'unroll' },
    { id: 'inner', label: 'inner', kind: 'group', parent: 'loop' },
  ],
);
const model = buildModel(g);

describe('buildView', () => {
  it('folds clusters into one box and merges the edges into it', () => {
    const view = buildView(model, new Set());
    expect(view.roots.map((i) => i.id)).toEqual(['n:x', 'n:a', 'c:loop', 'n:e']);
    expect(view.itemOfNode.get('d')).toBe('c:loop');
    expect(view.edges.map((e) => `${e.source}>${e.target}`).sort()).toEqual(['c:loop>n:e', 'n:a>c:loop', 'n:a>n:e', 'n:x>n:a']);
    expect(view.leafCount).toBe(4);
  });

  it('nests open clusters, keeps inner ones folded, and places edges in their common cluster', () => {
    const view = buildView(model, new Set(['loop']));
    const loop = view.items.get('c:loop');
    expect(loop?.type).toBe('open');
    expect(loop?.type === 'open' && loop.children.map((i) => `${i.type}:${i.id}`)).toEqual(['node:n:b', 'folded:c:inner', 'node:n:c']);
    const inner = view.edges.find((e) => e.source === 'n:b');
    expect(inner).toMatchObject({ target: 'c:inner', container: 'c:loop' });
    expect(view.edges.find((e) => e.target === 'n:b')?.container).toBeNull();
  });

  it('counts nodes and iterations for folded boxes', () => {
    expect(model.clusterStats.get('loop')).toMatchObject({ nodeCount: 3, iterations: 1 });
  });

  it('copies a leaf shared by many consumers next to each of them', () => {
    const consumers = Array.from({ length: PROXY_FANOUT + 1 }, (_, i) => node(`o${i}`, ['vk']));
    const m = buildModel(graph([node('k', [], undefined, 'constant'), ...consumers]));
    const view = buildView(m, new Set());
    expect(view.proxiesOf.get('k')).toHaveLength(PROXY_FANOUT);
    const sources = new Set(view.edges.map((e) => e.source));
    expect(sources.size).toBe(PROXY_FANOUT + 1);
  });

  it('survives dangling references and cluster cycles', () => {
    const bad = graph(
      [node('a', ['nope'], 'c1')],
      [
        { id: 'c1', label: '1', kind: 'group', parent: 'c2' },
        { id: 'c2', label: '2', kind: 'group', parent: 'c1' },
      ],
    );
    const view = buildView(buildModel(bad), new Set(['c1', 'c2']));
    expect(view.leafCount).toBe(1);
    expect(view.edges).toEqual([]);
  });

  it('handles the synthetic 2,000-node graph folded and expanded', () => {
    const big = buildModel(syntheticGraph({ nodes: 2000 }));
    expect(buildView(big, new Set()).leafCount).toBeLessThan(60);
    const open = buildView(big, new Set(big.clusters.keys()));
    expect(open.leafCount).toBeGreaterThanOrEqual(2000);
  });
});
