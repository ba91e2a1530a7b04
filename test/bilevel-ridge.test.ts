import { Rng, Tensor, grad, randn, vjp } from '@argmin/autodiff';
import { checkVjp } from '@argmin/autodiff/testing';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { hyperHvp, hypergradient, makeRidgeData, runBilevelRidge, validationLoss } from '../examples/lib/bilevel-ridge.js';

const unroll = { kind: 'unroll', steps: 40 } as const;

function distance(a: Tensor, b: Tensor): number {
  let d = 0;
  let s = 0;
  a.data.forEach((v, i) => {
    d += (v - b.data[i]!) ** 2;
    s = Math.max(s, v * v, b.data[i]! ** 2);
  });
  return Math.sqrt(d) / Math.sqrt(s * a.size);
}

describe('bilevel ridge: hypergradients by implicit differentiation', () => {
  // Small instances, penalties spread over three decades.
  const instance = fc
    .record({ seed: fc.integer({ min: 0, max: 10_000 }), lambdaSeed: fc.integer({ min: 0, max: 10_000 }) })
    .map(({ seed, lambdaSeed }) => {
      const data = makeRidgeData({ d: 6, relevant: 2, nTrain: 10, nVal: 12, nTest: 1, seed });
      const logLambda = new Tensor(
        randn([6], Rng.seeded(lambdaSeed)).data.map((v) => v - 1),
        [6],
      );
      return { data, logLambda, seed };
    });

  test('the hypergradient matches central differences of the validation loss, and the unrolled solver', () => {
    fc.assert(
      fc.property(instance, ({ data, logLambda, seed }) => {
        checkVjp((l: Tensor) => validationLoss(data, l), [logLambda], { seed, rtol: 1e-7 });
        const viaUnroll = unrolledHypergradient(data, logLambda);
        expect(distance(hypergradient(data, logLambda), viaUnroll)).toBeLessThan(1e-8);
      }),
      { numRuns: 8, seed: 3 },
    );
  });

  test('the hyper-Hessian-vector product matches differences of the hypergradient, and unroll', () => {
    fc.assert(
      fc.property(instance, ({ data, logLambda, seed }) => {
        checkVjp((l: Tensor) => hypergradient(data, l), [logLambda], { seed, rtol: 1e-6 });
        const v = randn([6], Rng.seeded(seed + 1));
        const viaUnroll = unrolledHyperHvp(data, logLambda, v);
        expect(distance(hyperHvp(data, logLambda, v), viaUnroll)).toBeLessThan(1e-7);
      }),
      { numRuns: 5, seed: 4 },
    );
  });

  test('learned per-feature penalties beat the best uniform penalty on held-out data', () => {
    const r = runBilevelRidge({ steps: 60, nTest: 1000 });
    expect(r.validationHistory.at(-1)!).toBeLessThan(0.6 * r.validationHistory[0]!);
    expect(r.learned.test).toBeLessThan(0.7 * r.uniform.test);
    expect(r.meanLogLambda.irrelevant).toBeGreaterThan(r.meanLogLambda.relevant + 2);
  });
});

type Data = ReturnType<typeof makeRidgeData>;

/** The same hypergradient through the unrolled interior-point iterations instead of the implicit VJP. */
function unrolledHypergradient(data: Data, logLambda: Tensor): Tensor {
  return grad((l: Tensor) => validationLoss(data, l, unroll))(logLambda) as Tensor;
}

function unrolledHyperHvp(data: Data, logLambda: Tensor, v: Tensor): Tensor {
  return vjp((l: Tensor) => unrolledHypergradient(data, l), logLambda).pullback(v)[0] as Tensor;
}
