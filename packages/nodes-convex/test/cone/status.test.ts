import { DifferentiationError, Rng, randn, tensor, vjp, type Tensor } from '@argmin/autodiff';
import { stackBatch } from '@argmin/autodiff/extend';
import { describe, expect, test } from 'vitest';
import { cone } from '../../src/cone/node.js';
import { randomProgram } from './programs.js';

const finite = (t: Tensor) => t.data.every(Number.isFinite);

describe('convex.cone reports infeasible and unbounded programs with finite certificates', () => {
  test('primal infeasible: x ≤ −1 and x ≥ 1', () => {
    const A = tensor([[1], [-1]]);
    const b = tensor([-1, -1]);
    const out = cone({ A, b, c: tensor([1]) }, { cones: { nonneg: 2 } });
    expect(out.info.status).toEqual(['infeasible']);
    // y ∈ K* = ℝ²₊, Aᵀy = 0, bᵀy = −1.
    const [y1, y2] = out.y.data;
    expect(y1! - y2!).toBeCloseTo(0, 6);
    expect(-(y1! + y2!)).toBeCloseTo(-1, 10);
    expect(Math.min(y1!, y2!)).toBeGreaterThanOrEqual(0);
    [out.x, out.y, out.s].forEach((t) => expect(finite(t)).toBe(true));
  });

  test('unbounded: min −x₁ s.t. (x₁, x₂) in a second-order cone', () => {
    // s = (x₁, x₂) ∈ SOC, i.e. |x₂| ≤ x₁: x₁ → ∞ along a ray.
    const out = cone(
      {
        A: tensor([
          [-1, 0],
          [0, -1],
        ]),
        b: tensor([0, 0]),
        c: tensor([-1, 0]),
      },
      { cones: { soc: [2] } },
    );
    expect(out.info.status).toEqual(['unbounded']);
    const [x1, x2] = out.x.data;
    expect(x1!).toBeCloseTo(1, 10); // cᵀx = −1
    expect(Math.abs(x2!)).toBeLessThanOrEqual(x1! + 1e-8);
    expect(finite(out.x) && finite(out.s) && finite(out.y)).toBe(true);
  });

  test('a batch mixes statuses; gradients are gated per element', () => {
    const A = stackBatch([tensor([[1], [-1]]), tensor([[1], [-1]])]);
    const b = stackBatch([tensor([1, 1]), tensor([-1, -1])]); // |x| ≤ 1, then infeasible
    const c = tensor([1]);
    const out = cone({ A, b, c }, { cones: { nonneg: 2 } });
    expect(out.info.status).toEqual(['converged', 'infeasible']);
    expect(out.x.data[0]).toBeCloseTo(-1, 8);
    const f = (onUnconverged: 'zero' | 'error') =>
      vjp((bb: Tensor) => cone({ A, b: bb, c }, { cones: { nonneg: 2 }, onUnconverged }).x, b).pullback(tensor([[1], [1]]));
    expect(() => f('error')).toThrow(/batch element 1 \(infeasible\)/);
    const [gb] = f('zero') as [Tensor];
    // x* = −b₂ for element 0 (constraint −x ≤ b₂ active): dx/db₂ = −1; element 1 gets zeros.
    [0, -1, 0, 0].forEach((v, i) => expect(gb.data[i]!).toBeCloseTo(v, 9));
    expect(Array.from(gb.data.subarray(2))).toEqual([0, 0]);
  });
});

describe('convex.cone at degenerate programs and warm starts', () => {
  test('a non-unique solution solves, and its gradient is a typed error, not NaN', () => {
    // min x₁ + x₂ s.t. x₁ + x₂ ≥ 1, x ≥ 0: every point of a segment is optimal.
    const A = tensor([
      [-1, -1],
      [-1, 0],
      [0, -1],
    ]);
    const b = tensor([-1, 0, 0]);
    const c = tensor([1, 1]);
    const out = cone({ A, b, c }, { cones: { nonneg: 3 } });
    expect(out.info.status).toEqual(['converged']);
    expect(out.x.data[0]! + out.x.data[1]!).toBeCloseTo(1, 9);
    expect(() => vjp((cc: Tensor) => cone({ A, b, c: cc }, { cones: { nonneg: 3 } }).x, c).pullback(tensor([1, 0]))).toThrow(
      DifferentiationError,
    );
  });

  test('a warm start is accepted and changes nothing (an interior point starts inside the cone)', () => {
    const p = randomProgram({ nonneg: 6, soc: [4], exp: 2 }, 5, 11);
    const cones = { nonneg: 6, soc: [4], exp: 2 };
    const cold = cone(p.params, { cones });
    const warm = cone(p.params, { cones, warmStart: { x: cold.x, y: cold.y, s: cold.s } });
    expect(warm.info.status).toEqual(['converged']);
    expect(warm.info.iterations).toEqual(cold.info.iterations);
    Array.from(warm.x.data).forEach((v, i) => expect(v).toBeCloseTo(p.x[i]!, 9));
  });
});

describe("convex.cone 'unroll' through plain ADMM converges linearly to the implicit gradient", () => {
  test('error shrinks with the number of unrolled iterations', () => {
    const cones = { nonneg: 3, soc: [3] };
    const p = randomProgram(cones, 2, 5);
    const rng = Rng.seeded(1);
    const cot = [randn([2], rng), randn([6], rng), randn([6], rng)];
    const grads = (opts: object) =>
      vjp(
        (A: Tensor, b: Tensor, c: Tensor) => {
          const o = cone({ A, b, c }, { cones, ...opts });
          return [o.x, o.y, o.s];
        },
        p.params.A!,
        p.params.b,
        p.params.c,
      ).pullback(cot) as Tensor[];
    const implicit = grads({});
    const relErr = (steps: number) => {
      const g = grads({ strategy: 'unroll', unroll: 'admm', maxIter: steps, tol: 0 });
      let err = 0;
      let scale = 0;
      implicit.forEach((t, k) =>
        t.data.forEach((v, i) => ((err = Math.max(err, Math.abs(v - g[k]!.data[i]!))), (scale = Math.max(scale, Math.abs(v))))),
      );
      return err / scale;
    };
    const coarse = relErr(300);
    const fine = relErr(1500);
    expect(fine).toBeLessThan(1e-4);
    expect(fine).toBeLessThan(coarse * 1e-2);
  });
});

describe('convex.cone matrix-free polish and adjoint (CG, GMRES) agree with the dense ones', () => {
  test('solution and gradients with denseMax = 0 match the dense defaults', () => {
    const cones = { zero: 1, nonneg: 4, soc: [4], psd: [3], exp: 2 };
    const p = randomProgram(cones, 6, 3);
    const rng = Rng.seeded(9);
    const cot = [randn([6], rng), randn([21], rng), randn([21], rng)];
    const run = (denseMax: number) => {
      const { value, pullback } = vjp(
        (A: Tensor, b: Tensor, c: Tensor) => {
          const o = cone({ A, b, c }, { cones, denseMax });
          expect(o.info.status).toEqual(['converged']);
          return [o.x, o.y, o.s];
        },
        p.params.A!,
        p.params.b,
        p.params.c,
      );
      return { value, grads: pullback(cot) as Tensor[] };
    };
    const dense = run(400);
    const free = run(0);
    dense.value.forEach((t, k) => t.data.forEach((v, i) => expect(Math.abs(v - free.value[k]!.data[i]!)).toBeLessThan(1e-8)));
    dense.grads.forEach((t, k) => {
      const scale = Math.max(1, ...t.data.map(Math.abs));
      t.data.forEach((v, i) => expect(Math.abs(v - free.grads[k]!.data[i]!) / scale).toBeLessThan(1e-8));
    });
  });
});
