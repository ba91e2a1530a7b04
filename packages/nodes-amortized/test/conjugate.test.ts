import { test as fcTest } from '@fast-check/vitest';
import fc from 'fast-check';
import { InvalidInputError, Rng, Tensor, add, randn, stopGradient, sub } from '@argmin/autodiff';
import { checkVjp, numRuns } from '@argmin/autodiff/testing';
import { describe, expect, test } from 'vitest';
import { conjugate } from '../src/conjugate.js';
import { conjugateValue, envelopeConjugate, solveConjugate } from '../src/conjugate-w2.js';
import { icnn, type IcnnParams } from '../src/icnn.js';
import { expectError } from './helpers/assert.js';

/** f(x) = ½xᵀAx + bᵀx, A SPD: f*(y) = ½(y − b)ᵀA⁻¹(y − b), x* = A⁻¹(y − b). */
function quadratic(d: number, seed: number) {
  const rng = Rng.seeded(seed);
  const G = randn([d, d], rng);
  const A = new Float64Array(d * d);
  for (let i = 0; i < d; i++)
    for (let j = 0; j < d; j++) {
      let s = i === j ? 0.5 : 0;
      for (let k = 0; k < d; k++) s += (G.data[i * d + k]! * G.data[j * d + k]!) / d;
      A[i * d + j] = s;
    }
  const b = randn([d], rng).data;
  const f = (x: Float64Array, B: number) => {
    const value = new Float64Array(B);
    const grad = new Float64Array(B * d);
    for (let r = 0; r < B; r++)
      for (let i = 0; i < d; i++) {
        let ax = 0;
        for (let k = 0; k < d; k++) ax += A[i * d + k]! * x[r * d + k]!;
        grad[r * d + i] = ax + b[i]!;
        value[r]! += 0.5 * x[r * d + i]! * ax + b[i]! * x[r * d + i]!;
      }
    return { value, grad };
  };
  return { A, b, f };
}

describe('conjugate: batched L-BFGS for f*(y) = max xᵀy − f(x)', () => {
  fcTest.prop([fc.integer({ min: 1, max: 12 }), fc.integer()], { numRuns: numRuns(20, 100) })(
    'on quadratics: ∇f(x*) = y to tol, the closed-form value, every row converged',
    (d, seed) => {
      const { f } = quadratic(d, seed);
      const y = randn([5, d], Rng.seeded(seed + 1)).data;
      const r = conjugate(f, y, y, d, { tol: 1e-9 });
      expect(Array.from(r.converged)).toEqual([1, 1, 1, 1, 1]);
      const { value, grad } = f(r.x, 5);
      for (let k = 0; k < 5 * d; k++) expect(Math.abs(grad[k]! - y[k]!)).toBeLessThanOrEqual(1e-9);
      for (let row = 0; row < 5; row++) {
        let xy = 0;
        for (let i = 0; i < d; i++) xy += r.x[row * d + i]! * y[row * d + i]!;
        expect(r.value[row]).toBeCloseTo(xy - value[row]!, 12);
      }
    },
  );

  test('a start at the solution takes 0 iterations; a tiny budget is reported as unconverged', () => {
    const { f } = quadratic(6, 3);
    const y = randn([4, 6], Rng.seeded(4)).data;
    const exact = conjugate(f, y, y, 6, { tol: 1e-10 });
    expect(exact.iterations.every((k) => k > 2)).toBe(true);
    const again = conjugate(f, y, exact.x, 6, { tol: 1e-9 });
    expect(Array.from(again.iterations)).toEqual([0, 0, 0, 0]);
    const short = conjugate(f, y, y, 6, { tol: 1e-12, maxIter: 1 });
    expect(Array.from(short.converged)).toEqual([0, 0, 0, 0]);
    expect(short.gradNorm.every((g) => g > 1e-12)).toBe(true);
    expectError(() => conjugate(f, y, y.subarray(1), 6), Error, 'B×6');
    expectError(() => conjugate(f, y, y, 6, { tol: 0 }), InvalidInputError, 'tol > 0');
  });
});

describe('conjugate: a curvature start H₀ = B₀⁻¹', () => {
  fcTest.prop([fc.integer({ min: 1, max: 10 }), fc.integer()], { numRuns: numRuns(20, 100) })(
    'on quadratics the exact B₀ = A takes one (Newton) step per row; γI takes more',
    (d, seed) => {
      const { A, f } = quadratic(d, seed);
      const B = 4;
      const y = randn([B, d], Rng.seeded(seed + 1)).data;
      const initialHessian = new Float64Array(B * d * d);
      for (let r = 0; r < B; r++) initialHessian.set(A, r * d * d);
      const newton = conjugate(f, y, y, d, { tol: 1e-9, initialHessian });
      const plain = conjugate(f, y, y, d, { tol: 1e-9 });
      expect(Array.from(newton.converged)).toEqual([1, 1, 1, 1]);
      newton.iterations.forEach((k) => expect(k).toBeLessThanOrEqual(1));
      newton.value.forEach((v, r) => expect(Math.abs(v - plain.value[r]!)).toBeLessThanOrEqual(1e-9 * (1 + Math.abs(v))));
      if (d >= 3) expect(plain.iterations.reduce((s, k) => s + k, 0)).toBeGreaterThan(B);
    },
  );

  test('a row whose B₀ is not positive definite falls back to γI and still converges', () => {
    const d = 4;
    const { A, f } = quadratic(d, 9);
    const y = randn([2, d], Rng.seeded(10)).data;
    const initialHessian = new Float64Array(2 * d * d);
    initialHessian.set(A, 0);
    for (let i = 0; i < d; i++) initialHessian[d * d + i * d + i] = i === 0 ? -1 : 1; // indefinite
    const r = conjugate(f, y, y, d, { tol: 1e-9, initialHessian });
    expect(Array.from(r.converged)).toEqual([1, 1]);
    expect(r.iterations[0]).toBe(1);
    expect(r.iterations[1]).toBeGreaterThan(1);
    expectError(() => conjugate(f, y, y, d, { initialHessian: new Float64Array(3) }), Error, 'initialHessian (3)');
  });
});

describe('envelope-theorem gradients of the ICNN conjugate', () => {
  const net = icnn({ input: 3, hidden: [6, 5], quadraticRank: 3, strongConvexity: 0.1 });
  fcTest.prop([fc.integer()], { numRuns: numRuns(8, 40) })(
    'checkVjp: θ ↦ f*_θ(y) re-solved in the differences, envelope gradient in the VJP (θ and y)',
    (seed) => {
      const rng = Rng.seeded(seed);
      const raw = net.init(rng);
      const theta: IcnnParams = Object.fromEntries(Object.entries(raw).map(([k, t]) => [k, randn(t.shape, rng, 0.5)]));
      const y = randn([4, 3], Rng.seeded(seed + 1));
      const value = (th: IcnnParams, yy: Tensor) => conjugateValue(net, th, yy, { tol: 1e-10, maxIter: 500 }).value;
      expect(Array.from(conjugateValue(net, theta, y, { tol: 1e-10, maxIter: 500 }).solve.converged)).toEqual([1, 1, 1, 1]);
      checkVjp(value, [theta, y], { seed, rtol: 1e-5, atol: 1e-8 });
    },
  );

  test('the check can fail: the envelope gradient taken away from the maximizer is caught', () => {
    const theta = net.init(Rng.seeded(1));
    const y = randn([2, 3], Rng.seeded(2));
    const off = solveConjugate(net, theta, y.data, y.data, { maxIter: 0 }).x; // x = y, not x*
    // Value f*_θ(y) (re-solved), gradient of the envelope expression at the wrong point.
    const wrong = (th: IcnnParams) => {
      const exact = new Tensor(solveConjugate(net, th, y.data, y.data, { tol: 1e-10 }).value, [2]);
      const env = envelopeConjugate(net, th, y, off);
      return add(env, stopGradient(sub(exact, env)));
    };
    expect(() => checkVjp(wrong, [theta], { rtol: 1e-5 })).toThrow(/disagrees/);
  });
});
