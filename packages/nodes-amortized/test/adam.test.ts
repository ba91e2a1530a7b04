import {
  DifferentiationError,
  InvalidInputError,
  Rng,
  ShapeError,
  Tensor,
  matmul,
  mul,
  randn,
  sub,
  sum,
  tensor,
  valueAndGrad,
} from '@argmin/autodiff';
import { describe, expect, test } from 'vitest';
import { adam, cosineDecay } from '../src/adam.js';
import { expectError } from './helpers/assert.js';

const t = (...v: number[]) => tensor(v);

describe('adam: the update rule', () => {
  test('two steps by hand: bias-corrected moments, step ≈ lr·m̂/√v̂', () => {
    const [lr, b1, b2, eps] = [0.1, 0.9, 0.999, 1e-8];
    const opt = adam({ lr, beta1: b1, beta2: b2, eps });
    const p0 = { w: t(1, -2) };
    const g1 = { w: t(2, 0.5) };
    const g2 = { w: t(-1, 0.5) };
    const s1 = opt.update(p0, g1, opt.init(p0));
    // Step 1: m̂ = g, v̂ = g², so each coordinate moves by lr·g/(|g| + eps) ≈ lr·sign(g).
    const step1 = [1 - lr * (2 / (2 + eps)), -2 - lr * (0.5 / (0.5 + eps))];
    s1.params.w.data.forEach((v, i) => expect(v).toBeCloseTo(step1[i]!, 14));
    expect(s1.state.step).toBe(1);
    const s2 = opt.update(s1.params, g2, s1.state);
    // Step 2: m = β1(1−β1)g1 + (1−β1)g2, v = β2(1−β2)g1² + (1−β2)g2², corrected by 1 − β^2.
    const expected = [0, 1].map((i) => {
      const [a, b] = [g1.w.data[i]!, g2.w.data[i]!];
      const m = (b1 * (1 - b1) * a + (1 - b1) * b) / (1 - b1 * b1);
      const v = (b2 * (1 - b2) * a * a + (1 - b2) * b * b) / (1 - b2 * b2);
      return step1[i]! - lr * (m / (Math.sqrt(v) + eps));
    });
    s2.params.w.data.forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 14));
    // Coordinate 0 saw g = 2 then −1: m̂ = (0.18 − 0.1)/0.19, v̂ = (0.003996 + 0.001)/0.001999
    // (up to eps = 1e-8, which moves it by ~1e-9).
    expect(s2.params.w.data[0]).toBeCloseTo(0.9 - 0.1 * (0.08 / 0.19 / Math.sqrt(0.004996 / 0.001999)), 8);
  });

  test('decoupled weight decay (AdamW) shrinks by lr·wd·x, independent of the gradient scale', () => {
    const opt = adam({ lr: 0.1, weightDecay: 0.5 });
    const p = { w: t(2, -4) };
    const { params } = opt.update(p, { w: t(0, 0) }, opt.init(p));
    expect(Array.from(params.w.data)).toEqual([2 - 0.1 * 0.5 * 2, -4 + 0.1 * 0.5 * 4]);
  });

  test('a schedule lr(step) is called with 1, 2, …', () => {
    const seen: number[] = [];
    const opt = adam({ lr: (s) => (seen.push(s), 0.01) });
    let p = { w: t(1) };
    let state = opt.init(p);
    for (let i = 0; i < 3; i++) ({ params: p, state } = opt.update(p, { w: t(1) }, state));
    expect(seen).toEqual([1, 2, 3]);
  });

  test('clipNorm rescales the whole gradient (over every leaf) to that 2-norm; smaller gradients pass unchanged', () => {
    const opt = adam({ clipNorm: 1 });
    const p = { a: t(0, 0), b: [t(0)] };
    const g = { a: t(3, 0), b: [t(4)] }; // ‖g‖ = 5
    const { state } = opt.update(p, g, opt.init(p));
    // m = (1 − β1)·g·(1/5): read from the state, since Adam's first step is scale-free.
    expect(state.m[0]![0]).toBeCloseTo((0.1 * 3) / 5, 15);
    expect(state.m[0]![1]).toBe(0);
    expect(state.m[1]![0]).toBeCloseTo((0.1 * 4) / 5, 15);
    const small = opt.update(p, { a: t(0.3, 0), b: [t(0.4)] }, opt.init(p)).state;
    expect(small.m[0]![0]).toBeCloseTo(0.1 * 0.3, 15);
  });

  test('converges on a convex quadratic ½wᵀAw − bᵀw to the solution of Aw = b', () => {
    const A = tensor([
      [3, 1, 0],
      [1, 2, 0.5],
      [0, 0.5, 1],
    ]);
    const b = t(1, -2, 0.5);
    const f = (w: Tensor) => sub(mul(sum(mul(w, matmul(A, w))), 0.5), sum(mul(b, w)));
    const lossAndGrad = valueAndGrad(f);
    const steps = 1500;
    const opt = adam({ lr: cosineDecay(0.1, steps, 1e-3) });
    let w = randn([3], Rng.seeded(0));
    let state = opt.init(w);
    for (let i = 0; i < steps; i++) ({ params: w, state } = opt.update(w, lossAndGrad(w)[1] as Tensor, state));
    // The minimizer solves Aw = b: its residual, not a hand-solved w*, is the check.
    const r = sub(matmul(A, w), b);
    expect(Math.max(...r.data.map(Math.abs))).toBeLessThan(1e-4);
  });
});

describe('adam: functional and safe', () => {
  test('parameters, gradients and the state are never written; the same inputs give the same step', () => {
    const opt = adam({ lr: 0.05, weightDecay: 0.1 });
    const p = { W: randn([2, 3], Rng.seeded(1)), b: randn([3], Rng.seeded(2)) };
    const g = { W: randn([2, 3], Rng.seeded(3)), b: randn([3], Rng.seeded(4)) };
    const s0 = opt.update(p, g, opt.init(p)).state;
    const copies = [p.W, p.b, g.W, g.b].map((x) => Float64Array.from(x.data));
    const moments = [...s0.m, ...s0.v].map((a) => Float64Array.from(a));
    const first = opt.update(p, g, s0);
    const second = opt.update(p, g, s0);
    [p.W, p.b, g.W, g.b].forEach((x, i) => expect(x.data).toEqual(copies[i]));
    [...s0.m, ...s0.v].forEach((a, i) => expect(a).toEqual(moments[i]));
    expect(first.params.W.data).toEqual(second.params.W.data);
    expect(first.params.W).not.toBe(p.W);
    expect(first.state.step).toBe(2);
    expect(s0.step).toBe(1);
  });

  test('a NaN or infinite gradient throws a DifferentiationError naming the leaf, the index and the step', () => {
    const opt = adam();
    const p = { layer: { W: t(1, 2, 3) }, b: t(0) };
    expectError(
      () => opt.update(p, { layer: { W: t(0, NaN, 0) }, b: t(0) }, opt.init(p)),
      DifferentiationError,
      "'layer.W'",
      'NaN',
      'flat index 1',
      'step 1',
    );
    expectError(() => opt.update(p, { layer: { W: t(0, 0, 0) }, b: t(-Infinity) }, opt.init(p)), DifferentiationError, "'b'", '-Infinity');
    expectError(() => opt.update(t(1), t(NaN), opt.init(t(1))), DifferentiationError, '(root)');
  });

  test('gradients that do not match the parameters, and bad options, throw typed errors', () => {
    const opt = adam();
    const p = { a: t(1, 2), b: t(3) };
    expectError(() => opt.update(p, { a: t(1, 2) } as typeof p, opt.init(p)), ShapeError, '1 tensor leaves', 'have 2');
    expectError(() => opt.update(p, { a: t(1, 2, 3), b: t(0) }, opt.init(p)), ShapeError, "'a'", '[3]', '[2]');
    expectError(() => adam({ beta1: 1 }), InvalidInputError, "'beta1'", '< 1');
    expectError(() => adam({ beta2: -0.1 }), InvalidInputError, "'beta2'");
    expectError(() => adam({ lr: NaN }), InvalidInputError, "'lr'");
    expectError(() => adam({ eps: -1 }), InvalidInputError, "'eps'");
    expectError(() => adam({ weightDecay: Infinity }), InvalidInputError, "'weightDecay'");
    expectError(() => adam({ clipNorm: 0 }), InvalidInputError, "'clipNorm'");
  });
});

describe('cosineDecay', () => {
  test('starts at lr, ends at lr·finalFraction at the last step and stays there, half-way in the middle', () => {
    const lr = cosineDecay(0.2, 101, 0.05);
    expect(lr(1)).toBeCloseTo(0.2, 15);
    expect(lr(51)).toBeCloseTo(0.2 * (0.05 + 0.95 * 0.5), 15);
    expect(lr(101)).toBeCloseTo(0.2 * 0.05, 15);
    expect(lr(500)).toBeCloseTo(0.2 * 0.05, 15);
    expect(cosineDecay(1, 10)(10)).toBeCloseTo(0.01, 15);
    for (let s = 1; s < 101; s++) expect(lr(s + 1)).toBeLessThanOrEqual(lr(s));
    expect(cosineDecay(0.3, 1)(1)).toBeCloseTo(0.3, 15);
  });
});

describe('adam: Optimizer state', () => {
  test('init makes zero moments shaped like each leaf', () => {
    const s = adam().init({ W: new Tensor(new Float64Array(6), [2, 3]), b: [t(1)] });
    expect(s.step).toBe(0);
    expect(s.m.map((a) => a.length)).toEqual([6, 1]);
    expect([...s.m, ...s.v].every((a) => a.every((v) => v === 0))).toBe(true);
  });
});
