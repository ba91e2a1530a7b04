import { grad, mul, Rng, sigmoid, softmax, sum, Tensor, tensor } from '@argmin/autodiff';
import { checkVjp } from '@argmin/autodiff/testing';
import { lml, qp, sparsemaxLayer } from '@argmin/nodes-convex';
import { describe, expect, test } from 'vitest';
import {
  convexLayer,
  entr,
  logistic,
  minimize,
  parameter,
  problem,
  quadForm,
  sum as msum,
  sumSquares,
  pos,
  variable,
} from '../src/index.js';

/**
 * The talks' examples (cvxpylayers' "before: 1k lines, now: 10 lines"), each written in the
 * modeling language in a few lines, compiled once, and checked against an independent answer:
 * the QP node, a closed form, or central differences of the layer itself.
 */

const rng = Rng.seeded(14);
/**
 * Exponential-cone programs are solved to 1e-10 by the interior-point cone node and compared to
 * their closed forms to 1e-9 (solutions) and 1e-8 (gradients). Central-difference checks keep a
 * wide step (eps), so that the solver's error stays small against it.
 */
const EXP = { tol: 1e-10 } as const;
const FD = { eps: 1e-4, rtol: 2e-3, atol: 1e-5 } as const;
const randn = (shape: number[], scale = 1) =>
  new Tensor(
    Float64Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => scale * rng.normal()),
    shape,
  );
const close = (a: Tensor, b: Tensor, tol: number) => {
  expect(a.shape).toEqual(b.shape);
  for (let i = 0; i < a.size; i++) expect(Math.abs(a.data[i]! - b.data[i]!)).toBeLessThan(tol);
};
/** Symmetric tangents for a symmetric matrix argument. */
const symTangent = (t: Tensor) => {
  const n = t.shape[0]!;
  return new Tensor(
    Float64Array.from(t.data, (_, f) => 0.5 * (t.data[f]! + t.data[(f % n) * n + Math.floor(f / n)]!)),
    t.shape,
  );
};

describe('the talks, each in a few lines', () => {
  test('OptNet QP agrees with the qp node to 1e-8 in solution and gradients', () => {
    const n = 6,
      m = 4,
      k = 2;
    const Q = parameter([n, n], { psd: true }),
      p = parameter([n]),
      A = parameter([k, n]),
      b = parameter([k]);
    const G = parameter([m, n]),
      h = parameter([m]),
      x = variable([n]);
    const prob = problem(minimize(quadForm(x, Q).mul(0.5).add(p.dot(x))), [A.matmul(x).eq(b), G.matmul(x).le(h)]);
    const layer = convexLayer(prob, { parameters: [Q, p, A, b, G, h], variables: [x] });

    const L = randn([n, n]);
    const Qt = new Tensor(
      Float64Array.from({ length: n * n }, (_, f) => {
        let s = 0;
        const i = Math.floor(f / n),
          j = f % n;
        for (let r = 0; r < n; r++) s += L.data[i * n + r]! * L.data[j * n + r]!;
        return s / n + (i === j ? 0.2 : 0);
      }),
      [n, n],
    );
    const z0 = randn([n]);
    const [pt, At, Gt] = [randn([n]), randn([k, n]), randn([m, n])];
    const bt = new Tensor(
      Float64Array.from({ length: k }, (_, i) => At.data.slice(i * n, i * n + n).reduce((s, a, j) => s + a * z0.data[j]!, 0)),
      [k],
    );
    const ht = new Tensor(
      Float64Array.from({ length: m }, (_, i) => Gt.data.slice(i * n, i * n + n).reduce((s, a, j) => s + a * z0.data[j]!, 0.5)),
      [m],
    );
    const args = [Qt, pt, At, bt, Gt, ht];
    const w = randn([n]);
    const viaLayer = (...t: Tensor[]) => sum(mul(layer(t)[0]!, w));
    const viaQp = (Qa: Tensor, pa: Tensor, Aa: Tensor, ba: Tensor, Ga: Tensor, ha: Tensor) =>
      sum(mul(qp({ Q: Qa, p: pa, A: Aa, b: ba, G: Ga, h: ha }).z, w));
    close(layer(args)[0]!, qp({ Q: Qt, p: pt, A: At, b: bt, G: Gt, h: ht }).z, 1e-8);
    const argnums = [0, 1, 2, 3, 4, 5];
    const g1 = grad(viaLayer, { argnums })(...args) as Tensor[];
    const g2 = grad(viaQp, { argnums })(...(args as [Tensor, Tensor, Tensor, Tensor, Tensor, Tensor])) as Tensor[];
    g1.forEach((g, i) => close(g, g2[i]!, 1e-8));
  });

  test('sigmoid: minimize −xᵀy − Σentr(y) − Σentr(1 − y) is σ(x), gradients too', () => {
    const x = parameter([4]),
      y = variable([4]);
    const layer = convexLayer(
      problem(
        minimize(
          x
            .dot(y)
            .neg()
            .sub(msum(entr(y)))
            .sub(msum(entr(y.neg().add(1)))),
        ),
      ),
      { parameters: [x], variables: [y] },
    );
    const xt = tensor([-1.5, -0.2, 0.4, 2]);
    close(layer([xt], EXP)[0]!, sigmoid(xt), 1e-9);
    const w = tensor([1, -2, 0.5, 3]);
    const g = grad((a: Tensor) => sum(mul(layer([a], EXP)[0]!, w)))(xt) as Tensor;
    close(g, grad((a: Tensor) => sum(mul(sigmoid(a), w)))(xt) as Tensor, 1e-8);
  });

  test('softmax: minimize −xᵀy − Σentr(y) s.t. Σy = 1', () => {
    const x = parameter([4]),
      y = variable([4]);
    const layer = convexLayer(
      problem(
        minimize(
          x
            .dot(y)
            .neg()
            .sub(msum(entr(y))),
        ),
        [y.sum().eq(1)],
      ),
      { parameters: [x], variables: [y] },
    );
    const xt = tensor([0.3, -1, 1.2, 0]);
    close(layer([xt], EXP)[0]!, softmax(xt), 1e-9);
    const w = tensor([1, -2, 0.5, 3]);
    const g = grad((a: Tensor) => sum(mul(layer([a], EXP)[0]!, w)))(xt) as Tensor;
    close(g, grad((a: Tensor) => sum(mul(softmax(a), w)))(xt) as Tensor, 1e-8);
  });

  test('sparsemax: the Euclidean projection onto the simplex', () => {
    const x = parameter([5]),
      y = variable([5], { nonneg: true });
    const layer = convexLayer(problem(minimize(sumSquares(y.sub(x))), [y.sum().eq(1)]), { parameters: [x], variables: [y] });
    const xt = tensor([0.9, 0.1, 1.3, -0.4, 0.75]);
    close(layer([xt])[0]!, sparsemaxLayer({ x: xt }).y, 1e-8);
    const w = tensor([1, -2, 0.5, 3, 1]);
    const g = grad((a: Tensor) => sum(mul(layer([a])[0]!, w)))(xt) as Tensor;
    close(g, grad((a: Tensor) => sum(mul(sparsemaxLayer({ x: a }).y, w)))(xt) as Tensor, 1e-7);
  });

  test('LML top-k: minimize −xᵀy − Σentr(y) − Σentr(1 − y) s.t. Σy = k', () => {
    const x = parameter([5]),
      y = variable([5]);
    const negH = msum(entr(y))
      .add(msum(entr(y.neg().add(1))))
      .neg();
    const layer = convexLayer(problem(minimize(x.dot(y).neg().add(negH)), [y.sum().eq(2)]), { parameters: [x], variables: [y] });
    const xt = tensor([0.5, -1, 2, 0.1, 1]);
    close(layer([xt], EXP)[0]!, lml(xt, { k: 2 }), 1e-9);
    const w = tensor([1, -2, 0.5, 3, 1]);
    const g = grad((a: Tensor) => sum(mul(layer([a], EXP)[0]!, w)))(xt) as Tensor;
    close(g, grad((a: Tensor) => sum(mul(lml(a, { k: 2 }), w)))(xt) as Tensor, 1e-8);
  });

  test('polytope projection: minimize ½‖y − p‖² s.t. Gy ≤ h', () => {
    const n = 3,
      m = 5;
    const p = parameter([n]),
      G = parameter([m, n]),
      h = parameter([m]),
      y = variable([n]);
    const layer = convexLayer(problem(minimize(sumSquares(y.sub(p)).mul(0.5)), [G.matmul(y).le(h)]), {
      parameters: [p, G, h],
      variables: [y],
    });
    const [pt, Gt] = [randn([n], 2), randn([m, n])];
    const ht = new Tensor(
      Float64Array.from({ length: m }, () => 0.3 + rng.uniform()),
      [m],
    );
    const eye = new Tensor(
      Float64Array.from({ length: n * n }, (_, f) => (Math.floor(f / n) === f % n ? 1 : 0)),
      [n, n],
    );
    const ref = qp({ Q: eye, p: mul(pt, -1), G: Gt, h: ht }).z;
    close(layer([pt, Gt, ht])[0]!, ref, 1e-8);
    checkVjp((a: Tensor, b: Tensor, c: Tensor) => layer([a, b, c])[0]!, [pt, Gt, ht], { rtol: 1e-5, atol: 1e-7 });
  });

  test('ellipsoid projection: ½(y − z)ᵀA(y − z) ≤ 1, gradients to A and z', () => {
    const n = 2;
    const A = parameter([n, n], { psd: true }),
      z = parameter([n]),
      p = parameter([n]),
      y = variable([n]);
    const prob = problem(minimize(sumSquares(y.sub(p)).mul(0.5)), [quadForm(y.sub(z), A).mul(0.5).le(1)]);
    const layer = convexLayer(prob, { parameters: [A, z, p], variables: [y] });
    const [At, zt, pt] = [
      tensor([
        [2, 0.3],
        [0.3, 1],
      ]),
      tensor([0.2, -0.1]),
      tensor([2, 1.5]),
    ];
    const out = layer([At, zt, pt], { tol: 1e-10 });
    const ys = out[0];
    expect(out.info.status).toEqual(['converged']);
    // On the boundary, and the residual of the KKT conditions (y − p) ∥ A(y − z) points outward.
    const d = [ys!.data[0]! - zt.data[0]!, ys!.data[1]! - zt.data[1]!];
    const Ad = [2 * d[0]! + 0.3 * d[1]!, 0.3 * d[0]! + d[1]!];
    expect(Math.abs(0.5 * (d[0]! * Ad[0]! + d[1]! * Ad[1]!) - 1)).toBeLessThan(1e-6);
    const r = [pt.data[0]! - ys!.data[0]!, pt.data[1]! - ys!.data[1]!];
    expect(Math.abs(r[0]! * Ad[1]! - r[1]! * Ad[0]!)).toBeLessThan(1e-6);
    checkVjp((a: Tensor, b: Tensor) => layer([a, b, pt], { tol: 1e-10 })[0]!, [At, zt], {
      ...FD,
      tangent: (t, arg) => (arg === 0 ? symTangent(t) : t),
    });
  });

  test('differentiable SVM (MetaOptNet): gradients to the features', () => {
    const N = 6,
      d = 2;
    const X = parameter([N, d]),
      w = variable([d]),
      b = variable([]);
    const labels = [1, 1, 1, -1, -1, -1];
    const margins = X.matmul(w).add(b).mul(labels);
    const layer = convexLayer(
      problem(
        minimize(
          sumSquares(w)
            .mul(0.5)
            .add(msum(pos(margins.neg().add(1))).mul(0.5)),
        ),
      ),
      { parameters: [X], variables: [w, b] },
    );
    const Xt = new Tensor(
      Float64Array.from({ length: N * d }, (_, f) => (Math.floor(f / d) < 3 ? 1 : -1) * 0.8 + 0.6 * rng.normal()),
      [N, d],
    );
    // The bias and the hinge slacks have no curvature, so the problem goes to the cone node.
    expect(layer.program.target).toBe('cone');
    const out = layer([Xt], { tol: 1e-10 });
    expect(out.info.status).toEqual(['converged']);
    const [wt, bt] = out;
    // Optimality: w = ½ Σ αᵢ yᵢ xᵢ with the hinge subgradients αᵢ ∈ [0, 1], Σ αᵢ yᵢ = 0.
    expect(Number.isFinite(wt!.data[0]!) && Number.isFinite(bt!.data[0]!)).toBe(true);
    checkVjp((a: Tensor) => layer([a], { tol: 1e-10 })[0]!, [Xt], FD);
  });

  test('logistic regression: sensitivity ∂θ*/∂xᵢ of the fitted weights to one sample', () => {
    const N = 5,
      d = 2;
    const X = parameter([N, d]),
      theta = variable([d]);
    const yl = [1, -1, 1, 1, -1];
    const loss = msum(logistic(X.matmul(theta).mul(yl).neg())).add(sumSquares(theta).mul(0.1));
    const layer = convexLayer(problem(minimize(loss)), { parameters: [X], variables: [theta] });
    const Xt = randn([N, d]);
    const out = layer([Xt], EXP);
    const th = out[0];
    expect(out.info.status).toEqual(['converged']);
    // First-order optimality of the fit: Σ −yᵢσ(−yᵢxᵢᵀθ)xᵢ + 0.2θ = 0.
    const gradAt = [0, 0];
    for (let i = 0; i < N; i++) {
      const m = yl[i]! * (Xt.data[i * d]! * th!.data[0]! + Xt.data[i * d + 1]! * th!.data[1]!);
      const s = 1 / (1 + Math.exp(m));
      for (let j = 0; j < d; j++) gradAt[j]! += -yl[i]! * s * Xt.data[i * d + j]!;
    }
    for (let j = 0; j < d; j++) expect(Math.abs(gradAt[j]! + 0.2 * th!.data[j]!)).toBeLessThan(1e-6);
    checkVjp((a: Tensor) => layer([a], EXP)[0]!, [Xt], FD);
  });
});
