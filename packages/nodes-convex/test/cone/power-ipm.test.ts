import { Rng, Tensor, vjp } from '@argmin/autodiff';
import type { CscPattern } from '@argmin/autodiff/kernels';
import { describe, expect, test } from 'vitest';
import { powerCone, powerDualHessian } from '../../src/cone/ipm/power.js';
import { cone } from '../../src/cone/node.js';
import { coneLayout, type ConeSpec } from '../../src/cone/problem.js';
import { randomPrograms } from './programs.js';

describe('the power cone block of the interior-point method', () => {
  test('its scaling maps: WᵀW = μ∇²f*(z) and W⁻ᵀ, W⁻¹ invert Wᵀ, W', () => {
    const rng = Rng.seeded(4);
    for (let trial = 0; trial < 20; trial++) {
      const a = 0.05 + 0.9 * rng.uniform();
      const u = 0.1 + 2 * rng.uniform();
      const v = 0.1 + 2 * rng.uniform();
      // Near the boundary too: |w| up to 0.999 of (u/α)^α (v/(1−α))^(1−α).
      const w = (2 * rng.uniform() - 1) * 0.999 * (u / a) ** a * (v / (1 - a)) ** (1 - a);
      const z = Float64Array.of(u, v, w);
      const mu = 10 ** (-6 * rng.uniform());
      const c = powerCone(0, a);
      expect(c.scale(new Float64Array(3), z, mu)).toBe(true);
      const eye = Float64Array.of(1, 0, 0, 0, 1, 0, 0, 0, 1);
      const map = (m: 'W' | 'Wt' | 'WinvT' | 'Winv', x: Float64Array) => {
        const out = new Float64Array(9);
        c.apply(m, x, out, 3, 3);
        return out;
      };
      const WtW = map('Wt', map('W', eye));
      const H = new Float64Array(9);
      powerDualHessian(z, a, H);
      const scale = Math.max(...H.map((h) => Math.abs(mu * h)));
      for (let i = 0; i < 9; i++) expect(Math.abs(WtW[i]! - mu * H[i]!)).toBeLessThan(1e-9 * scale);
      const hess = new Float64Array(9);
      c.hessian(hess);
      for (let i = 0; i < 9; i++) expect(Math.abs(hess[i]! - mu * H[i]!)).toBeLessThan(1e-12 * scale);
      const I1 = map('WinvT', map('Wt', eye));
      const I2 = map('Winv', map('W', eye));
      for (let i = 0; i < 9; i++) {
        expect(Math.abs(I1[i]! - eye[i]!)).toBeLessThan(1e-8);
        expect(Math.abs(I2[i]! - eye[i]!)).toBeLessThan(1e-8);
      }
    }
  });
});

/**
 * K_½ = {(x, y, z): √(xy) ≥ |z|, x, y ≥ 0} is a rotated second-order cone: (x + y, 2z, x − y) ∈ SOC.
 * The same programs given both ways must have the same solution x.
 */
describe('α = ½: the power cone agrees with the rotated second-order cone', () => {
  test('random programs with power cones, solved both ways', () => {
    const spec: ConeSpec = { nonneg: 2, power: [0.5, 0.5] };
    const layout = coneLayout(spec);
    const n = 4;
    for (const p of randomPrograms(spec, n, 21, 4)) {
      const A = Float64Array.from(p.params.A!.data);
      const b = Float64Array.from(p.params.b.data);
      for (const blk of layout.blocks) {
        if (blk.kind !== 'power') continue;
        const o = blk.offset;
        const rotate = (M: Float64Array, cols: number) => {
          for (let j = 0; j < cols; j++) {
            const [x, y, z] = [M[o * cols + j]!, M[(o + 1) * cols + j]!, M[(o + 2) * cols + j]!];
            M[o * cols + j] = x + y;
            M[(o + 1) * cols + j] = 2 * z;
            M[(o + 2) * cols + j] = x - y;
          }
        };
        rotate(A, n);
        rotate(b, 1);
      }
      const viaPower = cone(p.params, { cones: spec });
      const viaSoc = cone(
        { A: new Tensor(A, [layout.m, n]), b: new Tensor(b, [layout.m]), c: p.params.c },
        { cones: { nonneg: 2, soc: [3, 3] } },
      );
      expect(viaPower.info.status).toEqual(['converged']);
      expect(viaSoc.info.status).toEqual(['converged']);
      for (let j = 0; j < n; j++) {
        expect(Math.abs(viaPower.x.data[j]! - viaSoc.x.data[j]!)).toBeLessThan(1e-8);
        expect(Math.abs(viaPower.x.data[j]! - p.x[j]!)).toBeLessThan(1e-8);
      }
    }
  });
});

describe('power cones with a sparse A (Aval on a CSC pattern)', () => {
  test('solution and gradients equal the dense form', () => {
    const spec: ConeSpec = { nonneg: 1, soc: [3], power: [0.3, 0.7] };
    const layout = coneLayout(spec);
    const n = 4;
    const p = randomPrograms(spec, n, 5, 1)[0]!;
    const m = layout.m;
    const dense = p.params.A!.data;
    const colPtr = new Int32Array(n + 1);
    const rows: number[] = [];
    const values: number[] = [];
    for (let j = 0; j < n; j++) {
      for (let i = 0; i < m; i++) {
        rows.push(i);
        values.push(dense[i * n + j]!);
      }
      colPtr[j + 1] = rows.length;
    }
    const pattern: CscPattern = { nrows: m, ncols: n, colPtr, rowIdx: Int32Array.from(rows) };
    const rng = Rng.seeded(3);
    const cot = Float64Array.from({ length: n }, () => rng.normal());
    const viaDense = vjp((A: Tensor, b: Tensor, c: Tensor) => cone({ A, b, c }, { cones: spec }).x, p.params.A!, p.params.b, p.params.c);
    const viaSparse = vjp(
      (Aval: Tensor, b: Tensor, c: Tensor) => cone({ Aval, b, c }, { cones: spec, sparsity: { A: pattern } }).x,
      new Tensor(Float64Array.from(values), [values.length]),
      p.params.b,
      p.params.c,
    );
    viaDense.value.data.forEach((v, i) => expect(Math.abs(viaSparse.value.data[i]! - v)).toBeLessThan(1e-8));
    const gd = viaDense.pullback(new Tensor(cot, [n])) as Tensor[];
    const gs = viaSparse.pullback(new Tensor(cot, [n])) as Tensor[];
    for (let j = 0; j < n; j++)
      for (let q = colPtr[j]!; q < colPtr[j + 1]!; q++)
        expect(Math.abs(gs[0]!.data[q]! - gd[0]!.data[rows[q]! * n + j]!)).toBeLessThan(1e-6);
    for (const k of [1, 2]) gd[k]!.data.forEach((v, i) => expect(Math.abs(gs[k]!.data[i]! - v)).toBeLessThan(1e-6));
  });
});
