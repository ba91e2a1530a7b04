// Fuzz: the cone node on programs with known answers — an LP over a box and a second-order-cone
// ball, min cᵀx s.t. ‖x − x̄‖ ≤ ρ, the box with one bound dropped (unbounded) and with two bounds
// that contradict (infeasible) — with the data scaled 1e-150…1e150 (the issue's "c ≈ 1e7–1e8 on a
// compact set" and "box LP at 1e-10" included) and the box's rows scaled apart by up to 1e±60 each;
// and random bad inputs. A 'converged' answer must be the known minimizer, a certificate must be
// one (checked on the data as given), and no status may contradict what the program is.
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
  rowExp: fc.array(fc.integer({ min: -60, max: 60 }), { minLength: 8, maxLength: 8 }),
  kind: fc.constantFrom('box', 'ball', 'unbounded', 'infeasible'),
});
type Kind = 'box' | 'ball' | 'unbounded' | 'infeasible';

/** Rows of b − Ax ∈ K for each kind (x̄ − 1 ≤ x ≤ x̄ + 1 for the box family), before scaling. */
function rowsOf(kind: Kind, n: number, c: number[], xbar: number[]): { A: number[][]; b: number[] } {
  const unit = (i: number, v: number) => Array.from({ length: n }, (_, j) => (j === i ? v : 0));
  if (kind === 'ball') {
    // (1, x − x̄) ∈ SOC written as b − Ax with b = (1, −x̄), A = [0; −I].
    return { A: [new Array(n).fill(0), ...xbar.map((_, i) => unit(i, -1))], b: [1, ...xbar.map((v) => -v)] };
  }
  const A = [...xbar.map((_, i) => unit(i, 1)), ...xbar.map((_, i) => unit(i, -1))];
  const b = [...xbar.map((v) => v + 1), ...xbar.map((v) => 1 - v)];
  if (kind === 'infeasible') {
    b[0] = xbar[0]! - 1.5; // x₀ ≤ x̄₀ − 1.5 and x₀ ≥ x̄₀ − 0.5
    b[n] = 0.5 - xbar[0]!;
  }
  if (kind === 'unbounded') {
    const drop = c[0]! > 0 ? n : 0; // the bound c₀ pushes against
    A.splice(drop, 1);
    b.splice(drop, 1);
  }
  return { A, b };
}

/** Aᵀy = 0, bᵀy < 0, y ≥ 0 on the data as given (each entry relative to the terms that form it). */
function checkInfeasibility(A: number[][], b: number[], y: Float64Array): void {
  const by = b.reduce((t, v, i) => t + v * y[i]!, 0);
  const scale = b.reduce((t, v, i) => t + Math.abs(v * y[i]!), 0);
  if (!(by < -1e-6 * scale)) throw new BrokenPromise(`'infeasible' with bᵀy = ${by} (Σ|b_i y_i| = ${scale})`);
  A[0]!.forEach((_, j) => {
    const aty = A.reduce((t, row, i) => t + row[j]! * y[i]!, 0);
    if (!(Math.abs(aty) <= 1e-6 * scale)) throw new BrokenPromise(`'infeasible' with (Aᵀy)_${j} = ${aty}, bᵀy = ${by}`);
  });
  if (y.some((v) => v < 0)) throw new BrokenPromise(`'infeasible' with y ∉ K*: ${Array.from(y)}`);
}

/** cᵀx < 0 and Ax ≤ 0 (−Ax ∈ K) on the data as given. */
function checkUnboundedness(A: number[][], c: number[], x: Float64Array): void {
  const cx = c.reduce((t, v, j) => t + v * x[j]!, 0);
  if (!(cx < 0)) throw new BrokenPromise(`'unbounded' with cᵀx = ${cx}`);
  for (const row of A) {
    const ax = row.reduce((t, v, j) => t + v * x[j]!, 0);
    const terms = row.reduce((t, v, j) => t + Math.abs(v * x[j]!), 0);
    const rowScale = row.reduce((t, v) => Math.max(t, Math.abs(v)), 0) * Math.max(...Array.from(x, Math.abs));
    if (!(ax <= 1e-6 * Math.max(terms, rowScale))) throw new BrokenPromise(`'unbounded' with a ray that leaves the cone: Aᵢx = ${ax}`);
  }
}

describe('fuzz: cone', () => {
  test('boxes, balls, unbounded and infeasible programs with known answers, at every scale', () => {
    fc.assert(
      fc.property(arbProgram, ({ n, c: c0, center, costExp, dataExp, rowExp, kind }) => {
        const c = c0.slice(0, n).map((v) => (Math.abs(v) < 0.05 ? 0.05 : v) * 10 ** costExp);
        const xbar = center.slice(0, n);
        const rows = rowsOf(kind, n, c, xbar);
        // Every row by 10^dataExp; the orthant's rows each by its own 10^rowExp as well.
        const k = rows.b.map((_, i) => 10 ** (dataExp + (kind === 'ball' ? 0 : rowExp[i]!)));
        const A = rows.A.map((r, i) => r.map((v) => v * k[i]!));
        const b = rows.b.map((v, i) => v * k[i]!);
        const cones = kind === 'ball' ? { soc: [n + 1] } : { nonneg: b.length };
        const where = `(n ${n}, cost 1e${costExp}, data 1e${dataExp}, rows 1e[${rowExp.slice(0, b.length)}])`;
        fuzzCase(`cone/${kind}`, () => {
          const params = {
            A: new Tensor(Float64Array.from(A.flat()), [b.length, n]),
            b: new Tensor(Float64Array.from(b), [b.length]),
            c: new Tensor(Float64Array.from(c), [n]),
          };
          const untouched = snapshot(params);
          const out = cone(params, { cones });
          untouched();
          const status = out.info.status[0]!;
          if (kind === 'unbounded' || kind === 'infeasible') {
            if (status === 'converged' || (status !== kind && (status === 'unbounded' || status === 'infeasible')))
              throw new BrokenPromise(`cone/${kind}: status '${status}' ${where}`);
            if (status !== kind) return 'honest';
            if (kind === 'infeasible') checkInfeasibility(A, b, out.y.data);
            else checkUnboundedness(A, c, out.x.data);
            return 'verified';
          }
          if (status === 'infeasible' || status === 'unbounded')
            throw new BrokenPromise(`cone/${kind}: '${status}' on a compact feasible set ${where}`);
          if (status !== 'converged') return 'honest';
          assertFinite('x', out.x);
          const norm = Math.hypot(...c);
          const expected = xbar.map((v, i) => (kind === 'box' ? v - Math.sign(c[i]!) : v - c[i]! / norm));
          expected.forEach((e, i) => {
            if (!(Math.abs(out.x.data[i]! - e) <= 1e-5))
              throw new BrokenPromise(`cone/${kind}: 'converged' with x[${i}] = ${out.x.data[i]} but the minimizer has ${e} ${where}`);
          });
          return 'verified';
        });
      }),
      // 10⁵ programs in the full tier.
      { numRuns: fuzzRuns(300, 100_000) },
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
      { numRuns: fuzzRuns(40, 2000) },
    );
  });
});
