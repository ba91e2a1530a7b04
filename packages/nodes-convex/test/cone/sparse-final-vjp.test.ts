import { DifferentiationError, Rng, Tensor, randn, vjp } from '@argmin/autodiff';
import type { CscPattern } from '@argmin/autodiff/kernels';
import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { cone } from '../../src/cone/node.js';

/**
 * A sparse A without equality rows is differentiated through the sparse LDLᵀ of the final KKT
 * system, a dense A through the reduced dense system (kkt-final.ts): on nondegenerate LPs (a
 * vertex with n active rows, positive multipliers, the other rows slack) both must give the same
 * gradients, or both refuse a singular basis.
 */
const arbVertexLp = fc.record({
  n: fc.integer({ min: 2, max: 16 }),
  extra: fc.integer({ min: 1, max: 24 }),
  density: fc.double({ min: 0.05, max: 0.5, noNaN: true }),
  seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
});

function vertexLp({ n, extra, density, seed }: { n: number; extra: number; density: number; seed: number }) {
  const m = n + extra;
  const rng = Rng.seeded(seed);
  const colPtr = new Int32Array(n + 1);
  const rows: number[] = [];
  for (let j = 0; j < n; j++) {
    for (let i = 0; i < m; i++) if (i === j || rng.uniform() < density) rows.push(i);
    colPtr[j + 1] = rows.length;
  }
  const pattern: CscPattern = { nrows: m, ncols: n, colPtr, rowIdx: Int32Array.from(rows) };
  const values = Float64Array.from(rows, () => rng.normal());
  const dense = new Float64Array(m * n);
  for (let j = 0; j < n; j++) for (let q = colPtr[j]!; q < colPtr[j + 1]!; q++) dense[rows[q]! * n + j] = values[q]!;
  // Rows 0…n−1 active at x₀ with multipliers in [0.2, 1.2]; the others slack by 0.5–1.5.
  const x0 = Float64Array.from({ length: n }, () => rng.normal());
  const y0 = Float64Array.from({ length: m }, (_, i) => (i < n ? 0.2 + rng.uniform() : 0));
  const b = Float64Array.from({ length: m }, (_, i) => {
    let v = i < n ? 0 : 0.5 + rng.uniform();
    for (let j = 0; j < n; j++) v += dense[i * n + j]! * x0[j]!;
    return v;
  });
  const c = new Float64Array(n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) c[j]! -= dense[i * n + j]! * y0[i]!;
  return { m, n, pattern, values, dense, b, c, cot: randn([n], Rng.seeded(seed + 1)) };
}

/** The gradients of cotᵀx in (A, b, c), or the error that refused them. */
function gradients(run: () => Tensor[]): Tensor[] | Error {
  try {
    return run();
  } catch (e) {
    if (e instanceof DifferentiationError) return e;
    throw e;
  }
}

describe('convex.cone: the final KKT system of a sparse orthant program', () => {
  test.prop([arbVertexLp], { numRuns: 25 })('sparse and dense A give the same gradients on vertex LPs', (spec) => {
    const { m, n, pattern, values, dense, b, c, cot } = vertexLp(spec);
    const cones = { nonneg: m };
    const viaDense = gradients(() => {
      const f = vjp(
        (A: Tensor, bb: Tensor, cc: Tensor) => cone({ A, b: bb, c: cc }, { cones }).x,
        new Tensor(dense, [m, n]),
        new Tensor(b, [m]),
        new Tensor(c, [n]),
      );
      return f.pullback(cot) as Tensor[];
    });
    const viaSparse = gradients(() => {
      const f = vjp(
        (Aval: Tensor, bb: Tensor, cc: Tensor) => cone({ Aval, b: bb, c: cc }, { cones, sparsity: { A: pattern } }).x,
        new Tensor(values, [values.length]),
        new Tensor(b, [m]),
        new Tensor(c, [n]),
      );
      return f.pullback(cot) as Tensor[];
    });
    if (viaDense instanceof Error || viaSparse instanceof Error) {
      // A singular basis (random sparse rows can be dependent): both refuse it.
      expect(viaDense instanceof Error && viaSparse instanceof Error).toBe(true);
      return;
    }
    const [gA, gb, gc] = viaDense;
    const [gv, gbs, gcs] = viaSparse;
    let scale = 1;
    for (const g of viaDense) for (const v of g.data) scale = Math.max(scale, Math.abs(v));
    const close = (x: number, y: number) => expect(Math.abs(x - y)).toBeLessThanOrEqual(1e-7 * scale);
    gb!.data.forEach((v, i) => close(v, gbs!.data[i]!));
    gc!.data.forEach((v, i) => close(v, gcs!.data[i]!));
    for (let j = 0; j < n; j++)
      for (let q = pattern.colPtr[j]!; q < pattern.colPtr[j + 1]!; q++) close(gA!.data[pattern.rowIdx[q]! * n + j]!, gv!.data[q]!);
  });
});
