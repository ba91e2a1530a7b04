import { describe, expect, it } from 'vitest';
import { loadGraphText, loadGraphValue, MAX_NODES } from '../src/page/load.js';
import { syntheticGraph } from '../src/synthetic.js';

const load = (value: unknown) => loadGraphText(JSON.stringify(value), 'f.json');

describe('loadGraphText', () => {
  it('accepts the synthetic graphs', () => {
    for (const nodes of [40, 300]) expect(load(syntheticGraph({ nodes })).ok).toBe(true);
  });

  it('explains JSON syntax errors', () => {
    const r = loadGraphText('{"a":', 'f.json');
    expect(r.ok === false && r.error.title).toBe('This file is not valid JSON');
    expect(r.ok === false && r.error.message).toContain('f.json');
  });

  it('rejects other formats and bad fields with the path of the problem', () => {
    const other = load({ format: 'onnx' });
    expect(other.ok === false && other.error.issues.join()).toContain('format');
    const g = syntheticGraph({ nodes: 40 });
    const bad = load({ ...g, nodes: g.nodes.map((n, i) => (i === 3 ? { ...n, kind: 'banana' } : n)) });
    expect(bad.ok === false && bad.error.issues.join()).toContain('nodes.3.kind');
  });

  it('lists structural issues, such as dangling inputs', () => {
    const g = syntheticGraph({ nodes: 40 });
    const r = load({ ...g, nodes: g.nodes.map((n, i) => (i === 5 ? { ...n, inputs: ['missing'] } : n)) });
    expect(r.ok).toBe(false);
    expect(r.ok === false && r.error.issues.join('\n')).toContain('missing');
  });

  it('reads NaN statistics of a diverged solve', () => {
    const g = syntheticGraph({ nodes: 40 });
    const text = JSON.stringify(g).replace('"residual":[', '"residual":["NaN",');
    const r = loadGraphText(text, 'nan.json');
    expect(r.ok && r.graph.nodes.some((n) => n.info?.residual.some((x) => Number.isNaN(x)))).toBe(true);
  });

  it('refuses graphs with too many nodes', () => {
    const r = load(syntheticGraph({ nodes: MAX_NODES + 100 }));
    expect(r.ok === false && r.error.title).toBe('This graph is too large');
  });
});

describe('loadGraphValue', () => {
  it('accepts a graph straight from toJSON whose empty tensor has ±Infinity statistics', () => {
    const g = syntheticGraph({ nodes: 40 });
    const v = g.values[0]!;
    const withEmpty = {
      ...g,
      values: [{ ...v, shape: [0], summary: { min: Infinity, max: -Infinity, mean: 0, norm: 0 } }, ...g.values.slice(1)],
    };
    const r = loadGraphValue(withEmpty, 'the graph');
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.graph.values[0]!.summary?.min).toBe(Infinity);
  });
});
