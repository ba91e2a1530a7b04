import { readFileSync } from 'node:fs';
import { Tensor } from '@argmin/autodiff';
import { describe, expect, test } from 'vitest';
import { cone } from '../../src/cone/node.js';

// A regular program with every cone kind whose Mehrotra-corrected direction had no step left in
// the exponential cone's neighbourhood from iteration 5 on: the step backed off to 0 and the
// solve ended 'max_iter' at residual 0.02. A pure centring step is now taken when that happens.
const fixture = JSON.parse(readFileSync(new URL('./fixtures/exp-stall.json', import.meta.url), 'utf8')) as {
  cones: { zero: number; nonneg: number; soc: number[]; psd: number[]; exp: number };
  A: number[][];
  b: number[];
  c: number[];
};

describe('cone interior point off the central path', () => {
  const params = {
    A: new Tensor(Float64Array.from(fixture.A.flat()), [fixture.A.length, fixture.c.length]),
    b: new Tensor(Float64Array.from(fixture.b), [fixture.b.length]),
    c: new Tensor(Float64Array.from(fixture.c), [fixture.c.length]),
  };
  for (const polish of [false, true]) {
    test(`a stalled corrector falls back to centring (polish: ${polish})`, () => {
      const out = cone(params, { cones: fixture.cones, polish });
      expect(out.info.status).toEqual(['converged']);
      expect(out.info.residual[0]).toBeLessThan(1e-8);
    });
  }
  test('both paths reach the same point', () => {
    const a = cone(params, { cones: fixture.cones, polish: false }).x.data;
    const b = cone(params, { cones: fixture.cones, polish: true }).x.data;
    for (let i = 0; i < a.length; i++) expect(Math.abs(a[i]! - b[i]!)).toBeLessThan(1e-7);
  });
});
