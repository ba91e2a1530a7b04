import fc from 'fast-check';
import { Rng, Tensor, tensor, vjp } from '@argmin/autodiff';
import { describeOptimizationNode, numRuns } from '@argmin/autodiff/testing';
import { describe, expect, test } from 'vitest';
import { qp, qpNode, type QpParams } from '../../src/qp/node.js';
import { SparseChecks } from '../../src/qp/accept-sparse.js';
import { relativeKktError, weaklyActive } from '../../src/qp/accept.js';
import { kktResidual, qpElement } from '../../src/qp/dense.js';
import { qpDims } from '../../src/qp/problem.js';
import { sparseQp } from '../../src/qp/sparse-data.js';
import { activeIndependence, arbQpParts, buildQp, kinkDistance, symmetricTangent, type QpParts, type QpShape } from './arbitraries.js';
import { bandedQp } from './banded.js';

type Solver = 'auto' | 'dense' | 'sparse';
const isRouted = (method: string) => method.startsWith('sparse-');

/**
 * Parts with most entries of L (so of Q = LLᵀ/n + 0.5I), G and A zeroed: |v| < 1.2 of the uniform
 * [−2, 2] draws, except each row's largest (an all-zero constraint row 0 ≤ hᵢ is no constraint,
 * and both paths reject its λᵢsᵢ ≈ 0 against a zero scale: a case of its own, not of sparsity).
 */
function sparsify(parts: QpParts, n: number): QpParts {
  const cut = (v: Float64Array) =>
    v.map((x, q) => {
      const row = v.subarray(q - (q % n), q - (q % n) + n);
      const top = Math.max(...Array.from(row, Math.abs));
      return Math.abs(x) < 1.2 && Math.abs(x) < top ? 0 : x;
    });
  // No zᵢ* = 0 either: a variable that sparsity decouples then has pᵢ = 0 and every term of its
  // stationarity row 0, and the acceptance test (accept.ts) has no scale to judge its rounding by.
  const z = parts.z.map((v) => (v === 0 ? 0.5 : v));
  return { ...parts, z, L: cut(parts.L), G: cut(parts.G), A: cut(parts.A) };
}

/** Random sparse, strictly complementary QPs (the filters of arbQp, after sparsifying). */
function arbSparseQp(shape: QpShape): fc.Arbitrary<QpParams> {
  return arbQpParts(shape)
    .map((parts) => sparsify(parts, shape.n))
    .filter((parts) => activeIndependence(shape, parts) >= 0.05)
    .filter((parts) => kinkDistance(shape, parts) >= 1e-3)
    .map((parts) => buildQp(shape, parts).params);
}

const outputs = (p: QpParams, solver: Solver) => {
  const o = qp(p, { solver });
  return [o.z, o.lam, o.nu, o.slack];
};

/** The gradients of ⟨c, (z, λ, ν, s)⟩ with respect to every parameter, for a seeded cotangent c. */
function gradients(params: QpParams, solver: Solver, seed: number): Tensor[] {
  const rng = Rng.seeded(seed);
  const { pullback, value } = vjp((p: QpParams) => outputs(p, solver), params);
  const cot = (value as Tensor[]).map(
    (t) =>
      new Tensor(
        Float64Array.from(t.data, () => rng.normal()),
        t.shape,
      ),
  );
  const g = pullback(cot)[0] as QpParams;
  return (Object.keys(params) as (keyof QpParams)[]).map((k) => g[k]!);
}

const relDiff = (a: Tensor, b: Tensor) => {
  let scale = 1;
  for (const v of b.data) scale = Math.max(scale, Math.abs(v));
  let d = 0;
  for (let i = 0; i < a.size; i++) d = Math.max(d, Math.abs(a.data[i]! - b.data[i]!));
  return d / scale;
};

describe('convex.qp — the sparse route agrees with the dense path', () => {
  test('random sparse QPs: same status, solution and gradients', () => {
    const shapes = fc.constantFrom<QpShape>({ n: 6, m: 5, k: 1 }, { n: 8, m: 10, k: 2 }, { n: 10, m: 6, k: 0 });
    const cases = shapes.chain((shape) => fc.tuple(arbSparseQp(shape), fc.integer({ min: 1, max: 1000 })));
    fc.assert(
      fc.property(cases, ([params, seed]) => {
        const dense = qp(params, { solver: 'dense' });
        const sparse = qp(params, { solver: 'sparse' });
        expect(sparse.info.status).toEqual(dense.info.status);
        expect(sparse.info.status).toEqual(['converged']);
        expect(isRouted(sparse.info.method![0]!)).toBe(true);
        expect(isRouted(dense.info.method![0]!)).toBe(false);
        // The polish makes both exact on the same active set: agreement to rounding.
        for (const key of ['z', 'lam', 'nu', 'slack'] as const) expect(relDiff(sparse[key], dense[key]), key).toBeLessThanOrEqual(1e-9);
        const gd = gradients(params, 'dense', seed);
        const gs = gradients(params, 'sparse', seed);
        gs.forEach((g, i) => expect(relDiff(g, gd[i]!), `gradient ${i}`).toBeLessThanOrEqual(1e-8));
      }),
      { numRuns: numRuns(40, 2000), seed: 20 },
    );
  });

  test('a banded QP at n = 120: both converge to the same point, the gradients agree', () => {
    const params = bandedQp(120, 3);
    const dense = qp(params, { solver: 'dense' });
    const sparse = qp(params, { solver: 'sparse' });
    expect(dense.info.status).toEqual(['converged']);
    expect(sparse.info.status).toEqual(['converged']);
    expect(relDiff(sparse.z, dense.z)).toBeLessThanOrEqual(1e-8);
    expect(relDiff(sparse.lam, dense.lam)).toBeLessThanOrEqual(1e-7);
    const gd = gradients(params, 'dense', 5);
    const gs = gradients(params, 'sparse', 5);
    gs.forEach((g, i) => expect(relDiff(g, gd[i]!), `gradient ${i}`).toBeLessThanOrEqual(1e-6));
  });

  test('a batch with a shared Q: per-element agreement and the summed gradient of Q', () => {
    const base = bandedQp(30, 1);
    const n = 30;
    const rng = Rng.seeded(9);
    const p = new Tensor(
      Float64Array.from({ length: 3 * n }, () => rng.normal()),
      [3, n],
    );
    const params: QpParams = { ...base, p };
    const dense = qp(params, { solver: 'dense' });
    const sparse = qp(params, { solver: 'sparse' });
    expect(sparse.info.status).toEqual(dense.info.status);
    expect(sparse.info.method!.every(isRouted)).toBe(true);
    expect(relDiff(sparse.z, dense.z)).toBeLessThanOrEqual(1e-8);
    const gd = gradients(params, 'dense', 2);
    const gs = gradients(params, 'sparse', 2);
    gs.forEach((g, i) => expect(relDiff(g, gd[i]!), `gradient ${i}`).toBeLessThanOrEqual(1e-6));
  });

  test('huge bounds are dropped and restored as on the dense path', () => {
    const params = bandedQp(20, 4);
    const h = Float64Array.from(params.h!.data);
    for (let i = 0; i < h.length; i += 3) h[i] = 1e30;
    const withHuge = { ...params, h: new Tensor(h, params.h!.shape) };
    const dense = qp(withHuge, { solver: 'dense' });
    const sparse = qp(withHuge, { solver: 'sparse' });
    expect(sparse.info.status).toEqual(['converged']);
    expect(relDiff(sparse.z, dense.z)).toBeLessThanOrEqual(1e-8);
    expect(relDiff(sparse.lam, dense.lam)).toBeLessThanOrEqual(1e-7);
  });
});

describe('convex.qp — the acceptance test in O(nnz) is the dense one', () => {
  test('relativeKktError, weaklyActive and kktResidual agree to rounding at perturbed solutions', () => {
    const shape = { n: 8, m: 10, k: 2 };
    fc.assert(
      fc.property(arbSparseQp(shape), fc.integer({ min: 0, max: 1000 }), (params, seed) => {
        const out = qp(params, { solver: 'dense' });
        const rng = Rng.seeded(seed);
        // A perturbed point (every condition off by a different amount), and the solution itself.
        const bump = (v: Float64Array, size: number) => v.map((x) => x + size * rng.normal());
        const points = [
          [out.z.data, out.lam.data, out.nu.data, out.slack.data],
          [
            bump(out.z.data, 1e-6),
            bump(out.lam.data, 1e-9).map(Math.abs),
            bump(out.nu.data, 1e-7),
            bump(out.slack.data, 1e-8).map(Math.abs),
          ],
        ];
        const el = qpElement(params, qpDims(params), 0);
        const sq = sparseQp(el);
        for (const [z, lam, nu, slack] of points) {
          const c = new SparseChecks(sq, el.p, z!, lam!, nu!, slack!);
          const dense = relativeKktError(el, z!, lam!, nu!, slack!);
          expect(Math.abs(c.relative() - dense)).toBeLessThanOrEqual(1e-12 + 1e-9 * dense);
          expect(c.weak(1e-6)).toEqual(weaklyActive(el, z!, lam!, slack!, 1e-6));
          const abs = kktResidual(el, z!, lam!, nu!, slack!);
          expect(Math.abs(c.absolute() - abs)).toBeLessThanOrEqual(1e-14 + 1e-9 * abs);
        }
      }),
      { numRuns: numRuns(30, 1000), seed: 21 },
    );
  });
});

describe('convex.qp — the sparse route reports infeasible and unbounded problems as the dense path', () => {
  const Q = tensor([
    [1, 0, 0],
    [0, 1, 0],
    [0, 0, 0],
  ]);
  test('infeasible: z₀ ≤ −1 and z₀ ≥ 1', () => {
    const params: QpParams = {
      Q,
      p: tensor([1, 0, 0]),
      G: tensor([
        [1, 0, 0],
        [-1, 0, 0],
      ]),
      h: tensor([-1, -1]),
    };
    for (const solver of ['dense', 'sparse'] as const) {
      const out = qp(params, { solver, onUnconverged: 'zero' });
      expect(out.info.status, solver).toEqual(['infeasible']);
      expect(isRouted(out.info.method![0]!), solver).toBe(solver === 'sparse');
      expect(Array.from(out.z.data)).toEqual([0, 0, 0]);
    }
  });
  // The cone engine does not certify this one (it stalls after 5 iterations, as the cone node
  // does on the same program): forced onto the route it is reported unconverged, never solved;
  // under 'auto' the element falls back to the dense path, which certifies it.
  test('unbounded: z₂ free with a cost and no curvature', () => {
    const params: QpParams = { Q, p: tensor([1, 0, -1]), G: tensor([[1, 0, 0]]), h: tensor([1]), A: tensor([[0, 1, 0]]), b: tensor([0]) };
    expect(qp(params, { solver: 'dense' }).info.status).toEqual(['unbounded']);
    const forced = qp(params, { solver: 'sparse', onUnconverged: 'zero' });
    expect(forced.info.status[0]).not.toBe('converged');
    expect(isRouted(forced.info.method![0]!)).toBe(true);
  });
  test("unbounded and routed under 'auto': the dense fallback certifies it", () => {
    const n = 150;
    const base = bandedQp(n, 6);
    // One more variable, free, with cost −1 and no curvature.
    const grow = (t: Tensor, rows: number, cols: number, extra: number) => {
      const out = new Float64Array((rows + extra) * (cols + 1));
      for (let i = 0; i < rows; i++) out.set(t.data.subarray(i * cols, (i + 1) * cols), i * (cols + 1));
      return out;
    };
    const m = base.h!.size;
    const k = base.b!.size;
    const params: QpParams = {
      Q: new Tensor(grow(base.Q, n, n, 1), [n + 1, n + 1]),
      p: new Tensor(Float64Array.from([...base.p.data, -1]), [n + 1]),
      G: new Tensor(grow(base.G!, m, n, 0), [m, n + 1]),
      h: base.h!,
      A: new Tensor(grow(base.A!, k, n, 0), [k, n + 1]),
      b: base.b!,
    };
    const out = qp(params, { onUnconverged: 'zero' });
    expect(out.info.status).toEqual(['unbounded']);
    expect(isRouted(out.info.method![0]!)).toBe(false);
    expect(qp(bandedQp(n, 6)).info.method![0]).toMatch(/^sparse-/);
  });
});

describe("convex.qp — the router's choice", () => {
  test("'auto' routes a large banded QP and says so in info.method", () => {
    const params = bandedQp(300, 2);
    const out = qp(params);
    expect(out.info.status).toEqual(['converged']);
    expect(isRouted(out.info.method![0]!)).toBe(true);
  });
  test("'auto' keeps small and dense QPs on the dense path", () => {
    const small = bandedQp(40, 2);
    expect(isRouted(qp(small).info.method![0]!)).toBe(false);
    const n = 120;
    const rng = Rng.seeded(4);
    const L = Float64Array.from({ length: n * n }, () => rng.normal());
    const Qd = new Float64Array(n * n);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) {
        let s = i === j ? 1 : 0;
        for (let r = 0; r < n; r++) s += (L[i * n + r]! * L[j * n + r]!) / n;
        Qd[i * n + j] = s;
      }
    const dense: QpParams = {
      Q: new Tensor(Qd, [n, n]),
      p: new Tensor(
        Float64Array.from({ length: n }, () => rng.normal()),
        [n],
      ),
      G: new Tensor(
        Float64Array.from({ length: n * n }, () => rng.normal()),
        [n, n],
      ),
      h: new Tensor(new Float64Array(n).fill(1), [n]),
    };
    const out = qp(dense);
    expect(out.info.status).toEqual(['converged']);
    expect(isRouted(out.info.method![0]!)).toBe(false);
  });
  test("'dense' never routes; 'sparse' always does, except without constraints", () => {
    const params = bandedQp(300, 2);
    expect(isRouted(qp(params, { solver: 'dense' }).info.method![0]!)).toBe(false);
    expect(isRouted(qp(bandedQp(10, 1), { solver: 'sparse' }).info.method![0]!)).toBe(true);
    const free = qp({ Q: tensor([[2]]), p: tensor([1]) }, { solver: 'sparse' });
    expect(free.info.method).toEqual(['active-set']);
  });
  test('an unknown solver is an InvalidInputError naming the choices', () => {
    expect(() => qp(bandedQp(5, 1), { solver: 'cholesky' as 'dense' })).toThrow(/solver.*'auto', 'dense', 'sparse'/);
  });
});

// The node contract (solution, optimality residual, implicit VJP against central differences,
// batching, degenerate instances) on the routed path. 'unroll' has no sparse form: it stays dense.
describeOptimizationNode(qpNode, {
  params: arbSparseQp({ n: 5, m: 4, k: 1 }),
  options: { solver: 'sparse' },
  tangent: symmetricTangent,
  strategies: ['implicit'],
});
