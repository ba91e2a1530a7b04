import { Rng, Tensor, concat, randn, slice, tensor, vjp } from '@argmin/autodiff';
import { checkVjp } from '@argmin/autodiff/testing';
import type { CscPattern } from '@argmin/autodiff/kernels';
import { test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { cone } from '../../src/cone/node.js';
import type { ConeParams, ConeSpec } from '../../src/cone/problem.js';
import { qp, type QpParams } from '../../src/qp/node.js';
import { arbQp } from '../qp/arbitraries.js';
import { arbStructuredProgram } from './programs.js';

const E = Math.E;

describe('convex.cone interior point: known answers', () => {
  test('LP: min −x₁ − x₂ s.t. x₁ + 2x₂ ≤ 4, 3x₁ + x₂ ≤ 6, x ≥ 0 has x = (1.6, 1.2)', () => {
    const A = tensor([
      [1, 2],
      [3, 1],
      [-1, 0],
      [0, -1],
    ]);
    const o = cone({ A, b: tensor([4, 6, 0, 0]), c: tensor([-1, -1]) }, { cones: { nonneg: 4 } });
    expect(o.info.status).toEqual(['converged']);
    expect(o.x.data[0]).toBeCloseTo(1.6, 8);
    expect(o.x.data[1]).toBeCloseTo(1.2, 8);
    // Duals of the two binding rows: Aᵀy + c = 0 ⇒ y = (0.4, 0.2).
    expect(o.y.data[0]).toBeCloseTo(0.4, 8);
    expect(o.y.data[1]).toBeCloseTo(0.2, 8);
  });

  test('SOCP: min x₁ + x₂ s.t. ‖x‖ ≤ 1 has x = −(1, 1)/√2', () => {
    const A = tensor([
      [0, 0],
      [-1, 0],
      [0, -1],
    ]);
    const o = cone({ A, b: tensor([1, 0, 0]), c: tensor([1, 1]) }, { cones: { soc: [3] } });
    expect(o.info.status).toEqual(['converged']);
    [0, 1].forEach((i) => expect(o.x.data[i]).toBeCloseTo(-Math.SQRT1_2, 9));
  });

  test('SDP: min ⟨C, X⟩ s.t. tr X = 1, X ⪰ 0 is λ_min(C)', () => {
    // X = [[x₀, x₁], [x₁, x₂]] in svec (x₀, √2x₁, x₂); C = [[2, 1], [1, 3]].
    const s2 = Math.SQRT2;
    const A = tensor([
      [1, 0, 1],
      [-1, 0, 0],
      [0, -s2, 0],
      [0, 0, -1],
    ]);
    const o = cone({ A, b: tensor([1, 0, 0, 0]), c: tensor([2, 2, 3]) }, { cones: { zero: 1, psd: [2] } });
    expect(o.info.status).toEqual(['converged']);
    const obj = 2 * o.x.data[0]! + 2 * o.x.data[1]! + 3 * o.x.data[2]!;
    expect(obj).toBeCloseTo((5 - Math.sqrt(5)) / 2, 9);
  });

  test('exponential cone: min z s.t. (1, 1, z) ∈ K_exp is z = e', () => {
    const o = cone({ A: tensor([[0], [0], [-1]]), b: tensor([1, 1, 0]), c: tensor([1]) }, { cones: { exp: 1 } });
    expect(o.info.status).toEqual(['converged']);
    expect(o.x.data[0]).toBeCloseTo(E, 9);
  });

  test('mixed: the projection of a onto the orthant, min t s.t. ‖x − a‖ ≤ t, x ≥ 0', () => {
    // Variables (t, x₁, x₂, x₃); rows: x ≥ 0 (nonneg 3), then (t, x − a) ∈ SOC(4).
    const a = [1, -2, 3];
    const A = tensor([
      [0, -1, 0, 0],
      [0, 0, -1, 0],
      [0, 0, 0, -1],
      [-1, 0, 0, 0],
      [0, -1, 0, 0],
      [0, 0, -1, 0],
      [0, 0, 0, -1],
    ]);
    const b = tensor([0, 0, 0, 0, ...a.map((v) => -v)]);
    const o = cone({ A, b, c: tensor([1, 0, 0, 0]) }, { cones: { nonneg: 3, soc: [4] } });
    expect(o.info.status).toEqual(['converged']);
    [2, 1, 0, 3].forEach((v, i) => expect(o.x.data[i]).toBeCloseTo(v, 8));
  });

  test('degenerate (a redundant row, so the dual is not unique): the primal still solves', () => {
    const A = tensor([
      [1, 2],
      [1, 2],
      [3, 1],
      [-1, 0],
      [0, -1],
    ]);
    const o = cone({ A, b: tensor([4, 4, 6, 0, 0]), c: tensor([-1, -1]) }, { cones: { nonneg: 5 } });
    expect(o.info.status).toEqual(['converged']);
    expect(o.x.data[0]).toBeCloseTo(1.6, 7);
    expect(o.x.data[1]).toBeCloseTo(1.2, 7);
  });

  test('infeasible SOCP (‖x‖ ≤ 1 and x₁ ≥ 2): a certificate with bᵀy = −1', () => {
    // Rows: the orthant first (2 − x₁ ≤ 0 as s = −2 + x₁ ≥ 0), then (1, x) ∈ SOC(3).
    const A = tensor([
      [-1, 0],
      [0, 0],
      [-1, 0],
      [0, -1],
    ]);
    const o = cone({ A, b: tensor([-2, 1, 0, 0]), c: tensor([1, 0]) }, { cones: { nonneg: 1, soc: [3] } });
    expect(o.info.status).toEqual(['infeasible']);
    const y = o.y.data;
    expect(-2 * y[0]! + y[1]!).toBeCloseTo(-1, 9); // bᵀy
    expect(Math.abs(-y[0]! - y[2]!)).toBeLessThan(1e-7); // Aᵀy ≈ 0
    expect(Math.abs(-y[3]!)).toBeLessThan(1e-7);
  });
});

/** A random sparse matrix pattern with every column non-empty. */
function sparseA(m: number, n: number, density: number, rng: Rng): { pattern: CscPattern; values: Float64Array; dense: Float64Array } {
  const colPtr = new Int32Array(n + 1);
  const rows: number[] = [];
  for (let j = 0; j < n; j++) {
    const set = new Set<number>([j % m]);
    for (let i = 0; i < m; i++) if (rng.uniform() < density) set.add(i);
    rows.push(...[...set].sort((a, b) => a - b));
    colPtr[j + 1] = rows.length;
  }
  const values = Float64Array.from(rows, () => rng.normal());
  const dense = new Float64Array(m * n);
  for (let j = 0; j < n; j++) for (let q = colPtr[j]!; q < colPtr[j + 1]!; q++) dense[rows[q]! * n + j] = values[q]!;
  return { pattern: { nrows: m, ncols: n, colPtr, rowIdx: Int32Array.from(rows) }, values, dense };
}

describe('convex.cone sparse A (Aval on a CSC pattern)', () => {
  test('solution and gradients equal the dense form, gradients on the pattern; a batch shares the pattern', () => {
    const rng = Rng.seeded(4);
    const n = 8;
    const m = 20;
    const { pattern, values, dense } = sparseA(m, n, 0.3, rng);
    // Feasible and bounded: b = Ax₀ + s₀ with s₀ > 0, c = −Aᵀy₀ with y₀ > 0.
    const x0 = Float64Array.from({ length: n }, () => rng.normal());
    const b = Float64Array.from({ length: m }, (_, i) => {
      let v = 0.5 + rng.uniform();
      for (let j = 0; j < n; j++) v += dense[i * n + j]! * x0[j]!;
      return v;
    });
    const y0 = Float64Array.from({ length: m }, () => rng.uniform());
    const c = new Float64Array(n);
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) c[j]! -= dense[i * n + j]! * y0[i]!;
    const cones = { nonneg: m };
    const cot = randn([n], Rng.seeded(2));
    const viaDense = vjp(
      (A: Tensor, bb: Tensor, cc: Tensor) => cone({ A, b: bb, c: cc }, { cones }).x,
      new Tensor(dense, [m, n]),
      new Tensor(b, [m]),
      new Tensor(c, [n]),
    );
    const viaSparse = vjp(
      (Aval: Tensor, bb: Tensor, cc: Tensor) => cone({ Aval, b: bb, c: cc }, { cones, sparsity: { A: pattern } }).x,
      new Tensor(values, [values.length]),
      new Tensor(b, [m]),
      new Tensor(c, [n]),
    );
    viaDense.value.data.forEach((v, i) => expect(viaSparse.value.data[i]!).toBeCloseTo(v, 8));
    const [gA, gb, gc] = viaDense.pullback(cot) as Tensor[];
    const [gAval, gbs, gcs] = viaSparse.pullback(cot) as Tensor[];
    expect(gAval!.shape).toEqual([values.length]);
    for (let j = 0; j < n; j++)
      for (let q = pattern.colPtr[j]!; q < pattern.colPtr[j + 1]!; q++)
        expect(gAval!.data[q]!).toBeCloseTo(gA!.data[pattern.rowIdx[q]! * n + j]!, 6);
    gb!.data.forEach((v, i) => expect(gbs!.data[i]!).toBeCloseTo(v, 6));
    gc!.data.forEach((v, i) => expect(gcs!.data[i]!).toBeCloseTo(v, 6));
    // A batch of two value vectors on one pattern equals two calls.
    const two = new Tensor(Float64Array.from([...values, ...values.map((v) => v * 1.1)]), [2, values.length]);
    const batch = cone({ Aval: two, b: new Tensor(b, [m]), c: new Tensor(c, [n]) }, { cones, sparsity: { A: pattern } });
    const second = cone(
      {
        Aval: new Tensor(
          values.map((v) => v * 1.1),
          [values.length],
        ),
        b: new Tensor(b, [m]),
        c: new Tensor(c, [n]),
      },
      { cones, sparsity: { A: pattern } },
    );
    expect(batch.info.status).toEqual(['converged', 'converged']);
    second.x.data.forEach((v, i) => expect(batch.x.data[n + i]!).toBeCloseTo(v, 8));
  });

  test('the sparse and dense KKT paths agree on a mixed-cone program', () => {
    const cones: ConeSpec = { zero: 1, nonneg: 3, soc: [3], psd: [2] };
    const A = tensor([
      [1, 1, 0],
      [-1, 0, 0],
      [0, -1, 0],
      [0, 0, -1],
      [0, 0, -1],
      [-1, 0, 0],
      [0, -1, 0],
      [-1, 0, 0],
      [0, 0, 0],
      [0, -1, 0],
    ]);
    const params = { A, b: tensor([1, 0, 0, 0, 2, 0, 0, 0.5, 0, 0.5]), c: tensor([1, 2, 1]) };
    const d = cone(params, { cones, kkt: 'dense', polish: false });
    const s = cone(params, { cones, kkt: 'sparse', polish: false });
    expect(d.info.status).toEqual(['converged']);
    expect(s.info.status).toEqual(['converged']);
    d.x.data.forEach((v, i) => expect(s.x.data[i]!).toBeCloseTo(v, 6));
  });
});

/** The QP min ½zᵀQz + pᵀz s.t. Gz ≤ h, Az = b as the cone node's program. */
function qpAsCone(Q: Tensor, p: Tensor, G: Tensor, h: Tensor, A: Tensor, b: Tensor, k: number, m: number) {
  return cone({ P: Q, c: p, A: concat([A, G], 0), b: concat([b, h], 0) }, { cones: { zero: k, nonneg: m } });
}

const maxRel = (a: Tensor, b: Tensor) => {
  let d = 0;
  let s = 1;
  a.data.forEach((v, i) => ((d = Math.max(d, Math.abs(v - b.data[i]!))), (s = Math.max(s, Math.abs(v), Math.abs(b.data[i]!)))));
  return d / s;
};

describe('the QP node and the cone engine agree on QPs, both ways', () => {
  const shape = { n: 4, m: 5, k: 1 };
  test.prop([arbQp(shape)], { numRuns: 8 })('a QP given to the cone node (P, equalities as the zero cone)', (params: QpParams) => {
    const { Q, p, G, h, A, b } = params as Required<QpParams>;
    const args = [Q, p, G, h, A, b] as const;
    const viaQp = vjp((...t: Tensor[]) => qp({ Q: t[0]!, p: t[1]!, G: t[2]!, h: t[3]!, A: t[4]!, b: t[5]! }).z, ...args);
    const viaCone = vjp(
      (...t: Tensor[]) => {
        const o = qpAsCone(t[0]!, t[1]!, t[2]!, t[3]!, t[4]!, t[5]!, shape.k, shape.m);
        expect(o.info.status).toEqual(['converged']);
        return o.x;
      },
      ...args,
    );
    expect(maxRel(viaCone.value, viaQp.value)).toBeLessThan(1e-7);
    const cot = randn([shape.n], Rng.seeded(1));
    const gq = viaQp.pullback(cot) as Tensor[];
    const gc = viaCone.pullback(cot) as Tensor[];
    gq.forEach((g, i) => expect(maxRel(gc[i]!, g), `gradient ${['Q', 'p', 'G', 'h', 'A', 'b'][i]}`).toBeLessThan(1e-5));
  });

  test.prop([arbQp(shape)], { numRuns: 6 })('a cone program with P and orthant/zero cones given to the QP node', (params: QpParams) => {
    // The cone node's parameters first, then split into the QP node's (G, h after the zero rows).
    const { Q, p, G, h, A, b } = params as Required<QpParams>;
    const coneParams: ConeParams = { P: Q, c: p, A: concat([A, G], 0), b: concat([b, h], 0) };
    const k = shape.k;
    const rows = k + shape.m;
    const x = cone(coneParams, { cones: { zero: k, nonneg: shape.m } });
    const Ac = coneParams.A!;
    const z = qp({
      Q: coneParams.P!,
      p: coneParams.c,
      A: slice(Ac, [0, 0], [k, shape.n]),
      b: slice(coneParams.b, [0], [k]),
      G: slice(Ac, [k, 0], [rows, shape.n]),
      h: slice(coneParams.b, [k], [rows]),
    });
    expect(maxRel(x.x, z.z)).toBeLessThan(1e-7);
    // The duals agree too: y = (ν, λ).
    expect(maxRel(slice(x.y, [k], [rows]), z.lam)).toBeLessThan(1e-6);
  });
});

describe('convex.cone VJPs against central differences on programs built from structure', () => {
  test.prop([arbStructuredProgram()], { numRuns: 12 })('implicit VJP of (x, y, s) in A, b, c', ({ params, cones }) => {
    const f = (A: Tensor, b: Tensor, c: Tensor) => {
      const o = cone({ A, b, c }, { cones });
      return [o.x, o.y, o.s];
    };
    // checkVjp throws with the dot products when they disagree.
    const r = checkVjp(f, [params.A!, params.b, params.c], { rtol: 1e-5, atol: 1e-7 });
    expect(r.error).toBeLessThanOrEqual(r.tolerance);
  });
});

test('Pval on the upper triangle gives the dense P gradient folded onto the pattern', () => {
  const n = 3;
  const Q = tensor([
    [2, 0.5, 0],
    [0.5, 1.5, 0.2],
    [0, 0.2, 1],
  ]);
  const pattern: CscPattern = { nrows: 3, ncols: 3, colPtr: Int32Array.of(0, 1, 3, 5), rowIdx: Int32Array.of(0, 0, 1, 1, 2) };
  const Pval = tensor([2, 0.5, 1.5, 0.2, 1]);
  const A = tensor([
    [1, 1, 1],
    [-1, 0, 0],
    [0, -1, 0],
    [0, 0, -1],
  ]);
  const b = tensor([1, 0, 0, 0]);
  const c = tensor([-1, 0.5, -0.2]);
  const cones = { zero: 1, nonneg: 3 };
  const cot = tensor([1, -2, 0.5]);
  const dense = vjp((P: Tensor) => cone({ A, b, c, P }, { cones }).x, Q);
  const sparse = vjp((Pv: Tensor) => cone({ A, b, c, Pval: Pv }, { cones, sparsity: { P: pattern } }).x, Pval);
  dense.value.data.forEach((v, i) => expect(sparse.value.data[i]!).toBeCloseTo(v, 8));
  const [gP] = dense.pullback(cot) as Tensor[];
  const [gv] = sparse.pullback(cot) as Tensor[];
  let q = 0;
  for (let j = 0; j < n; j++)
    for (; q < pattern.colPtr[j + 1]!; q++) {
      const i = pattern.rowIdx[q]!;
      const want = i === j ? gP!.data[i * n + i]! : gP!.data[i * n + j]! + gP!.data[j * n + i]!;
      expect(gv!.data[q]!).toBeCloseTo(want, 6);
    }
});
