import { InvalidInputError, eye, tensor } from '@argmin/autodiff';
import { describe, expect, test } from 'vitest';
import { reluLayer, sigmoidLayer, softmaxLayer, sparsemaxLayer } from '../src/index.js';
import { lml } from '../src/lml/node.js';
import { qp } from '../src/qp/node.js';
import { sinkhorn } from '../src/sinkhorn/node.js';

/**
 * Every public node function validates its options against one schema: a misspelled or
 * ill-typed option is an InvalidInputError naming the node and the option (never silently
 * ignored, never a TypeError from a kernel).
 */
const x = tensor([0.5, -1, 2]);
const calls: Record<string, { node: string; call: (options: object) => unknown; own: Record<string, unknown> }> = {
  qp: { node: 'convex.qp', call: (o) => qp({ Q: eye(2), p: tensor([1, -1]) }, o as never), own: { polish: 'no' } },
  lml: { node: 'convex.lml', call: (o) => lml({ x }, { k: 1, ...o } as never), own: { k: '1' } },
  sinkhorn: {
    node: 'convex.sinkhorn',
    call: (o) => sinkhorn({ a: tensor([0.5, 0.5]), b: tensor([0.5, 0.5]), C: eye(2) }, { epsilon: 0.1, ...o } as never),
    own: { epsilon: -1 },
  },
  relu: { node: 'convex.relu', call: (o) => reluLayer({ x }, o as never).y, own: { temperature: 2 } },
  sigmoid: { node: 'convex.sigmoid', call: (o) => sigmoidLayer({ x }, o as never).y, own: { polish: true } },
  softmax: { node: 'convex.softmax', call: (o) => softmaxLayer({ x }, o as never).y, own: { temperature: 0 } },
  sparsemax: { node: 'convex.sparsemax', call: (o) => sparsemaxLayer({ x }, o as never).y, own: { strategy: 'backprop' } },
};

const misspelled: [string, unknown, string | null][] = [
  ['maxIters', 10, 'maxIter'],
  ['tolerance', 1e-6, null],
  ['warmstart', {}, 'warmStart'],
  ['temprature', 0.5, null],
];
const illTyped: [string, unknown, string][] = [
  ['maxIter', '10', "must be an integer ≥ 0, got the string '10'"],
  ['tol', -1, 'must be a finite number ≥ 0, got number -1'],
];

describe.each(Object.entries(calls))('%s: bad options are typed errors naming the node and the option', (_, { node, call, own }) => {
  test.each(misspelled)('misspelled %s', (key, value, near) => {
    const run = () => call({ [key]: value });
    // softmax has a temperature: there the misspelling has a near miss.
    const hint = key === 'temprature' && node === 'convex.softmax' ? 'temperature' : near;
    expect(run).toThrow(InvalidInputError);
    expect(run).toThrow(`${node}: unknown option '${key}'${hint ? ` (did you mean '${hint}'?)` : ''}; valid options:`);
  });
  test.each(illTyped)('ill-typed %s', (key, value, message) => {
    expect(() => call({ [key]: value })).toThrow(`${node}: option '${key}' ${message}`);
  });
  test('an ill-typed or unknown option of its own', () => {
    expect(() => call(own)).toThrow(InvalidInputError);
    expect(() => call(own)).toThrow(new RegExp(`^${node.replace('.', '\\.')}: (unknown )?option '${Object.keys(own)[0]}'`));
  });
});

test('a node function given a non-Tensor or a bare array is a typed error, never a TypeError', () => {
  expect(() => qp({ Q: [[1]], p: [1] } as never)).toThrow("convex.qp: parameter 'Q' must be a Tensor of core shape (n,n), got an array");
  expect(() => lml({ x: [1, 2] } as never, { k: 1 })).toThrow(InvalidInputError);
  expect(() => lml({ x, y: x } as never, { k: 1 })).toThrow("convex.lml: unknown parameter 'y' (expected x)");
  expect(() => sinkhorn({ a: tensor([1]), b: tensor([1]) } as never, { epsilon: 1 })).toThrow("convex.sinkhorn: parameter 'C' is required");
  expect(() => sinkhorn({ a: tensor([1]), b: tensor([1]), C: eye(1) }, {} as never)).toThrow(
    "convex.sinkhorn: option 'epsilon' must be a finite number > 0, got undefined",
  );
});

test('lml is called as every node is, lml({ x }, { k }), and returns { y, nu, info }', () => {
  const out = lml({ x }, { k: 1 });
  expect(out.info.status).toEqual(['converged']);
  expect(Array.from(out.y.data).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 10);
  expect(Array.from(lml(x, { k: 1 }).data)).toEqual(Array.from(out.y.data));
});
