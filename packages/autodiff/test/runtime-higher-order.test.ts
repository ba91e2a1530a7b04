import { lml, softmaxLayer } from '@argmin/nodes-convex';
import { describe, expect, test } from 'vitest';
import { DifferentiationError, Rng, Tensor, add, grad, mul, randn, softmax, sum, vjp } from '../src/index.js';
import { relErr } from './compile-helpers.js';

// Loss with nonzero curvature in the layer's output.
const w = new Tensor(Float64Array.from([0.3, -1.2, 0.7]), [3]);
const loss = (p: Tensor) => sum(mul(w, mul(p, p)));

describe('second derivatives through implicit nodes are never a silent zero', () => {
  const rng = Rng.seeded(11);
  const x = randn([3], rng);
  const v = randn([3], rng);

  test('a Hessian-vector product through an implicit softmaxLayer or lml is a typed error naming the node', () => {
    const g = grad((y: Tensor) => loss(softmaxLayer({ x: y }).y));
    expect(() => vjp(g as (y: Tensor) => Tensor, x).pullback(v)).toThrow(DifferentiationError);
    expect(() => vjp(g as (y: Tensor) => Tensor, x).pullback(v)).toThrow(/convex\.softmax.*use strategy 'unroll'/);
    const gl = grad((y: Tensor) => loss(lml({ x: y }, { k: 1 }).y));
    expect(() => vjp(gl as (y: Tensor) => Tensor, x).pullback(v)).toThrow(/convex\.lml: a derivative of this node's implicit gradient/);
  });

  test("with strategy 'unroll' the HVP matches the closed form (softmax op)", () => {
    const hvp = (f: (y: Tensor) => Tensor) => vjp(grad(f) as (y: Tensor) => Tensor, x).pullback(v)[0] as Tensor;
    const viaUnroll = hvp((y) => loss(softmaxLayer({ x: y }, { strategy: { kind: 'unroll', steps: 400 } }).y));
    const exact = hvp((y) => loss(softmax(y)));
    expect(relErr(viaUnroll, exact)).toBeLessThan(1e-6);
    // First-order gradients through the implicit node are unaffected.
    const g1 = grad((y: Tensor) => loss(softmaxLayer({ x: add(y, 0) }).y))(x) as Tensor;
    expect(relErr(g1, grad((y: Tensor) => loss(softmax(y)))(x) as Tensor)).toBeLessThan(1e-8);
  });
});
