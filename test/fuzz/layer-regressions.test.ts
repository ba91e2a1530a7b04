// Issue #21: the layer functions returned bare tensors, hiding non-convergence (now { y, info }, as every node); sparsemax at
// |x| ≥ 1e16 returned [0, 0, 0, 0]; a non-Tensor input crashed with a TypeError.
import { ArgminError, ConvergenceError, InvalidInputError, grad, sum, tensor } from '@argmin/autodiff';
import { reluLayer, sigmoidLayer, softmaxLayer, sparsemaxLayer } from '@argmin/nodes-convex';
import { describe, expect, test } from 'vitest';

const layers = { reluLayer, sigmoidLayer, softmaxLayer, sparsemaxLayer } as const;

describe('issue #21: layers report their status', () => {
  type Layer = (params: unknown, o?: object) => { y: ReturnType<typeof tensor>; info: { status: string[] } };

  test.each(Object.keys(layers) as (keyof typeof layers)[])('%s returns { y, info } and refuses a bare tensor', (name) => {
    const f = layers[name] as unknown as Layer;
    const x = tensor([0.3, -1.2, 2]);
    const out = f({ x });
    expect(out.info.status).toEqual(['converged']);
    expect(out.y.shape).toEqual([3]);
    expect(() => f(x)).toThrow(/pass the input as \{ x \}/);
  });

  test.each(['reluLayer', 'sigmoidLayer', 'softmaxLayer'] as const)(
    '%s with maxIter: 1 says max_iter, and its gradient follows the policy',
    (name) => {
      const f = layers[name] as unknown as Layer;
      const x = tensor([0.3, -1.2, 2]);
      expect(f({ x }, { maxIter: 1 }).info.status).toEqual(['max_iter']);
      const g = (options: object) => grad((v: ReturnType<typeof tensor>) => sum(f({ x: v }, options).y))(x);
      expect(() => g({ maxIter: 1 })).toThrow(ConvergenceError);
      expect(Array.from(g({ maxIter: 1, onUnconverged: 'zero' }).data)).toEqual([0, 0, 0]);
    },
  );

  test('a NaN warm start is a typed error; a boundary warm start is reported, never hidden', () => {
    expect(() => sigmoidLayer({ x: tensor([1, 2]) }, { warmStart: { y: tensor([Number.NaN, 0.5]) } }).y).toThrow(ArgminError);
    const out = sigmoidLayer({ x: tensor([1, 2]) }, { warmStart: { y: tensor([1, 0]) } });
    const ok = out.info.status[0] === 'converged';
    const exact = [1, 2].map((v) => 1 / (1 + Math.exp(-v)));
    // Either converged to the right values, or honestly not converged.
    if (ok) for (let i = 0; i < 2; i++) expect(out.y.data[i]).toBeCloseTo(exact[i]!, 10);
  });

  test('sparsemax at |x| ≥ 1e16 is the projection, not zeros', () => {
    const out = sparsemaxLayer({ x: tensor([1e16, 0, 3, -2]) });
    expect(out.info.status).toEqual(['converged']);
    expect(Array.from(out.y.data)).toEqual([1, 0, 0, 0]);
    const tied = sparsemaxLayer({ x: tensor([1e16, 1e16, -1e16, 0]) }).y;
    expect(Array.from(tied.data)).toEqual([0.5, 0.5, 0, 0]);
  });

  test.each(Object.keys(layers) as (keyof typeof layers)[])('%s: a non-Tensor input is an InvalidInputError naming the node', (name) => {
    const f = layers[name] as (x: unknown, o?: object) => unknown;
    for (const bad of [[1, 2], 3, null, undefined, 'x', { data: [1] }]) {
      expect(() => f(bad)).toThrow(InvalidInputError);
      expect(() => f(bad)).toThrow(/convex\.\w+: parameter 'x' must be a Tensor/);
    }
  });
});
