import { vjp, type Tensor } from '@argmin/autodiff';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { lqr } from '../../src/lqr/node.js';
import { mpc } from '../../src/mpc/node.js';
import { arbLqr } from '../helpers/arbitraries.js';
import { relErr } from '../helpers/fixtures.js';

describe('MPC without binding bounds is LQR', () => {
  const instances = fc.sample(arbLqr({ T: 6, ns: 3, nc: 2 }), { numRuns: 4, seed: 9 });
  test('no bounds, or bounds far away: same trajectory and same VJP as lqr', () => {
    for (const p of instances) {
      const cot = { x: lqr(p).x, u: lqr(p).u };
      const viaLqr = vjp((q: typeof p) => {
        const o = lqr(q);
        return { x: o.x, u: o.u };
      }, p);
      for (const bounds of [{}, { uLower: -1e3, uUpper: 1e3 }]) {
        const viaMpc = vjp(
          (C: Tensor, c: Tensor, F: Tensor, f: Tensor, x0: Tensor) => {
            const o = mpc({ C, c, x0, dynamics: { F, f }, ...bounds });
            expect(o.info.status).toEqual(['converged']);
            return { x: o.x, u: o.u };
          },
          p.C,
          p.c,
          p.F,
          p.f,
          p.x0,
        );
        expect(relErr(viaMpc.value.u, viaLqr.value.u)).toBeLessThan(1e-10);
        const [gL] = viaLqr.pullback(cot);
        const gM = viaMpc.pullback(cot);
        ['C', 'c', 'F', 'f', 'x0'].forEach((k, i) => expect(relErr(gM[i]!, (gL as Record<string, Tensor>)[k]!)).toBeLessThan(1e-9));
      }
    }
  });
});
