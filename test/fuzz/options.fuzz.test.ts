// Issue #21: misspelled and ill-typed options were silently accepted. Each case must be an
// InvalidInputError naming the node and the option, for every node family.
import { InvalidInputError, Rng, Tensor, sum, tensor } from '@argmin/autodiff';
import { cem, lqr, mpc } from '@argmin/nodes-control';
import { cone, lmlSolve, qp, reluLayer, sigmoidLayer, sinkhorn, softmaxLayer, sparsemaxLayer } from '@argmin/nodes-convex';
import fc from 'fast-check';
import { afterAll, describe, test } from 'vitest';
import { BrokenPromise, fuzzCase, fuzzRuns, report } from './harness.js';

afterAll(() => report('options'));

const I = tensor([
  [1, 0],
  [0, 1],
]);
const calls: Record<string, (options: object) => unknown> = {
  'convex.qp': (o) => qp({ Q: I, p: tensor([1, 1]) }, o),
  'control.cem': (o) =>
    cem((x) => sum(x, -1), { mu0: tensor([0, 0]), sigma0: 1, nSamples: 4, nElite: 2, iters: 1 }, { rng: Rng.seeded(1), ...o }),
  'convex.lml': (o) => lmlSolve(tensor([1, 2, 3]), { k: 1 }, o),
  'convex.sinkhorn': (o) => sinkhorn({ a: tensor([0.5, 0.5]), b: tensor([0.5, 0.5]), C: I }, { epsilon: 0.1, ...o }),
  'convex.relu': (o) => reluLayer({ x: tensor([1, -1]) }, o).y,
  'convex.sigmoid': (o) => sigmoidLayer({ x: tensor([1, -1]) }, o).y,
  'convex.softmax': (o) => softmaxLayer({ x: tensor([1, -1]) }, o).y,
  'convex.sparsemax': (o) => sparsemaxLayer({ x: tensor([1, -1]) }, o).y,
  'convex.cone': (o) => cone({ A: tensor([[1], [-1]]), b: tensor([1, 1]), c: tensor([1]) }, { cones: { nonneg: 2 }, ...o }),
  'control.lqr': (o) =>
    lqr(
      {
        C: new Tensor(Float64Array.of(1, 0, 0, 1, 1, 0, 0, 1), [2, 2, 2]),
        c: new Tensor(new Float64Array(4), [2, 2]),
        F: new Tensor(Float64Array.of(1, 1), [1, 1, 2]),
        x0: tensor([1]),
      },
      o,
    ),
  'control.mpc': (o) =>
    mpc(
      {
        C: new Tensor(Float64Array.of(1, 0, 0, 1, 1, 0, 0, 1), [2, 2, 2]),
        c: new Tensor(new Float64Array(4), [2, 2]),
        x0: tensor([1]),
        dynamics: { F: new Tensor(Float64Array.of(1, 1), [1, 1, 2]) },
      },
      o,
    ),
};

const misspelled = [{ maxIters: 10 }, { tolerance: 1e-6 }, { warmstart: {} }, { temprature: 2 }, { onUnconverge: 'zero' }];
const illTyped = [
  { maxIter: '10' },
  { tol: -1 },
  { maxIter: 2.5 },
  { tol: Number.NaN },
  { strategy: 'newton' },
  { onUnconverged: 'ignore' },
];
const nodeSpecific: [string, object][] = [
  ['convex.qp', { polish: 'no' }],
  ['convex.softmax', { temperature: 0 }],
  ['convex.cone', { anderson: -1 }],
  ['convex.cone', { polish: 'no' }],
  ['convex.cone', { kkt: 'qr' }],
  ['convex.cone', { tolInfeasible: 0 }],
  ['convex.cone', { alpha: 2 }],
  ['convex.cone', { cones: [2] }],
  ['control.mpc', { linesearchDecay: 2 }],
];

describe('fuzz: options are validated', () => {
  test('misspelled and ill-typed options are InvalidInputErrors naming the node and the option', () => {
    fc.assert(
      fc.property(fc.constantFrom(...Object.keys(calls)), fc.constantFrom(...misspelled, ...illTyped), (node, options) => {
        const key = Object.keys(options)[0]!;
        fuzzCase(`options/${node}`, () => {
          try {
            calls[node]!(options);
          } catch (e) {
            if (e instanceof InvalidInputError && e.message.includes(key)) throw e;
            throw new BrokenPromise(`${node} with ${JSON.stringify(options)}: ${(e as Error).constructor.name}: ${(e as Error).message}`);
          }
          throw new BrokenPromise(`${node} accepted ${JSON.stringify(options)}`);
        });
      }),
      { numRuns: fuzzRuns(120) },
    );
  });

  test.each(nodeSpecific)('%s rejects %o', (node, options) => {
    fuzzCase(`options/${node}`, () => {
      calls[node]!(options);
      throw new BrokenPromise(`${node} accepted ${JSON.stringify(options)}`);
    });
  });
});
