// With polish: false, a converged program with curved cones is still differentiated through the
// embedding's residual map, at the interior point's own iterate (src/cone/solve.ts). The KKT
// matrix at that iterate, used before, is not a derivative: its H spans μ to 1/μ inside one
// block, and on a nearest-correlation SDP its gradient was 40% off at every tolerance tried.
import { Rng, Tensor, vjp } from '@argmin/autodiff';
import { numRuns } from '@argmin/autodiff/testing';
import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { cone } from '../../src/cone/node.js';
import type { ConeParams, ConeSpec } from '../../src/cone/problem.js';
import { nearestCorrelation } from './correlation.js';
import { arbStructuredProgram } from './programs.js';

/** ⟨∂⟨w, (x, y, s)⟩/∂(A, b, c), d⟩ through the node with the given options. */
function directional(params: ConeParams, cones: ConeSpec, opts: object, seed: number): number {
  const rng = Rng.seeded(seed);
  const { value, pullback } = vjp(
    (A: Tensor, b: Tensor, c: Tensor) => {
      const o = cone({ A, b, c }, { cones, ...opts });
      expect(o.info.status).toEqual(['converged']);
      return [o.x, o.y, o.s];
    },
    params.A!,
    params.b,
    params.c,
  );
  const grads = pullback(
    value.map(
      (t) =>
        new Tensor(
          t.data.map(() => rng.normal()),
          t.shape,
        ),
    ),
  ) as Tensor[];
  let dot = 0;
  for (const g of grads) for (let i = 0; i < g.size; i++) dot += g.data[i]! * rng.normal();
  return dot;
}

describe('the VJP of unpolished programs with curved cones', () => {
  test('a nearest-correlation SDP: as the polished (exact) gradient', () => {
    for (const seed of [1, 2, 3]) {
      const { params, cones } = nearestCorrelation(8, Rng.seeded(seed));
      const exact = directional(params, cones, {}, seed);
      const ipm = directional(params, cones, { polish: false }, seed);
      expect(Math.abs(ipm - exact)).toBeLessThan(1e-4 * Math.abs(exact));
    }
  });

  test.prop([arbStructuredProgram(), fc.integer({ min: 0, max: 1000 })], { numRuns: numRuns(20, 10_000) })(
    'random regular programs: as the polished gradient, to the accuracy of the unpolished solution',
    ({ params, cones }, seed) => {
      // How far the interior point's (x, y, s) is from the polished solution, relative to it.
      const a = cone(params, { cones });
      const b = cone(params, { cones, polish: false });
      // The unpolished interior point may stall short of tol ('max_iter', honest): no gradient to test.
      fc.pre(b.info.status[0] === 'converged');
      const exact = directional(params, cones, {}, seed);
      const ipm = directional(params, cones, { polish: false }, seed);
      let dist = 0;
      let size = 1;
      for (const k of ['x', 'y', 's'] as const)
        a[k].data.forEach((v, i) => {
          dist = Math.max(dist, Math.abs(v - b[k].data[i]!));
          size = Math.max(size, Math.abs(v));
        });
      expect(Math.abs(ipm - exact)).toBeLessThan((1e3 * (dist / size) + 1e-8) * (1 + Math.abs(exact)));
    },
  );
});
