// The dense engine's fused kernels read each entry once for several products; each must return
// exactly what the separate products return (same sums in the same order), so that fusing them
// changes the cost of an iteration and nothing else.
import { Rng } from '@argmin/autodiff';
import { numRuns } from '@argmin/autodiff/testing';
import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { type IpmCone, nonnegCone, zeroCone } from '../../src/cone/ipm/cone.js';
import { addRowsTimes, addRowsTimesTwo, rowsTimesTwo, rowsTimesVector } from '../../src/cone/ipm/dense-rows.js';
import { denseKkt } from '../../src/cone/ipm/kkt-dense.js';
import { absMulBoth, mulBoth, mulBothWithAbs } from '../../src/cone/ipm/matrix.js';
import { socCone } from '../../src/cone/ipm/soc.js';

const vec = (n: number) => fc.float64Array({ minLength: n, maxLength: n, noDefaultInfinity: true, noNaN: true, min: -1e3, max: 1e3 });
/** A row-major m×n matrix with some exact zeros and some zero entries of y (the skipped rows). */
const dims = fc.tuple(fc.integer({ min: 1, max: 13 }), fc.integer({ min: 1, max: 11 }));
const problem = dims.chain(([m, n]) =>
  fc.record({
    m: fc.constant(m),
    n: fc.constant(n),
    a: vec(m * n),
    x: vec(n),
    y: vec(m).map((v) => v.map((e, i) => (i % 3 === 1 ? 0 : e))),
    x2: vec(n),
    y2: vec(m),
  }),
);

describe('fused dense products', () => {
  test.prop([problem], { numRuns: numRuns(200, 5000) })('mulBothWithAbs is mulBoth and absMulBoth bit for bit', ({ m, n, a, x, y }) => {
    const A = { kind: 'dense' as const, rows: m, cols: n, data: a };
    const sep = { ax: new Float64Array(m), aty: new Float64Array(n), absAx: new Float64Array(m), absAty: new Float64Array(n) };
    mulBoth(A, x, y, sep.ax, sep.aty);
    absMulBoth(A, x, y, sep.absAx, sep.absAty);
    const fused = { ax: new Float64Array(m), aty: new Float64Array(n), absAx: new Float64Array(m), absAty: new Float64Array(n) };
    mulBothWithAbs(A, x, y, fused, new Float64Array(n));
    for (const k of ['ax', 'aty', 'absAx', 'absAty'] as const)
      expect(Array.from(fused[k]).map((v) => v + 0)).toEqual(Array.from(sep[k]).map((v) => v + 0));
  });

  test.prop([problem], { numRuns: numRuns(200, 5000) })(
    'the two-vector row products are the one-vector ones bit for bit',
    ({ m, n, a, x, y, x2, y2 }) => {
      const one = [new Float64Array(m), new Float64Array(m)];
      rowsTimesVector(a, 0, m, n, x, one[0]!);
      rowsTimesVector(a, 0, m, n, x2, one[1]!);
      const two = [new Float64Array(m), new Float64Array(m)];
      rowsTimesTwo(a, 0, m, n, x, x2, two[0]!, two[1]!);
      expect(two).toEqual(one);
      const addOne = [x.slice(), x2.slice()];
      addRowsTimes(a, 0, m, n, y, addOne[0]!);
      addRowsTimes(a, 0, m, n, y2, addOne[1]!);
      const addTwo = [x.slice(), x2.slice()];
      addRowsTimesTwo(a, 0, m, n, y, y2, addTwo[0]!, addTwo[1]!);
      expect(addTwo).toEqual(addOne);
    },
  );
});

/** A scaled dense KKT system: random A, the orthant (and a second-order block) at random interior points. */
const kktCase = fc.record({
  n: fc.integer({ min: 1, max: 9 }),
  rows: fc.integer({ min: 2, max: 14 }),
  zero: fc.integer({ min: 0, max: 2 }),
  soc: fc.boolean(),
  seed: fc.integer({ min: 1, max: 1e9 }),
});

describe('paired dense KKT solve', () => {
  test.prop([kktCase], { numRuns: numRuns(100, 3000) })('is the two solves it replaces, bit for bit', ({ n, rows, zero, soc, seed }) => {
    const rng = Rng.seeded(seed);
    const mz = Math.min(zero, n - 1);
    const socSize = soc ? 3 : 0;
    const m = mz + rows + socSize;
    const A = { kind: 'dense' as const, rows: m, cols: n, data: Float64Array.from({ length: m * n }, () => rng.normal()) };
    const cones: IpmCone[] = [zeroCone(0, mz), nonnegCone(mz, rows), ...(soc ? [socCone(mz + rows, socSize)] : [])];
    const s = new Float64Array(m);
    const z = new Float64Array(m);
    for (const k of cones) k.init(s, z);
    for (let i = mz; i < mz + rows; i++) (s[i] = 0.1 + rng.uniform()), (z[i] = 0.1 + rng.uniform());
    for (const k of cones) expect(k.scale(s, z, 1)).toBe(true);
    const rhs = () => [Float64Array.from({ length: n }, () => rng.normal()), Float64Array.from({ length: m }, () => rng.normal())] as const;
    const [rx, rz] = rhs();
    const [rx2, rz2] = rhs();
    const solve = (paired: boolean) => {
      const kkt = denseKkt(A, null, mz);
      if (!kkt.factor(cones)) return null;
      const out = [new Float64Array(n), new Float64Array(m), new Float64Array(n), new Float64Array(m)] as const;
      if (paired) kkt.solvePair!(rx, rz, out[0], out[1], rx2, rz2, out[2], out[3]);
      else {
        kkt.solve(rx, rz, out[0], out[1]);
        kkt.solve(rx2, rz2, out[2], out[3]);
      }
      return [out, kkt.lastResidual()] as const;
    };
    expect(solve(true)).toEqual(solve(false));
  });
});
