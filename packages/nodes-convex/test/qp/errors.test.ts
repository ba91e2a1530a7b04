import { ConvergenceError, InvalidInputError, ShapeError, type Tensor, tensor, vjp } from '@argmin/autodiff';
import { stackBatch } from '@argmin/autodiff/extend';
import { describe, expect, test } from 'vitest';
import { qp, type QpParams } from '../../src/qp/node.js';
import { generateQp } from './arbitraries.js';

const base = (): QpParams => generateQp({ n: 3, m: 2, k: 1 }, 11).params;
const withParam = (key: keyof QpParams, t: Tensor | undefined): QpParams => {
  const p: Record<string, Tensor | undefined> = { ...base(), [key]: t };
  if (t === undefined) delete p[key];
  return p as QpParams;
};
const expectError = (params: QpParams, type: typeof ShapeError | typeof InvalidInputError, ...fragments: string[]) => {
  let caught: unknown;
  try {
    qp(params);
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(type);
  for (const f of ['convex.qp', ...fragments]) expect((caught as Error).message).toContain(f);
};

describe('convex.qp — bad input gives typed errors naming the node and the parameter', () => {
  test('Q not symmetric', () => {
    expectError(
      withParam(
        'Q',
        tensor([
          [2, 1, 0],
          [0, 2, 0],
          [0, 0, 2],
        ]),
      ),
      InvalidInputError,
      "'Q'",
      'not symmetric',
      'Q[1,0]',
    );
  });

  test('Q indefinite names the batch element', () => {
    const good = base().Q;
    const bad = tensor([
      [1, 0, 0],
      [0, -1, 0],
      [0, 0, 1],
    ]);
    expectError(withParam('Q', stackBatch([good, bad])), InvalidInputError, "'Q'", 'batch element 1', 'not positive semidefinite');
  });

  test('a singular positive semidefinite Q is accepted', () => {
    const out = qp(
      withParam(
        'Q',
        tensor([
          [1, 0, 0],
          [0, 1, 0],
          [0, 0, 0],
        ]),
      ),
    );
    expect(['converged', 'unbounded']).toContain(out.info.status[0]);
  });

  test('NaN and Infinity name the parameter', () => {
    expectError(withParam('h', tensor([0, NaN])), InvalidInputError, "'h'", 'NaN');
    expectError(withParam('p', tensor([0, Infinity, 1])), InvalidInputError, "'p'", 'Infinity');
    expectError(withParam('A', tensor([[0, -Infinity, 1]])), InvalidInputError, "'A'");
  });

  test('sizes that do not fit name both parameters and both shapes', () => {
    expectError(withParam('p', tensor([1, 2])), ShapeError, "'p'", '[2]', "'Q'", '[3,3]');
    expectError(
      withParam(
        'G',
        tensor([
          [1, 2],
          [3, 4],
        ]),
      ),
      ShapeError,
      "'G'",
      '[2,2]',
      "'Q'",
      '[3,3]',
    );
    expectError(withParam('h', tensor([1, 2, 3])), ShapeError, "'h'", '[3]', "'G'", '[2,3]');
    expectError(withParam('b', tensor([1, 2])), ShapeError, "'b'", '[2]', "'A'", '[1,3]');
    expectError(
      withParam(
        'Q',
        tensor([
          [1, 0],
          [0, 1],
          [0, 0],
        ]),
      ),
      ShapeError,
      "'Q'",
      '[3,2]',
      'square',
    );
  });

  test('batch sizes that differ name both parameters and both shapes', () => {
    const p = base();
    expectError({ ...p, Q: stackBatch([p.Q, p.Q]), p: stackBatch([p.p, p.p, p.p]) }, ShapeError, "'p'", '[3,3]', "'Q'", '[2,3,3]');
  });

  test('wrong rank, unpaired constraints and unknown parameters', () => {
    expectError(withParam('p', tensor([[[1, 2, 3]]])), ShapeError, "'p'", 'rank 1');
    expectError(withParam('h', undefined), InvalidInputError, "'G'", "'h'");
    expectError(withParam('A', undefined), InvalidInputError, "'A'", "'b'");
    expectError({ ...base(), c: tensor([1]) } as unknown as QpParams, InvalidInputError, "'c'");
  });

  test('a warm start of the wrong shape', () => {
    expect(() => qp(base(), { warmStart: { z: tensor([1, 2]) } })).toThrow(/convex\.qp: warmStart\.z of shape \[2\]/);
  });

  test('inputs are never mutated', () => {
    const params = base();
    const copies = Object.fromEntries(Object.entries(params).map(([k, t]) => [k, Float64Array.from(t.data)]));
    const { pullback } = vjp((p: QpParams) => {
      const o = qp(p);
      return [o.z, o.lam, o.nu, o.slack];
    }, params);
    pullback([tensor([1, 1, 1]), tensor([1, 1]), tensor([1]), tensor([1, 1])]);
    for (const [k, t] of Object.entries(params)) expect(Array.from(t.data), k).toEqual(Array.from(copies[k]!));
  });
});

describe('convex.qp — infeasible and unbounded elements are detected, never NaN', () => {
  const feasible = generateQp({ n: 2, m: 2, k: 0 }, 5).params;
  // z₀ ≤ −1 and −z₀ ≤ −1 (z₀ ≥ 1): no feasible point.
  const infeasible: QpParams = {
    Q: feasible.Q,
    p: feasible.p,
    G: tensor([
      [1, 0],
      [-1, 0],
    ]),
    h: tensor([-1, -1]),
  };
  const batch: QpParams = {
    Q: feasible.Q,
    p: feasible.p,
    G: stackBatch([feasible.G!, infeasible.G!]),
    h: stackBatch([feasible.h!, infeasible.h!]),
  };

  test('per-element status, with finite solutions everywhere', () => {
    const out = qp(batch);
    expect(out.info.status).toEqual(['converged', 'infeasible']);
    for (const t of [out.z, out.lam, out.nu, out.slack]) expect(t.data.every(Number.isFinite)).toBe(true);
  });

  test('unbounded problems (singular Q) are reported as such', () => {
    const lp: QpParams = {
      Q: tensor([
        [0, 0],
        [0, 0],
      ]),
      p: tensor([-1, 0]),
      G: tensor([[0, 1]]),
      h: tensor([1]),
    };
    expect(qp(lp).info.status).toEqual(['unbounded']);
    const psd: QpParams = {
      Q: tensor([
        [1, 0],
        [0, 0],
      ]),
      p: tensor([0, -1]),
      G: tensor([[1, 0]]),
      h: tensor([1]),
    };
    expect(qp(psd).info.status).toEqual(['unbounded']);
    const inconsistent: QpParams = {
      Q: tensor([
        [1, 0],
        [0, 1],
      ]),
      p: tensor([0, 0]),
      A: tensor([
        [1, 1],
        [1, 1],
      ]),
      b: tensor([0, 1]),
    };
    expect(qp(inconsistent).info.status).toEqual(['infeasible']);
  });

  test("gradients follow the policy: 'error' throws, 'zero' zeroes only the bad element", () => {
    const cot = tensor([
      [1, 1],
      [1, 1],
    ]);
    const run = (onUnconverged: 'error' | 'zero' | 'unroll-fallback') =>
      vjp((p: QpParams) => qp(p, { onUnconverged }).z, batch).pullback(cot)[0] as QpParams;
    expect(() => run('error')).toThrow(ConvergenceError);
    const g = run('zero');
    expect(g.G!.data.subarray(4).every((v) => v === 0)).toBe(true);
    expect(g.h!.data.subarray(2).every((v) => v === 0)).toBe(true);
    expect(
      g.h!.data.subarray(0, 2).some((v) => v !== 0) || g.G!.data.subarray(0, 4).some((v) => v !== 0) || g.p.data.some((v) => v !== 0),
    ).toBe(true);
    for (const t of Object.values(g)) expect(t.data.every(Number.isFinite)).toBe(true);
    // 'unroll-fallback' unrolls the Newton iteration on the infeasible element: no crash, no NaN,
    // and the feasible element keeps its implicit gradient.
    const u = run('unroll-fallback');
    for (const t of Object.values(u)) expect(t.data.every(Number.isFinite)).toBe(true);
    expect(Array.from(u.G!.data.subarray(0, 4))).toEqual(Array.from(g.G!.data.subarray(0, 4)));
  });
});
