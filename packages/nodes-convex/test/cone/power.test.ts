import { InvalidInputError, ShapeError, Tensor, tensor, zeros } from '@argmin/autodiff';
import { checkVjp, numRuns } from '@argmin/autodiff/testing';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { applyConeDerivative, denseConeDerivative, projectCone, projectConeWithDerivative } from '../../src/cone/cones.js';
import { powerCone, powerDualGradient, powerDualHessian } from '../../src/cone/ipm/power.js';
import { cone } from '../../src/cone/node.js';
import { projectPower } from '../../src/cone/power-cone.js';
import { coneLayout, type ConeSpec } from '../../src/cone/problem.js';
import { randomPrograms } from './programs.js';
import { centralDifference } from './central-difference.js';

const runs = numRuns(20);
const value = fc.double({ min: -3, max: 3, noNaN: true, noDefaultInfinity: true });
const vec3 = fc.tuple(value, value, value).map((a) => Float64Array.from(a));
const exponent = fc.double({ min: 0.05, max: 0.95, noNaN: true });
const geo = (x: number, y: number, a: number) => (x <= 0 || y <= 0 ? 0 : x ** a * y ** (1 - a));
const dot = (a: Float64Array, b: Float64Array) => a.reduce((s, x, i) => s + x * b[i]!, 0);
const maxAbs = (a: Float64Array) => a.reduce((s, x) => Math.max(s, Math.abs(x)), 0);
const diff = (a: Float64Array, b: Float64Array) => a.map((x, i) => x - b[i]!);

/**
 * Whether v is within about tol of K_α (or K*_α), by distance rather than by the defining
 * inequality: v + tol·(1, 1, 0) must satisfy it up to tol. (x^α with a small α magnifies the
 * rounding of a coordinate that should be 1e-18 and rounds to 0: (1e-18)^0.1 = 0.016.)
 */
function inPower(v: Float64Array, a: number, dual: boolean, tol: number): boolean {
  const [x, y, z] = v;
  if (x! < -tol || y! < -tol) return false;
  const g = dual ? geo((x! + tol) / a, (y! + tol) / (1 - a), a) : geo(x! + tol, y! + tol, a);
  return Math.abs(z!) <= g + tol;
}

const proj = (a: number, dual: boolean, v: Float64Array) => {
  const out = new Float64Array(3);
  projectCone(coneLayout({ power: [a] }), dual, v, out);
  return out;
};

describe('projection onto the power cone', () => {
  test('lands in K and K*, is idempotent, and obeys Moreau: v = Π_K(v) − Π_K*(−v), parts orthogonal', () => {
    fc.assert(
      fc.property(vec3, exponent, (v, a) => {
        const p = proj(a, false, v);
        const q = proj(
          a,
          true,
          v.map((x) => -x),
        );
        expect(inPower(p, a, false, 1e-10)).toBe(true);
        expect(inPower(q, a, true, 1e-10)).toBe(true);
        expect(maxAbs(diff(proj(a, false, p), p))).toBeLessThan(1e-10 * Math.max(1, maxAbs(p)));
        expect(maxAbs(diff(v, diff(p, q)))).toBeLessThan(1e-12 * Math.max(1, maxAbs(v)));
        expect(Math.abs(dot(p, q))).toBeLessThan(1e-12 * Math.max(1, dot(v, v)));
      }),
      { numRuns: runs * 10 },
    );
  });

  test('is no farther from v than random points of the cone (brute force)', () => {
    fc.assert(
      fc.property(
        vec3,
        exponent,
        fc.array(
          fc.tuple(
            fc.double({ min: 0, max: 4, noNaN: true }),
            fc.double({ min: 0, max: 4, noNaN: true }),
            fc.double({ min: -1, max: 1, noNaN: true }),
          ),
          { minLength: 20, maxLength: 20 },
        ),
        (v, a, pts) => {
          const p = proj(a, false, v);
          const d = Math.hypot(...diff(v, p));
          for (const [x, y, t] of pts) {
            const w = Float64Array.of(x, y, t * geo(x, y, a)); // a point of K_α
            expect(d).toBeLessThanOrEqual(Math.hypot(...diff(v, w)) + 1e-12);
          }
        },
      ),
      { numRuns: runs },
    );
  });

  test('recovers a known projection: v = p + μ∇g(p) with p on ∂K, down to tiny μ', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 1e-3, max: 3, noNaN: true }),
        fc.double({ min: 1e-3, max: 3, noNaN: true }),
        fc.constantFrom(1, -1),
        fc.double({ min: 0, max: 3, noNaN: true }),
        fc.constantFrom(1, 1e-3, 1e-8, 0),
        exponent,
        (x, y, sign, mu, scale, a) => {
          const r = geo(x, y, a);
          const p = Float64Array.of(x, y, sign * r);
          // ∇g for g = |z| − x^α y^(1−α): the outward normal of ∂K at p.
          const n = Float64Array.of((-a * r) / x, (-(1 - a) * r) / y, sign);
          const v = p.map((t, i) => t + scale * mu * n[i]!);
          const out = new Float64Array(3);
          projectPower(v, 0, a, out, 0);
          expect(maxAbs(diff(out, p))).toBeLessThan(1e-10 * Math.max(1, maxAbs(v)));
        },
      ),
      { numRuns: runs * 5 },
    );
  });

  test('closed-form cases: inside K, inside −K*, and z = 0', () => {
    const out = new Float64Array(3);
    projectPower(Float64Array.of(1, 1, 0.5), 0, 0.3, out, 0);
    expect(Array.from(out)).toEqual([1, 1, 0.5]);
    projectPower(Float64Array.of(-1, -1, 0.5), 0, 0.3, out, 0); // (1/0.3)^0.3 (1/0.7)^0.7 > 0.5
    expect(Array.from(out)).toEqual([0, 0, 0]);
    projectPower(Float64Array.of(2, -1, 0), 0, 0.6, out, 0);
    expect(Array.from(out)).toEqual([2, 0, 0]);
    projectPower(Float64Array.of(-2, -3, 0), 0, 0.6, out, 0);
    expect(Array.from(out)).toEqual([0, 0, 0]);
  });

  test('derivative matches central differences and is symmetric, for K and K*', () => {
    // Off K and −K*, Π is not differentiable on the plane z = 0 (|p_z| grows like a power
    // |z|^κ, κ < 1, beside the face x = 0 or y = 0), with a symmetric kink that one-sided
    // differences cannot see; near it the derivative varies too fast for a step of 1e-7. So z is
    // drawn at least 1e-2 from it, while x and y keep fast-check's tiny and extreme doubles (the
    // faces). The direction comes from integers: three doubles are mostly all tiny.
    const offPlane = fc.tuple(fc.double({ min: 1e-2, max: 3, noNaN: true }), fc.boolean()).map(([m, negative]) => (negative ? -m : m));
    const point = fc.tuple(value, value, offPlane).map((a) => Float64Array.from(a));
    const step = fc.integer({ min: -1000, max: 1000 });
    const direction = fc
      .tuple(step, step, step)
      .filter((d) => d.some((x) => x !== 0))
      .map((d) => {
        const nd = Math.hypot(...d);
        return Float64Array.from(d, (x) => x / nd);
      });
    fc.assert(
      fc.property(point, direction, exponent, fc.boolean(), (v, t, a, dual) => {
        const layout = coneLayout({ power: [a] });
        const out = new Float64Array(3);
        const D = projectConeWithDerivative(layout, dual, v, out);
        expect(maxAbs(diff(out, proj(a, dual, v)))).toBe(0);
        const jt = new Float64Array(3);
        applyConeDerivative(D, t, jt);
        // A kink of Π within the step shows as one-sided differences that disagree.
        const fd = centralDifference((w) => proj(a, dual, w), v, t, 1e-7, 1e-5);
        fc.pre(fd !== null);
        expect(maxAbs(diff(jt, fd))).toBeLessThan(1e-5 * Math.max(1, maxAbs(jt)));
        const J = denseConeDerivative(D);
        for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) expect(Math.abs(J[i * 3 + j]! - J[j * 3 + i]!)).toBeLessThan(1e-12);
      }),
      { numRuns: runs * 5 },
    );
  });
});

describe('the power cone dual barrier f*', () => {
  const interior = fc
    .tuple(
      fc.double({ min: 0.05, max: 3, noNaN: true }),
      fc.double({ min: 0.05, max: 3, noNaN: true }),
      fc.double({ min: -0.95, max: 0.95, noNaN: true }),
      exponent,
    )
    .map(([u, v, t, a]) => ({ z: Float64Array.of(u, v, t * geo(u / a, v / (1 - a), a)), a }));
  const f = (z: Float64Array, a: number) => {
    const P = geo(z[0]! / a, z[1]! / (1 - a), a);
    return -Math.log(P * P - z[2]! * z[2]!) - (1 - a) * Math.log(z[0]!) - a * Math.log(z[1]!);
  };

  test('gradient and Hessian match central differences; −∇f*(z) ∈ K and −∇f*(z)ᵀz = ν = 3', () => {
    fc.assert(
      fc.property(interior, ({ z, a }) => {
        const g = new Float64Array(3);
        const H = new Float64Array(9);
        powerDualGradient(z, 0, a, g);
        powerDualHessian(z, a, H);
        const h = 1e-6 * Math.max(...z.map(Math.abs));
        for (let j = 0; j < 3; j++) {
          const zp = z.slice();
          const zm = z.slice();
          zp[j]! += h;
          zm[j]! -= h;
          const fd = (f(zp, a) - f(zm, a)) / (2 * h);
          expect(Math.abs(fd - g[j]!)).toBeLessThan(1e-5 * Math.max(1, Math.abs(g[j]!)));
          const gp = new Float64Array(3);
          const gm = new Float64Array(3);
          powerDualGradient(zp, 0, a, gp);
          powerDualGradient(zm, 0, a, gm);
          for (let i = 0; i < 3; i++) {
            const fdH = (gp[i]! - gm[i]!) / (2 * h);
            expect(Math.abs(fdH - H[i * 3 + j]!)).toBeLessThan(1e-4 * Math.max(1, maxAbs(H)));
          }
        }
        expect(-dot(g, z)).toBeCloseTo(3, 9);
        expect(
          inPower(
            g.map((x) => -x),
            a,
            false,
            0,
          ),
        ).toBe(true);
      }),
      { numRuns: runs * 5 },
    );
  });

  test('the start s = z = −∇f*(z) is central for μ = 1', () => {
    for (const a of [0.1, 0.5, 0.9]) {
      const c = powerCone(0, a);
      const s = new Float64Array(3);
      const z = new Float64Array(3);
      c.init(s, z);
      const g = new Float64Array(3);
      powerDualGradient(z, 0, a, g);
      g.forEach((v, i) => expect(-v).toBeCloseTo(s[i]!, 12));
    }
  });
});

/** max x^α y^(1−α) s.t. x + y ≤ 1: variables (x, y, t), max t with (x, y, t) ∈ K_α. */
function geometricMean(a: number, polish: boolean | 'auto' = 'auto') {
  const A = tensor([
    [1, 1, 0],
    [-1, 0, 0],
    [0, -1, 0],
    [0, 0, -1],
  ]);
  return cone({ A, b: tensor([1, 0, 0, 0]), c: tensor([0, 0, -1]) }, { cones: { nonneg: 1, power: [a] }, polish });
}

/**
 * max cᵀx s.t. ‖x‖_p ≤ 1 through k power cones with α = 1/p: (r_i, 1, x_i) ∈ K_α says
 * |x_i| ≤ r_i^{1/p}, and Σ r_i ≤ 1. Variables (x, r); value ‖c‖_q, 1/p + 1/q = 1.
 */
function pNormBall(c: number[], p: number) {
  const k = c.length;
  const m = 1 + 3 * k;
  const A = new Float64Array(m * 2 * k);
  const b = new Float64Array(m);
  for (let i = 0; i < k; i++) A[k + i] = 1;
  b[0] = 1;
  for (let i = 0; i < k; i++) {
    const row = 1 + 3 * i;
    A[row * 2 * k + k + i] = -1; // s = r_i
    b[row + 1] = 1; // s = 1
    A[(row + 2) * 2 * k + i] = -1; // s = x_i
  }
  const cost = Float64Array.from({ length: 2 * k }, (_, j) => (j < k ? -c[j]! : 0));
  return cone(
    { A: new Tensor(A, [m, 2 * k]), b: new Tensor(b, [m]), c: new Tensor(cost, [2 * k]) },
    { cones: { nonneg: 1, power: Array.from({ length: k }, () => 1 / p) } },
  );
}

describe('convex.cone with power cones: known answers', () => {
  test.each([0.1, 0.3, 0.5, 0.8, 0.95])('max x^α y^(1−α) on the simplex (α = %f) is at (α, 1 − α)', (a) => {
    for (const polish of [false, true]) {
      const o = geometricMean(a, polish);
      expect(o.info.status).toEqual(['converged']);
      expect(o.info.iterations[0]).toBeLessThanOrEqual(30);
      const tol = polish ? 1e-12 : 1e-7;
      expect(Math.abs(o.x.data[0]! - a)).toBeLessThan(tol);
      expect(Math.abs(o.x.data[1]! - (1 - a))).toBeLessThan(tol);
      expect(Math.abs(o.x.data[2]! - a ** a * (1 - a) ** (1 - a))).toBeLessThan(tol);
    }
  });

  test.each([
    [1.5, [1, -2, 0.5]],
    [3, [0.3, 1, -1, 2]],
    [2, [3, 4]],
  ])('max cᵀx on the unit p-norm ball (p = %f) is ‖c‖_q at x_i ∝ sign(c_i)|c_i|^(q−1)', (p, c) => {
    const o = pNormBall(c, p);
    expect(o.info.status).toEqual(['converged']);
    const q = p / (p - 1);
    const normQ = c.reduce((s, v) => s + Math.abs(v) ** q, 0) ** (1 / q);
    const x = c.map((v) => (Math.sign(v) * Math.abs(v) ** (q - 1)) / normQ ** (q - 1));
    x.forEach((v, i) => expect(Math.abs(o.x.data[i]! - v)).toBeLessThan(1e-8));
    const value = c.reduce((s, v, i) => s + v * o.x.data[i]!, 0);
    expect(value).toBeCloseTo(normQ, 10);
  });

  test.each([
    [0.3, 0.4],
    [0.6, 0.5],
    [0.6, 0.9],
  ])('mixed power + nonneg + soc: max x^α y^(1−α) on the unit disc with x ≤ c (α = %f, c = %f)', (a, cap) => {
    // Variables (x, y, t); rows: nonneg x ≤ c; soc (1, x, y); power (x, y, t).
    const A = tensor([
      [1, 0, 0],
      [0, 0, 0],
      [-1, 0, 0],
      [0, -1, 0],
      [-1, 0, 0],
      [0, -1, 0],
      [0, 0, -1],
    ]);
    const o = cone({ A, b: tensor([cap, 1, 0, 0, 0, 0, 0]), c: tensor([0, 0, -1]) }, { cones: { nonneg: 1, soc: [3], power: [a] } });
    expect(o.info.status).toEqual(['converged']);
    // On the circle the optimum of α log x + (1−α) log y is (√α, √(1−α)); the cap moves it to (c, √(1 − c²)).
    const x = Math.min(cap, Math.sqrt(a));
    const y = Math.sqrt(1 - x * x);
    expect(Math.abs(o.x.data[0]! - x)).toBeLessThan(1e-8);
    expect(Math.abs(o.x.data[1]! - y)).toBeLessThan(1e-8);
    expect(Math.abs(o.x.data[2]! - geo(x, y, a))).toBeLessThan(1e-9);
  });

  test('infeasible: x^α y^(1−α) ≥ z ≥ 1 with x, y ≤ ½ gives a certificate', () => {
    // Variables (x, y, z); rows: nonneg ½ − x, ½ − y, z − 1; power (x, y, z).
    const A = tensor([
      [1, 0, 0],
      [0, 1, 0],
      [0, 0, -1],
      [-1, 0, 0],
      [0, -1, 0],
      [0, 0, -1],
    ]);
    const b = [0.5, 0.5, -1, 0, 0, 0];
    const a = 0.4;
    const o = cone({ A, b: tensor(b), c: tensor([0, 0, 0]) }, { cones: { nonneg: 3, power: [a] } });
    expect(o.info.status).toEqual(['infeasible']);
    const y = o.y.data;
    expect(b.reduce((s, v, i) => s + v * y[i]!, 0)).toBeCloseTo(-1, 9);
    const aty = [0, 1, 2].map((j) => A.data.reduce((s, _, k) => s + (k % 3 === j ? A.data[k]! * y[Math.floor(k / 3)]! : 0), 0));
    aty.forEach((v) => expect(Math.abs(v)).toBeLessThan(1e-7));
    [0, 1, 2].forEach((i) => expect(y[i]!).toBeGreaterThanOrEqual(-1e-9));
    expect(inPower(y.slice(3, 6), a, true, 1e-8)).toBe(true);
  });

  test('unbounded: max z with (x, y, z) ∈ K_α and x, y free', () => {
    const A = tensor([
      [-1, 0, 0],
      [0, -1, 0],
      [0, 0, -1],
    ]);
    const o = cone({ A, b: tensor([0, 0, 0]), c: tensor([0, 0, -1]) }, { cones: { power: [0.5] } });
    expect(o.info.status).toEqual(['unbounded']);
  });
});

describe('convex.cone rejects a bad power-cone exponent with a typed error', () => {
  const A = zeros([3, 1]);
  const b = zeros([3]);
  const c = tensor([1]);
  const expectError = (cones: unknown, type: typeof InvalidInputError | typeof ShapeError, ...fragments: string[]) => {
    let err: unknown;
    try {
      cone({ A, b, c }, { cones: cones as ConeSpec });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(type);
    for (const frag of ['convex.cone', ...fragments]) expect((err as Error).message).toContain(frag);
  };
  test.each([0, 1, 1.5, -0.2, Number.NaN, Number.POSITIVE_INFINITY])('α = %f', (a) => {
    expectError({ power: [a] }, InvalidInputError, 'cones.power[0]', 'strictly between 0 and 1', `got ${a}`);
  });
  test('non-numbers, a scalar in place of the array, and rows that do not add up', () => {
    expectError({ power: ['0.5'] }, InvalidInputError, 'cones.power[0]');
    expectError({ power: [0.5, 0.2, 2] }, InvalidInputError, 'cones.power[2]', 'power cone 2');
    expectError({ power: 0.5 }, InvalidInputError, 'cones.power', 'array');
    expectError({ power: [0.5, 0.5] }, ShapeError, 'take 6 rows', 'power 2×3', 'A has 3 rows');
  });
});

describe('convex.cone VJP through power cones', () => {
  const specs: ConeSpec[] = [{ power: [0.3] }, { nonneg: 2, soc: [3], power: [0.5, 0.8] }, { zero: 1, nonneg: 1, exp: 1, power: [0.2] }];
  test.each(specs.map((s) => [JSON.stringify(s), s] as const))(
    'implicit VJP of (x, y, s) in A, b, c vs central differences, %s',
    (_, spec) => {
      const layout = coneLayout(spec);
      const n = Math.max(1, Math.floor(layout.m / 2));
      for (const [k, p] of randomPrograms(spec, n, 7 + layout.m, 3).entries()) {
        const f = (A: Tensor, b: Tensor, c: Tensor) => {
          const o = cone({ A, b, c }, { cones: spec });
          expect(o.info.status).toEqual(['converged']);
          return [o.x, o.y, o.s];
        };
        const o = cone(p.params, { cones: spec });
        Array.from(o.x.data).forEach((v, i) => expect(Math.abs(v - p.x[i]!)).toBeLessThan(1e-8));
        const r = checkVjp(f, [p.params.A!, p.params.b, p.params.c], { rtol: 1e-5, atol: 1e-7, seed: k });
        expect(r.error).toBeLessThanOrEqual(r.tolerance);
      }
    },
  );
});
