// Large second-order cones enter the sparse KKT matrix expanded (ECOS): H = diag(d) + uuᵀ − vvᵀ
// as a diagonal plus two columns, so the matrix stays O(size) and quasi-definite.
import { Rng, Tensor, vjp } from '@argmin/autodiff';
import { test } from '@fast-check/vitest';
import fc from 'fast-check';
import { describe, expect } from 'vitest';
import { socCone } from '../../src/cone/ipm/soc.js';
import { cone } from '../../src/cone/node.js';

/** A point strictly inside the second-order cone of size k: t = ‖u‖·(1 + gap) + gap. */
const interior = (k: number) =>
  fc
    .tuple(
      fc.array(fc.double({ min: -10, max: 10, noNaN: true }), { minLength: k - 1, maxLength: k - 1 }),
      fc.double({ min: 1e-6, max: 10, noNaN: true }),
    )
    .map(([u, gap]) => Float64Array.from([Math.hypot(...u) * (1 + gap) + gap, ...u]));

const arbPair = fc.integer({ min: 2, max: 30 }).chain((k) => fc.tuple(fc.constant(k), interior(k), interior(k)));

describe('second-order cone scaling, diagonal plus low rank', () => {
  test.prop([arbPair], { numRuns: 200 })('H = WᵀW = diag(d) + uuᵀ − vvᵀ with diag(d) − vvᵀ ≻ 0', ([k, s, z]) => {
    const c = socCone(0, k);
    expect(c.scale(s, z, 1)).toBe(true);
    const H = new Float64Array(k * k);
    c.hessian(H);
    const d = new Float64Array(k);
    const u = new Float64Array(k);
    const v = new Float64Array(k);
    c.lowRank!(d, u, v);
    let scale = 0;
    for (const h of H) scale = Math.max(scale, Math.abs(h));
    for (let i = 0; i < k; i++)
      for (let j = 0; j < k; j++) {
        const e = (i === j ? d[i]! : 0) + u[i]! * u[j]! - v[i]! * v[j]!;
        expect(Math.abs(e - H[i * k + j]!)).toBeLessThanOrEqual(1e-9 * scale);
      }
    // diag(d₁, δ, …, δ) − vvᵀ with v = (0, v'): definite iff d₁ > 0 and δ > ‖v'‖².
    expect(v[0]).toBe(0);
    expect(d[0]!).toBeGreaterThan(0);
    let vv = 0;
    for (let i = 1; i < k; i++) vv += v[i]! * v[i]!;
    for (let i = 1; i < k; i++) expect(d[i]).toBe(d[1]);
    if (k > 1) expect(vv).toBeLessThan(d[1]!);
  });
});

/** min cᵀx s.t. ‖x − x₀‖ ≤ r (one cone of size n + 1: rows t = r, then x − x₀), A sparse: x* = x₀ − r·c/‖c‖. */
function ballProgram(n: number, rng: Rng) {
  const x0 = Float64Array.from({ length: n }, () => rng.normal());
  const c = Float64Array.from({ length: n }, () => rng.normal());
  const r = 0.5 + rng.uniform();
  const b = Float64Array.from([r, ...x0.map((v) => -v)]);
  const pattern = {
    nrows: n + 1,
    ncols: n,
    colPtr: Int32Array.from({ length: n + 1 }, (_, j) => j),
    rowIdx: Int32Array.from({ length: n }, (_, j) => 1 + j),
  };
  const Aval = new Float64Array(n).fill(-1);
  const norm = Math.hypot(...c);
  const xStar = x0.map((v, j) => v - (r * c[j]!) / norm);
  return { pattern, Aval, b, c, xStar, cones: { soc: [n + 1] } };
}

describe('a sparse program with a large second-order cone', () => {
  test.each([40, 300])(
    'cone of size %i + 1: the expanded sparse KKT solves it to the known answer; gradients match the dense path',
    (n) => {
      const rng = Rng.seeded(n);
      const { pattern, Aval, b, c, xStar, cones } = ballProgram(n, rng);
      const params = { Aval: new Tensor(Aval, [Aval.length]), b: new Tensor(b, [b.length]), c: new Tensor(c, [n]) };
      const opts = { cones, sparsity: { A: pattern }, polish: false } as const;
      const sparse = cone(params, { ...opts, kkt: 'sparse' });
      expect(sparse.info.status).toEqual(['converged']);
      sparse.x.data.forEach((v, j) => expect(Math.abs(v - xStar[j]!)).toBeLessThanOrEqual(1e-8));
      if (n > 100) return; // the dense normal equations at n = 300 only repeat the check slowly
      const dense = cone(params, { ...opts, kkt: 'dense' });
      dense.x.data.forEach((v, j) => expect(v).toBeCloseTo(sparse.x.data[j]!, 7));
      const cot = new Tensor(
        Float64Array.from({ length: n }, () => rng.normal()),
        [n],
      );
      const grad = (kkt: 'sparse' | 'dense') =>
        vjp((Av: Tensor, bb: Tensor) => cone({ Aval: Av, b: bb, c: params.c }, { ...opts, kkt }).x, params.Aval, params.b).pullback(
          cot,
        ) as Tensor[];
      const [gs, gbs] = grad('sparse');
      const [gd, gbd] = grad('dense');
      gs!.data.forEach((v, q) => expect(v).toBeCloseTo(gd!.data[q]!, 5));
      gbs!.data.forEach((v, q) => expect(v).toBeCloseTo(gbd!.data[q]!, 5));
    },
  );
});
