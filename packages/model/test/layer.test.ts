import { grad, InvalidInputError, mul, Rng, ShapeError, stack, sum, Tensor, tensor, trace } from '@argmin/autodiff';
import { checkVjp } from '@argmin/autodiff/testing';
import { qp } from '@argmin/nodes-convex';
import { describe, expect, test } from 'vitest';
import { affineMapOps, buildAffineMap } from '../src/affine-map.js';
import { convexLayer, minimize, norm, parameter, problem, sumSquares, variable } from '../src/index.js';

const rng = Rng.seeded(7);
const randn = (shape: number[]) =>
  new Tensor(
    Float64Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal()),
    shape,
  );
const close = (a: Tensor, b: Tensor, tol: number) => {
  expect(a.shape).toEqual(b.shape);
  for (let i = 0; i < a.size; i++) expect(Math.abs(a.data[i]! - b.data[i]!)).toBeLessThan(tol);
};

/** The polytope projection min ½‖y − p‖² s.t. Gy ≤ h, Σy = s — a QP with both kinds of rows. */
function projection(n = 3, m = 4) {
  const p = parameter([n], { name: 'p' }),
    G = parameter([m, n], { name: 'G' }),
    h = parameter([m], { name: 'h' }),
    s = parameter([], { name: 's' });
  const y = variable([n], { name: 'y' });
  const ineq = G.matmul(y).le(h);
  const eq = y.sum().eq(s);
  const prob = problem(minimize(sumSquares(y.sub(p)).mul(0.5)), [ineq, eq]);
  const layer = convexLayer(prob, { parameters: [p, G, h, s], variables: [y], duals: [ineq, eq] });
  const Gt = randn([m, n]);
  const ht = new Tensor(
    Float64Array.from({ length: m }, () => 0.2 + rng.uniform()),
    [m],
  );
  return { layer, prob, Gt, ht, st: tensor(0.3), n, m };
}

describe('the affine map', () => {
  test('apply and adjoint are each other’s VJP (dot-product test), batched', () => {
    const map = buildAffineMap(5, 3, [
      [0, 0, 2],
      [0, 3, 1],
      [1, 2, -1],
      [3, 1, 0.5],
      [3, 0, 4],
      [4, 3, 7],
      [4, 1, 1],
    ]);
    const { apply } = affineMapOps(map);
    const theta = randn([2, 3]);
    const out = apply.apply([theta], { constant: true });
    expect(out.shape).toEqual([2, 5]);
    expect(out.data[0]).toBeCloseTo(2 * theta.data[0]! + 1);
    expect(out.data[4]).toBeCloseTo(7 + theta.data[1]!);
    checkVjp((t: Tensor) => apply.apply([t], { constant: true }), [theta]);
  });
});

describe('convexLayer', () => {
  test('batched parameters solve element by element; a shared parameter gets the summed gradient', () => {
    const { layer, Gt, ht, st, n } = projection();
    const P = randn([3, n]);
    const [yb] = layer([P, Gt, ht, st]);
    expect(yb!.shape).toEqual([3, n]);
    for (let b = 0; b < 3; b++) {
      const pb = new Tensor(P.data.slice(b * n, (b + 1) * n), [n]);
      close(new Tensor(yb!.data.slice(b * n, (b + 1) * n), [n]), layer([pb, Gt, ht, st])[0]!, 1e-9);
    }
    const w = randn([3, n]);
    const gShared = grad((G: Tensor) => sum(mul(layer([P, G, ht, st])[0]!, w)), {})(Gt) as Tensor;
    let gSum = new Tensor(new Float64Array(Gt.size), Gt.shape);
    for (let b = 0; b < 3; b++) {
      const pb = new Tensor(P.data.slice(b * n, (b + 1) * n), [n]);
      const wb = new Tensor(w.data.slice(b * n, (b + 1) * n), [n]);
      const g = grad((G: Tensor) => sum(mul(layer([pb, G, ht, st])[0]!, wb)))(Gt) as Tensor;
      gSum = new Tensor(
        gSum.data.map((v, i) => v + g.data[i]!),
        Gt.shape,
      );
    }
    close(gShared, gSum, 1e-9);
    checkVjp((p: Tensor, G: Tensor) => layer([p, G, ht, st])[0]!, [P, Gt], { rtol: 1e-5, atol: 1e-7 });
  });

  test('duals: the QP node’s multipliers, with y − p + Gᵀλ + ν1 = 0 (Lagrangian f + λᵀ(Gy − h) + ν(Σy − s))', () => {
    const { layer, Gt, ht, st, n, m } = projection();
    const pt = tensor([2, 1, -1]);
    const [y, lam, nu] = layer([pt, Gt, ht, st]);
    expect(lam!.shape).toEqual([m]);
    expect(nu!.shape).toEqual([]);
    for (const v of lam!.data) expect(v).toBeGreaterThanOrEqual(-1e-12);
    for (let j = 0; j < n; j++) {
      let r = y!.data[j]! - pt.data[j]! + nu!.data[0]!;
      for (let i = 0; i < m; i++) r += Gt.data[i * n + j]! * lam!.data[i]!;
      expect(Math.abs(r)).toBeLessThan(1e-8);
    }
    // The same multipliers as the QP node on the same program.
    const eye = new Tensor(
      Float64Array.from({ length: n * n }, (_, f) => (Math.floor(f / n) === f % n ? 1 : 0)),
      [n, n],
    );
    const ref = qp({ Q: eye, p: mul(pt, -1), G: Gt, h: ht, A: tensor([[1, 1, 1]]), b: tensor([0.3]) });
    close(lam!, ref.lam, 1e-8);
  });

  test('warm start from the previous state, status per element, info passed through', () => {
    const { layer, Gt, ht, st } = projection();
    const pt = tensor([0.5, 0.2, -0.3]);
    const first = layer([pt, Gt, ht, st]);
    expect(first.info.status).toEqual(['converged']);
    const again = layer([pt, Gt, ht, st], { warmStart: first.state });
    close(again[0]!, first[0]!, 1e-9);
    // An infeasible element: Σy = s with y ≥ 1 and s = 0.
    const y = variable([2]);
    const s = parameter([]);
    const layer2 = convexLayer(problem(minimize(sumSquares(y)), [y.ge(1), y.sum().eq(s)]), { parameters: [s], variables: [y] });
    const out = layer2([tensor([3, 0])]);
    expect(out.info.status[0]).toBe('converged');
    expect(out.info.status[1]).toBe('infeasible');
    const g = grad((t: Tensor) => sum(layer2([t], { onUnconverged: 'zero' })[0]!))(tensor([3, 0])) as Tensor;
    expect(g.data[1]).toBe(0);
    expect(g.data[0]).toBeCloseTo(1, 6);
  });

  test('one node in a traced graph, labelled with the problem', () => {
    const { layer, prob, Gt, ht, st } = projection();
    const graph = trace((p: Tensor) => layer([p, Gt, ht, st])[0]!, [tensor([1, 0, 0])]);
    const nodes = Object.values(graph.nodes).filter((node) => node.kind === 'optimization');
    expect(nodes).toHaveLength(1);
    expect(nodes[0]!.label).toBe(prob.toString());
    expect(prob.toString()).toBe('minimize sumSquares(y - p) * 0.5 s.t. G @ y <= h, sum(y) == s');
    expect(Object.values(graph.nodes).some((node) => node.op === 'model.map' || node.op === 'convex.qp')).toBe(false);
  });

  test('a second-order cone problem through the cone node (min ‖y − p‖ s.t. ‖y‖₁ ≤ 1)', () => {
    const p = parameter([3]),
      y = variable([3]);
    const layer = convexLayer(problem(minimize(norm(y.sub(p))), [norm(y, 1).le(1)]), { parameters: [p], variables: [y] });
    expect(layer.program.target).toBe('cone');
    const [ys] = layer([tensor([2, 0.5, 0])], { tol: 1e-10 });
    close(ys!, tensor([1, 0, 0]), 1e-6);
  });

  test('typed errors name the layer, the parameter and the shapes', () => {
    const { layer, Gt, ht, st } = projection();
    expect(() => layer([tensor([1, 2, 3]), Gt, ht])).toThrow(InvalidInputError);
    expect(() => layer([tensor([1, 2]), Gt, ht, st])).toThrow(/parameter p has shape \[3\] but tensor 0 has shape \[2\]/);
    expect(() => layer([randn([2, 3]), stack([Gt, Gt, Gt]), ht, st])).toThrow(ShapeError);
    expect(() => layer([tensor([1, Number.NaN, 3]), Gt, ht, st])).toThrow(/non-finite/);
    const q = parameter([3]);
    const yv = variable([3]);
    expect(() => convexLayer(problem(minimize(sumSquares(yv.sub(q)))), { parameters: [], variables: [yv] })).toThrow(
      /appears in the problem but not in options.parameters/,
    );
    expect(() => convexLayer(problem(minimize(sumSquares(yv.sub(q)))), { parameters: [q], variables: [variable([2])] })).toThrow(
      /does not appear/,
    );
  });
});
