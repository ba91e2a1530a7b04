import { InvalidInputError, ShapeError, Tensor, tensor, zeros } from '@argmin/autodiff';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { lqr } from '../../src/lqr/node.js';
import { arbLqr } from '../helpers/arbitraries.js';

const [base] = fc.sample(arbLqr({ T: 3, ns: 2, nc: 1 }), { numRuns: 1, seed: 7 }) as [ReturnType<typeof good>];
function good() {
  return { C: zeros([3, 3, 3]), c: zeros([3, 3]), F: zeros([2, 2, 3]), f: zeros([2, 2]), x0: zeros([2]) };
}
const expectError = (fn: () => unknown, type: typeof ShapeError | typeof InvalidInputError, ...parts: string[]) => {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(type);
  for (const p of parts) expect((err as Error).message).toContain(p);
};

describe('control.lqr: bad input gives typed errors naming the node and parameter', () => {
  test('non-square cost blocks', () =>
    expectError(() => lqr({ ...base, C: zeros([3, 3, 2]) }), ShapeError, 'control.lqr', "'C'", 'square'));
  test('mismatched horizon of c', () =>
    expectError(() => lqr({ ...base, c: zeros([4, 3]) }), ShapeError, 'control.lqr', "'c'", '[3,3,3]', '[4,3]', 'T (time step) is 4'));
  test('mismatched horizon of F', () => expectError(() => lqr({ ...base, F: zeros([3, 2, 3]) }), ShapeError, "'F'", 'T-1 = 2'));
  test('mismatched state size of F', () =>
    expectError(() => lqr({ ...base, F: zeros([2, 3, 3]) }), ShapeError, "'F' of shape [2,3,3]", 'dimension ns'));
  test('mismatched f', () => expectError(() => lqr({ ...base, f: zeros([2, 3]) }), ShapeError, "'f'"));
  test('a state as large as τ', () => expectError(() => lqr({ ...base, x0: zeros([3]) }), ShapeError, 'x0', 'dimension ns is 3'));
  test('wrong rank', () => expectError(() => lqr({ ...base, x0: zeros([1, 1, 2]) }), ShapeError, "'x0'"));
  test('batch sizes that disagree', () =>
    expectError(
      () => lqr({ ...base, c: zeros([2, 3, 3]), x0: zeros([3, 2]) }),
      ShapeError,
      "'x0'",
      'batch size 3',
      "'c' of shape [2,3,3] has 2",
    ));
  test('non-finite values', () =>
    expectError(
      () => lqr({ ...base, c: new Tensor(Float64Array.of(NaN, ...new Array(8).fill(0)), [3, 3]) }),
      InvalidInputError,
      "'c'",
      'NaN',
    ));
  test('a non-PSD cost block', () => {
    const C = Float64Array.from(base.C.data);
    C[9 + 4] = -5; // time step 1, entry (1,1)
    expectError(() => lqr({ ...base, C: new Tensor(C, [3, 3, 3]) }), InvalidInputError, "'C'", 'time step 1', 'positive semidefinite');
  });
  test('a non-symmetric C counts by its symmetric part only', () => {
    const C = Float64Array.from(base.C.data);
    C[1]! += 0.3;
    C[3]! -= 0.3;
    const a = lqr(base);
    const b = lqr({ ...base, C: new Tensor(C, [3, 3, 3]) });
    expect(Array.from(b.u.data)).toEqual(Array.from(a.u.data));
  });
  test('inputs are never mutated', () => {
    const copies = Object.fromEntries(Object.entries(base).map(([k, t]) => [k, Array.from(t.data)]));
    lqr(base);
    for (const [k, t] of Object.entries(base)) expect(Array.from(t.data)).toEqual(copies[k]);
  });
  test('a problem without a unique minimizer reports status, not NaN', () => {
    // Zero control cost and zero dynamics: u is not determined.
    const C = tensor([
      [
        [1, 0],
        [0, 0],
      ],
    ]);
    const out = lqr({ C, c: tensor([[0, 1]]), F: zeros([0, 1, 2]), x0: tensor([1]) });
    expect(out.info.status).toEqual(['unbounded']);
    expect(out.u.data.every(Number.isFinite)).toBe(true);
  });
});
