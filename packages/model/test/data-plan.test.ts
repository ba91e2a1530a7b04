import { grad, mul, Rng, sum, Tensor, tensor } from '@argmin/autodiff';
import { checkVjp } from '@argmin/autodiff/testing';
import { describe, expect, test } from 'vitest';
import { dataPlan } from '../src/data-plan.js';
import { convexLayer, minimize, parameter, problem, quadForm, sumSquares, variable } from '../src/index.js';

/**
 * The per-segment plan of a layer call (data-plan.ts): each way a segment can be filled must give
 * the same values and gradients as the affine map it replaces.
 */
const rng = Rng.seeded(11);
const randn = (shape: number[]) =>
  new Tensor(
    Float64Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal()),
    shape,
  );
const close = (a: Tensor, b: Tensor, tol: number) => {
  expect(a.shape).toEqual(b.shape);
  for (let i = 0; i < a.size; i++) expect(Math.abs(a.data[i]! - b.data[i]!)).toBeLessThan(tol);
};
/** A random symmetric positive definite n×n matrix (B of them with a leading axis). */
function spd(n: number, B?: number): Tensor {
  const one = () => {
    const L = randn([n, n]).data;
    return Float64Array.from({ length: n * n }, (_, f) => {
      const [i, j] = [Math.floor(f / n), f % n];
      let s = i === j ? 0.5 : 0;
      for (let r = 0; r < n; r++) s += (L[i * n + r]! * L[j * n + r]!) / n;
      return s;
    });
  };
  if (B === undefined) return new Tensor(one(), [n, n]);
  const data = new Float64Array(B * n * n);
  for (let b = 0; b < B; b++) data.set(one(), b * n * n);
  return new Tensor(data, [B, n, n]);
}

/** min ½xᵀQx + pᵀx s.t. x ≤ 1 with Q and p parameters: Q's segment is ½(Q + Qᵀ), p's a copy. */
function optnet(n: number) {
  const Q = parameter([n, n], { psd: true, name: 'Q' });
  const p = parameter([n], { name: 'p' });
  const x = variable([n], { name: 'x' });
  const prob = problem(minimize(quadForm(x, Q).mul(0.5).add(p.dot(x))), [x.le(1)]);
  return convexLayer(prob, { parameters: [Q, p], variables: [x] });
}

describe('the data plan', () => {
  test('segments are classified: a symmetric Q, copies, constants', () => {
    const layer = optnet(3);
    const kinds = Object.fromEntries(
      dataPlan(layer.program.map, layer.program.segments, layer.program.theta).map((s) => [s.segment.name, s.kind]),
    );
    expect(kinds).toEqual({ Q: 'symmetric', p: 'copy', G: 'constant', h: 'constant' });
  });

  test('a nonsymmetric Q is read by its symmetric part, as the map says, with gradients to match', () => {
    const n = 3;
    const layer = optnet(n);
    const Qs = spd(n);
    const skew = randn([n, n]);
    // Q = Qs + (S − Sᵀ): the same symmetric part, so the same solution.
    const Q = new Tensor(
      Qs.data.map((v, f) => v + skew.data[f]! - skew.data[(f % n) * n + Math.floor(f / n)]!),
      [n, n],
    );
    const p = randn([n]);
    close(layer([Q, p])[0]!, layer([Qs, p])[0]!, 1e-9);
    const w = randn([n]);
    const gQ = grad((q: Tensor) => sum(mul(layer([q, p])[0]!, w)))(Q) as Tensor;
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) expect(gQ.data[i * n + j]).toBeCloseTo(gQ.data[j * n + i]!, 12);
    checkVjp((q: Tensor, pp: Tensor) => layer([q, pp])[0]!, [Q, p], { rtol: 1e-5, atol: 1e-7 });
  });

  test('a batched Q and a shared p: per-element solutions, summed gradient for p', () => {
    const n = 3;
    const B = 2;
    const layer = optnet(n);
    const Q = spd(n, B);
    const p = randn([n]);
    const [xb] = layer([Q, p]);
    expect(xb!.shape).toEqual([B, n]);
    for (let b = 0; b < B; b++) {
      const Qb = new Tensor(Q.data.slice(b * n * n, (b + 1) * n * n), [n, n]);
      close(new Tensor(xb!.data.slice(b * n, (b + 1) * n), [n]), layer([Qb, p])[0]!, 1e-9);
    }
    checkVjp((q: Tensor, pp: Tensor) => layer([q, pp])[0]!, [Q, p], { rtol: 1e-5, atol: 1e-7 });
  });

  test('a batched parameter whose coefficients all vanish still gives one solution per element', () => {
    const c = parameter([2]);
    const q = parameter([2]);
    const y = variable([2]);
    const layer = convexLayer(problem(minimize(sumSquares(y.sub(c)).add(q.mul(0).dot(y)))), { parameters: [c, q], variables: [y] });
    const ct = tensor([1, -2]);
    const [yb] = layer([ct, randn([3, 2])]);
    expect(yb!.shape).toEqual([3, 2]);
    for (let b = 0; b < 3; b++) close(new Tensor(yb!.data.slice(2 * b, 2 * b + 2), [2]), ct, 1e-8);
    const [gc, gq] = grad((a: Tensor, bq: Tensor) => sum(layer([a, bq])[0]!), { argnums: [0, 1] })(ct, randn([3, 2])) as Tensor[];
    close(gc!, tensor([3, 3]), 1e-6);
    expect(Array.from(gq!.data).every((v) => v === 0)).toBe(true);
  });

  test('a segment reading two parameters, one batched and one shared, through the map and back', () => {
    const p = parameter([3], { name: 'p' });
    const q = parameter([3], { name: 'q' });
    const y = variable([3], { name: 'y' });
    // ½‖y‖² + (p − 2q)ᵀy s.t. Σy = 1: the linear term's segment reads p and q.
    const layer = convexLayer(
      problem(
        minimize(
          sumSquares(y)
            .mul(0.5)
            .add(p.sub(q.mul(2)).dot(y)),
        ),
        [y.sum().eq(1)],
      ),
      {
        parameters: [p, q],
        variables: [y],
      },
    );
    const kinds = dataPlan(layer.program.map, layer.program.segments, layer.program.theta).map((s) => s.kind);
    expect(kinds).toContain('map');
    const P = randn([2, 3]);
    const q0 = randn([3]);
    const [yb] = layer([P, q0]);
    for (let b = 0; b < 2; b++) {
      const c = [0, 1, 2].map((i) => P.data[b * 3 + i]! - 2 * q0.data[i]!);
      const mean = (c[0]! + c[1]! + c[2]!) / 3;
      // y* = −c + (1 + Σc)/3 · 1, the projection of −c onto Σy = 1.
      for (let i = 0; i < 3; i++) expect(yb!.data[b * 3 + i]).toBeCloseTo(-c[i]! + mean + 1 / 3, 8);
    }
    checkVjp((a: Tensor, bq: Tensor) => layer([a, bq])[0]!, [P, q0], { rtol: 1e-5, atol: 1e-7 });
  });
});
