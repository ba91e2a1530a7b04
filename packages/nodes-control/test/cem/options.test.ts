import { InvalidInputError, Rng, ShapeError, Tensor, expandDims, mul, sub, sum, tensor, zeros } from '@argmin/autodiff';
import { describe, expect, test } from 'vitest';
import { cem } from '../../src/cem/cem.js';
import { type CemNodeOptions, cemSolve } from '../../src/cem/node.js';

// Issue #21: control.cem's options are one strict schema (unknown keys and wrong types are typed
// errors naming the node and the option), and hard CEM refuses objective values it cannot rank.

const quadratic = (x: Tensor, theta: Tensor | undefined) => {
  const d = sub(x, expandDims(theta!, 1));
  return sum(mul(d, d), -1);
};
const nodeOptions: CemNodeOptions = { objective: quadratic, nSamples: 8, nElite: 2, iters: 3, seed: 3 };
const params = { mu0: zeros([2]), sigma0: tensor([1, 1]), theta: tensor([0.5, -0.5]) };
const config = { mu0: tensor([0.5, -0.5]), sigma0: 1, nSamples: 8, nElite: 2, iters: 3 };
const f = (x: Tensor) => sum(mul(x, x), -1);

describe('control.cem node: options checked against its schema', () => {
  test.each([
    ['maxIters', 10, " (did you mean 'maxIter'?)"],
    ['temprature', 2, " (did you mean 'temperature'?)"],
    ['nElites', 2, " (did you mean 'nElite'?)"],
    ['tolerance', 1e-6, ''],
  ])('misspelled %s', (key, value, near) => {
    expect(() => cemSolve(params, { ...nodeOptions, [key]: value })).toThrow(InvalidInputError);
    expect(() => cemSolve(params, { ...nodeOptions, [key]: value })).toThrow(`control.cem: unknown option '${key}'${near}; valid options:`);
  });

  test.each([
    ['nSamples', 1, 'an integer ≥ 2'],
    ['nElite', 2.5, 'a positive integer'],
    ['iters', '3', 'a positive integer'],
    ['temperature', -1, 'a number > 0'],
    ['temperature', Number.NaN, 'a number > 0'],
    ['objective', 3, 'a function'],
    ['seed', 1.5, 'an integer'],
    ['normalize', 'yes', 'true or false'],
    ['noise', [1, 2], 'a Tensor'],
    ['maxIter', '10', 'an integer ≥ 0'],
  ])('ill-typed %s = %o', (key, value, want) => {
    expect(() => cemSolve(params, { ...nodeOptions, [key]: value })).toThrow(InvalidInputError);
    expect(() => cemSolve(params, { ...nodeOptions, [key]: value })).toThrow(`control.cem: option '${key}' must be ${want}`);
  });

  test('required options missing, cross-field errors and sigma0 ≤ 0 are typed', () => {
    const { objective, ...noObjective } = nodeOptions;
    expect(() => cemSolve(params, noObjective as never)).toThrow("control.cem: option 'objective' must be a function, got undefined");
    expect(() => cemSolve(params, { ...nodeOptions, nElite: 8 })).toThrow("option 'nElite' (8) must be smaller than 'nSamples' (8)");
    expect(() => cemSolve(params, { ...nodeOptions, noise: zeros([3, 8, 3]) })).toThrow(ShapeError);
    expect(() => cemSolve({ ...params, sigma0: tensor([1, 0]) }, nodeOptions)).toThrow("parameter 'sigma0' must be positive");
    expect(() => cemSolve({ ...params, sigma0: tensor([1, 1, 1]) }, nodeOptions)).toThrow(ShapeError);
  });
});

describe('cem(): config and options checked strictly', () => {
  // The cases the options fuzz suite draws: every one must name its key.
  const bads: [string, unknown][] = [
    ...(['maxIters', 'tolerance', 'warmstart', 'temprature', 'onUnconverge'].map((k) => [k, 1]) as [string, unknown][]),
    ['maxIter', '10'],
    ['tol', -1],
    ['maxIter', 2.5],
    ['tol', Number.NaN],
    ['strategy', 'newton'],
    ['onUnconverged', 'ignore'],
    ['lmlTol', 0],
    ['iterTol', -1],
    ['rng', 7],
    ['decoder', 'id'],
  ];
  test.each(bads.map(([k, v]) => ({ [k]: v })))('%o is an InvalidInputError naming the option', (bad) => {
    const key = Object.keys(bad)[0]!;
    const run = () => cem(f, config, { rng: Rng.seeded(1), ...bad } as never);
    expect(run).toThrow(InvalidInputError);
    expect(run).toThrow(new RegExp(`^control\\.cem: (unknown )?option '${key}'`));
  });

  test.each([
    [{ nSample: 8 }, "unknown config entry 'nSample'; valid config: mu0, sigma0, nSamples, nElite, iters, temperature"],
    [{ nSamples: 1 }, "config entry 'nSamples' must be an integer ≥ 2, got number 1"],
    [{ iters: 0 }, "config entry 'iters' must be a positive integer, got number 0"],
    [{ temperature: 0 }, "config entry 'temperature' must be a number > 0"],
    [{ mu0: [0, 0] }, "config entry 'mu0' must be a Tensor, got an array"],
    [{ sigma0: Number.POSITIVE_INFINITY }, "'sigma0' must be positive and finite"],
    [{ mu0: tensor([Number.NaN, 0]) }, "'mu0' must be finite"],
  ])('config %o', (bad, message) => {
    expect(() => cem(f, { ...config, ...bad } as never, { rng: Rng.seeded(1) })).toThrow(InvalidInputError);
    expect(() => cem(f, { ...config, ...bad } as never, { rng: Rng.seeded(1) })).toThrow(`control.cem: ${message}`);
  });

  test('temperature Infinity is hard CEM, as documented', () => {
    const hard = cem(f, config, { rng: Rng.seeded(5) }).mu.data;
    const inf = cem(f, { ...config, temperature: Number.POSITIVE_INFINITY }, { rng: Rng.seeded(5) }).mu.data;
    expect(Array.from(inf)).toEqual(Array.from(hard));
  });
});

describe('objective values CEM cannot rank are typed errors, hard and soft, through cem() and the node', () => {
  const badValue = (fill: number) => (x: Tensor) => {
    const [B, N] = x.shape as [number, number];
    const d = new Float64Array(B * N);
    d[N - 1] = fill; // one bad sample among finite ones: a NaN would sort silently
    return new Tensor(d, [B, N]);
  };
  const cases = [
    ['a NaN value', badValue(Number.NaN), InvalidInputError, /returned NaN at flat index/],
    ['an infinite value', badValue(Number.NEGATIVE_INFINITY), InvalidInputError, /returned -Infinity at flat index/],
    ['a wrong shape', (x: Tensor) => sum(x), ShapeError, /returned shape \[\]; expected \[1,8\]/],
    ['a number', () => 3 as unknown as Tensor, InvalidInputError, /returned number; it must return a Tensor/],
  ] as const;

  test.each(cases)('cem() with %s', (_name, bad, type, message) => {
    for (const temperature of [undefined, 2]) {
      const run = () => cem(bad, { ...config, ...(temperature ? { temperature } : {}) }, { rng: Rng.seeded(2) });
      expect(run).toThrow(type);
      expect(run).toThrow(message);
      expect(run).toThrow(/^control\.cem: the objective f at iteration 0/);
    }
  });

  test.each(cases)("the node with %s, strategies 'solve' and 'unroll'", (_name, bad, type, message) => {
    const objective = (x: Tensor) => bad(x);
    for (const strategy of ['solve', 'unroll'] as const) {
      const run = () => cemSolve(params, { ...nodeOptions, objective, temperature: 2, strategy });
      expect(run).toThrow(type);
      expect(run).toThrow(message);
    }
  });
});
