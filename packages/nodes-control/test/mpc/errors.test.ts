import { InvalidInputError, ShapeError, Tensor, full, tensor, zeros } from '@argmin/autodiff';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { cartpole } from '../../src/dynamics/cartpole.js';
import { pendulum, pendulumParams } from '../../src/dynamics/pendulum.js';
import { mpc } from '../../src/mpc/node.js';
import { arbLqr } from '../helpers/arbitraries.js';

const [p] = fc.sample(arbLqr({ T: 3, ns: 2, nc: 1 }), { numRuns: 1, seed: 11 });
const base = { C: p!.C, c: p!.c, x0: p!.x0, dynamics: { F: p!.F, f: p!.f }, uLower: -0.5, uUpper: 0.5 };
const pend = {
  C: zeros([3, 4, 4]).data.length ? eyeBlocks(3, 4) : zeros([3, 4, 4]),
  c: zeros([3, 4]),
  x0: tensor([1, 0, 0]),
  dynamics: { model: pendulum, params: pendulumParams() },
};
function eyeBlocks(T: number, n: number): Tensor {
  return new Tensor(
    new Float64Array(T * n * n).map((_, i) => ((i % (n * n)) % (n + 1) === 0 ? 1 : 0)),
    [T, n, n],
  );
}
const expectError = (fn: () => unknown, type: typeof ShapeError | typeof InvalidInputError, ...parts: string[]) => {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(type);
  for (const s of parts) expect((err as Error).message).toContain(s);
};

describe('control.mpc: bad input gives typed errors naming the node and parameter', () => {
  test('a lower bound above the upper bound', () => {
    const lo = full([3, 1], -0.5).data.slice();
    lo[2] = 0.7;
    expectError(
      () => mpc({ ...base, uLower: new Tensor(lo, [3, 1]) }),
      InvalidInputError,
      'control.mpc',
      'uLower exceeds uUpper',
      'time step 2',
      'empty',
    );
  });
  test('bounds that do not broadcast', () =>
    expectError(() => mpc({ ...base, uLower: zeros([2]) }), ShapeError, "'uLower'", '[T,nc] = [3,1]'));
  test('batched bounds of the wrong horizon', () =>
    expectError(() => mpc({ ...base, uUpper: zeros([1, 4, 1]) }), ShapeError, "'uUpper'", 'T (time step) is 4', "3 in 'C'"));
  test('mismatched horizons', () => expectError(() => mpc({ ...base, c: zeros([2, 3]) }), ShapeError, "'c'"));
  test('linear dynamics of the wrong state size', () =>
    expectError(() => mpc({ ...base, dynamics: { F: zeros([2, 3, 3]) } }), ShapeError, "'F'", 'dimension ns is 3', "2 in 'x0'"));
  test('a model of the wrong size', () =>
    expectError(
      () => mpc({ ...pend, dynamics: { model: cartpole, params: tensor([9.8, 1, 0.1, 0.5]) } }),
      InvalidInputError,
      "'cartpole'",
      '5 states',
    ));
  test('model parameters of the wrong length', () =>
    expectError(
      () => mpc({ ...pend, dynamics: { model: pendulum, params: tensor([10, 1]) } }),
      InvalidInputError,
      "'pendulum'",
      '3 parameters',
    ));
  test('a non-PSD cost', () => {
    const C = Float64Array.from(p!.C.data);
    C[0] = -3;
    expectError(() => mpc({ ...base, C: new Tensor(C, p!.C.shape) }), InvalidInputError, "'C'", 'time step 0', 'positive semidefinite');
  });
  test('bad line-search options', () => expectError(() => mpc(base, { linesearchDecay: 1.5 }), InvalidInputError, 'linesearchDecay'));
  test('a warm start of the wrong shape', () =>
    expectError(() => mpc(base, { warmStart: { u: zeros([4, 1]) } }), ShapeError, 'warmStart.u', 'expected [3,1]'));
  test('inputs are never mutated', () => {
    const tensors = [base.C, base.c, base.x0, base.dynamics.F, base.dynamics.f];
    const copies = tensors.map((t) => Array.from(t.data));
    mpc(base);
    tensors.forEach((t, i) => expect(Array.from(t.data)).toEqual(copies[i]));
  });
});

describe('control.mpc: warm start and per-element convergence', () => {
  test('a warm start at the solution converges at once', () => {
    const cold = mpc(base);
    const warm = mpc(base, { warmStart: { u: cold.u } });
    expect(warm.info.status).toEqual(['converged']);
    expect(warm.info.iterations[0]).toBe(0);
    expect(Array.from(warm.u.data)).toEqual(Array.from(cold.u.data));
  });
  test('convergence is reported per element', () => {
    const x0 = tensor([
      [0, 0],
      [3, -3],
    ]);
    const solved = mpc({ ...base, x0 });
    expect(solved.info.status).toEqual(['converged', 'converged']);
    // Element 0 starts at its solution, element 1 from zero, with no iterations allowed.
    const u = new Tensor(Float64Array.from(solved.u.data).fill(0, 3), [2, 3, 1]);
    const out = mpc({ ...base, x0 }, { maxIter: 0, warmStart: { u } });
    expect(out.info.status).toEqual(['converged', 'max_iter']);
    expect(out.info.residual[1]).toBeGreaterThan(1e-3);
    expect(out.u.data.every(Number.isFinite)).toBe(true);
  });
});
