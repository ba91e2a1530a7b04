import { test as fcTest } from '@fast-check/vitest';
import fc from 'fast-check';
import { InvalidInputError, Rng, ShapeError, Tensor, randn, zeros } from '@argmin/autodiff';
import { checkVjp, numRuns } from '@argmin/autodiff/testing';
import { describe, expect, test } from 'vitest';
import { mlp, type Activation } from '../src/mlp.js';
import { parameterCount } from '../src/model.js';
import { expectError, maxAbsDiff } from './helpers/assert.js';

const ACTIVATIONS: readonly Activation[] = ['relu', 'tanh', 'sigmoid', 'softplus', 'softsign', 'identity'];

describe('mlp: parameters and shapes', () => {
  test('one weight [in, out] and bias [out] per layer, plus Wskip [in, out] with linearSkip', () => {
    const net = mlp({ sizes: [3, 7, 5, 2], linearSkip: true });
    expect(net.name).toBe('mlp[3,7,5,2]');
    expect([net.inputSize, net.outputSize]).toEqual([3, 2]);
    const theta = net.init(Rng.seeded(0));
    expect(Object.fromEntries(Object.entries(theta).map(([k, t]) => [k, t.shape]))).toEqual({
      W0: [3, 7],
      b0: [7],
      W1: [7, 5],
      b1: [5],
      W2: [5, 2],
      b2: [2],
      Wskip: [3, 2],
    });
    expect(parameterCount(theta)).toBe(3 * 7 + 7 + 7 * 5 + 5 + 5 * 2 + 2 + 3 * 2);
  });

  test('any leading axes broadcast: [in] → [out], [B, in] → [B, out], [A, B, in] → [A, B, out]', () => {
    const net = mlp({ sizes: [3, 4, 2], activation: 'tanh' });
    const theta = net.init(Rng.seeded(1));
    for (const lead of [[], [5], [2, 3]]) {
      const x = randn([...lead, 3], Rng.seeded(2));
      expect(net.apply(theta, x).shape).toEqual([...lead, 2]);
      expect(net.predict(theta, x).shape).toEqual([...lead, 2]);
    }
    // Rows are independent: a batch gives the rows' outputs.
    const x = randn([4, 3], Rng.seeded(3));
    const row = net.apply(theta, new Tensor(x.data.slice(6, 9), [3]));
    expect(maxAbsDiff(row, new Tensor(net.apply(theta, x).data.slice(4, 6), [2]))).toBeLessThan(1e-15);
  });
});

describe('mlp: predict (raw kernels) computes what apply (ops) computes', () => {
  for (const activation of ACTIVATIONS) {
    for (const outputActivation of ACTIVATIONS) {
      test(`hidden ${activation}, output ${outputActivation}`, () => {
        const net = mlp({ sizes: [4, 6, 5, 3], activation, outputActivation });
        const theta = withRandomBiases(net.init(Rng.seeded(4)), 5);
        const x = randn([7, 4], Rng.seeded(6), 3);
        expect(maxAbsDiff(net.predict(theta, x), net.apply(theta, x))).toBeLessThan(1e-12);
      });
    }
  }

  test('large pre-activations (|v| ~ 1e3) stay finite and agree: stable sigmoid and softplus', () => {
    for (const activation of ACTIVATIONS) {
      const net = mlp({ sizes: [2, 3, 2], activation, outputActivation: activation });
      const theta = net.init(Rng.seeded(7));
      const x = new Tensor(Float64Array.from([800, -900, -1000, 700]), [2, 2]);
      const [a, b] = [net.predict(theta, x), net.apply(theta, x)];
      expect(a.data.every(Number.isFinite)).toBe(true);
      a.data.forEach((v, i) => expect(Math.abs(v - b.data[i]!)).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(v))));
    }
  });

  fcTest.prop(
    [
      fc.record({
        // Widths past the kernels' small-matrix threshold too, so the packed gemm path is covered.
        sizes: fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 2, maxLength: 4 }),
        activation: fc.constantFrom(...ACTIVATIONS),
        linearSkip: fc.boolean(),
        bounds: fc.option(fc.constantFrom<[number, number]>([-1, 1], [-0.3, 2]), { nil: undefined }),
        rows: fc.integer({ min: 1, max: 70 }),
        seed: fc.integer({ min: 0, max: 1e6 }),
      }),
    ],
    { numRuns: numRuns(30) },
  )('random architectures, with and without linearSkip and outputBounds', ({ sizes, activation, linearSkip, bounds, rows, seed }) => {
    const net = mlp({ sizes, activation, linearSkip, ...(bounds ? { outputBounds: bounds } : {}) });
    const rng = Rng.seeded(seed);
    const theta = withRandomBiases(net.init(rng), seed + 1, linearSkip);
    const x = randn([rows, sizes[0]!], rng, 2);
    expect(maxAbsDiff(net.predict(theta, x), net.apply(theta, x))).toBeLessThan(1e-12);
  });

  test('outputBounds clip the output (skip path included) onto the box in both paths', () => {
    const net = mlp({ sizes: [10, 16, 50], activation: 'softsign', linearSkip: true, outputBounds: [-1, 1] });
    const theta = withRandomBiases(net.init(Rng.seeded(21)), 22, true);
    const x = randn([200, 10], Rng.seeded(23), 3);
    const [fast, taped] = [net.predict(theta, x), net.apply(theta, x)];
    expect(maxAbsDiff(fast, taped)).toBeLessThan(1e-12);
    expect(fast.data.every((v) => v >= -1 && v <= 1)).toBe(true);
    // Wide enough inputs put outputs on both bounds, and others strictly inside.
    expect(fast.data.filter((v) => v === 1).length).toBeGreaterThan(0);
    expect(fast.data.filter((v) => v === -1).length).toBeGreaterThan(0);
    expect(fast.data.filter((v) => Math.abs(v) < 1).length).toBeGreaterThan(0);
    const unclipped = mlp({ sizes: [10, 16, 50], activation: 'softsign', linearSkip: true }).predict(theta, x);
    expect(
      maxAbsDiff(
        fast,
        new Tensor(
          unclipped.data.map((v) => Math.min(Math.max(v, -1), 1)),
          unclipped.shape,
        ),
      ),
    ).toBe(0);
  });

  test('buffers kept between calls: batches that shrink and grow, and θ that changes, still give apply', () => {
    const net = mlp({ sizes: [10, 16, 8, 50], activation: 'softsign', linearSkip: true, outputBounds: [-1, 1] });
    for (const [rows, seed] of [
      [70, 30],
      [3, 31],
      [40, 32],
      [120, 33],
    ] as const) {
      const theta = withRandomBiases(net.init(Rng.seeded(seed)), seed + 100, true);
      const x = randn([rows, 10], Rng.seeded(seed + 200), 2);
      const first = net.predict(theta, x);
      expect(maxAbsDiff(first, net.apply(theta, x))).toBeLessThan(1e-12);
      // A later call does not write into an earlier result.
      const copy = Float64Array.from(first.data);
      net.predict(theta, randn([rows, 10], Rng.seeded(seed + 300)));
      expect(first.data).toEqual(copy);
    }
  });

  test('predict leaves x and θ as they were', () => {
    const net = mlp({ sizes: [10, 16, 50], activation: 'tanh', linearSkip: true, outputBounds: [-1, 1] });
    const theta = withRandomBiases(net.init(Rng.seeded(24)), 25, true);
    const x = randn([64, 10], Rng.seeded(26));
    const before = [x, ...Object.values(theta)].map((t) => Array.from(t.data));
    net.predict(theta, x);
    expect([x, ...Object.values(theta)].map((t) => Array.from(t.data))).toEqual(before);
  });
});

describe('mlp: gradients', () => {
  for (const activation of ['tanh', 'sigmoid', 'softplus', 'softsign', 'relu'] as const) {
    test(`the VJP of apply in θ and x passes the dot-product test (${activation}, linearSkip)`, () => {
      const net = mlp({ sizes: [3, 5, 4, 2], activation, linearSkip: true });
      const theta = withRandomBiases(net.init(Rng.seeded(7)), 8, true);
      const x = randn([4, 3], Rng.seeded(9));
      // relu has kinks at 0: with random weights no pre-activation sits within ε of one.
      checkVjp((t: typeof theta, xs: Tensor) => net.apply(t, xs), [theta, x], { seed: 1, rtol: 1e-6 });
    });
  }
});

test('the VJP through outputBounds passes the dot-product test; clipped outputs pass no gradient', () => {
  const net = mlp({ sizes: [3, 5, 4], activation: 'softsign', linearSkip: true, outputBounds: [-0.5, 0.5] });
  const theta = withRandomBiases(net.init(Rng.seeded(27)), 28, true);
  const x = randn([6, 3], Rng.seeded(29));
  const y = net.apply(theta, x);
  // Some outputs clipped, some not (no output within ε of a bound with these seeds).
  expect(y.data.some((v) => Math.abs(v) === 0.5)).toBe(true);
  expect(y.data.some((v) => Math.abs(v) < 0.5)).toBe(true);
  checkVjp((t: typeof theta, xs: Tensor) => net.apply(t, xs), [theta, x], { seed: 2, rtol: 1e-6 });
});

describe('mlp: initialization', () => {
  test('the same seed gives the same θ; another seed another θ', () => {
    const net = mlp({ sizes: [4, 8, 3], linearSkip: true });
    const a = net.init(Rng.seeded(11));
    const b = net.init(Rng.seeded(11));
    const c = net.init(Rng.seeded(12));
    for (const k of Object.keys(a)) expect(Array.from(b[k]!.data)).toEqual(Array.from(a[k]!.data));
    expect(maxAbsDiff(a.W0!, c.W0!)).toBeGreaterThan(0.1);
  });

  test('biases and Wskip start at zero; weights have variance gain/fan-in (He for relu past the first layer), the last scaled by outputScale', () => {
    const theta = mlp({ sizes: [200, 300, 250], outputScale: 0.1, linearSkip: true }).init(Rng.seeded(13));
    for (const k of ['b0', 'b1', 'Wskip']) expect(theta[k]!.data.every((v) => v === 0)).toBe(true);
    const std = (t: Tensor) => Math.sqrt(t.data.reduce((s, v) => s + v * v, 0) / t.size);
    expect(std(theta.W0!) / Math.sqrt(1 / 200)).toBeCloseTo(1, 1);
    expect(std(theta.W1!) / (Math.sqrt(2 / 300) * 0.1)).toBeCloseTo(1, 1);
    const tanhTheta = mlp({ sizes: [200, 300, 250], activation: 'tanh' }).init(Rng.seeded(13));
    expect(std(tanhTheta.W1!) / Math.sqrt(1 / 300)).toBeCloseTo(1, 1);
  });
});

describe('mlp: bad input', () => {
  test('sizes, activations, outputScale, linearSkip with a squashed output', () => {
    expectError(() => mlp({ sizes: [3] }), InvalidInputError, "'sizes'", '[3]');
    expectError(() => mlp({ sizes: [3, 2.5, 1] }), InvalidInputError, "'sizes'", 'positive integers');
    expectError(() => mlp({ sizes: [3, 0, 1] }), InvalidInputError, "'sizes'");
    expectError(() => mlp({ sizes: [3, 1], activation: 'gelu' as Activation }), InvalidInputError, "activation 'gelu'", 'tanh');
    expectError(() => mlp({ sizes: [3, 1], outputActivation: 'swish' as Activation }), InvalidInputError, "outputActivation 'swish'");
    expectError(() => mlp({ sizes: [3, 1], outputScale: 0 }), InvalidInputError, "'outputScale'");
    expectError(() => mlp({ sizes: [3, 1], outputActivation: 'tanh', linearSkip: true }), InvalidInputError, 'mlp[3,1]', 'linearSkip');
    for (const bad of [
      [1, -1],
      [0, 0],
      [Number.NaN, 1],
      [-Infinity, 1],
    ] as [number, number][]) {
      expectError(() => mlp({ sizes: [3, 1], outputBounds: bad }), InvalidInputError, "'outputBounds'", 'lower < upper');
    }
  });

  test('inputs of the wrong width, and θ with a missing or misshapen parameter, name the model and the parameter', () => {
    const net = mlp({ sizes: [3, 5, 2] });
    const theta = net.init(Rng.seeded(0));
    for (const run of [net.apply, net.predict]) {
      expectError(() => run(theta, zeros([4, 2])), ShapeError, 'mlp[3,5,2]', '[4,2]', 'takes 3');
      expectError(() => run(theta, new Tensor(new Float64Array([1]), [])), ShapeError, 'mlp[3,5,2]');
      expectError(() => run({ ...theta, W1: zeros([5, 3]) }, zeros([4, 3])), ShapeError, 'mlp[3,5,2]', "'W1'", '[5,3]', 'expected [5,2]');
      const { b0: _, ...missing } = theta;
      expectError(() => run(missing, zeros([4, 3])), InvalidInputError, 'mlp[3,5,2]', "'b0'", 'missing');
    }
  });
});

/** θ with every bias (and Wskip) drawn at random too, so no term of a check is zero. */
function withRandomBiases(theta: Record<string, Tensor>, seed: number, skip = false): Record<string, Tensor> {
  const rng = Rng.seeded(seed);
  const out: Record<string, Tensor> = {};
  for (const [k, t] of Object.entries(theta)) out[k] = k.startsWith('b') || (skip && k === 'Wskip') ? randn(t.shape, rng, 0.5) : t;
  return out;
}
