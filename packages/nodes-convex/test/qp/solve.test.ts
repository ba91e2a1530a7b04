import { type Tensor, grad, tensor, vjp } from '@argmin/autodiff';
import { stackBatch } from '@argmin/autodiff/extend';
import { checkVjp } from '@argmin/autodiff/testing';
import { describe, expect, test } from 'vitest';
import { qp, type QpParams } from '../../src/qp/node.js';
import { qpObjective as objective } from '../../src/qp/objective.js';
import { generateQp, symmetricTangent } from './arbitraries.js';

const maxAbs = (a: Tensor, b: ArrayLike<number>) => Math.max(...Array.from(a.data, (v, i) => Math.abs(v - b[i]!)));

/** checkVjp of z (and the multipliers) with respect to every parameter present, symmetric tangents for Q. */
function checkGradients(params: QpParams, options: Parameters<typeof qp>[1] = {}, seed = 1): void {
  const keys = Object.keys(params) as (keyof QpParams)[];
  const f = (...xs: Tensor[]) => {
    const out = qp(Object.fromEntries(keys.map((k, i) => [k, xs[i]!])) as QpParams, options);
    return [out.z, out.lam, out.nu, out.slack];
  };
  checkVjp(
    f,
    keys.map((k) => params[k]!),
    { seed, rtol: 1e-5, atol: 1e-8, tangent: (t, arg) => symmetricTangent(t, keys[arg]!) },
  );
}

describe('convex.qp — problem variants', () => {
  test('no constraints: z = −Q⁻¹p', () => {
    const out = qp({
      Q: tensor([
        [2, 1],
        [1, 2],
      ]),
      p: tensor([1, 1]),
    });
    expect(out.info.status).toEqual(['converged']);
    expect(maxAbs(out.z, [-1 / 3, -1 / 3])).toBeLessThanOrEqual(1e-12);
    expect(out.lam.shape).toEqual([0]);
    expect(out.nu.shape).toEqual([0]);
  });

  test('equalities only: the projection onto 1ᵀz = 1 is z = 1/n, ν = −1/n', () => {
    const out = qp({
      Q: tensor([
        [1, 0, 0],
        [0, 1, 0],
        [0, 0, 1],
      ]),
      p: tensor([0, 0, 0]),
      A: tensor([[1, 1, 1]]),
      b: tensor([1]),
    });
    expect(maxAbs(out.z, [1 / 3, 1 / 3, 1 / 3])).toBeLessThanOrEqual(1e-12);
    expect(maxAbs(out.nu, [-1 / 3])).toBeLessThanOrEqual(1e-12);
  });

  test('a linear program (Q = 0) over the simplex picks the cheapest vertex', () => {
    const out = qp({
      Q: tensor([
        [0, 0, 0],
        [0, 0, 0],
        [0, 0, 0],
      ]),
      p: tensor([3, 1, 2]),
      G: tensor([
        [-1, 0, 0],
        [0, -1, 0],
        [0, 0, -1],
      ]),
      h: tensor([0, 0, 0]),
      A: tensor([[1, 1, 1]]),
      b: tensor([1]),
    });
    expect(out.info.status).toEqual(['converged']);
    expect(maxAbs(out.z, [0, 1, 0])).toBeLessThanOrEqual(1e-10);
    expect(maxAbs(out.lam, [2, 0, 1])).toBeLessThanOrEqual(1e-10);
  });

  test('gradients without A/b, without G/h, and of the multipliers, against central differences', () => {
    const { params } = generateQp({ n: 4, m: 3, k: 0 }, 21);
    checkGradients(params);
    checkGradients(generateQp({ n: 4, m: 0, k: 2 }, 22).params);
    checkGradients(generateQp({ n: 5, m: 6, k: 2 }, 23).params, {}, 3);
    checkGradients(generateQp({ n: 5, m: 6, k: 2 }, 24).params, { polish: false }, 4);
  });

  test('the unrolled gradient without A/b matches central differences', () => {
    checkGradients(generateQp({ n: 3, m: 3, k: 0 }, 25).params, { strategy: 'unroll' });
  });

  test('the known solution of a generated instance is recovered to 1e-10 (larger sizes)', () => {
    for (const [n, m, k, seed] of [
      [30, 40, 5, 1],
      [60, 30, 10, 2],
    ] as const) {
      const { params, z, lam, nu } = generateQp({ n, m, k }, seed);
      const out = qp(params);
      expect(out.info.status).toEqual(['converged']);
      expect(maxAbs(out.z, z)).toBeLessThanOrEqual(1e-10);
      expect(maxAbs(out.lam, lam)).toBeLessThanOrEqual(1e-10);
      expect(maxAbs(out.nu, nu)).toBeLessThanOrEqual(1e-10);
      expect(out.info.residual[0]).toBeLessThanOrEqual(1e-10);
    }
  });
});

describe('convex.qp — warm start, batching, options', () => {
  test('a warm start from the solution converges in fewer iterations to the same point', () => {
    const { params } = generateQp({ n: 20, m: 20, k: 4 }, 4);
    const cold = qp(params);
    const warm = qp(params, { warmStart: { z: cold.z, lam: cold.lam, nu: cold.nu, slack: cold.slack } });
    const warmZ = qp(params, { warmStart: { z: cold.z } });
    expect(warm.info.iterations[0]).toBeLessThan(cold.info.iterations[0]!);
    expect(warmZ.info.iterations[0]).toBeLessThan(cold.info.iterations[0]!);
    expect(maxAbs(warm.z, cold.z.data)).toBeLessThanOrEqual(1e-12);
    expect(maxAbs(warmZ.z, cold.z.data)).toBeLessThanOrEqual(1e-12);
  });

  test('a batched warm start and batched parameters with a shared Q and G', () => {
    const a = generateQp({ n: 4, m: 4, k: 1 }, 8).params;
    const b = generateQp({ n: 4, m: 4, k: 1 }, 9).params;
    const elements: QpParams[] = [a, { ...b, Q: a.Q, G: a.G! }];
    const params: QpParams = {
      Q: a.Q,
      G: a.G!,
      p: stackBatch([a.p, b.p]),
      h: stackBatch([a.h!, b.h!]),
      A: stackBatch([a.A!, b.A!]),
      b: stackBatch([a.b!, b.b!]),
    };
    const out = qp(params);
    const loop = elements.map((e) => qp(e));
    expect(maxAbs(out.z, [...loop[0]!.z.data, ...loop[1]!.z.data])).toBeLessThanOrEqual(1e-12);
    const warm = qp(params, { warmStart: { z: out.z } });
    expect(maxAbs(warm.z, out.z.data)).toBeLessThanOrEqual(1e-12);
  });

  test('maxIter bounds the work and reports max_iter', () => {
    const { params } = generateQp({ n: 10, m: 10, k: 2 }, 5);
    const out = qp(params, { maxIter: 2, polish: false, strategy: 'solve' });
    expect(out.info.status).toEqual(['max_iter']);
    expect(out.z.data.every(Number.isFinite)).toBe(true);
  });
});

describe('objective', () => {
  test('½zᵀQz + pᵀz, batched, with its gradient', () => {
    const Q = tensor([
      [2, 1],
      [1, 3],
    ]);
    const p = tensor([1, -1]);
    const z = tensor([
      [1, 2],
      [0, -1],
    ]);
    const f = objective({ Q, p }, z);
    expect(Array.from(f.data)).toEqual([0.5 * (2 + 4 + 12) + 1 - 2, 0.5 * 3 + 1]);
    const gz = grad((x: Tensor) => objective({ Q, p }, x))(tensor([1, 2])) as Tensor;
    expect(Array.from(gz.data)).toEqual([2 + 2 + 1, 1 + 6 - 1]);
  });

  test('its gradient vanishes along feasible directions at the QP solution (stationarity)', () => {
    const { params } = generateQp({ n: 4, m: 0, k: 0 }, 3);
    const z = qp(params).z;
    const { pullback } = vjp((x: Tensor) => objective(params, x), z);
    const [g] = pullback(tensor(1)) as [Tensor];
    expect(Math.max(...Array.from(g.data, Math.abs))).toBeLessThanOrEqual(1e-12);
  });
});
