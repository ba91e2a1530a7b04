import {
  ConvergenceError,
  InvalidInputError,
  Rng,
  ShapeError,
  Tensor,
  div,
  mul,
  randn,
  sub,
  sum,
  zeros,
  type OptimizationNode,
} from '@argmin/autodiff';
import { defineNode } from '@argmin/autodiff/extend';
import { qpNode } from '@argmin/nodes-convex';
import { describe, expect, test } from 'vitest';
import { amortize, type AmortizationLoss } from '../src/amortize.js';
import { mlp } from '../src/mlp.js';
import { expectError } from './helpers/assert.js';
import { qpFamily } from './helpers/families.js';

const fam = qpFamily(4, 3);
const net = mlp({ sizes: [3, 4] });
const theta = net.init(Rng.seeded(0));
const x = randn([5, 3], Rng.seeded(1));
const name = 'amortize(convex.qp, mlp[3,4])';

/** y*(a) = argmin ½‖y − a‖² + ½‖y‖² = a/2, a node of our own with no `step` and no known objective. */
type Half = { a: Tensor };
const halfNode: OptimizationNode<Half, { y: Tensor }> = defineNode<Half, { y: Tensor }>({
  name: 'test.half',
  signature: { params: { a: 1 }, solution: { y: 1 } },
  solve: ({ a }) => ({
    solution: {
      y: new Tensor(
        a.data.map((v) => v / 2),
        a.shape,
      ),
    },
    info: { status: Array(a.ndim === 2 ? a.shape[0]! : 1).fill('converged'), iterations: [1], residual: [0] },
  }),
  optimality: ({ a }, { y }) => sub(mul(y, 2), a),
});

describe('amortize: the model must fit the node', () => {
  test("a model output size other than the predicted entries' size names both", () => {
    const small = amortize(qpNode, mlp({ sizes: [3, 3] }), { problem: fam.problem, loss: 'objective' });
    expectError(() => small.layout(x), ShapeError, 'mlp[3,3]', 'outputs 3 values per context', '{ z: [4] } hold 4');
    const given = amortize(qpNode, mlp({ sizes: [3, 3] }), { problem: fam.problem, loss: 'objective', shapes: { z: [4] } });
    expectError(() => given.fit(net.init(Rng.seeded(0)), { x }, { steps: 1 }), ShapeError, 'outputs 3', 'hold 4');
    const two = amortize(qpNode, mlp({ sizes: [3, 13] }), { problem: fam.problem, loss: 'objective', predict: ['z', 'lam'] });
    expectError(() => two.predict(mlp({ sizes: [3, 13] }).init(Rng.seeded(0)), x), ShapeError, '{ z: [4], lam: [8] } hold 12');
  });

  test('entries the node does not have, shapes of the wrong rank, no way to tell the shapes', () => {
    expectError(
      () => amortize(qpNode, net, { problem: fam.problem, loss: 'objective', predict: ['w' as 'z'] }).layout(x),
      InvalidInputError,
      name,
      "'w' is not a solution entry",
      'z, lam, nu, slack',
    );
    expectError(
      () => amortize(qpNode, net, { problem: fam.problem, loss: 'objective', shapes: { z: [2, 2] } }).layout(),
      ShapeError,
      "'z'",
      'rank 2',
      'rank 1',
    );
    expectError(() => amortize(qpNode, net, { problem: fam.problem, loss: 'objective' }).layout(), InvalidInputError, "give 'shapes'");
  });

  test('contexts of the wrong shape are a ShapeError in every entry point', () => {
    const am = amortize(qpNode, net, { problem: fam.problem, loss: 'regression' });
    for (const bad of [randn([5, 2], Rng.seeded(0)), randn([3], Rng.seeded(0)), randn([2, 5, 3], Rng.seeded(0))]) {
      const shape = `[${bad.shape.join(',')}]`;
      expectError(() => am.predict(theta, bad), ShapeError, name, '[B, 3]', shape);
      expectError(() => am.infer(theta, bad), ShapeError, name, shape);
      expectError(() => am.solve(bad), ShapeError, name, shape);
      expectError(() => am.dataset(bad), ShapeError, name, shape);
      expectError(() => am.fit(theta, { x: bad }, { steps: 1 }), ShapeError, name, shape);
    }
  });
});

describe('amortize: training data', () => {
  const am = amortize(qpNode, net, { problem: fam.problem, loss: 'regression' });

  test('regression without the solutions in the data, or with targets of the wrong shape', () => {
    expectError(() => am.fit(theta, { x }, { steps: 1 }), InvalidInputError, name, "solutions 'z'", 'dataset(x)');
    expectError(() => am.loss(theta, { x }), InvalidInputError, "solutions 'z'");
    expectError(() => am.loss(theta, { x, z: zeros([5, 3]) }), ShapeError, "targets 'z'", '[5,3]', '[5,4]');
    expectError(() => am.loss(theta, { z: zeros([5, 4]) }), InvalidInputError, "contexts 'x'");
  });

  test('a NaN in the contexts or targets names the entry, sample and feature (before any solve)', () => {
    for (const at of [1, 7]) {
      const bad = Float64Array.from(x.data);
      bad[at] = NaN;
      const sample = `sample ${Math.floor(at / 3)}, feature ${at % 3}`;
      const objective = amortize(qpNode, net, { problem: fam.problem, loss: 'objective' });
      expectError(() => objective.fit(theta, { x: new Tensor(bad, [5, 3]) }, { steps: 1 }), InvalidInputError, "entry 'x'", 'NaN', sample);
    }
    const z = Float64Array.from(am.dataset(x).z!.data);
    z[6] = Infinity;
    expectError(
      () => am.fit(theta, { x, z: new Tensor(z, [5, 4]) }, { steps: 1 }),
      InvalidInputError,
      "entry 'z'",
      'Infinity',
      'sample 1, feature 2',
    );
  });

  test('dataset(x) refuses unconverged solves as regression targets', () => {
    const capped = amortize(qpNode, net, { problem: fam.problem, loss: 'regression', nodeOptions: { maxIter: 1, polish: false } });
    expectError(() => capped.dataset(x), ConvergenceError, name, 'did not converge', 'max_iter', 'regression targets');
  });
});

describe('amortize: options', () => {
  test('unknown losses and bad weights', () => {
    for (const loss of ['mse', null, 3] as unknown as AmortizationLoss[]) {
      expectError(
        () => amortize(qpNode, net, { problem: fam.problem, loss }),
        InvalidInputError,
        name,
        'unknown loss',
        "'regression', 'objective'",
      );
    }
    for (const loss of [
      { regression: 0, objective: 0 },
      { regression: -1, objective: 1 },
      { objective: NaN },
      { regression: Infinity },
      {},
    ]) {
      expectError(() => amortize(qpNode, net, { problem: fam.problem, loss }), InvalidInputError, name, 'loss weights');
    }
    expectError(
      () => amortize(qpNode, net, { problem: fam.problem, loss: 'objective', penaltyWeight: -1 }),
      InvalidInputError,
      "'penaltyWeight'",
    );
    expectError(() => amortize(qpNode, net, { problem: 5 as never, loss: 'objective' }), InvalidInputError, "'problem'");
  });

  test('a node with no known objective: regression works; objective, assess and gradient refinement ask for options.objective', () => {
    const problem = (c: Tensor) => ({ a: c });
    const three = mlp({ sizes: [3, 3] });
    const where = 'amortize(test.half, mlp[3,3])';
    expectError(
      () => amortize(halfNode, three, { problem, loss: 'objective' }),
      InvalidInputError,
      where,
      'defines none',
      'options.objective',
    );
    expectError(
      () => amortize(halfNode, three, { problem, loss: 'regression', refine: { kind: 'gradient', steps: 1, stepSize: 0.1 } }),
      InvalidInputError,
      'options.objective',
    );
    const reg = amortize(halfNode, three, { problem, loss: 'regression' });
    expectError(() => reg.assess(x, { y: x }), InvalidInputError, where, 'options.objective');
    expectError(() => reg.outputObjective(x, x), InvalidInputError, where, 'options.objective');
    const data = reg.dataset(x);
    expect(Array.from(data.y!.data)).toEqual(Array.from(x.data, (v) => v / 2));
    const fit = reg.fit(three.init(Rng.seeded(2)), data, { steps: 1 });
    expect(fit.losses).toHaveLength(1);
    // With an objective of our own, the objective loss works and assess uses it.
    const objective = (p: Half, s: { y?: Tensor }) => sum(mul(sub(s.y!, div(p.a, 2)), sub(s.y!, div(p.a, 2))), -1);
    const own = amortize(halfNode, three, { problem, loss: 'objective', objective });
    expect(Array.from(own.assess(x, { y: div(x, 2) }).objective)).toEqual([0, 0, 0, 0, 0]);
    expect(own.loss(three.init(Rng.seeded(2)), { x }).item()).toBeGreaterThan(0);
  });

  test('refinement: unknown kinds, bad steps or step sizes, a solver refinement of a node without step', () => {
    const withRefine = (refine: never) => () => amortize(qpNode, net, { problem: fam.problem, loss: 'objective', refine });
    expectError(withRefine({ kind: 'newton', steps: 1 } as never), InvalidInputError, name, "refinement kind 'newton'");
    expectError(withRefine({ kind: 'solver', steps: 0 } as never), InvalidInputError, "refinement 'steps'");
    expectError(withRefine({ kind: 'solver', steps: 1.5 } as never), InvalidInputError, "refinement 'steps'");
    expectError(withRefine({ kind: 'gradient', steps: 2, stepSize: 0 } as never), InvalidInputError, "'stepSize'");
    expectError(withRefine({ kind: 'gradient', steps: 2, stepSize: NaN } as never), InvalidInputError, "'stepSize'");
    expectError(
      () =>
        amortize(halfNode, mlp({ sizes: [3, 3] }), {
          problem: (c) => ({ a: c }),
          loss: 'regression',
          refine: { kind: 'solver', steps: 2 },
        }),
      InvalidInputError,
      "'step'",
      'test.half',
      "{ kind: 'gradient' }",
    );
  });
});
