import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parseGraph, serializeGraph } from '@argmin/graph';
import { DEMO_PARTS } from '../examples/demo/parts.js';
import { optnetPart } from '../examples/demo/optnet.js';
import { runDemo } from '../examples/demo/run.js';
import type { PartRecord } from '../examples/demo/output.js';

// The whole demo in quick mode, once, into a temporary directory; the tests read what it wrote.
const out = mkdtempSync(join(tmpdir(), 'argmin-demo-'));
let records: PartRecord[] = [];
const byId = (id: string): PartRecord => {
  const r = records.find((p) => p.id === id);
  if (!r) throw new Error(`no part '${id}' in the demo's records`);
  return r;
};
const metric = (id: string, key: string): number => {
  const v = byId(id).metrics[key];
  if (typeof v !== 'number') throw new Error(`part '${id}' has no numeric metric '${key}' (got ${String(v)})`);
  return v;
};

beforeAll(async () => {
  records = await runDemo({ parts: DEMO_PARTS, outDir: out, quick: true, progress: false });
}, 300_000);
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('pnpm demo --quick', () => {
  test('every part ran', () => {
    expect(records.map((r) => r.id)).toEqual(DEMO_PARTS.map((p) => p.id));
    for (const r of records) {
      expect(r.status, `${r.id}: ${r.summary}`).toBe('ok');
      expect(r.summary.length).toBeGreaterThan(20);
      expect(r.summary).not.toMatch(/NaN|undefined/);
    }
  });

  test.each(DEMO_PARTS.map((p) => p.id))('%s: graph JSON loads, viewer page and figures are written', (id) => {
    const r = byId(id);
    const text = readFileSync(join(out, r.files.graph!), 'utf8');
    const graph = parseGraph(text);
    const nodes = Object.values(graph.nodes);
    expect(nodes.length).toBeGreaterThan(5);
    // One traced loss evaluation with its optimization node: differentiated implicitly, except the
    // amortized part, whose loss has no solver in the loop (its graph shows the reference solve).
    const solvers = nodes.filter((n) => n.kind === 'optimization');
    expect(solvers.length).toBeGreaterThan(0);
    expect(solvers.some((n) => n.strategy === (id === 'amortized-qp' ? 'solve' : 'implicit'))).toBe(true);
    expect(nodes.some((n) => n.kind === 'parameter')).toBe(true);
    expect(graph.outputs.length).toBeGreaterThan(0);

    const viewer = readFileSync(join(out, r.files.viewer!), 'utf8');
    expect(viewer).toMatch(/^<!doctype html>/i);
    expect(viewer).toContain('id="argmin-graph"');
    expect(viewer).toContain(graph.name.slice(0, 12));

    expect(r.files.figures.length).toBeGreaterThan(0);
    for (const f of r.files.figures) {
      const svg = readFileSync(join(out, f.file), 'utf8');
      expect(svg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
      expect(svg).toMatch(/<path|<line|<rect/);
    }
  });

  test('index.html links every part and shows its summary; summary.json matches', () => {
    const index = readFileSync(join(out, 'index.html'), 'utf8');
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as {
      quick: boolean;
      parts: { id: string; status: string; summary: string }[];
    };
    expect(summary.quick).toBe(true);
    for (const r of records) {
      expect(index).toContain(`id="${r.id}"`);
      expect(summary.parts.find((p) => p.id === r.id)?.status).toBe(r.status);
      if (r.status !== 'ok') continue;
      expect(index).toContain(`href="${r.files.viewer}"`);
      expect(index).toContain(`href="${r.files.graph}"`);
      expect(index).toContain(r.summary.slice(0, 40).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;'));
      expect(existsSync(join(out, r.files.figures[0]!.file))).toBe(true);
    }
    // Inline plots get their own clip-path ids (Plot numbers them from 1 in every SVG).
    const clipIds = [...index.matchAll(/<clipPath id="([^"]+)"/g)].map((m) => m[1]);
    expect(new Set(clipIds).size).toBe(clipIds.length);
  });
});

describe('the parts learn', () => {
  test('task-based: the model trained through the QP schedules more cheaply on held-out days than the MLE model', () => {
    expect(metric('task-based', 'taskTestCost')).toBeLessThan(0.97 * metric('task-based', 'mleTestCost'));
    // The SQP behind every decision converged (the implicit gradient is exact only at its fixed point).
    expect(metric('task-based', 'sqpLastStep')).toBeLessThan(1e-6);
  });

  test('OptNet: learned constraints reproduce the projections, far better than the MLP and the starting polygon', () => {
    const err = metric('optnet-constraints', 'optnetTestError');
    expect(err).toBeLessThan(1e-3 * metric('optnet-constraints', 'identityTestError'));
    expect(err).toBeLessThan(0.1 * metric('optnet-constraints', 'initialTestError'));
    expect(err).toBeLessThan(0.1 * metric('optnet-constraints', 'mlpTestError'));
  });

  test('MPC objective mismatch: both learned models imitate the expert better than the initial one', () => {
    const initial = metric('pendulum-imitation', 'initialImitationTest');
    expect(metric('pendulum-imitation', 'imitationTest')).toBeLessThan(0.9 * initial);
    expect(metric('pendulum-imitation', 'seeds')).toBeGreaterThanOrEqual(2);
    expect(metric('pendulum-imitation', 'sysidMean')).toBeGreaterThan(0);
  });

  test('amortized QP: predictions are much faster than solving, near-optimal, and good warm starts', () => {
    expect(metric('amortized-qp', 'speedup')).toBeGreaterThan(10);
    expect(metric('amortized-qp', 'gap')).toBeLessThan(0.05);
    expect(metric('amortized-qp', 'refinedGap')).toBeLessThan(metric('amortized-qp', 'gap'));
    expect(metric('amortized-qp', 'violationMax')).toBeLessThanOrEqual(1e-9);
    expect(metric('amortized-qp', 'warmStartIterationReduction')).toBeGreaterThan(0);
  });

  test('sorting and top-k: far above chance on held-out data', () => {
    expect(metric('sorting-topk', 'sortPerNumber')).toBeGreaterThan(0.8);
    expect(metric('sorting-topk', 'sortPerNumber')).toBeGreaterThan(metric('sorting-topk', 'sortInitialPerNumber'));
    expect(metric('sorting-topk', 'topkPrecision')).toBeGreaterThan(0.6);
    expect(metric('sorting-topk', 'topkPrecision')).toBeGreaterThan(metric('sorting-topk', 'topkInitialPrecision') + 0.2);
  });
});

test('a part is deterministic: the same metrics and the same traced graph twice', async () => {
  const run = () => optnetPart.run({ quick: true, progress: async () => {} });
  const [a, b] = [await run(), await run()];
  expect(b.metrics).toEqual(a.metrics);
  expect(b.summary).toBe(a.summary);
  expect(serializeGraph(b.graph)).toBe(serializeGraph(a.graph));
}, 120_000);
