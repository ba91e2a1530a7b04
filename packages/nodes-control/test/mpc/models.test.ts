import { Rng, Tensor, randn, tensor, vjp } from '@argmin/autodiff';
import { stackBatch } from '@argmin/autodiff/extend';
import { checkVjp } from '@argmin/autodiff/testing';
import { describe, expect, test } from 'vitest';
import { cartpole, cartpoleParams } from '../../src/dynamics/cartpole.js';
import { pendulum, pendulumParams } from '../../src/dynamics/pendulum.js';
import { mpc } from '../../src/mpc/node.js';
import { relErr } from '../helpers/fixtures.js';

function diagCost(T: number, diag: readonly number[], lin: readonly number[]): { C: Tensor; c: Tensor } {
  const n = diag.length;
  const C = new Float64Array(T * n * n);
  const c = new Float64Array(T * n);
  for (let t = 0; t < T; t++) {
    diag.forEach((v, i) => (C[t * n * n + i * (n + 1)] = v));
    c.set(lin, t * n);
  }
  return { C: new Tensor(C, [T, n, n]), c: new Tensor(c, [T, n]) };
}

describe('dynamics models', () => {
  for (const [model, params] of [
    [pendulum, pendulumParams(9.5, 1.1, 0.9)],
    [cartpole, cartpoleParams()],
  ] as const) {
    test(`${model.name}: the raw fast path computes the same map as the ops`, () => {
      const rng = Rng.seeded(1);
      const R = 7;
      const x = randn([R, model.nState], rng);
      const u = randn([R, model.nCtrl], rng, model.name === 'pendulum' ? 3 : 150); // some beyond the clamp
      const perRow = stackBatch(
        Array.from(
          { length: R },
          (_, r) =>
            new Tensor(
              params.data.map((v) => v * (1 + 0.05 * r)),
              params.shape,
            ),
        ),
      );
      for (const p of [params, perRow]) {
        const ops = model.step(x, u, p);
        const raw = new Float64Array(R * model.nState);
        model.stepRaw!(x.data, u.data, p.data, p.ndim === 2 ? p.shape[1]! : 0, R, raw);
        raw.forEach((v, i) => expect(v).toBeCloseTo(ops.data[i]!, 13));
      }
    });
  }
});

describe('MPC with model dynamics', () => {
  test('cartpole: converges, and the implicit VJP (with curvature) matches central differences', () => {
    // Balance around upright from a tilted start; bounds loose enough to stay inactive.
    const { C, c } = diagCost(6, [0.1, 0.1, 1, 1, 0.1, 0.01], [0, 0, -1, 0, 0, 0]);
    const x0 = tensor([0.1, 0, Math.cos(0.3), Math.sin(0.3), 0]);
    const call = (x: Tensor, p: Tensor, cc: Tensor) => {
      const out = mpc({ C, c: cc, x0: x, dynamics: { model: cartpole, params: p }, uLower: -30, uUpper: 30 }, { tol: 1e-13 });
      expect(out.info.status).toEqual(['converged']);
      return { x: out.x, u: out.u };
    };
    checkVjp(call, [x0, cartpoleParams(), c], { rtol: 1e-5, atol: 1e-8, seed: 3 });
  });

  test('pendulum: parameters given per batch element [B,p] equal separate solves, gradients included', () => {
    const { C, c } = diagCost(8, [1, 1, 0.1, 0.001], [-1, 0, 0, 0]);
    const x0 = tensor([
      [Math.cos(2.5), Math.sin(2.5), 0.3],
      [Math.cos(-1), Math.sin(-1), -0.2],
    ]);
    const thetas = [pendulumParams(10, 1, 1), pendulumParams(9, 1.2, 0.8)];
    const solve = (x: Tensor, p: Tensor) => {
      const out = mpc({ C, c, x0: x, dynamics: { model: pendulum, params: p }, uLower: -2, uUpper: 2 }, { tol: 1e-12 });
      return { x: out.x, u: out.u };
    };
    const cot = {
      x: new Tensor(
        new Float64Array(2 * 8 * 3).map((_, i) => Math.sin(i)),
        [2, 8, 3],
      ),
      u: new Tensor(
        new Float64Array(16).map((_, i) => Math.cos(i)),
        [2, 8, 1],
      ),
    };
    const batched = vjp(solve, x0, stackBatch(thetas));
    const [, gTheta] = batched.pullback(cot) as [Tensor, Tensor];
    thetas.forEach((theta, b) => {
      const xb = new Tensor(x0.data.slice(b * 3, b * 3 + 3), [3]);
      const single = vjp(solve, xb, theta);
      expect(relErr(new Tensor(batched.value.u.data.slice(b * 8, b * 8 + 8), [8, 1]), single.value.u)).toBeLessThan(1e-10);
      const [, g] = single.pullback({
        x: new Tensor(cot.x.data.slice(b * 24, b * 24 + 24), [8, 3]),
        u: new Tensor(cot.u.data.slice(b * 8, b * 8 + 8), [8, 1]),
      }) as [Tensor, Tensor];
      expect(relErr(new Tensor(gTheta.data.slice(b * 3, b * 3 + 3), [3]), g)).toBeLessThan(1e-9);
    });
  });

  test('bounds given as numbers or [nc] broadcast, and receive the summed gradient', () => {
    const { C, c } = diagCost(5, [1, 1, 0.1, 0.01], [-1, 0, 0, 0]);
    const x0 = tensor([Math.cos(2), Math.sin(2), 0]);
    const f = (lo: Tensor, hi: Tensor) => {
      const out = mpc({ C, c, x0, dynamics: { model: pendulum, params: pendulumParams() }, uLower: lo, uUpper: hi }, { tol: 1e-13 });
      return { x: out.x, u: out.u };
    };
    const lo = tensor([-1.1]);
    const hi = tensor([0.9]);
    const u = f(lo, hi).u;
    expect(Array.from(u.data).some((v) => v === 0.9 || v === -1.1)).toBe(true);
    checkVjp(f, [lo, hi], { rtol: 1e-5, atol: 1e-8, seed: 1 });
  });
});
