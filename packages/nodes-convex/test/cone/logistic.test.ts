import { Rng, Tensor, add, concat, matmul, mul, randn, slice, vjp } from '@argmin/autodiff';
import { describe, expect, test } from 'vitest';
import { cone } from '../../src/cone/node.js';

/**
 * Sensitivity of L2-regularised logistic regression, θ⋆ = argmin Σᵢ log(1 + exp(−yᵢθᵀxᵢ)) + (λ/2)‖θ‖²,
 * to its data points, ∂θ⋆/∂xᵢ, through the exponential cone. Variables (θ, t, a, b, r):
 *   min Σ tᵢ + (λ/2)r  s.t.  aᵢ + bᵢ ≤ 1,  ‖(r − 1, 2θ)‖ ≤ r + 1  (r ≥ ‖θ‖²),
 *   (−yᵢxᵢᵀθ − tᵢ, 1, aᵢ) ∈ K_exp,  (−tᵢ, 1, bᵢ) ∈ K_exp      (log(1 + e^u) ≤ t ⇔ e^{u−t} + e^{−t} ≤ 1).
 * X enters A through the exp rows, built with differentiable ops. The oracle is Newton's method
 * on the smooth problem and the implicit-function VJP of its optimality condition.
 */
function logisticViaCone(X: Tensor, y: Float64Array, lambda: number): Tensor {
  const [N, d] = X.shape as [number, number];
  const nv = d + 3 * N + 1;
  const col = { t: (i: number) => d + i, a: (i: number) => d + N + i, b: (i: number) => d + 2 * N + i, r: d + 3 * N };
  const m = N + (d + 2) + 6 * N;
  const rest = new Float64Array(m * (nv - d)); // columns t, a, b, r
  const thetaConst = new Float64Array(m * d);
  const select = new Float64Array(m * N);
  const b = new Float64Array(m);
  const set = (row: number, column: number, v: number) => (rest[row * (nv - d) + column - d] = v);
  for (let i = 0; i < N; i++) (b[i] = 1), set(i, col.a(i), 1), set(i, col.b(i), 1);
  const soc = N;
  b[soc] = 1;
  set(soc, col.r, -1);
  b[soc + 1] = -1;
  set(soc + 1, col.r, -1);
  for (let j = 0; j < d; j++) thetaConst[(soc + 2 + j) * d + j] = -2;
  for (let i = 0; i < N; i++) {
    const e = soc + d + 2 + 6 * i;
    select[e * N + i] = 1; // θ-columns of row e: yᵢxᵢ
    set(e, col.t(i), 1);
    b[e + 1] = 1;
    set(e + 2, col.a(i), -1);
    set(e + 3, col.t(i), 1);
    b[e + 4] = 1;
    set(e + 5, col.b(i), -1);
  }
  const yX = mul(new Tensor(y.slice(), [N, 1]), X);
  const thetaCols = add(matmul(new Tensor(select, [m, N]), yX), new Tensor(thetaConst, [m, d]));
  const A = concat([thetaCols, new Tensor(rest, [m, nv - d])], 1);
  const c = new Float64Array(nv);
  for (let i = 0; i < N; i++) c[col.t(i)] = 1;
  c[col.r] = lambda / 2;
  const out = cone({ A, b: new Tensor(b, [m]), c: new Tensor(c, [nv]) }, { cones: { nonneg: N, soc: [d + 2], exp: 2 * N } });
  expect(out.info.status).toEqual(['converged']);
  return slice(out.x, [0], [d]);
}

const sigma = (u: number) => 1 / (1 + Math.exp(-u));

/** Newton's method on the smooth problem; returns θ*, the Hessian and the weights sᵢ. */
function newtonOracle(X: Float64Array, y: Float64Array, N: number, d: number, lambda: number) {
  const theta = new Float64Array(d);
  const solve = (H: Float64Array, g: Float64Array) => {
    const M = H.slice();
    const r = g.slice();
    for (let k = 0; k < d; k++)
      for (let i = k + 1; i < d; i++) {
        const f = M[i * d + k]! / M[k * d + k]!;
        for (let j = k; j < d; j++) M[i * d + j]! -= f * M[k * d + j]!;
        r[i]! -= f * r[k]!;
      }
    for (let i = d - 1; i >= 0; i--) {
      for (let j = i + 1; j < d; j++) r[i]! -= M[i * d + j]! * r[j]!;
      r[i]! /= M[i * d + i]!;
    }
    return r;
  };
  let s = new Float64Array(N);
  let H = new Float64Array(d * d);
  for (let it = 0; it < 50; it++) {
    const g = theta.map((v) => lambda * v);
    H = new Float64Array(d * d);
    for (let j = 0; j < d; j++) H[j * d + j] = lambda;
    s = new Float64Array(N);
    for (let i = 0; i < N; i++) {
      let u = 0;
      for (let j = 0; j < d; j++) u += X[i * d + j]! * theta[j]!;
      s[i] = sigma(-y[i]! * u);
      const w = s[i]! * (1 - s[i]!);
      for (let j = 0; j < d; j++) {
        g[j]! -= y[i]! * s[i]! * X[i * d + j]!;
        for (let k = 0; k < d; k++) H[j * d + k]! += w * X[i * d + j]! * X[i * d + k]!;
      }
    }
    const step = solve(H, g);
    for (let j = 0; j < d; j++) theta[j]! -= step[j]!;
    if (Math.max(...step.map(Math.abs)) < 1e-15) break;
  }
  return { theta, H, s, solve };
}

describe('logistic-regression sensitivity ∂θ⋆/∂xᵢ through the exponential cone', () => {
  test.each([
    [2, 6],
    [3, 10],
    [4, 16],
  ])('d = %i, N = %i: θ⋆ and the VJP in X match Newton and its implicit derivative', (d, N) => {
    const rng = Rng.seeded(d * 100 + N);
    const X = randn([N, d], rng);
    const truth = randn([d], rng);
    const y = Float64Array.from({ length: N }, (_, i) => {
      let u = 0.5 * rng.normal();
      for (let j = 0; j < d; j++) u += X.data[i * d + j]! * truth.data[j]!;
      return u >= 0 ? 1 : -1;
    });
    const lambda = 0.5;
    const { value, pullback } = vjp((x: Tensor) => logisticViaCone(x, y, lambda), X);
    const oracle = newtonOracle(X.data, y, N, d, lambda);
    value.data.forEach((v, j) => expect(Math.abs(v - oracle.theta[j]!)).toBeLessThan(1e-8));

    const cot = randn([d], rng);
    const [gX] = pullback(cot) as [Tensor];
    // X̄ᵢ = yᵢsᵢv − sᵢ(1 − sᵢ)(xᵢᵀv)θ with v = H⁻¹θ̄.
    const v = oracle.solve(oracle.H, cot.data);
    let err = 0;
    let scale = 0;
    for (let i = 0; i < N; i++) {
      const si = oracle.s[i]!;
      let xv = 0;
      for (let j = 0; j < d; j++) xv += X.data[i * d + j]! * v[j]!;
      for (let j = 0; j < d; j++) {
        const expected = y[i]! * si * v[j]! - si * (1 - si) * xv * oracle.theta[j]!;
        err = Math.max(err, Math.abs(gX.data[i * d + j]! - expected));
        scale = Math.max(scale, Math.abs(expected));
      }
    }
    expect(err / scale).toBeLessThan(1e-7);
  });
});
