import { Rng, Tensor, cholesky, concat, full, matrixTranspose, neg, randn, slice, tensor, vjp, zeros } from '@argmin/autodiff';
import { describe, expect, test } from 'vitest';
import { cone } from '../../src/cone/node.js';
import { qp } from '../../src/qp/node.js';

/**
 * A QP  min ½zᵀQz + pᵀz  s.t. Gz ≤ h, Az = b  as an SOCP in (z, t):
 *   min pᵀz + t  s.t.  b − Az = 0,  h − Gz ≥ 0,  (t + ½, t − ½, Lᵀz) ∈ SOC  (Q = LLᵀ),
 * the last being ‖Lᵀz‖² ≤ 2t since (t + ½)² − (t − ½)² = 2t. Built from Q, p, G, h, A, b with
 * differentiable ops, so gradients flow through the Cholesky factor into Q.
 */
function qpAsSocp(Q: Tensor, p: Tensor, G: Tensor, h: Tensor, A: Tensor, b: Tensor): Tensor {
  const n = p.size;
  const col = (rows: number, v: number) => full([rows, 1], v);
  const Lt = matrixTranspose(cholesky(Q));
  const Acone = concat(
    [
      concat([A, col(A.shape[0]!, 0)], 1),
      concat([G, col(G.shape[0]!, 0)], 1),
      concat([zeros([2, n]), col(2, -1)], 1),
      concat([neg(Lt), col(n, 0)], 1),
    ],
    0,
  );
  const bcone = concat([b, h, tensor([0.5, -0.5]), zeros([n])], 0);
  const c = concat([p, full([1], 1)], 0);
  const out = cone({ A: Acone, b: bcone, c }, { cones: { zero: A.shape[0]!, nonneg: G.shape[0]!, soc: [n + 2] } });
  expect(out.info.status).toEqual(['converged']);
  return slice(out.x, [0], [n]);
}

/** A random QP with a strictly complementary solution (qpth's construction). */
function randomQp(n: number, nineq: number, neq: number, seed: number) {
  const rng = Rng.seeded(seed);
  const L = randn([n, n], rng);
  const Q = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      let v = i === j ? 0.5 : 0;
      for (let k = 0; k < n; k++) v += (L.data[i * n + k]! * L.data[j * n + k]!) / n;
      Q[i * n + j] = v;
    }
  const G = randn([nineq, n], rng);
  const z0 = randn([n], rng);
  const s0 = Float64Array.from({ length: nineq }, (_, i) => (i % 2 === 0 ? 0 : 0.5 + rng.uniform()));
  const lam0 = Float64Array.from({ length: nineq }, (_, i) => (i % 2 === 0 ? 0.5 + rng.uniform() : 0));
  const A = randn([neq, n], rng);
  const nu0 = randn([neq], rng);
  const h = new Float64Array(nineq);
  for (let i = 0; i < nineq; i++) {
    let v = s0[i]!;
    for (let j = 0; j < n; j++) v += G.data[i * n + j]! * z0.data[j]!;
    h[i] = v;
  }
  const b = new Float64Array(neq);
  for (let i = 0; i < neq; i++) for (let j = 0; j < n; j++) b[i]! += A.data[i * n + j]! * z0.data[j]!;
  // p = −(Qz₀ + Gᵀλ₀ + Aᵀν₀) makes (z₀, λ₀, ν₀) the KKT point.
  const p = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    let v = 0;
    for (let k = 0; k < n; k++) v += Q[j * n + k]! * z0.data[k]!;
    for (let i = 0; i < nineq; i++) v += G.data[i * n + j]! * lam0[i]!;
    for (let i = 0; i < neq; i++) v += A.data[i * n + j]! * nu0.data[i]!;
    p[j] = -v;
  }
  return { Q: new Tensor(Q, [n, n]), p: new Tensor(p, [n]), G, h: new Tensor(h, [nineq]), A, b: new Tensor(b, [neq]), z0 };
}

const maxRel = (a: Tensor, b: Tensor) => {
  let d = 0;
  let s = 1e-12;
  a.data.forEach((v, i) => ((d = Math.max(d, Math.abs(v - b.data[i]!))), (s = Math.max(s, Math.abs(v), Math.abs(b.data[i]!)))));
  return d / Math.max(s, 1);
};

describe('a QP rewritten as an SOCP reproduces the QP node', () => {
  test.each([
    [4, 4, 1, 1],
    [8, 8, 2, 2],
    [15, 15, 3, 3],
  ])('n = %i, %i inequalities, %i equalities (seed %i)', (n, nineq, neq, seed) => {
    const data = randomQp(n, nineq, neq, seed);
    const args = [data.Q, data.p, data.G, data.h, data.A, data.b] as const;
    const viaQp = (Q: Tensor, p: Tensor, G: Tensor, h: Tensor, A: Tensor, b: Tensor) => qp({ Q, p, G, h, A, b }).z;
    const viaCone = qpAsSocp;
    const zq = viaQp(...args);
    const zc = viaCone(...args);
    expect(maxRel(zc, zq)).toBeLessThan(1e-6);
    expect(maxRel(zc, data.z0)).toBeLessThan(1e-8);
    const cot = randn([n], Rng.seeded(seed + 100));
    const gq = vjp(viaQp, ...args).pullback(cot) as Tensor[];
    const gc = vjp(viaCone, ...args).pullback(cot) as Tensor[];
    ['Q', 'p', 'G', 'h', 'A', 'b'].forEach((name, k) => expect(maxRel(gc[k]!, gq[k]!), `gradient of ${name}`).toBeLessThan(1e-6));
  });
});
