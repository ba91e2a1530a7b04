import { test as fcTest } from '@fast-check/vitest';
import fc from 'fast-check';
import { InvalidInputError, Rng, ShapeError, Tensor, grad, randn, sum } from '@argmin/autodiff';
import { checkVjp, numRuns } from '@argmin/autodiff/testing';
import { describe, expect, test } from 'vitest';
import { icnn, type IcnnParams } from '../src/icnn.js';
import { expectError } from './helpers/assert.js';

/** Parameters far from the init: raw hidden weights of both signs, so softplus does real work. */
function randomTheta(net: ReturnType<typeof icnn>, seed: number, spread = 1.5): IcnnParams {
  const rng = Rng.seeded(seed);
  const theta = net.init(rng);
  return Object.fromEntries(Object.entries(theta).map(([k, t]) => [k, randn(t.shape, rng, spread)]));
}

describe('icnn: convexity', () => {
  fcTest.prop(
    [
      fc.integer({ min: 1, max: 6 }),
      fc.array(fc.integer({ min: 1, max: 8 }), { minLength: 1, maxLength: 3 }),
      fc.integer({ min: 0, max: 3 }),
      fc.integer(),
      fc.double({ min: 0.05, max: 0.95, noNaN: true }),
    ],
    { numRuns: numRuns(60, 300) },
  )('f(tx + (1 − t)y) ≤ t f(x) + (1 − t) f(y) on random segments, for any raw parameters', (d, hidden, rank, seed, t) => {
    const net = icnn({ input: d, hidden, quadraticRank: rank, strongConvexity: 0 });
    const theta = randomTheta(net, seed);
    const rng = Rng.seeded(seed + 1);
    const x = randn([d], rng, 2);
    const y = randn([d], rng, 2);
    const mid = new Tensor(
      x.data.map((v, i) => t * v + (1 - t) * y.data[i]!),
      [d],
    );
    const f = (z: Tensor) => net.apply(theta, z).item();
    const chord = t * f(x) + (1 - t) * f(y);
    expect(f(mid)).toBeLessThanOrEqual(chord + 1e-9 * (1 + Math.abs(chord)));
  });

  test('the check can fail: the same net with signed hidden weights is not convex somewhere', () => {
    // Control for the property above: drop softplus on U (use raw signed weights) and search.
    const d = 2;
    const rng = Rng.seeded(3);
    let violated = false;
    for (let trial = 0; trial < 200 && !violated; trial++) {
      const W0 = randn([d, 4], rng, 2);
      const U = randn([4, 1], rng, 2);
      const f = (x: number[]) => {
        let v = 0;
        for (let j = 0; j < 4; j++) {
          const s = x[0]! * W0.data[j]! + x[1]! * W0.data[4 + j]!;
          v += U.data[j]! * Math.log1p(Math.exp(s));
        }
        return v;
      };
      const x = [rng.normal() * 2, rng.normal() * 2];
      const y = [rng.normal() * 2, rng.normal() * 2];
      const m = [(x[0]! + y[0]!) / 2, (x[1]! + y[1]!) / 2];
      if (f(m) > (f(x) + f(y)) / 2 + 1e-9) violated = true;
    }
    expect(violated).toBe(true);
  });
});

describe('icnn: gradients', () => {
  fcTest.prop([fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 2 }), fc.integer()], { numRuns: numRuns(15, 80) })(
    'checkVjp: apply w.r.t. the parameters and the input',
    (d, depth, seed) => {
      const net = icnn({ input: d, hidden: Array.from({ length: depth }, () => 3), quadraticRank: 2, strongConvexity: 0.1 });
      const theta = randomTheta(net, seed, 0.8);
      const x = randn([3, d], Rng.seeded(seed + 7));
      checkVjp((th: IcnnParams, z: Tensor) => net.apply(th, z), [theta, x], { seed, rtol: 1e-5, atol: 1e-8 });
    },
  );

  fcTest.prop([fc.integer({ min: 1, max: 5 }), fc.integer()], { numRuns: numRuns(20, 100) })(
    'valueAndGrad (raw kernels) equals apply and its autodiff gradient in x',
    (d, seed) => {
      const net = icnn({ input: d, hidden: [5, 4, 3], quadraticRank: 3 });
      const theta = randomTheta(net, seed, 1);
      const x = randn([4, d], Rng.seeded(seed + 3));
      const { value, grad: g } = net.valueAndGrad(theta, x.data, 4);
      const ref = net.apply(theta, x);
      const refGrad = grad((z: Tensor) => sum(net.apply(theta, z)))(x) as Tensor;
      value.forEach((v, i) => expect(v).toBeCloseTo(ref.data[i]!, 10));
      g.forEach((v, i) => expect(Math.abs(v - refGrad.data[i]!)).toBeLessThanOrEqual(1e-10 * (1 + Math.abs(v))));
    },
  );
});

describe('icnn: Hessian', () => {
  fcTest.prop([fc.integer({ min: 1, max: 5 }), fc.integer({ min: 0, max: 3 }), fc.integer()], { numRuns: numRuns(20, 100) })(
    'hessian equals central differences of valueAndGrad and is positive semidefinite',
    (d, rank, seed) => {
      const net = icnn({ input: d, hidden: [5, 4, 3], quadraticRank: rank, strongConvexity: 0 });
      const theta = randomTheta(net, seed, 1);
      const rng = Rng.seeded(seed + 5);
      const B = 3;
      const x = randn([B, d], rng).data;
      const H = net.hessian(theta, x, B);
      const e = 1e-5;
      for (let r = 0; r < B; r++) {
        for (let i = 0; i < d; i++) {
          const xp = Float64Array.from(x);
          const xm = Float64Array.from(x);
          xp[r * d + i]! += e;
          xm[r * d + i]! -= e;
          const gp = net.valueAndGrad(theta, xp, B).grad;
          const gm = net.valueAndGrad(theta, xm, B).grad;
          for (let j = 0; j < d; j++) {
            const fd = (gp[r * d + j]! - gm[r * d + j]!) / (2 * e);
            const h = H[r * d * d + j * d + i]!;
            expect(Math.abs(fd - h)).toBeLessThanOrEqual(1e-5 * (1 + Math.abs(h)));
            expect(h).toBe(H[r * d * d + i * d + j]!);
          }
        }
        const v = randn([d], rng).data;
        let vHv = 0;
        for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) vHv += v[i]! * H[r * d * d + i * d + j]! * v[j]!;
        expect(vHv).toBeGreaterThanOrEqual(-1e-12);
      }
    },
  );

  test('hessian checks its input size', () => {
    const net = icnn({ input: 2, hidden: [3] });
    expectError(() => net.hessian(net.init(Rng.seeded(0)), new Float64Array(5), 2), ShapeError, 'hessian needs x of 2×2');
  });
});

describe('icnn: shapes and errors', () => {
  test('the init starts near ½‖x‖² (∇f ≈ identity), and [B, d] → [B, 1]', () => {
    const net = icnn({ input: 3, hidden: [8, 8] });
    const theta = net.init(Rng.seeded(0));
    const x = randn([5, 3], Rng.seeded(1));
    expect(net.apply(theta, x).shape).toEqual([5, 1]);
    expect(net.predict(theta, x).shape).toEqual([5, 1]);
    const { grad: g } = net.valueAndGrad(theta, x.data, 5);
    g.forEach((v, i) => expect(Math.abs(v - x.data[i]!)).toBeLessThan(0.5));
  });

  test('bad options and inputs name what is wrong', () => {
    expectError(() => icnn({ input: 0, hidden: [3] }), InvalidInputError, "'input'");
    expectError(() => icnn({ input: 2, hidden: [] }), InvalidInputError, "'hidden'");
    expectError(() => icnn({ input: 2, hidden: [3], strongConvexity: -1 }), InvalidInputError, 'strongConvexity');
    const net = icnn({ input: 2, hidden: [3] });
    const theta = net.init(Rng.seeded(0));
    expectError(() => net.apply(theta, randn([4, 3], Rng.seeded(0))), ShapeError, 'must end in 2');
    const { W0: _, ...missing } = theta;
    expectError(() => net.apply(missing, randn([4, 2], Rng.seeded(0))), InvalidInputError, "'W0' is missing");
  });
});
