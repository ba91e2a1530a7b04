import { InvalidInputError, type Tensor, tensor } from '@argmin/autodiff';
import { checkVjp } from '@argmin/autodiff/testing';
import { describe, expect, test } from 'vitest';
import {
  abs,
  analyze,
  convexLayer,
  DcpError,
  DppError,
  exp,
  geoMean,
  log,
  maximize,
  minimize,
  norm,
  parameter,
  power,
  problem,
  sumSquares,
  variable,
} from '../src/index.js';
import type { ConeEngine } from '../src/assemble.js';

/**
 * The atoms on the power cone against closed forms: power(x, p) on both sides of p = 1, the
 * general p-norm and the (weighted) geometric mean, each through the layer with its gradient
 * checked by central differences, and the DCP rules that guard them.
 */
const opts = { tol: 1e-10 };
const vjpTol = { eps: 1e-5, rtol: 1e-4, atol: 1e-6 };
const near = (got: Tensor, want: readonly number[], tol: number) => {
  expect(got.shape).toEqual([want.length]);
  want.forEach((w, i) => expect(Math.abs(got.data[i]! - w)).toBeLessThan(tol));
};

describe('power(x, p)', () => {
  test.each([3, 1.5])('p = %s > 1: min Σ|xᵢ|ᵖ − aᵢxᵢ is xᵢ = sign(aᵢ)(|aᵢ|/p)^(1/(p−1)), with its gradient', (p) => {
    const a = parameter([3], { name: 'a' });
    const x = variable([3], { name: 'x' });
    const layer = convexLayer(problem(minimize(power(x, p).sum().sub(a.dot(x)))), { parameters: [a], variables: [x] });
    expect(layer.program.cones.power).toEqual([1 / p, 1 / p, 1 / p]);
    const at = tensor([1.2, -0.7, 2.5]);
    near(
      layer([at], opts)[0]!,
      Array.from(at.data, (v) => Math.sign(v) * (Math.abs(v) / p) ** (1 / (p - 1))),
      1e-6,
    );
    checkVjp((t: Tensor) => layer([t], opts)[0]!, [at], vjpTol);
  });

  test.each([0.5, 0.3])('0 < p = %s < 1: max Σ xᵢᵖ − aᵢxᵢ (a > 0) is xᵢ = (p/aᵢ)^(1/(1−p)), with its gradient', (p) => {
    const a = parameter([3], { name: 'a' });
    const x = variable([3], { name: 'x' });
    const layer = convexLayer(problem(maximize(power(x, p).sum().sub(a.dot(x)))), { parameters: [a], variables: [x] });
    expect(layer.program.cones.power).toEqual([p, p, p]);
    const at = tensor([0.8, 1.5, 0.4]);
    near(
      layer([at], opts)[0]!,
      Array.from(at.data, (v) => (p / v) ** (1 / (1 - p))),
      1e-6,
    );
    checkVjp((t: Tensor) => layer([t], opts)[0]!, [at], vjpTol);
  });

  test.each([-1, -0.5])('p = %s < 0: min Σ xᵢᵖ + aᵢxᵢ (a > 0) is xᵢ = (|p|/aᵢ)^(1/(1−p)), with its gradient', (p) => {
    const a = parameter([3], { name: 'a' });
    const x = variable([3], { name: 'x' });
    const layer = convexLayer(problem(minimize(power(x, p).sum().add(a.dot(x)))), { parameters: [a], variables: [x] });
    expect(layer.program.cones.power).toEqual([1 / (1 - p), 1 / (1 - p), 1 / (1 - p)]);
    const at = tensor([0.8, 1.5, 0.4]);
    near(
      layer([at], opts)[0]!,
      Array.from(at.data, (v) => (-p / v) ** (1 / (1 - p))),
      1e-6,
    );
    checkVjp((t: Tensor) => layer([t], opts)[0]!, [at], vjpTol);
  });

  test('min Σ|xᵢ − aᵢ|ᵖ over a box is the clipped a (p = 2.5)', () => {
    const x = variable([4], { name: 'x' });
    const a = [-2, 0.3, 0.9, 3];
    const layer = convexLayer(problem(minimize(power(x.sub(a), 2.5).sum()), [x.ge(-1), x.le(1)]), { parameters: [], variables: [x] });
    near(layer([], opts)[0]!, [-1, 0.3, 0.9, 1], 1e-5);
  });

  test('max Σ xᵢᵖ s.t. Σ xᵢ = 1 is uniform (p = 0.5), and x ≥ 0 comes from the cone', () => {
    const x = variable([4], { name: 'x' });
    const layer = convexLayer(problem(maximize(power(x, 0.5).sum()), [x.sum().eq(1)]), { parameters: [], variables: [x] });
    near(layer([], opts)[0]!, [0.25, 0.25, 0.25, 0.25], 1e-6);
    // With a pull toward a negative entry, the cone's x ≥ 0 is active there.
    const y = variable([2], { name: 'y' });
    const l2 = convexLayer(problem(maximize(power(y, 0.5).sum().sub(y.at(0).mul(10))), [y.sum().eq(1)]), {
      parameters: [],
      variables: [y],
    });
    const ys = l2([], opts)[0]!;
    expect(ys.data[0]).toBeGreaterThanOrEqual(-1e-8);
    expect(ys.data[0]).toBeLessThan(0.01);
  });

  test('p = 1 is x itself; p > 1 is |x|ᵖ, 0 < p < 1 concave, p < 0 convex decreasing, with signs', () => {
    const x = variable([3], { name: 'x' });
    const xp = variable([3], { name: 'xp', nonneg: true });
    expect(power(x, 1)).toBe(x);
    expect(power(x, 3).toString()).toBe('absPower(x, 3)');
    expect(power(x, 0.5).toString()).toBe('concavePower(x, 0.5)');
    expect(analyze(power(x, 3))).toMatchObject({ curvature: 'convex', sign: 'nonneg' });
    expect(analyze(power(x, 0.5))).toMatchObject({ curvature: 'concave', sign: 'nonneg' });
    // Convex nondecreasing for a nonneg argument: a convex nonneg argument is fine.
    expect(analyze(power(norm(x), 2)).curvature).toBe('convex');
    expect(analyze(power(exp(x), 1.5)).curvature).toBe('convex');
    expect(analyze(power(power(xp, 0.5), 0.5)).curvature).toBe('concave');
    expect(power(x, -2).toString()).toBe('inversePower(x, -2)');
    expect(analyze(power(x, -2))).toMatchObject({ curvature: 'convex', sign: 'nonneg' });
    // Convex nonincreasing: a concave argument is fine, e.g. 1 / geoMean(x).
    expect(analyze(power(geoMean(x), -1)).curvature).toBe('convex');
  });
});

describe('norm(x, p) for a general p', () => {
  test.each([3, 1.5])('p = %s: max cᵀx s.t. ‖x‖ₚ ≤ 1 is ‖c‖_q at x = sign(c)|c|^(q−1)/‖c‖_q^(q−1), with its gradient', (p) => {
    const q = p / (p - 1);
    const c = parameter([3], { name: 'c' });
    const x = variable([3], { name: 'x' });
    const layer = convexLayer(problem(maximize(c.dot(x)), [norm(x, p).le(1)]), { parameters: [c], variables: [x] });
    expect(layer.program.cones.power).toEqual([1 / p, 1 / p, 1 / p]);
    expect(layer.program.cones.zero).toBe(1); // Σ rᵢ = t
    const ct = tensor([1, -2, 0.5]);
    const cq = Array.from(ct.data, (v) => Math.abs(v) ** q).reduce((s, v) => s + v, 0) ** (1 / q);
    const want = Array.from(ct.data, (v) => (Math.sign(v) * Math.abs(v) ** (q - 1)) / cq ** (q - 1));
    const xs = layer([ct], opts)[0]!;
    near(xs, want, 1e-6);
    expect(Math.abs(xs.data.reduce((s, v, i) => s + v * ct.data[i]!, 0) - cq)).toBeLessThan(1e-8);
    checkVjp((t: Tensor) => layer([t], opts)[0]!, [ct], vjpTol);
  });

  test('p = 1, 2, Infinity keep their linear / SOC forms; other p are entrywise over a matrix', () => {
    const x = variable([3], { name: 'x' });
    expect([norm(x, 1), norm(x), norm(x, Infinity), norm(x, 4)].map((e) => e.data.atom)).toEqual(['norm1', 'norm2', 'normInf', 'normP']);
    const X = variable([2, 2], { name: 'X' });
    const layer = convexLayer(
      problem(
        minimize(
          norm(
            X.sub([
              [3, 0],
              [0, 4],
            ]),
            3,
          ),
        ),
      ),
      { parameters: [], variables: [X] },
    );
    expect(layer.program.cones.power).toHaveLength(4);
    const Xs = layer([], opts)[0]!;
    Array.from([3, 0, 0, 4]).forEach((w, i) => expect(Math.abs(Xs.data[i]! - w)).toBeLessThan(1e-5));
  });
});

describe('geoMean(x, weights?)', () => {
  const cases: [string, number[] | undefined, number[]][] = [
    ['two entries: one cone, α = ½', undefined, [0.5]],
    ['three equal weights: a chain of two cones', undefined, [1 / 3, 0.5]],
    ['weights 1, 2, 3 (normalized)', [1, 2, 3], [1 / 6, 0.4]],
  ];
  test.each(cases)('%s: max Πxᵢ^wᵢ s.t. cᵀx ≤ 1 is xᵢ = wᵢ/cᵢ, with its gradient', (_, weights, alphas) => {
    const n = alphas.length + 1;
    const c = parameter([n], { name: 'c' });
    const x = variable([n], { name: 'x' });
    const layer = convexLayer(problem(maximize(geoMean(x, weights)), [c.dot(x).le(1)]), { parameters: [c], variables: [x] });
    (layer.program.cones.power ?? []).forEach((a, i) => expect(a).toBeCloseTo(alphas[i]!, 14));
    expect(layer.program.cones.power).toHaveLength(alphas.length);
    const ct = tensor([1.5, 0.8, 2.2].slice(0, n));
    const w = weights ?? new Array(n).fill(1);
    const total = w.reduce((s, v) => s + v, 0);
    near(
      layer([ct], opts)[0]!,
      w.map((v, i) => v / total / ct.data[i]!),
      1e-6,
    );
    checkVjp((t: Tensor) => layer([t], opts)[0]!, [ct], vjpTol);
  });

  test('a single entry is the entry itself, kept ≥ 0', () => {
    const x = variable([1], { name: 'x' });
    const layer = convexLayer(problem(maximize(geoMean(x).sub(x.sum().mul(0.5))), [x.le(3)]), { parameters: [], variables: [x] });
    expect(layer.program.cones.power).toBeUndefined();
    near(layer([], opts)[0]!, [3], 1e-6);
  });
});

describe('power cones after exponential cones', () => {
  test('min eᵘ − 2u + |v − 1|³ − 3v mixes both kinds: u = log 2, v = 2', () => {
    const u = variable([], { name: 'u' });
    const v = variable([], { name: 'v' });
    const obj = exp(u)
      .sub(u.mul(2))
      .add(power(v.sub(1), 3))
      .sub(v.mul(3));
    const layer = convexLayer(problem(minimize(obj), [norm(v, 1.5).le(5)]), { parameters: [], variables: [u, v] });
    const { cones, rows } = layer.program;
    expect(cones.exp).toBe(1);
    expect(cones.power).toEqual([1 / 1.5, 1 / 3]); // constraints are canonicalized before the objective
    expect(rows.total).toBe((cones.zero ?? 0) + (cones.nonneg ?? 0) + 3 + 3 * 2);
    const [us, vs] = layer([], opts);
    expect(Math.abs(us!.data[0]! - Math.log(2))).toBeLessThan(1e-6);
    expect(Math.abs(vs!.data[0]! - 2)).toBeLessThan(1e-6);
  });
});

describe('with the cone node’s quadratic term and sparse A', () => {
  // The projection onto the 3-norm ball, min ½‖x − a‖² s.t. ‖x‖₃ ≤ 1: a quadratic objective on
  // power cones goes to the node's P by default; the rotated-SOC rewrite and a sparse A must agree.
  const a = parameter([3], { name: 'a' });
  const x = variable([3], { name: 'x' });
  const prob = problem(minimize(sumSquares(x.sub(a)).mul(0.5)), [norm(x, 3).le(1)]);
  const at = tensor([1.1, -0.6, 0.4]);
  const solve = (engine?: ConeEngine) => {
    const layer = convexLayer(prob, { parameters: [a], variables: [x], ...(engine ? { engine } : {}) });
    return { layer, xs: layer([at], opts)[0]! };
  };
  test('the same projection three ways, on the ball’s boundary, with its gradient', () => {
    const auto = solve();
    expect(auto.layer.program.sparsity?.P).toBeDefined();
    const rotated = solve({ quadratic: false, sparse: false });
    const sparse = solve({ quadratic: true, sparse: true });
    near(rotated.xs, Array.from(auto.xs.data), 1e-7);
    near(sparse.xs, Array.from(auto.xs.data), 1e-7);
    expect(Math.abs(auto.xs.data.reduce((s, v) => s + Math.abs(v) ** 3, 0) - 1)).toBeLessThan(1e-7);
    // KKT: x − a + λ·3 sign(x)|x|² = 0 for one λ > 0.
    const lam = Array.from(auto.xs.data, (v, i) => (at.data[i]! - v) / (3 * Math.sign(v) * v * v));
    lam.forEach((l) => expect(Math.abs(l - lam[0]!)).toBeLessThan(1e-5));
    expect(lam[0]).toBeGreaterThan(0);
    checkVjp((t: Tensor) => auto.layer([t], opts)[0]!, [at], vjpTol);
  });
});

describe('DCP and argument checks', () => {
  const x = variable([3], { name: 'x' });
  const errorOf = (fn: () => unknown): DcpError | DppError => {
    try {
      fn();
    } catch (e) {
      if (e instanceof DcpError || e instanceof DppError) return e;
      throw e;
    }
    throw new Error('expected a DCP or DPP error');
  };
  const dcp: [string, () => unknown, string, RegExp][] = [
    ['maximize a convex power', () => problem(maximize(power(x, 3).sum())), 'sum(absPower(x, 3))', /cannot maximize a convex/],
    ['minimize a concave power', () => problem(minimize(power(x, 0.5).sum())), 'sum(concavePower(x, 0.5))', /cannot minimize a concave/],
    [
      'concave power of convex',
      () => problem(maximize(power(abs(x), 0.5).sum())),
      'concavePower(abs(x), 0.5)',
      /concavePower is concave and nondecreasing/,
    ],
    [
      'convex power of concave',
      () => problem(minimize(power(log(x), 2).sum())),
      'absPower(log(x), 2)',
      /absPower is convex and not monotone/,
    ],
    [
      'negative power of convex',
      () => problem(minimize(power(abs(x), -1).sum())),
      'inversePower(abs(x), -1)',
      /inversePower is convex and nonincreasing/,
    ],
    ['p-norm of concave', () => problem(minimize(norm(log(x), 3))), 'normP(log(x), 3)', /normP is convex and not monotone/],
    ['geoMean of convex', () => problem(maximize(geoMean(abs(x)))), 'geoMean(abs(x))', /geoMean is concave and nondecreasing/],
    ['minimize geoMean', () => problem(minimize(geoMean(x))), 'geoMean(x)', /cannot minimize a concave/],
  ];
  test.each(dcp)('%s', (_, fn, sub, why) => {
    const e = errorOf(fn);
    expect(e).toBeInstanceOf(DcpError);
    expect(e.subexpression).toBe(sub);
    expect(e.message).toMatch(why);
  });

  test('DPP: a parameter inside power', () => {
    const a = parameter([3], { name: 'a' });
    expect(errorOf(() => problem(minimize(power(a, 2).dot(x)))).message).toMatch(/inside the nonlinear atom absPower/);
  });

  test('p is validated, naming the atom and p', () => {
    for (const p of [0, Number.NaN, Infinity, -Infinity]) {
      expect(() => power(x, p)).toThrow(InvalidInputError);
      expect(() => power(x, p)).toThrow(`power(x, ${p}): p must be a finite number other than 0`);
    }
    for (const p of [0.5, 0, Number.NaN, -Infinity]) expect(() => norm(x, p)).toThrow(`norm(x, ${p}): p must be a number ≥ 1 or Infinity`);
    expect(() => geoMean(x, [1, 2])).toThrow(/expected 3 weights/);
    expect(() => geoMean(x, [1, 0, 2])).toThrow(/weight 1 must be a finite number > 0, got 0/);
  });
});
