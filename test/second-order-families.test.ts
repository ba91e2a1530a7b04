import { Rng, Tensor, add, concat, eye, grad, matmulT, mul, neg, randn, sum, tensor, vjp, zeros } from '@argmin/autodiff';
import { checkVjp } from '@argmin/autodiff/testing';
import { lqr, mpc } from '@argmin/nodes-control';
import { cone, qp, sigmoidLayer, sparsemaxLayer } from '@argmin/nodes-convex';
import { describe, expect, test } from 'vitest';

/**
 * Second derivatives through the implicit VJP of the node families beyond the property tests of
 * packages/nodes-convex/test/second-order: the dot-product test of the gradient's own VJP
 * against central differences of the gradient, one fixed instance each, and the matrix-free
 * (GMRES) path of the recorded solve. Where a node's residual has no second derivative the
 * answer is a typed error, never zero.
 */
type Rec = Record<string, Tensor>;
const cubic = (y: Tensor) => sum(mul(y, mul(y, y)));
const gradOf = (f: (p: Rec) => Tensor) => grad(f) as (p: Rec) => Rec;
const rng = Rng.seeded(21);

describe('Hessian-vector products through more implicit nodes', () => {
  test('sigmoid and sparsemax layers', () => {
    const x = randn([2, 4], rng);
    checkVjp(
      gradOf((p) => cubic(sigmoidLayer({ x: p.x! }).y)),
      [{ x }],
      { seed: 1 },
    );
    checkVjp(
      gradOf((p) => cubic(sparsemaxLayer({ x: p.x! }).y)),
      [{ x }],
      { seed: 2 },
    );
  });

  test('lqr and box-constrained mpc with linear dynamics (in the cost vector)', () => {
    const T = 3;
    const C = new Tensor(
      new Float64Array(T * 9).map((_, k) => ((k % 9) % 4 === 0 ? 2 : 0)),
      [T, 3, 3],
    );
    const F = mul(randn([T - 1, 2, 3], rng), 0.5);
    const c = randn([T, 3], rng);
    const x0 = tensor([1, -1]);
    checkVjp(
      gradOf((p) => cubic(lqr({ C, c: p.c!, F, x0 }).u)),
      [{ c }],
      { seed: 3 },
    );
    checkVjp(
      gradOf((p) => cubic(mpc({ C, c: p.c!, x0, dynamics: { F }, uLower: -0.3, uUpper: 0.3 }, { tol: 1e-12 }).u)),
      [{ c }],
      {
        seed: 4,
      },
    );
  });

  test('a batched qp with a shared Q: per-element solves stacked, the shared gradient summed with ops', () => {
    const M = randn([3, 3], rng);
    const Q = add(matmulT(M, M, false, true), eye(3));
    const G = randn([2, 3], rng);
    const h = add(randn([2], rng), 1.5);
    const symmetric = (t: Tensor, _arg: number, leaf: number) => (leaf === 0 ? mul(add(t, matmulT(t, eye(3), true, false)), 0.5) : t);
    const f = (p: Rec) => cubic(qp({ Q: p.Q!, p: p.p!, G, h }, { tol: 1e-13 }).z);
    checkVjp(gradOf(f), [{ Q, p: randn([2, 3], rng) }], { seed: 6, tangent: symmetric });
  });

  test('the matrix-free (GMRES) recorded solve agrees with the dense one', () => {
    const M = randn([4, 4], rng);
    const Q = add(matmulT(M, M, false, true), eye(4));
    const G = randn([3, 4], rng);
    const h = add(randn([3], rng), 2);
    const x = randn([4], rng);
    const v = randn([4], rng);
    const through = (method: 'gmres' | 'dense') => (p: Tensor) =>
      cubic(qp({ Q, p, G, h }, { tol: 1e-13, strategy: { kind: 'implicit', linearSolve: { method, tol: 1e-13 } } }).z);
    const hvp = (f: (p: Tensor) => Tensor) => vjp(grad(f) as (p: Tensor) => Tensor, x).pullback(v)[0] as Tensor;
    const dense = hvp(through('dense'));
    const gmres = hvp(through('gmres'));
    const err = Math.max(...dense.data.map((d, i) => Math.abs(d - gmres.data[i]!))) / Math.max(...dense.data.map(Math.abs));
    expect(err).toBeLessThan(1e-9);
    checkVjp((p: Tensor) => grad(through('gmres'))(p) as Tensor, [x], { seed: 5 });
  });

  test('cone: the projections have no second derivative yet, and say so', () => {
    const d = 3;
    const minusI = mul(eye(d), -1);
    const A = concat([concat([minusI, zeros([d, 1])], 1), tensor([[0, 0, 0, -1]]), concat([minusI, zeros([d, 1])], 1)], 0);
    const c = tensor([0, 0, 0, 1]);
    const f = (x: Tensor) => cubic(cone({ A, b: concat([zeros([d + 1]), neg(x)], 0), c }, { cones: { nonneg: d, soc: [d + 1] } }).x);
    const x = tensor([0.5, -1, 2]);
    expect(() => vjp(grad(f) as (x: Tensor) => Tensor, x).pullback(tensor([1, 0, 0]))).toThrow(
      /second derivatives of cone projections are not implemented/,
    );
  });
});
