// Oracle: ../../../../shared/fixtures/sinkhorn.json (copied to ./fixtures/sinkhorn.json), produced
// by POT 0.8.2 (ot.sinkhorn / ot.sinkhorn2, stopThr 1e-13) with gradients from torch autograd
// through a log-domain Sinkhorn run to an L1 column error < 1e-13; see the file's `reference`
// and `checks`. POT's plan agrees with that solver to ≤ 5.6e-15 and its gradients with FD to
// ~1e-11, so 1e-9 is a real test. Gradients for a and b are centred on both sides.
import { readFileSync } from 'node:fs';
import { Tensor, tensor, vjp, zeros } from '@argmin/autodiff';
import { describe, expect, test } from 'vitest';
import { sinkhorn } from '../../src/sinkhorn/node.js';

interface SinkhornInstance {
  id: string;
  inputs: { a: number[]; b: number[]; M: number[][]; reg: number };
  outputs: { P: number[][]; reg_value: number; f_centered: number[]; g_centered: number[] };
  grad_reg_value: { M: number[][]; a_centered: number[]; b_centered: number[] };
  cotangent: { P: number[][] };
  vjp_plan: { M: number[][]; a_centered: number[]; b_centered: number[] };
}
const fixture = JSON.parse(readFileSync(new URL('./fixtures/sinkhorn.json', import.meta.url), 'utf8')) as { instances: SinkhornInstance[] };

function maxAbsDiff(a: Tensor | Float64Array, b: number | number[] | number[][]): number {
  const flat = typeof b === 'number' ? [b] : (b as number[]).flat();
  const data = a instanceof Tensor ? a.data : a;
  return Math.max(...Array.from(data, (v, i) => Math.abs(v - flat[i]!)));
}

function centred(t: Tensor): Float64Array {
  const mean = t.data.reduce((s, v) => s + v, 0) / t.size;
  return t.data.map((v) => v - mean);
}

const TOL = 1e-9;

describe('convex.sinkhorn against POT', () => {
  for (const inst of fixture.instances) {
    const params = { a: tensor(inst.inputs.a), b: tensor(inst.inputs.b), C: tensor(inst.inputs.M) };
    const options = { epsilon: inst.inputs.reg, tol: 1e-14 };

    test(`${inst.id}: plan, potentials and value`, () => {
      const out = sinkhorn(params, options);
      expect(out.info.status).toEqual(['converged']);
      expect(maxAbsDiff(out.plan, inst.outputs.P)).toBeLessThanOrEqual(TOL);
      expect(maxAbsDiff(centred(out.f), inst.outputs.f_centered)).toBeLessThanOrEqual(TOL);
      expect(maxAbsDiff(centred(out.g), inst.outputs.g_centered)).toBeLessThanOrEqual(TOL);
      expect(Math.abs(out.value.item() - inst.outputs.reg_value)).toBeLessThanOrEqual(TOL);
      // The gauge of the returned potentials.
      expect(
        Math.abs(out.f.data.reduce((s, v) => s + v, 0) / out.f.size - out.g.data.reduce((s, v) => s + v, 0) / out.g.size),
      ).toBeLessThanOrEqual(1e-12);
    });

    for (const strategy of ['implicit', 'unroll'] as const) {
      test(`${inst.id}: ${strategy} gradients of the value and of the plan`, () => {
        // Unrolled gradients converge at the rate of the iterations: three times the steps the
        // forward needs to reach 1e-14 is plenty (and unrolling always runs them all).
        const steps = 3 * sinkhorn(params, options).info.iterations[0]! + 20;
        const run = (p: typeof params) => {
          const out = sinkhorn(p, { ...options, strategy, ...(strategy === 'unroll' ? { maxIter: steps } : {}) });
          return [out.plan, out.value];
        };
        const { pullback } = vjp(run, params);
        const [gv] = pullback([zeros(params.C.shape), tensor(1)]) as [typeof params];
        expect(maxAbsDiff(gv.C, inst.grad_reg_value.M)).toBeLessThanOrEqual(TOL);
        expect(maxAbsDiff(centred(gv.a), inst.grad_reg_value.a_centered)).toBeLessThanOrEqual(TOL);
        expect(maxAbsDiff(centred(gv.b), inst.grad_reg_value.b_centered)).toBeLessThanOrEqual(TOL);
        const [gp] = pullback([tensor(inst.cotangent.P), tensor(0)]) as [typeof params];
        expect(maxAbsDiff(gp.C, inst.vjp_plan.M)).toBeLessThanOrEqual(TOL);
        expect(maxAbsDiff(centred(gp.a), inst.vjp_plan.a_centered)).toBeLessThanOrEqual(TOL);
        expect(maxAbsDiff(centred(gp.b), inst.vjp_plan.b_centered)).toBeLessThanOrEqual(TOL);
      });
    }
  }
});
