import { describe, expect, test } from 'vitest';
import {
  ConvergenceError,
  DifferentiationError,
  Tensor,
  add,
  grad,
  matmul,
  mul,
  sub,
  sum,
  tensor,
  tanh,
  vjp,
  type SolveStatus,
} from '../../src/index.js';
import { applyNode, defineNode, rootVjp } from '../../src/extend.js';
import { fixedPointResidual, kktResidual } from '../../src/optimization/adapters.js';

/**
 * min ½xᵀx − pᵀx s.t. 1ᵀx = 1: x = p − (1ᵀp − 1)/n·1, so dx/dp = I − 11ᵀ/n.
 * The KKT residual needs the Hessian of the Lagrangian through nested tapes.
 */
describe('kktResidual', () => {
  const residual = kktResidual<{ p: Tensor }>({
    objective: (x, { p }) => sub(mul(sum(mul(x, x)), 0.5), sum(mul(p, x))),
    eq: (x) => sub(sum(x), tensor([1])),
  });
  test('vanishes at the solution and gives the exact implicit VJP', () => {
    const p = tensor([0.3, -1, 2]);
    const shift = (0.3 - 1 + 2 - 1) / 3;
    const x = tensor([0.3 - shift, -1 - shift, 2 - shift]);
    const nu = tensor([shift]);
    const r = residual({ p }, { x, nu });
    expect(Math.max(...Array.from(r.data, Math.abs))).toBeLessThan(1e-14);
    const xBar = tensor([1, 2, -0.5]);
    const g = rootVjp(residual, { p }, { x, nu }, { x: xBar, nu: null }, { node: 'test', element: 0 });
    const mean = (1 + 2 - 0.5) / 3;
    expect(g.p!.shape).toEqual([3]);
    [1, 2, -0.5].forEach((v, i) => expect(g.p!.data[i]).toBeCloseTo(v - mean, 12));
  });
});

describe('fixedPointResidual', () => {
  // x = tanh(Wx + b) with a contraction W: the classic implicit layer (deep equilibrium).
  const W = tensor([
    [0.3, -0.2],
    [0.1, 0.4],
  ]);
  const map = ({ b }: { b: Tensor }, { x }: { x: Tensor }) => ({ x: tanh(add(matmul(W, x), b)) });
  const node = defineNode<{ b: Tensor }, { x: Tensor }>({
    name: 'test.equilibrium',
    signature: { params: { b: 1 }, solution: { x: 1 } },
    solve: ({ b }) => {
      let x = new Tensor(new Float64Array(2), [2]);
      for (let k = 0; k < 200; k++) x = map({ b }, { x }).x;
      return { solution: { x }, info: { status: ['converged'] as SolveStatus[], iterations: [200], residual: [0] } };
    },
    optimality: fixedPointResidual(map),
    step: { defaultSteps: 200, init: () => ({ x: new Tensor(new Float64Array(2), [2]) }), update: map },
  });
  test('implicit and unrolled gradients agree with each other and finite differences', () => {
    const b = tensor([0.5, -0.3]);
    const f = (strategy: 'implicit' | 'unroll') => (q: Tensor) => sum(mul(applyNode(node, { b: q }, { strategy }).x, tensor([1, -2])));
    const gi = grad(f('implicit'))(b);
    const gu = grad(f('unroll'))(b);
    const h = 1e-6;
    for (let i = 0; i < 2; i++) {
      const e = Float64Array.from([0, 0], (_, j) => (j === i ? h : 0));
      const fd =
        (f('implicit')(tensor(b.data.map((v, j) => v + e[j]!))).item() - f('implicit')(tensor(b.data.map((v, j) => v - e[j]!))).item()) /
        (2 * h);
      expect(gi.data[i]).toBeCloseTo(fd, 8);
      expect(gu.data[i]).toBeCloseTo(gi.data[i]!, 12);
    }
  });
});

describe('gradient policies on unconverged solves', () => {
  // A node whose solve reports element 1 as unconverged.
  const node = defineNode<{ x: Tensor }, { y: Tensor }>({
    name: 'test.flaky',
    signature: { params: { x: 1 }, solution: { y: 1 } },
    solve: ({ x }) => ({
      solution: {
        y: new Tensor(
          x.data.map((v) => 2 * v),
          x.shape,
        ),
      },
      info: { status: ['converged', 'max_iter'] as SolveStatus[], iterations: [1, 9], residual: [0, 1] },
    }),
    optimality: ({ x }, { y }) => sub(y, mul(x, 2)),
    step: { defaultSteps: 3, init: ({ x }) => ({ y: mul(x, 0) }), update: ({ x }) => ({ y: mul(x, 2) }) },
  });
  const x = tensor([
    [1, 2],
    [3, 4],
  ]);
  const loss = (policy: 'error' | 'zero' | 'unroll-fallback') => (q: Tensor) => sum(applyNode(node, { x: q }, { onUnconverged: policy }).y);
  test("'error' throws at backward time, naming the node and element", () => {
    expect(() => grad(loss('error'))(x)).toThrow(ConvergenceError);
    expect(() => grad(loss('error'))(x)).toThrow(/test\.flaky: cannot differentiate batch element 1 \(max_iter\)/);
  });
  test("'zero' zeroes the unconverged element only", () => {
    expect(grad(loss('zero'))(x).toArray()).toEqual([
      [2, 2],
      [0, 0],
    ]);
  });
  test("'unroll-fallback' differentiates the unconverged element by unrolling", () => {
    expect(grad(loss('unroll-fallback'))(x).toArray()).toEqual([
      [2, 2],
      [2, 2],
    ]);
  });
  test('a singular optimality Jacobian is a DifferentiationError, not a NaN', () => {
    const singular = defineNode<{ x: Tensor }, { y: Tensor }>({
      name: 'test.singular',
      signature: { params: { x: 1 }, solution: { y: 1 } },
      solve: ({ x }) => ({ solution: { y: x }, info: { status: ['converged'], iterations: [0], residual: [0] } }),
      optimality: ({ x }, { y }) => sub(mul(y, 0), x),
    });
    expect(() => vjp((q: Tensor) => applyNode(singular, { x: q }).y, tensor([1, 2])).pullback(tensor([1, 1]))).toThrow(
      DifferentiationError,
    );
  });
});
