import { Tensor, add, mul, softmax, sum, type NodeCallOptions } from '@argmin/autodiff';
import { arbSimplex, arbTensor, checkVjp } from '@argmin/autodiff/testing';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { lml, qp, sinkhorn, softmaxLayer } from '../../src/index.js';
import { arbQp, symmetricTangent } from '../qp/arbitraries.js';
import { gradientOf, hvp, largestEntry, randomDirection, relativeDistance, type Objective } from './hvp-helpers.js';

/**
 * Hessian-vector products through implicit nodes: the implicit VJP is recorded as ops when it
 * is differentiated again, so reverse-over-reverse through the node must agree with the same
 * product through the unrolled solver, and with central differences of the gradient (the
 * dot-product test of the gradient's own VJP). Few runs each: every run solves and
 * differentiates twice; the full tier's fuzzing covers breadth.
 */
const RUNS = 6;

/** A loss with curvature in every output it reads: Σ wᵢ yᵢ² + Σ yᵢ³/3. */
function curvedLoss(y: Tensor, weights: Tensor): Tensor {
  return add(sum(mul(weights, mul(y, y))), mul(sum(mul(y, mul(y, y))), 1 / 3));
}

const weights = (n: number) =>
  new Tensor(
    Float64Array.from({ length: n }, (_, i) => 0.3 + 0.4 * Math.sin(i + 1)),
    [n],
  );

function expectSecondOrder(
  implicit: Objective,
  unrolled: Objective,
  params: Record<string, Tensor>,
  seed: number,
  agreement: number,
  tangent?: (t: Tensor, key: string) => Tensor,
) {
  const v = randomDirection(params, seed, tangent);
  const viaImplicit = hvp(implicit, params, v);
  expect(largestEntry(viaImplicit)).toBeGreaterThan(1e-6);
  expect(relativeDistance(viaImplicit, hvp(unrolled, params, v))).toBeLessThan(agreement);
  checkVjp(gradientOf(implicit), [params], {
    seed,
    rtol: 1e-6,
    ...(tangent ? { tangent: (t, _a, leaf) => tangent(t, Object.keys(params)[leaf]!) } : {}),
  });
}

describe('Hessian-vector products through implicit nodes', () => {
  test('softmaxLayer: implicit = closed-form softmax = unroll, and = differences of the gradient', () => {
    fc.assert(
      fc.property(arbTensor([5], { min: -2, max: 2 }), fc.integer({ min: 0, max: 1000 }), (x, seed) => {
        const w = weights(5);
        const through = (options: NodeCallOptions<{ y: Tensor; nu: Tensor }>) => (p: Record<string, Tensor>) =>
          curvedLoss(softmaxLayer({ x: p.x! }, { tol: 1e-14, ...options }).y, w);
        const implicit = through({});
        expectSecondOrder(implicit, through({ strategy: { kind: 'unroll', steps: 300 } }), { x }, seed, 1e-6);
        const v = randomDirection({ x }, seed);
        const exact = hvp((p) => curvedLoss(softmax(p.x!), w), { x }, v);
        expect(relativeDistance(hvp(implicit, { x }, v), exact)).toBeLessThan(1e-10);
      }),
      { numRuns: RUNS, seed: 17 },
    );
  });

  test('lml (batched rows): implicit = unroll, and = differences of the gradient', () => {
    fc.assert(
      fc.property(arbTensor([2, 4], { min: -3, max: 3 }), fc.integer({ min: 0, max: 1000 }), (x, seed) => {
        const w = new Tensor(Float64Array.from([0.5, -0.2, 0.8, 0.1, -0.6, 0.4, 0.3, 0.9]), [2, 4]);
        const through = (strategy: NodeCallOptions['strategy']) => (p: Record<string, Tensor>) =>
          curvedLoss(lml({ x: p.x! }, { k: 2, tol: 1e-14, ...(strategy ? { strategy } : {}) }).y, w);
        expectSecondOrder(through(undefined), through({ kind: 'unroll', steps: 60 }), { x }, seed, 1e-6);
      }),
      { numRuns: RUNS, seed: 18 },
    );
  });

  test('sinkhorn (in the cost): implicit = unroll, and = differences of the gradient', () => {
    const n = 3;
    const m = 4;
    fc.assert(
      fc.property(
        arbSimplex(n, { margin: 0.05 }),
        arbSimplex(m, { margin: 0.05 }),
        arbTensor([n, m], { min: 0, max: 1 }),
        fc.integer({ min: 0, max: 1000 }),
        (a, b, C, seed) => {
          const w = new Tensor(
            Float64Array.from({ length: n * m }, (_, i) => 1 + Math.cos(i)),
            [n, m],
          );
          const through = (strategy: NodeCallOptions['strategy']) => (p: Record<string, Tensor>) => {
            const out = sinkhorn({ a, b, C: p.C! }, { epsilon: 0.5, tol: 1e-14, maxIter: 2000, ...(strategy ? { strategy } : {}) });
            return add(curvedLoss(mul(out.plan, 10), w), mul(out.value, out.value));
          };
          expectSecondOrder(through(undefined), through({ kind: 'unroll', steps: 150 }), { C }, seed, 1e-6);
        },
      ),
      { numRuns: RUNS, seed: 19 },
    );
  });

  test('sinkhorn (batched, in a, b and C): the gradient passes the dot-product test', () => {
    const a = new Tensor(Float64Array.from([0.2, 0.3, 0.5, 0.4, 0.4, 0.2]), [2, 3]);
    const b = new Tensor(Float64Array.from([0.1, 0.2, 0.3, 0.4]), [4]);
    const C = new Tensor(
      Float64Array.from({ length: 24 }, (_, k) => 0.5 + 0.5 * Math.sin(1.7 * k)),
      [2, 3, 4],
    );
    const f = (p: Record<string, Tensor>) => {
      const out = sinkhorn({ a: p.a!, b: p.b!, C: p.C! }, { epsilon: 0.4, tol: 1e-14, maxIter: 2000 });
      return add(curvedLoss(mul(out.plan, 10), new Tensor(new Float64Array(24).fill(0.7), [2, 3, 4])), sum(mul(out.value, out.value)));
    };
    // Marginals move along sum-zero directions only (Σa = Σb), per row.
    const centred = (t: Tensor, _arg: number, leaf: number) => {
      if (leaf === 2) return t;
      const n = t.shape[t.ndim - 1]!;
      const d = Float64Array.from(t.data);
      for (let o = 0; o < d.length; o += n) {
        const mean = d.subarray(o, o + n).reduce((x, y) => x + y, 0) / n;
        for (let i = o; i < o + n; i++) d[i]! -= mean;
      }
      return new Tensor(d, t.shape);
    };
    checkVjp(gradientOf(f), [{ a, b, C }], { seed: 7, rtol: 1e-6, tangent: centred });
  });

  test('qp (in Q, p and h): implicit = unroll, and = differences of the gradient', () => {
    const shape = { n: 4, m: 3, k: 1 };
    fc.assert(
      fc.property(arbQp(shape), fc.integer({ min: 0, max: 1000 }), (params, seed) => {
        const w = weights(4);
        const { G, A, b } = params;
        const through = (strategy: NodeCallOptions['strategy']) => (p: Record<string, Tensor>) => {
          const out = qp({ Q: p.Q!, p: p.p!, G: G!, h: p.h!, A: A!, b: b! }, { tol: 1e-13, ...(strategy ? { strategy } : {}) });
          return add(curvedLoss(out.z, w), sum(mul(out.lam, out.lam)));
        };
        const wrt = { Q: params.Q, p: params.p, h: params.h! };
        expectSecondOrder(through(undefined), through({ kind: 'unroll', steps: 60 }), wrt, seed, 1e-5, symmetricTangent);
      }),
      { numRuns: RUNS, seed: 20 },
    );
  });
});
