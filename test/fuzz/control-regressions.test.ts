// Issue #21: MPC with box bounds and a zero control-cost block reported 'unbounded'; hard CEM
// accepted NaN or wrong-shaped objective values; `optimizer: {}` and `maxDepth: NaN` crashed
// with untyped errors (a TypeError, zod's stack overflow).
import { InvalidInputError, Rng, ShapeError, Tensor, randn, sum, tensor } from '@argmin/autodiff';
import { GraphFormatError, fromJSON } from '@argmin/graph';
import { amortize, mlp } from '@argmin/nodes-amortized';
import { cem, mpc } from '@argmin/nodes-control';
import { lmlNode } from '@argmin/nodes-convex';
import { describe, expect, test } from 'vitest';

const T = 4;
const blocks = (v: number[], count: number, shape: number[]) =>
  new Tensor(Float64Array.from(Array.from({ length: count }, () => v).flat()), shape);
// x_{t+1} = x_t + u_t, cost Σ ½x_t² + 0.1·u_t: no quadratic cost on u at all.
const problem = (bounds: boolean) => ({
  C: blocks([1, 0, 0, 0], T, [T, 2, 2]),
  c: blocks([0, 0.1], T, [T, 2]),
  x0: tensor([2]),
  dynamics: { F: blocks([1, 1], T - 1, [T - 1, 1, 2]) },
  ...(bounds ? { uLower: -1, uUpper: 1 } : {}),
});

describe('issue #21: MPC with a zero control cost', () => {
  test('box bounds make it bounded: the exact minimizer, converged', () => {
    const out = mpc(problem(true));
    expect(out.info.status).toEqual(['converged']);
    // u₀ = u₁ = −1 drive x to 0; u₂ = −0.1 minimizes ½u² + 0.1u; u₃ only pays 0.1u.
    const expected = [-1, -1, -0.1, -1];
    for (let t = 0; t < T; t++) expect(out.u.data[t]).toBeCloseTo(expected[t]!, 10);
  });

  test('an all-zero cost with bounds goes to the bounds; without bounds it is unbounded', () => {
    const flat = { ...problem(true), C: new Tensor(new Float64Array(T * 4), [T, 2, 2]) };
    const out = mpc(flat);
    expect(out.info.status).toEqual(['converged']);
    expect(Array.from(out.u.data)).toEqual([-1, -1, -1, -1]);
    expect(mpc(problem(false)).info.status).toEqual(['unbounded']);
  });
});

describe('issue #21: hard CEM checks the objective values', () => {
  const config = { mu0: tensor([0.5, -0.5]), sigma0: 1, nSamples: 8, nElite: 2, iters: 3 };
  const rng = () => Rng.seeded(7);
  test.each([
    [
      'NaN values',
      (x: Tensor) => new Tensor(new Float64Array(x.shape[0]! * x.shape[1]!).fill(Number.NaN), [x.shape[0]!, x.shape[1]!]),
      InvalidInputError,
    ],
    [
      'Infinity values',
      (x: Tensor) => new Tensor(new Float64Array(x.shape[0]! * x.shape[1]!).fill(Number.POSITIVE_INFINITY), [x.shape[0]!, x.shape[1]!]),
      InvalidInputError,
    ],
    ['a wrong shape', (x: Tensor) => sum(x), ShapeError],
    ['a number', () => 3 as unknown as Tensor, InvalidInputError],
  ] as const)('%s are a typed error naming control.cem', (_name, f, type) => {
    expect(() => cem(f, config, { rng: rng() })).toThrow(type);
    expect(() => cem(f, config, { rng: rng() })).toThrow(/control\.cem: the objective f/);
  });
  test('a good objective still runs (hard and soft)', () => {
    const f = (x: Tensor) => sum(x, -1);
    expect(cem(f, config, { rng: rng() }).info.iterations).toBe(3);
    expect(cem(f, { ...config, temperature: 2 }, { rng: rng() }).info.iterations).toBe(3);
  });
});

describe('issue #21: untyped crashes', () => {
  test('amortize(...).fit with optimizer: {} is an InvalidInputError', () => {
    const am = amortize(lmlNode, mlp({ sizes: [3, 3] }), {
      problem: (x: Tensor) => ({ x }),
      nodeOptions: { k: 2 },
      loss: 'regression',
    });
    const net = mlp({ sizes: [3, 3] });
    const theta = net.init(Rng.seeded(1));
    const data = { x: randn([16, 3], Rng.seeded(2)) };
    expect(() => am.fit(theta, data, { steps: 1, optimizer: {} as never })).toThrow(InvalidInputError);
    expect(() => am.fit(theta, data, { steps: 1, optimizer: {} as never })).toThrow(/'optimizer' must be an optimizer/);
  });

  test.each([Number.NaN, 0, -1, 2.5, Number.POSITIVE_INFINITY])('fromJSON with maxDepth: %s is a GraphFormatError', (maxDepth) => {
    let deep: unknown = 0;
    for (let i = 0; i < 20_000; i++) deep = [deep];
    expect(() => fromJSON({ format: 'argmin-graph', nodes: deep }, { maxDepth })).toThrow(GraphFormatError);
    expect(() => fromJSON(deep, { maxDepth })).toThrow(GraphFormatError);
  });
});
