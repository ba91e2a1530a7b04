import { lml, softmaxLayer } from '@argmin/nodes-convex';
import { describe, expect, test } from 'vitest';
import { ConvergenceError, DifferentiationError, Rng, Tensor, add, grad, mul, randn, softmax, sum, vjp } from '../src/index.js';
import { applyNode, defineNode } from '../src/extend.js';
import { relErr } from './compile-helpers.js';

// Loss with nonzero curvature in the layer's output.
const w = new Tensor(Float64Array.from([0.3, -1.2, 0.7]), [3]);
const loss = (p: Tensor) => sum(mul(w, mul(p, p)));

// y = argmin ½‖y − x‖², solved in closed form, with its own (raw) VJP and no optimality residual.
const opaque = defineNode<{ x: Tensor }, { y: Tensor }>({
  name: 'test.opaque',
  signature: { params: { x: '(n)' }, solution: { y: '(n)' } },
  solve: ({ x }) => ({
    solution: { y: new Tensor(Float64Array.from(x.data), x.shape) },
    info: { status: ['converged'], iterations: [1], residual: [0] },
  }),
  vjp: (_p, _r, { y }) => ({ x: y ? new Tensor(Float64Array.from(y.data), y.shape) : null }),
});

describe('second derivatives through implicit nodes are recorded, never a silent zero', () => {
  const rng = Rng.seeded(11);
  const x = randn([3], rng);
  const v = randn([3], rng);
  const hvp = (f: (y: Tensor) => Tensor) => vjp(grad(f) as (y: Tensor) => Tensor, x).pullback(v)[0] as Tensor;

  test('a Hessian-vector product through an implicit softmaxLayer matches the closed form and unroll', () => {
    const exact = hvp((y) => loss(softmax(y)));
    const viaImplicit = hvp((y) => loss(softmaxLayer({ x: y }).y));
    expect(relErr(viaImplicit, exact)).toBeLessThan(1e-10);
    const viaUnroll = hvp((y) => loss(softmaxLayer({ x: y }, { strategy: { kind: 'unroll', steps: 400 } }).y));
    expect(relErr(viaUnroll, exact)).toBeLessThan(1e-6);
    // First-order gradients through the implicit node are unaffected.
    const g1 = grad((y: Tensor) => loss(softmaxLayer({ x: add(y, 0) }).y))(x) as Tensor;
    expect(relErr(g1, grad((y: Tensor) => loss(softmax(y)))(x) as Tensor)).toBeLessThan(1e-8);
  });

  test('third order: the recorded implicit VJP is itself differentiated (softmaxLayer vs softmax)', () => {
    const u = randn([3], Rng.seeded(12));
    const third = (f: (y: Tensor) => Tensor) =>
      grad((z: Tensor) => sum(mul(u, vjp(grad(f) as (y: Tensor) => Tensor, z).pullback(v)[0] as Tensor)))(x) as Tensor;
    const cubic = (p: Tensor) => sum(mul(p, mul(p, p)));
    const exact = third((y) => cubic(softmax(y)));
    expect(
      relErr(
        third((y) => cubic(softmaxLayer({ x: y }, { tol: 1e-14 }).y)),
        exact,
      ),
    ).toBeLessThan(1e-9);
  });

  test('unconverged elements follow the gradient policy at second order too', () => {
    const xb = mul(randn([3, 4], Rng.seeded(13)), 3);
    const vb = randn([3, 4], Rng.seeded(14));
    const cubic = (p: Tensor) => sum(mul(p, mul(p, p)));
    const hvpWith = (options: object) =>
      vjp(grad((z: Tensor) => cubic(softmaxLayer({ x: z }, { maxIter: 2, ...options }).y)) as (z: Tensor) => Tensor, xb).pullback(
        vb,
      )[0] as Tensor;
    expect(softmaxLayer({ x: xb }, { maxIter: 2 }).info.status).toEqual(['max_iter', 'max_iter', 'max_iter']);
    expect(() => hvpWith({})).toThrow(ConvergenceError);
    expect(Array.from(hvpWith({ onUnconverged: 'zero' }).data).every((d) => d === 0)).toBe(true);
    const fallback = hvpWith({ onUnconverged: 'unroll-fallback' });
    expect(fallback.data.every(Number.isFinite) && fallback.data.some((d) => Math.abs(d) > 1e-3)).toBe(true);
  });

  test('lml: the implicit HVP matches unroll', () => {
    const through = (options: object) => hvp((y) => loss(lml({ x: y }, { k: 1, tol: 1e-14, ...options }).y));
    expect(relErr(through({}), through({ strategy: { kind: 'unroll', steps: 60 } }))).toBeLessThan(1e-8);
  });

  test('a node whose VJP cannot be recorded (no optimality residual) throws a typed error naming it', () => {
    const g = grad((y: Tensor) => loss(applyNode(opaque, { x: y }).y));
    expect(() => vjp(g as (y: Tensor) => Tensor, x).pullback(v)).toThrow(DifferentiationError);
    expect(() => vjp(g as (y: Tensor) => Tensor, x).pullback(v)).toThrow(/test\.opaque: .*no 'optimality' residual.*use strategy 'unroll'/);
    // Its first-order gradient still works.
    expect(relErr(g(x) as Tensor, grad(loss)(x) as Tensor)).toBeLessThan(1e-14);
  });
});
