import { Rng, Tensor, grad, randu, sum, tensor, vjp } from '@argmin/autodiff';
import { checkVjp } from '@argmin/autodiff/testing';
import { describe, expect, test } from 'vitest';
import { sinkhorn } from '../../src/sinkhorn/node.js';
import { sinkhornObjective } from '../../src/sinkhorn/objective.js';
import type { SinkhornParams } from '../../src/sinkhorn/problem.js';

/** Squared distances of uniform points in [0, 1]², scaled to max 1, and random marginals. */
function problem(n: number, m: number, seed: number): SinkhornParams {
  const rng = Rng.seeded(seed);
  const x = randu([n, 2], rng);
  const y = randu([m, 2], rng);
  const C = new Float64Array(n * m);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < m; j++) C[i * m + j] = (x.data[2 * i]! - y.data[2 * j]!) ** 2 + (x.data[2 * i + 1]! - y.data[2 * j + 1]!) ** 2;
  const max = Math.max(...C);
  const norm = (t: Tensor) =>
    new Tensor(
      t.data.map((v) => v / t.data.reduce((s, w) => s + w, 0)),
      t.shape,
    );
  return {
    a: norm(randu([n], rng, 0.5, 1.5)),
    b: norm(randu([m], rng, 0.5, 1.5)),
    C: new Tensor(
      C.map((v) => v / max),
      [n, m],
    ),
  };
}

/** A textbook log-domain Sinkhorn in plain loops: an independent reference for the plan. */
function referencePlan({ a, b, C }: SinkhornParams, eps: number, iterations: number): Float64Array {
  const n = a.size;
  const m = b.size;
  const f = new Float64Array(n);
  const g = new Float64Array(m);
  const lse = (vals: number[]) => {
    const mx = Math.max(...vals);
    return mx + Math.log(vals.reduce((s, v) => s + Math.exp(v - mx), 0));
  };
  for (let it = 0; it < iterations; it++) {
    for (let i = 0; i < n; i++) f[i] = eps * Math.log(a.data[i]!) - eps * lse(Array.from(g, (gj, j) => (gj - C.data[i * m + j]!) / eps));
    for (let j = 0; j < m; j++) g[j] = eps * Math.log(b.data[j]!) - eps * lse(Array.from(f, (fi, i) => (fi - C.data[i * m + j]!) / eps));
  }
  return Float64Array.from({ length: n * m }, (_, k) => Math.exp((f[Math.floor(k / m)]! + g[k % m]! - C.data[k]!) / eps));
}

function marginalErrors(plan: Tensor, { a, b }: SinkhornParams): [number, number] {
  const n = a.size;
  const m = b.size;
  let rows = 0;
  let cols = 0;
  for (let i = 0; i < n; i++) rows += Math.abs(plan.data.slice(i * m, (i + 1) * m).reduce((s, v) => s + v, 0) - a.data[i]!);
  for (let j = 0; j < m; j++) {
    let c = 0;
    for (let i = 0; i < n; i++) c += plan.data[i * m + j]!;
    cols += Math.abs(c - b.data[j]!);
  }
  return [rows, cols];
}

describe('convex.sinkhorn: small ε, structure, warm starts', () => {
  // Feasible marginals plus the Gibbs form P = exp((f ⊕ g − C)/ε) characterize the unique
  // optimum (the KKT conditions of a strictly convex problem), so checking both is a full check;
  // at ε = 0.01 the plan is also compared with a plain log-domain solver.
  test.each([0.01, 0.003, 0.001])('ε = %d on costs in [0, 1]: converged, feasible, finite, optimal', (epsilon) => {
    const p = problem(25, 30, 2);
    const out = sinkhorn(p, { epsilon, tol: 1e-12 });
    expect(out.info.status).toEqual(['converged']);
    expect(out.plan.data.every(Number.isFinite)).toBe(true);
    const [rows, cols] = marginalErrors(out.plan, p);
    expect(rows).toBeLessThanOrEqual(1e-11);
    expect(cols).toBeLessThanOrEqual(1e-11);
    out.plan.data.forEach((v, k) => {
      const gibbs = Math.exp((out.f.data[Math.floor(k / 30)]! + out.g.data[k % 30]! - p.C.data[k]!) / epsilon);
      expect(Math.abs(v - gibbs)).toBeLessThanOrEqual(1e-12 * Math.max(1, 1 / epsilon) * Math.max(gibbs, 1e-3));
    });
    if (epsilon >= 0.01) {
      // A fixed budget, not ours: the forward may finish by Newton steps (newton.ts) in few.
      const ref = referencePlan(p, epsilon, 5000);
      expect(Math.max(...out.plan.data.map((v, i) => Math.abs(v - ref[i]!)))).toBeLessThanOrEqual(1e-9);
    }
    // Strong duality: the value equals the dual objective ⟨a, f⟩ + ⟨b, g⟩.
    const dual = p.a.data.reduce((s, v, i) => s + v * out.f.data[i]!, 0) + p.b.data.reduce((s, v, j) => s + v * out.g.data[j]!, 0);
    expect(Math.abs(out.value.item() - dual)).toBeLessThanOrEqual(1e-10);
  });

  test('ε = 0.01: the implicit VJP matches central differences', () => {
    const p = problem(8, 6, 3);
    const centred = (t: Tensor, _arg: number, leaf: number) =>
      leaf === 2
        ? t
        : new Tensor(
            t.data.map((v) => v - t.data.reduce((s, w) => s + w, 0) / t.size),
            t.shape,
          );
    checkVjp(
      (q: SinkhornParams) => {
        const o = sinkhorn(q, { epsilon: 0.01, tol: 1e-15 });
        return [o.plan, o.f, o.g, o.value];
      },
      [p],
      { rtol: 1e-5, atol: 1e-8, eps: 1e-7, tangent: centred },
    );
  });

  test.each([
    [40, 25],
    [25, 40],
  ])('n = %d, m = %d: CG and the dense Schur solve give the same gradients', (n, m) => {
    const p = problem(n, m, 4);
    const cot = randu([n, m], Rng.seeded(9), -1, 1);
    const grads = (method: 'dense' | 'cg') =>
      vjp((q: SinkhornParams) => sinkhorn(q, { epsilon: 0.05, tol: 1e-14, linearSolve: { method } }).plan, p).pullback(
        cot,
      )[0] as SinkhornParams;
    const dense = grads('dense');
    const cg = grads('cg');
    for (const k of ['a', 'b', 'C'] as const) {
      const scale = Math.max(...dense[k].data.map(Math.abs));
      expect(Math.max(...dense[k].data.map((v, i) => Math.abs(v - cg[k].data[i]!))) / scale).toBeLessThanOrEqual(1e-8);
    }
  });

  test('a warm start from the solution converges at once, to the same plan', () => {
    const p = problem(20, 20, 5);
    const cold = sinkhorn(p, { epsilon: 0.02 });
    const warm = sinkhorn(p, { epsilon: 0.02, warmStart: { f: cold.f, g: cold.g } });
    expect(cold.info.iterations[0]).toBeGreaterThan(20);
    expect(warm.info.iterations[0]).toBeLessThanOrEqual(1);
    expect(Math.max(...warm.plan.data.map((v, i) => Math.abs(v - cold.plan.data[i]!)))).toBeLessThanOrEqual(1e-10);
  });

  test('batched marginals with a shared cost equal separate calls', () => {
    const p = problem(6, 5, 6);
    const q = problem(6, 5, 7);
    const batched = sinkhorn(
      {
        a: new Tensor(Float64Array.of(...p.a.data, ...q.a.data), [2, 6]),
        b: new Tensor(Float64Array.of(...p.b.data, ...q.b.data), [2, 5]),
        C: p.C,
      },
      { epsilon: 0.1, tol: 1e-14 },
    );
    const second = sinkhorn({ ...q, C: p.C }, { epsilon: 0.1, tol: 1e-14 });
    expect(batched.plan.shape).toEqual([2, 6, 5]);
    batched.plan.data.slice(30).forEach((v, i) => expect(Math.abs(v - second.plan.data[i]!)).toBeLessThanOrEqual(1e-14));
  });
});

describe('sinkhornObjective', () => {
  test('equals the value at the plan, and its gradient in P is f ⊕ g + ε (stationarity)', () => {
    const p = problem(5, 4, 8);
    const eps = 0.1;
    const out = sinkhorn(p, { epsilon: eps, tol: 1e-14 });
    expect(Math.abs(sinkhornObjective(p.C, out.plan, eps).item() - out.value.item())).toBeLessThanOrEqual(1e-12);
    const gP = grad((P: Tensor) => sum(sinkhornObjective(p.C, P, eps)))(out.plan) as Tensor;
    for (let i = 0; i < 5; i++)
      for (let j = 0; j < 4; j++) expect(Math.abs(gP.data[i * 4 + j]! - (out.f.data[i]! + out.g.data[j]! + eps))).toBeLessThanOrEqual(1e-9);
  });

  test('batched, and finite at zero entries', () => {
    const P = tensor([
      [
        [0.5, 0],
        [0, 0.5],
      ],
      [
        [0.25, 0.25],
        [0.25, 0.25],
      ],
    ]);
    const C = tensor([
      [0, 1],
      [1, 0],
    ]);
    const v = sinkhornObjective(C, P, 0.1);
    expect(v.shape).toEqual([2]);
    expect(Math.abs(v.data[0]! - 0.1 * Math.log(0.5))).toBeLessThanOrEqual(1e-15);
    expect(Math.abs(v.data[1]! - (0.5 + 0.1 * Math.log(0.25)))).toBeLessThanOrEqual(1e-15);
  });
});
