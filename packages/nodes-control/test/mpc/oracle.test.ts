import { tensor, vjp, type Tensor } from '@argmin/autodiff';
import { describe, expect, test } from 'vitest';
import { mpc } from '../../src/mpc/node.js';
import { loadFixture, relErr, timeMajorToBatch } from '../helpers/fixtures.js';

// mpc.pytorch box-DDP on linear dynamics (mpc_box_linear.json): its solution matches cvxopt to
// ≤ 3.6e-10 and an active-set KKT solve to ≤ 6e-13, and its VJP the active-set KKT VJP to
// ≤ 1.2e-12 relative. mpc.pytorch gives no bound gradients; we check ours by central differences.
const fixture = loadFixture('mpc_box_linear.json');

describe('control.mpc (linear dynamics, box) vs mpc.pytorch (mpc_box_linear.json)', () => {
  for (const inst of fixture.instances) {
    const input = {
      C: timeMajorToBatch(inst.inputs.C),
      c: timeMajorToBatch(inst.inputs.c),
      x0: tensor(inst.inputs.x_init),
      uLower: timeMajorToBatch(inst.inputs.u_lower),
      uUpper: timeMajorToBatch(inst.inputs.u_upper),
    };
    const dynamics = { F: timeMajorToBatch(inst.inputs.F), f: timeMajorToBatch(inst.inputs.f) };
    test(`${inst.id}: trajectory and convergence`, () => {
      const out = mpc({ ...input, dynamics });
      expect(out.info.status).toEqual(['converged', 'converged']);
      expect(relErr(out.x, timeMajorToBatch(inst.outputs.x))).toBeLessThan(1e-9);
      expect(relErr(out.u, timeMajorToBatch(inst.outputs.u))).toBeLessThan(1e-9);
      expect(Math.max(...out.info.residual)).toBeLessThanOrEqual(1e-10);
    });
    test(`${inst.id}: implicit VJP of C, c, F, f, x0`, () => {
      const { pullback } = vjp(
        (C: Tensor, c: Tensor, F: Tensor, f: Tensor, x0: Tensor) => {
          const { x, u } = mpc({ ...input, C, c, x0, dynamics: { F, f } });
          return { x, u };
        },
        input.C,
        input.c,
        dynamics.F,
        dynamics.f,
        input.x0,
      );
      const [gC, gc, gF, gf, gx0] = pullback({ x: timeMajorToBatch(inst.cotangent.x), u: timeMajorToBatch(inst.cotangent.u) });
      // Reference VJP is accurate to ~1e-12 relative (see above); ours is exact at our fixed point.
      expect(relErr(gC, timeMajorToBatch(inst.vjp.C))).toBeLessThan(1e-8);
      expect(relErr(gc, timeMajorToBatch(inst.vjp.c))).toBeLessThan(1e-8);
      expect(relErr(gF, timeMajorToBatch(inst.vjp.F))).toBeLessThan(1e-8);
      expect(relErr(gf, timeMajorToBatch(inst.vjp.f))).toBeLessThan(1e-8);
      expect(relErr(gx0, tensor(inst.vjp.x_init))).toBeLessThan(1e-8);
    });
  }
});
