import { InvalidInputError, tensor, zeros } from '@argmin/autodiff';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { lqr } from '../src/lqr/node.js';
import { mpc } from '../src/mpc/node.js';
import { arbLqr } from './helpers/arbitraries.js';

/** The control nodes validate their options against one schema, like every node. */
const [p] = fc.sample(arbLqr({ T: 3, ns: 2, nc: 1 }), { numRuns: 1, seed: 11 });
const problem = { C: p!.C, c: p!.c, x0: p!.x0 };
const calls = {
  lqr: { node: 'control.lqr', call: (o: object) => lqr({ ...problem, F: p!.F, f: p!.f }, o as never), own: { polish: true } },
  mpc: {
    node: 'control.mpc',
    call: (o: object) => mpc({ ...problem, dynamics: { F: p!.F, f: p!.f }, uLower: -1, uUpper: 1 }, o as never),
    own: { linesearchDecay: 2 },
  },
};

describe.each(Object.entries(calls))('%s: bad options are typed errors naming the node and the option', (_, { node, call, own }) => {
  test.each([
    ['maxIters', 10, " (did you mean 'maxIter'?)"],
    ['tolerance', 1e-6, ''],
    ['warmstart', {}, " (did you mean 'warmStart'?)"],
    ['temprature', 0.5, ''],
  ])('misspelled %s', (key, value, near) => {
    expect(() => call({ [key]: value })).toThrow(InvalidInputError);
    expect(() => call({ [key]: value })).toThrow(`${node}: unknown option '${key}'${near}; valid options:`);
  });
  test.each([
    ['maxIter', '10', "must be an integer ≥ 0, got the string '10'"],
    ['tol', -1, 'must be a finite number ≥ 0, got number -1'],
  ])('ill-typed %s', (key, value, message) => {
    expect(() => call({ [key]: value })).toThrow(`${node}: option '${key}' ${message}`);
  });
  test('an option of its own, ill-typed or unknown', () => {
    expect(() => call(own)).toThrow(InvalidInputError);
    expect(() => call(own)).toThrow(`${node}: `);
  });
});

test('mpc checks its problem at the boundary: no dynamics, bad bounds, unknown entries', () => {
  expect(() => mpc(problem as never)).toThrow(
    "control.mpc: 'dynamics' must be linear dynamics { F, f? } or a model { model, params? }, got undefined",
  );
  expect(() => mpc({ ...problem, dynamics: {} } as never)).toThrow(InvalidInputError);
  expect(() => mpc({ ...problem, dynamics: { F: p!.F }, uLower: 'low' } as never)).toThrow(
    "control.mpc: 'uLower' must be a number or a Tensor broadcastable to [T,nc], got the string 'low'",
  );
  expect(() => mpc({ ...problem, dynamics: { F: p!.F }, bounds: 1 } as never)).toThrow("control.mpc: unknown entry 'bounds'");
  expect(() => mpc(3 as never)).toThrow('control.mpc: the problem must be an object');
  expect(() => mpc({ C: [1], c: p!.c, x0: p!.x0, dynamics: { F: p!.F } } as never)).toThrow("control.mpc: parameter 'C' must be a Tensor");
  expect(() => lqr({ ...problem, F: p!.F, x0: tensor([1, 2, 3]) })).toThrow(
    "control.lqr: parameter 'x0' of shape [3] (core shape (ns)) does not fit 'F' of shape [2,2,3]",
  );
  expect(() => lqr({ ...problem, F: zeros([2, 2, 3]), f: zeros([2, 2]) }, { strategy: { kind: 'unroll', steps: 0 } })).toThrow(
    "control.lqr: option 'strategy.steps'",
  );
});
