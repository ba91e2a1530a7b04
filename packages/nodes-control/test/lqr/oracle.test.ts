import { tensor, vjp } from '@argmin/autodiff';
import { describe, expect, test } from 'vitest';
import { lqr } from '../../src/lqr/node.js';
import { loadFixture, relErr, timeMajorToBatch } from '../helpers/fixtures.js';

// mpc.pytorch's LQR (lqr.json, see test/fixtures/README.md): solution and VJP match a dense KKT
// solve to ≤ 8e-15 / 7e-15 relative, so the tolerances below are roundoff-sized.
const fixture = loadFixture('lqr.json');

describe('control.lqr vs mpc.pytorch (lqr.json)', () => {
  for (const inst of fixture.instances) {
    const params = {
      C: timeMajorToBatch(inst.inputs.C),
      c: timeMajorToBatch(inst.inputs.c),
      F: timeMajorToBatch(inst.inputs.F),
      f: timeMajorToBatch(inst.inputs.f),
      x0: tensor(inst.inputs.x_init),
    };
    test(`${inst.id}: trajectory`, () => {
      const out = lqr(params);
      expect(out.info.status.every((s) => s === 'converged')).toBe(true);
      expect(relErr(out.x, timeMajorToBatch(inst.outputs.x))).toBeLessThan(1e-12);
      expect(relErr(out.u, timeMajorToBatch(inst.outputs.u))).toBeLessThan(1e-12);
      expect(Math.max(...out.info.residual)).toBeLessThan(1e-11);
    });
    for (const strategy of ['implicit', 'unroll'] as const) {
      test(`${inst.id}: '${strategy}' VJP of C, c, F, f, x0`, () => {
        const { pullback } = vjp((p: typeof params) => {
          const { x, u } = lqr(p, { strategy });
          return { x, u };
        }, params);
        const [g] = pullback({ x: timeMajorToBatch(inst.cotangent.x), u: timeMajorToBatch(inst.cotangent.u) });
        // mpc.pytorch reports dC symmetrized, as ours is.
        const tol = strategy === 'implicit' ? 1e-11 : 1e-9;
        expect(relErr(g.C, timeMajorToBatch(inst.vjp.C))).toBeLessThan(tol);
        expect(relErr(g.c, timeMajorToBatch(inst.vjp.c))).toBeLessThan(tol);
        expect(relErr(g.F, timeMajorToBatch(inst.vjp.F))).toBeLessThan(tol);
        expect(relErr(g.f, timeMajorToBatch(inst.vjp.f))).toBeLessThan(tol);
        expect(relErr(g.x0, tensor(inst.vjp.x_init))).toBeLessThan(tol);
      });
    }
  }
});
