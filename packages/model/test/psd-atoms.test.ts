import { grad, mul, Rng, sum, Tensor } from '@argmin/autodiff';
import { checkVjp } from '@argmin/autodiff/testing';
import { describe, expect, test } from 'vitest';
import { convexLayer, DcpError, lambdaMax, logDet, maximize, minimize, parameter, problem, sumSquares, variable } from '../src/index.js';
import type { Expr } from '../src/index.js';

/**
 * The atoms on the PSD cone against closed forms: logDet (through the exponential cone, as
 * CVXPY canonicalizes it) and lambdaMax, with their gradients through the layer.
 */
const rng = Rng.seeded(5);
const n = 3;
const randn = (shape: number[]) =>
  new Tensor(
    Float64Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal()),
    shape,
  );
const matmul = (a: Float64Array, b: Float64Array) =>
  Float64Array.from({ length: n * n }, (_, f) => {
    let s = 0;
    for (let r = 0; r < n; r++) s += a[Math.floor(f / n) * n + r]! * b[r * n + (f % n)]!;
    return s;
  });
const sym = (a: Float64Array) => Float64Array.from(a, (v, f) => 0.5 * (v + a[(f % n) * n + Math.floor(f / n)]!));
function spd(): Tensor {
  const L = randn([n, n]).data;
  const LLt = matmul(
    L,
    Float64Array.from(L, (_, f) => L[(f % n) * n + Math.floor(f / n)]!),
  );
  return new Tensor(
    LLt.map((v, f) => v + (Math.floor(f / n) === f % n ? 0.5 : 0)),
    [n, n],
  );
}
/** The inverse of an n×n matrix by Gauss–Jordan (n is tiny). */
function inverse(a: Float64Array): Float64Array {
  const m = Float64Array.from(a);
  const inv = Float64Array.from({ length: n * n }, (_, f) => (Math.floor(f / n) === f % n ? 1 : 0));
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r * n + c]!) > Math.abs(m[p * n + c]!)) p = r;
    for (let j = 0; j < n; j++) {
      [m[c * n + j], m[p * n + j]] = [m[p * n + j]!, m[c * n + j]!];
      [inv[c * n + j], inv[p * n + j]] = [inv[p * n + j]!, inv[c * n + j]!];
    }
    const d = m[c * n + c]!;
    for (let j = 0; j < n; j++) (m[c * n + j]! /= d), (inv[c * n + j]! /= d);
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = m[r * n + c]!;
      for (let j = 0; j < n; j++) (m[r * n + j]! -= f * m[c * n + j]!), (inv[r * n + j]! -= f * inv[c * n + j]!);
    }
  }
  return inv;
}
const symmetric = (X: Expr) =>
  Array.from({ length: (n * (n - 1)) / 2 }, (_, t) => t).flatMap((t) => {
    const pairs: [number, number][] = [];
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) pairs.push([i, j]);
    const [i, j] = pairs[t]!;
    return [X.at(i, j).eq(X.at(j, i))];
  });

describe('logDet', () => {
  // max log det X − tr(SX) over symmetric X has X* = S⁻¹, and for L = ⟨W, X*⟩, ∂L/∂S = −X* sym(W) X*.
  const S = parameter([n, n], { name: 'S' });
  const X = variable([n, n], { name: 'X' });
  const layer = convexLayer(problem(maximize(logDet(X).sub(S.dot(X))), symmetric(X)), { parameters: [S], variables: [X] });
  const St = spd();
  const opts = { tol: 1e-10 };

  test('the maximizer of log det X − tr(SX) is S⁻¹', () => {
    const [Xs] = layer([St], opts);
    const ref = inverse(St.data);
    for (let f = 0; f < n * n; f++) expect(Math.abs(Xs!.data[f]! - ref[f]!)).toBeLessThan(1e-7);
  });

  test('gradient: the closed form −X* sym(W) X*, and the VJP against central differences', () => {
    const W = randn([n, n]);
    const g = grad((s: Tensor) => sum(mul(layer([s], opts)[0]!, W)))(St) as Tensor;
    const Xi = inverse(St.data);
    const ref = matmul(matmul(Xi, sym(W.data)), Xi);
    for (let f = 0; f < n * n; f++) expect(Math.abs(g.data[f]! + ref[f]!)).toBeLessThan(1e-6);
    checkVjp((s: Tensor) => layer([s], opts)[0]!, [St], { eps: 1e-5, rtol: 1e-4, atol: 1e-6 });
  });

  test('DCP: concave, so it cannot be minimized', () => {
    expect(() => problem(minimize(logDet(X)))).toThrow(DcpError);
    expect(() => logDet(variable([2, 3]))).toThrow(/square matrix/);
  });
});

describe('lambdaMax', () => {
  // min λmax(Y) + ½‖Y − A‖²_F over symmetric Y is the prox of λmax: Y* = V diag(λ − Π_Δ(λ)) Vᵀ for
  // A = V diag(λ) Vᵀ, Π_Δ the projection onto the probability simplex. With A diagonal the
  // eigenvectors are the axes, so Y* = diag(λ − Π_Δ(λ)).
  test('its prox at a diagonal matrix, through the layer, with gradients', () => {
    const A = parameter([n, n], { name: 'A' });
    const Y = variable([n, n], { name: 'Y' });
    const layer = convexLayer(problem(minimize(lambdaMax(Y).add(sumSquares(Y.sub(A)).mul(0.5))), symmetric(Y)), {
      parameters: [A],
      variables: [Y],
    });
    const lam = [1.3, 1.0, -0.5];
    // Π_Δ(λ): subtract τ with Σ max(λᵢ − τ, 0) = 1; here τ = 0.65 on the two largest (0.65 + 0.35 = 1).
    const proj = [0.65, 0.35, 0];
    const At = new Tensor(
      Float64Array.from({ length: n * n }, (_, f) => (Math.floor(f / n) === f % n ? lam[f % n]! : 0)),
      [n, n],
    );
    const opts = { tol: 1e-10 };
    const [Ys] = layer([At], opts);
    for (let f = 0; f < n * n; f++) {
      const i = Math.floor(f / n);
      const want = i === f % n ? lam[i]! - proj[i]! : 0;
      expect(Math.abs(Ys!.data[f]! - want)).toBeLessThan(1e-6);
    }
    const At2 = new Tensor(
      At.data.map((v, f) => v + 0.05 * (f === 1 || f === 3 ? 1 : 0)),
      [n, n],
    );
    checkVjp((a: Tensor) => layer([a], opts)[0]!, [At2], { eps: 1e-5, rtol: 1e-4, atol: 1e-6 });
  });
});
