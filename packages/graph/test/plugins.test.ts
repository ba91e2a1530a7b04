import { describe, expect, test } from 'vitest';
import {
  type Graph,
  GraphBuilder,
  GraphError,
  IncompatiblePluginError,
  MissingPluginError,
  type PluginManifest,
  checkPlugins,
  requiredOps,
  satisfiesRange,
} from '../src/index.js';

function uses(): Graph {
  const b = new GraphBuilder('uses');
  const [x] = b.addNode({ kind: 'input', op: 'input', inputs: [], outputShapes: [[3]] }).outputIds;
  const [y] = b.addNode({ kind: 'op', op: 'exp', inputs: [x!], outputShapes: [[3]] }).outputIds;
  const [z] = b.addNode({ kind: 'optimization', op: 'convex.qp', plugin: 'convex', inputs: [y!], outputShapes: [[3]] }).outputIds;
  const [u] = b.addNode({ kind: 'optimization', op: 'control.lqr', plugin: 'control', inputs: [z!], outputShapes: [[3]] }).outputIds;
  b.addNode({ kind: 'optimization', op: 'convex.qp', plugin: 'convex', inputs: [u!], outputShapes: [[3]] });
  b.addNode({ kind: 'op', op: 'convex.lml', plugin: 'convex', inputs: [u!], outputShapes: [[3]] });
  return b.build();
}

const convex: PluginManifest = { name: 'convex', version: '1.2.0', argminApi: '^1', ops: ['convex.qp', 'convex.lml', 'convex.cone'] };
const control: PluginManifest = { name: 'control', version: '0.3.1', argminApi: '>=1.0.0 <2', ops: ['control.lqr', 'control.mpc'] };

describe('requiredOps', () => {
  test('groups op and optimization node ops by declared plugin, sorted and without repeats', () => {
    expect(requiredOps(uses())).toEqual([
      { plugin: undefined, ops: ['exp'] },
      { plugin: 'control', ops: ['control.lqr'] },
      { plugin: 'convex', ops: ['convex.lml', 'convex.qp'] },
    ]);
  });
});

describe('checkPlugins', () => {
  test('passes when every plugin op is provided and every plugin accepts the API', () => {
    expect(() => checkPlugins(uses(), [convex, control], '1.4.0')).not.toThrow();
    expect(() => checkPlugins(uses(), [convex, control], '1.4.0', { coreOps: ['exp'] })).not.toThrow();
  });

  test('names the op, the declared plugin and the loaded versions when a plugin is missing', () => {
    const e = catchError(() => checkPlugins(uses(), [convex], '1.0.0'));
    expect(e).toBeInstanceOf(MissingPluginError);
    const m = e as MissingPluginError;
    expect([m.op, m.plugin, m.node]).toEqual(['control.lqr', 'control', 'n3']);
    expect(m.message).toBe(
      "op 'control.lqr' (node n3) needs plugin 'control', which is not loaded; loaded: convex@1.2.0. Fix: add a version of control that provides it to createRuntime({ plugins })",
    );
  });

  test('says when the declared plugin is loaded but an older version lacks the op, listing every missing op', () => {
    const old: PluginManifest = { ...convex, version: '0.9.0', argminApi: '^1', ops: ['convex.cone'] };
    const e = catchError(() => checkPlugins(uses(), [old, control], '1.0.0')) as MissingPluginError;
    expect(e.message).toMatch(
      /^op 'convex.qp' \(node n2\) needs plugin 'convex', but convex@0.9.0 does not provide it; loaded: convex@0.9.0, control@0.3.1; also missing: 'convex.lml'/,
    );
    expect(e.missing.map((x) => x.op)).toEqual(['convex.qp', 'convex.lml']);
    expect(e.available).toEqual([
      { name: 'convex', version: '0.9.0', providesOp: false },
      { name: 'control', version: '0.3.1', providesOp: false },
    ]);
  });

  test('a node must get its op from the plugin it declares, not from another one', () => {
    const impostor: PluginManifest = { name: 'impostor', version: '2.0.0', argminApi: '*', ops: ['control.lqr'] };
    const e = catchError(() => checkPlugins(uses(), [convex, impostor], '1.0.0')) as MissingPluginError;
    expect(e.message).toMatch(
      /needs plugin 'control', which is not loaded; loaded: convex@1.2.0, impostor@2.0.0 \(provides 'control.lqr'\)/,
    );
  });

  test('with coreOps, an op without a plugin must be core or provided', () => {
    const e = catchError(() => checkPlugins(uses(), [convex, control], '1.0.0', { coreOps: ['log'] })) as MissingPluginError;
    expect(e).toBeInstanceOf(MissingPluginError);
    expect([e.op, e.plugin]).toEqual(['exp', undefined]);
    expect(e.message).toMatch(/^op 'exp' \(node n1\) is not provided by any loaded plugin/);
  });

  test("names the plugin, its range and the runtime's API version when the API does not match", () => {
    const e = catchError(() => checkPlugins(uses(), [convex, control], '2.0.0'));
    expect(e).toBeInstanceOf(IncompatiblePluginError);
    expect(e.message).toBe(
      "plugin convex@1.2.0 requires argmin API '^1', but this runtime provides API 2.0.0; use a version of convex written for API 2.0.0",
    );
  });
});

function catchError(f: () => void): Error {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected an error');
}

describe('satisfiesRange', () => {
  test.each<[string, string, boolean]>([
    ['1.0.0', '^1', true],
    ['1.9.3', '^1', true],
    ['2.0.0', '^1', false],
    ['0.9.9', '^1', false],
    ['1.2.0', '^1.2', true],
    ['1.1.9', '^1.2', false],
    ['1.99.0', '^1.2', true],
    ['0.2.5', '^0.2.3', true],
    ['0.3.0', '^0.2.3', false],
    ['0.0.3', '^0.0.3', true],
    ['0.0.4', '^0.0.3', false],
    ['0.9.0', '^0', true],
    ['1.0.0', '^0', false],
    ['0.0.9', '^0.0', true],
    ['0.1.0', '^0.0', false],
    ['1.2.3', '~1.2.3', true],
    ['1.2.9', '~1.2.3', true],
    ['1.3.0', '~1.2.3', false],
    ['1.2.2', '~1.2.3', false],
    ['1.9.0', '~1', true],
    ['1.5.0', '>=1.0.0 <2', true],
    ['2.0.0', '>=1.0.0 <2', false],
    ['0.9.0', '>=1.0.0 <2', false],
    ['1.2.3', '1.2.3', true],
    ['1.2.4', '1.2.3', false],
    ['1.2.4', '=1.2.3', false],
    ['1.2.9', '1.2', true],
    ['1.3.0', '1.2.x', false],
    ['7.0.0', '*', true],
    ['7.0.0', '', true],
    ['1.0.0', '>1', false],
    ['2.0.0', '>1', true],
    ['1.2.9', '<=1.2', true],
    ['1.3.0', '<=1.2', false],
    ['1.2.3', '>1.2.3', false],
    ['3.0.0', '^1 || ^3', true],
    ['2.0.0', '^1 || ^3', false],
    ['1.5.0', '>= 1.0.0 < 2.0.0', true],
  ])('%s satisfies %j: %s', (version, range, expected) => {
    expect(satisfiesRange(version, range)).toBe(expected);
  });

  test.each([
    ['1.0', '^1'],
    ['one', '^1'],
    ['1.0.0', '^a'],
    ['1.0.0', '1 - 2'],
    ['1.0.0', '^1.x.3'],
    ['1.0.0-beta', '^1'],
  ])('rejects the malformed pair %s / %j', (version, range) => {
    expect(() => satisfiesRange(version, range)).toThrow(GraphError);
  });
});
