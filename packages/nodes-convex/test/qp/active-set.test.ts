import { Rng, Tensor, tensor } from '@argmin/autodiff';
import { test as propTest } from '@fast-check/vitest';
import { numRuns } from '@argmin/autodiff/testing';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { activeSetSolve, warmGuess } from '../../src/qp/active-set.js';
import { qpElement } from '../../src/qp/dense.js';
import { qp } from '../../src/qp/node.js';
import { PolishCache } from '../../src/qp/polish-cache.js';
import { qpDims } from '../../src/qp/problem.js';
import { arbQpParts, buildQp, generateQp } from './arbitraries.js';

const maxAbs = (a: ArrayLike<number>, b: ArrayLike<number>) => Math.max(0, ...Array.from(a, (v, i) => Math.abs(v - b[i]!)));

/** The bench's generator: Q = LLᵀ/n + 0.1I, Gaussian G (m = n) and A (k = n/5), h = Gz₀ + U[0, 1), b = Az₀. */
function benchQp(n: number, seed: number) {
  const rng = Rng.seeded(seed);
  const normal = (len: number) => Float64Array.from({ length: len }, () => rng.normal());
  const [m, k] = [n, Math.max(1, Math.floor(n / 5))];
  const L = normal(n * n);
  const Q = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) for (let r = 0; r < n; r++) Q[i * n + j]! += (L[i * n + r]! * L[j * n + r]!) / n;
  for (let i = 0; i < n; i++) Q[i * n + i]! += 0.1;
  const [G, A, z0] = [normal(m * n), normal(k * n), normal(n)];
  const dot = (M: Float64Array, i: number) => z0.reduce((s, v, j) => s + M[i * n + j]! * v, 0);
  const h = Float64Array.from({ length: m }, (_, i) => dot(G, i) + rng.uniform());
  const b = Float64Array.from({ length: k }, (_, i) => dot(A, i));
  const t = (d: Float64Array, shape: number[]) => new Tensor(d, shape);
  return { Q: t(Q, [n, n]), p: t(normal(n), [n]), G: t(G, [m, n]), h: t(h, [m]), A: t(A, [k, n]), b: t(b, [k]) };
}

/** The element of an unbatched QP and its cache, for calling the method directly. */
function element(params: Parameters<typeof qp>[0]) {
  const el = qpElement(params, qpDims(params), 0);
  return { el, cache: new PolishCache(el) };
}

describe('convex.qp — the primal–dual active-set method', () => {
  propTest.prop([fc.constantFrom(3, 6, 12), fc.nat(1e6)], { numRuns: numRuns(30) })(
    'a point it returns is the known solution, with its multipliers and active set',
    (n, seed) => {
      const shape = { n, m: 2 * n, k: Math.floor(n / 3) };
      const parts = fc.sample(arbQpParts(shape), { seed, numRuns: 1 })[0]!;
      const { params, z, lam, nu } = buildQp(shape, parts);
      const { el, cache } = element(params);
      const r = activeSetSolve(el, new Array(el.m).fill(false), cache, 50);
      // Many rows active among 2n (a vertex-like solution) can make it cycle: then it gives up.
      if (r === null) return;
      expect(maxAbs(r.z, z)).toBeLessThan(1e-8);
      expect(maxAbs(r.lam, lam)).toBeLessThan(1e-7);
      expect(maxAbs(r.nu, nu)).toBeLessThan(1e-7);
      expect(Array.from(r.factor.active)).toEqual(Array.from(lam.keys()).filter((i) => lam[i]! > 0));
    },
  );

  test('from the empty guess it solves random well-posed QPs in a few rounds', () => {
    for (const n of [5, 20, 50]) {
      for (let seed = 1; seed <= 5; seed++) {
        const { el, cache } = element(benchQp(n, seed));
        const r = activeSetSolve(el, new Array(el.m).fill(false), cache, 20);
        expect(r).not.toBeNull();
        expect(r!.residual).toBeLessThan(1e-9);
        expect(r!.rounds).toBeLessThanOrEqual(12);
      }
    }
  });

  test('the node reports it as the method, with its rounds as iterations, and a warm start from the solution takes one', () => {
    const { params, z } = generateQp({ n: 20, m: 20, k: 4 }, 4);
    const cold = qp(params);
    expect(cold.info.method).toEqual(['active-set']);
    expect(maxAbs(cold.z.data, z)).toBeLessThan(1e-10);
    expect(cold.info.iterations[0]).toBeGreaterThan(1);
    const warm = qp(params, { warmStart: { z: cold.z } });
    expect(warm.info.iterations).toEqual([1]);
    const capped = qp(params, { maxIter: 1 });
    expect(capped.info.iterations[0]).toBeLessThanOrEqual(1);
    // Without the polish the interior point runs from the start, as asked.
    expect(qp(params, { polish: false }).info.method).toEqual(['interior']);
  });

  test('the guess of a warm start: λ > s when given, else the rows z makes tight or violates', () => {
    const { params } = generateQp({ n: 3, m: 3, k: 0 }, 2);
    const { el } = element(params);
    expect(warmGuess(el, undefined)).toEqual([false, false, false]);
    expect(warmGuess(el, { lam: Float64Array.of(1, 0, 2), slack: Float64Array.of(0, 1, 3) })).toEqual([true, false, false]);
    const G = el.G;
    const z = Float64Array.of(0.5, -1, 2);
    const gz = [0, 1, 2].map((i) => G[3 * i]! * z[0]! + G[3 * i + 1]! * z[1]! + G[3 * i + 2]! * z[2]!);
    const h = Float64Array.of(gz[0]!, gz[1]! - 1, gz[2]! + 1);
    expect(warmGuess({ ...el, h }, { z })).toEqual([true, true, false]);
  });

  test('gives up on a singular guess or when its rounds run out', () => {
    // Two copies of the row z₀ ≤ 0: a guess holding both is singular.
    const params = {
      Q: tensor([
        [1, 0],
        [0, 1],
      ]),
      p: tensor([-1, -1]),
      G: tensor([
        [1, 0],
        [1, 0],
        [0, 1],
      ]),
      h: tensor([0, 0, 0]),
    };
    const { el, cache } = element(params);
    expect(activeSetSolve(el, [true, true, false], cache, 50)).toBeNull();
    expect(activeSetSolve(el, [false, false, false], cache, 1)).toBeNull();
    const r = activeSetSolve(el, [false, false, false], cache, 50);
    expect(maxAbs(r!.z, [0, 0])).toBeLessThan(1e-15);
  });

  test('is not used without a positive definite Q, nor on an infeasible problem', () => {
    const lp = qp({ Q: tensor([[0]]), p: tensor([1]), G: tensor([[-1]]), h: tensor([0]) });
    expect(lp.info.status).toEqual(['converged']);
    expect(lp.info.method![0]).not.toBe('active-set');
    // z ≤ −1 and z ≥ 1: no guess passes, the interior point certifies.
    const infeasible = qp({ Q: tensor([[1]]), p: tensor([0]), G: tensor([[1], [-1]]), h: tensor([-1, -1]) });
    expect(infeasible.info.status).toEqual(['infeasible']);
  });
});
