// PENDING (not run: outside the test/**/*.test.ts glob). It fails today on two issue-#21 items owned
// elsewhere: the cone node reports 'unbounded' for a box LP with data scaled by 1e-10 (its
// equilibration is part of the new interior-point engine) and a non-Tensor A crashes with a TypeError
// (boundary checks). Rename to cone.fuzz.test.ts once both land.
// Fuzz: the cone node on programs with known answers — an LP over a box and a second-order-cone
// ball, min cᵀx s.t. ‖x − x̄‖ ≤ ρ — with the data scaled 1e-150…1e150, the issue's "c ≈ 1e7–1e8 on a
// compact set" included; and random bad inputs. A 'converged' answer must be the known minimizer.
import { Tensor } from '@argmin/autodiff';
import { cone } from '@argmin/nodes-convex';
import fc from 'fast-check';
import { afterAll, describe, test } from 'vitest';
import { BrokenPromise, EXPONENTS, assertFinite, fuzzCase, fuzzRuns, report, snapshot } from './harness.js';

afterAll(() => report('cone'));

const arbProgram = fc.record({
  n: fc.integer({ min: 1, max: 4 }),
  c: fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: 4, maxLength: 4 }),
  center: fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: 4, maxLength: 4 }),
  costExp: fc.integer(EXPONENTS),
  dataExp: fc.integer(EXPONENTS),
  kind: fc.constantFrom('box', 'ball'),
});

describe('fuzz: cone', () => {
  test('box LPs and SOC balls with known minimizers, at every scale', () => {
    fc.assert(
      fc.property(arbProgram, ({ n, c: c0, center, costExp, dataExp, kind }) => {
        const c = c0.slice(0, n).map((v) => (Math.abs(v) < 0.05 ? 0.05 : v) * 10 ** costExp);
        const xbar = center.slice(0, n);
        const s = 10 ** dataExp;
        let A: Float64Array;
        let b: Float64Array;
        let cones: { nonneg?: number; soc?: number[] };
        let expected: number[];
        if (kind === 'box') {
          // x̄ − 1 ≤ x ≤ x̄ + 1 as rows (±I)x + s = ±x̄ + 1, every row scaled by s.
          A = new Float64Array(2 * n * n);
          b = new Float64Array(2 * n);
          for (let i = 0; i < n; i++) {
            A[i * n + i] = s;
            A[(n + i) * n + i] = -s;
            b[i] = s * (xbar[i]! + 1);
            b[n + i] = s * (1 - xbar[i]!);
          }
          cones = { nonneg: 2 * n };
          expected = xbar.map((v, i) => v - Math.sign(c[i]!));
        } else {
          // (1, x − x̄) ∈ SOC: s = (1, x̄ − x)·s ⇒ A = s·[0; −I]... written as b − Ax.
          A = new Float64Array((n + 1) * n);
          b = new Float64Array(n + 1);
          b[0] = s;
          for (let i = 0; i < n; i++) {
            A[(1 + i) * n + i] = -s;
            b[1 + i] = -s * xbar[i]!;
          }
          cones = { soc: [n + 1] };
          const norm = Math.hypot(...c);
          expected = xbar.map((v, i) => v - c[i]! / norm);
        }
        fuzzCase(`cone/${kind}`, () => {
          const params = { A: new Tensor(A, [A.length / n, n]), b: new Tensor(b, [b.length]), c: new Tensor(Float64Array.from(c), [n]) };
          const untouched = snapshot(params);
          const out = cone(params, { cones });
          untouched();
          const status = out.info.status[0]!;
          if (status === 'infeasible' || status === 'unbounded')
            throw new BrokenPromise(`cone/${kind}: '${status}' on a compact feasible set (cost 1e${costExp}, data 1e${dataExp})`);
          if (status !== 'converged') return 'honest';
          assertFinite('x', out.x);
          expected.forEach((e, i) => {
            if (!(Math.abs(out.x.data[i]! - e) <= 1e-5)) {
              throw new BrokenPromise(
                `cone/${kind}: 'converged' with x[${i}] = ${out.x.data[i]} but the minimizer has ${e} (cost 1e${costExp}, data 1e${dataExp})`,
              );
            }
          });
          return 'verified';
        });
      }),
      { numRuns: fuzzRuns(150) },
    );
  });

  test('bad inputs: NaN, shapes, cone sizes, options', () => {
    const A = new Tensor(Float64Array.of(1, -1), [2, 1]);
    const b = new Tensor(Float64Array.of(1, 1), [2]);
    const c = new Tensor(Float64Array.of(1), [1]);
    const bads: [string, () => unknown][] = [
      ['nan b', () => cone({ A, b: new Tensor(Float64Array.of(1, Number.NaN), [2]), c }, { cones: { nonneg: 2 } })],
      ['shape', () => cone({ A, b: new Tensor(Float64Array.of(1), [1]), c }, { cones: { nonneg: 2 } })],
      ['cone size', () => cone({ A, b, c }, { cones: { nonneg: 3 } })],
      ['no cones', () => cone({ A, b, c }, {} as never)],
      ['soc size 0', () => cone({ A, b, c }, { cones: { soc: [0, 2] } })],
      ['unknown cone', () => cone({ A, b, c }, { cones: { lorentz: 2 } as never })],
      ['non-tensor', () => cone({ A: [[1], [-1]] as never, b, c }, { cones: { nonneg: 2 } })],
    ];
    fc.assert(
      fc.property(fc.constantFrom(...bads), ([name, run]) => {
        fuzzCase(`cone/bad-input/${name}`, () => {
          run();
          throw new BrokenPromise(`cone accepted bad input '${name}'`);
        });
      }),
      { numRuns: fuzzRuns(40) },
    );
  });
});
