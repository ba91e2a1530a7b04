import { describe, expect, it } from 'vitest';
import { test } from '@fast-check/vitest';
import fc from 'fast-check';
import {
  type Tensor,
  add,
  cos,
  exp,
  grad,
  mul,
  pow,
  sin,
  stopGradient,
  sub,
  tanh,
  tensor,
  valueAndGrad,
  vjp,
  zeros,
} from '@argmin/autodiff';
import { arbShape, arbTensor, checkVjp, numRuns } from '@argmin/autodiff/testing';
import { concat, index, take } from '../src/ops/index-ops.js';
import { logSoftmax, logsumexp, max, mean, norm, softmax, sum } from '../src/ops/reduce.js';
import { matrixTranspose, reshape, transpose } from '../src/ops/shape.js';

const arbAny = (minRank = 1) => arbShape({ minRank }).chain((s) => arbTensor(s));
const close = (a: Tensor, b: Tensor, tol = 1e-10): boolean =>
  a.shape.join() === b.shape.join() && a.data.every((v, i) => Math.abs(v - b.data[i]!) <= tol * (1 + Math.abs(b.data[i]!)));

/**
 * Second derivatives: the VJP of `grad(f)` is a Hessian-vector product, checked by the
 * dot-product test against central differences of the gradient itself. Every VJP used in
 * `grad(f)` is recorded by the outer tape, so this exercises the VJPs of the VJPs.
 */
const secondOrder: { name: string; f: (x: Tensor) => Tensor; x: fc.Arbitrary<Tensor> }[] = [
  { name: 'logsumexp ∘ x²', f: (x) => logsumexp(mul(x, x), -1), x: arbAny().map((x) => reshape(x, [x.size])) },
  { name: 'Σ softmax(x) ⊙ x', f: (x) => sum(mul(softmax(x), x)), x: arbAny() },
  { name: 'mean of logSoftmax along axis 0', f: (x) => mean(mul(logSoftmax(x, 0), tanh(x))), x: arbAny() },
  {
    name: 'norm of centred x',
    f: (x) => norm(sub(x, mean(x))),
    x: arbAny().filter((x) => norm(sub(x, mean(x))).item() > 0.1),
  },
  {
    name: 'max over rows, squared',
    f: (x) => sum(pow(max(x, -1), 2)),
    x: fc.uniqueArray(fc.integer({ min: -300, max: 300 }), { minLength: 6, maxLength: 6 }).map((v) =>
      tensor(
        v.map((k) => k / 100),
        [2, 3],
      ),
    ),
  },
  {
    name: 'take ∘ transpose ∘ concat, cubed',
    f: (x) => sum(pow(take(matrixTranspose(concat([x, exp(x)], 1)), [0, 2, 2], 0), 3)),
    x: arbTensor([2, 2], { min: -1, max: 1 }),
  },
  // sin's VJP is written with cos and cos's with sin: the pendulum's exact MPC gradient relies on it.
  { name: 'Σ sin(x)·cos(2x)', f: (x) => sum(mul(sin(x), cos(mul(x, 2)))), x: arbAny() },
  { name: 'index and transpose', f: (x) => sum(mul(index(transpose(x), 0), tanh(index(x, -1)))), x: arbTensor([3, 3]) },
];

describe('grad-of-grad matches finite differences of the gradient', () => {
  for (const { name, f, x } of secondOrder) {
    test.prop([x, fc.integer({ min: 0, max: 2 ** 30 })], { numRuns: numRuns(50) })(name, (x0, seed) => {
      const r = checkVjp(grad(f), [x0], { seed, rtol: 1e-5, atol: 1e-7 });
      expect(r.error).toBeLessThanOrEqual(r.tolerance);
    });
  }

  it('d²/dx² x³ = 6x and d³/dx³ x³ = 6', () => {
    const cube = (x: Tensor) => mul(x, mul(x, x));
    const d1 = grad(cube);
    const d2 = grad(d1);
    const d3 = grad(d2);
    expect(d1(tensor(2)).item()).toBe(12);
    expect(d2(tensor(2)).item()).toBe(12);
    expect(d3(tensor(2)).item()).toBe(6);
  });

  it('the Hessian of logsumexp is diag(p) − ppᵀ with p = softmax(x)', () => {
    const x = tensor([0.3, -1.2, 2.0]);
    const v = tensor([1, -2, 0.5]);
    const hv = grad((y: Tensor) => sum(mul(grad((z: Tensor) => logsumexp(z))(y), v)))(x);
    const p = softmax(x);
    const pv = sum(mul(p, v)).item();
    expect(close(hv, tensor(Array.from(p.data, (pi, i) => pi * v.data[i]! - pi * pv)))).toBe(true);
  });
});

describe('vjp and grad over pytrees', () => {
  it('takes pytree primals and returns a pytree value; the pullback mirrors both', () => {
    const params = { w: tensor([1, 2, 3]), b: tensor(0.5) };
    const xs = [tensor([1, 0, -1]), tensor([2, 2, 2])];
    const f = (p: typeof params, ins: Tensor[]) => ({
      y: add(sum(mul(p.w, ins[0]!)), p.b),
      z: [mul(p.w, ins[1]!)],
    });
    const { value, pullback } = vjp(f, params, xs);
    expect(value.y.item()).toBe(1 - 3 + 0.5);
    expect(value.z[0]!.toArray()).toEqual([2, 4, 6]);
    const [gp, gx] = pullback({ y: tensor(1), z: [tensor([1, 10, 100])] });
    expect(gp.w.toArray()).toEqual([1 + 2, 0 + 20, -1 + 200]);
    expect(gp.b.item()).toBe(1);
    expect(gx[0]!.toArray()).toEqual([1, 2, 3]);
    expect(gx[1]!.toArray()).toEqual([1, 20, 300]);
  });

  it('takes a null leaf inside a cotangent pytree as a symbolic zero', () => {
    const { pullback } = vjp((w: Tensor) => ({ y: sum(w), z: [mul(w, 2)] }), tensor([1, 2, 3]));
    const [g] = pullback({ y: null, z: [tensor([1, 1, 1])] });
    expect(g.toArray()).toEqual([2, 2, 2]);
  });

  test.prop([arbTensor([2, 3], { awayFromZero: 0.1 }), arbTensor([3]), fc.integer({ min: 0, max: 2 ** 30 })], { numRuns: numRuns(50) })(
    'a pytree-to-pytree function passes the dot-product test',
    (w, b, seed) => {
      const f = (p: { w: Tensor; b: Tensor }) => [softmax(add(p.w, p.b)), { n: norm(p.w, 0) }];
      const r = checkVjp(f, [{ w, b }], { seed });
      expect(r.error).toBeLessThanOrEqual(r.tolerance);
    },
  );

  it('differentiates the arguments listed in argnums, in that order', () => {
    const f = (a: Tensor, b: Tensor, c: Tensor) => sum(mul(mul(a, b), c));
    const [gc, ga] = grad(f, { argnums: [2, 0] })(tensor([1, 2]), tensor([3, 4]), tensor([5, 6]));
    expect(gc.toArray()).toEqual([3, 8]);
    expect(ga.toArray()).toEqual([15, 24]);
  });

  it('passes aux through with hasAux', () => {
    const f = (x: Tensor) => [sum(mul(x, x)), { count: 3, note: 'kept' }] as const;
    const [[loss, aux], g] = valueAndGrad(f, { hasAux: true })(tensor([1, 2, 3]));
    expect(loss.item()).toBe(14);
    expect(aux).toEqual({ count: 3, note: 'kept' });
    expect(g.toArray()).toEqual([2, 4, 6]);
  });

  // hasAux seeds the cotangent [ones, null]: the null must stand for the whole aux subtree.
  it('passes an aux that holds tensors through with hasAux', () => {
    const f = (x: Tensor) => [sum(mul(x, x)), { mean: mean(x) }] as const;
    const [[, aux], g] = valueAndGrad(f, { hasAux: true })(tensor([1, 2, 3]));
    expect(aux.mean.item()).toBe(2);
    expect(g.toArray()).toEqual([2, 4, 6]);
  });

  it('gives the same gradients when the pullback is called twice', () => {
    const { pullback } = vjp((x: Tensor) => softmax(mul(x, x)), tensor([0.1, 0.7, -0.4]));
    const c = tensor([1, -1, 2]);
    const [g1] = pullback(c);
    const [g2] = pullback(c);
    expect(g2.data).toEqual(g1.data);
  });
});

describe('gradient flow', () => {
  it('blocks gradients through stopGradient', () => {
    const x = tensor([1, 2, 3]);
    expect(grad((y: Tensor) => sum(mul(y, stopGradient(y))))(x).toArray()).toEqual([1, 2, 3]);
    expect(grad((y: Tensor) => add(sum(stopGradient(softmax(y))), sum(y)))(x).toArray()).toEqual([1, 1, 1]);
  });

  test.prop([arbTensor([4, 3]), arbTensor([3])], { numRuns: numRuns(50) })(
    'a broadcast parameter receives the sum of its per-row gradients',
    (x, b) => {
      const loss = (bias: Tensor, rows: Tensor) => sum(tanh(add(rows, bias)));
      const shared = grad(loss)(b, x);
      let perRow = zeros([3]);
      for (let i = 0; i < 4; i++) perRow = add(perRow, grad(loss)(b, index(x, i)));
      expect(close(shared, perRow, 1e-12)).toBe(true);
    },
  );

  it('gives zeros of the right shape to an input that does not reach the output', () => {
    const [gx, gy] = grad((x: Tensor, _y: Tensor) => sum(x), { argnums: [0, 1] })(tensor([1, 2]), tensor([[1, 2, 3]]));
    expect(gx.toArray()).toEqual([1, 1]);
    expect(gy.shape).toEqual([1, 3]);
    expect(gy.toArray()).toEqual([[0, 0, 0]]);
    const g = grad((p: { used: Tensor; unused: Tensor }) => logsumexp(p.used))({ used: tensor([0, 0]), unused: tensor([[5], [6]]) });
    expect(g.unused.toArray()).toEqual([[0], [0]]);
    // Through an op whose gradient is a symbolic zero (a comparison inside max's VJP).
    const [gz] = vjp((x: Tensor) => stopGradient(max(x)), tensor([3, 1])).pullback(tensor(1));
    expect(gz.toArray()).toEqual([0, 0]);
  });

  it('keeps nested derivatives apart (no perturbation confusion): d/dx [x · d/dy (x·y)] = 2x', () => {
    const x0 = tensor([1.5, -2]);
    const y0 = tensor([7, 7]);
    const viaGrad = grad((x: Tensor) => sum(mul(x, grad((y: Tensor) => sum(mul(x, y)))(y0))))(x0);
    expect(viaGrad.toArray()).toEqual([3, -4]);
    const viaVjp = grad((x: Tensor) => {
      const { pullback } = vjp((y: Tensor) => mul(x, y), y0);
      return sum(mul(x, pullback(tensor([1, 1]))[0]));
    })(x0);
    expect(viaVjp.toArray()).toEqual([3, -4]);
  });

  it('differentiates an inner gradient taken at a point that depends on the outer variable', () => {
    // d/dx [d/dy (x·y²) at y = x] = d/dx [2x²] = 4x.
    const g = grad((x: Tensor) => sum(grad((y: Tensor) => sum(mul(x, mul(y, y))))(x)))(tensor([1, 3]));
    expect(g.toArray()).toEqual([4, 12]);
  });
});
