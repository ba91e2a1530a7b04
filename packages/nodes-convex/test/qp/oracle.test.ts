// Oracle: ./fixtures/qp_dense.json (a copy of /work/shared/fixtures/qp_dense.json; see
// ./fixtures/README.md): qpth 0.0.18 solutions and VJPs, with an exact active-set solution and
// VJP (z_activeset, vjp_activeset) from an independent torch implementation.
import { readFileSync } from 'node:fs';
import { Tensor, tensor, vjp } from '@argmin/autodiff';
import { stackBatch } from '@argmin/autodiff/extend';
import { describe, expect, test } from 'vitest';
import { qp, type QpParams } from '../../src/qp/node.js';

type Nested = number[] | number[][] | number[][][];
type Keyed = Record<'Q' | 'p' | 'G' | 'h' | 'A' | 'b', Nested>;
interface QpInstance {
  id: string[];
  sizes: { batch: number; n: number; nineq: number; neq: number };
  inputs: Keyed;
  outputs: Record<'z' | 'lam' | 'nu' | 'slack', Nested>;
  cotangent: { z: Nested };
  vjp: Keyed;
  z_activeset: Nested;
  vjp_activeset: Keyed;
}
const fixture = JSON.parse(readFileSync(new URL('./fixtures/qp_dense.json', import.meta.url), 'utf8')) as { instances: QpInstance[] };
const KEYS = ['Q', 'p', 'G', 'h', 'A', 'b'] as const;

const paramsOf = (inst: QpInstance): QpParams => Object.fromEntries(KEYS.map((k) => [k, tensor(inst.inputs[k])])) as QpParams;

/** ‖a − b‖∞ / max(‖b‖∞, 1e-300). */
function relErr(a: Tensor, b: Nested): number {
  const flat = (b as number[]).flat(2) as number[];
  let diff = 0;
  let scale = 1e-300;
  flat.forEach((v, i) => {
    diff = Math.max(diff, Math.abs(a.data[i]! - v));
    scale = Math.max(scale, Math.abs(v));
  });
  return diff / scale;
}

function maxAbsDiff(a: Tensor, b: Nested): number {
  const flat = (b as number[]).flat(2) as number[];
  return Math.max(...flat.map((v, i) => Math.abs(a.data[i]! - v)));
}

/** The VJP of z for the fixture's cotangent, by the given strategy. */
function zVjp(params: QpParams, cot: Tensor, options: Parameters<typeof qp>[1] = {}): Record<string, Tensor> {
  const { pullback } = vjp((p: QpParams) => {
    const out = qp(p, options);
    expect(out.info.status.every((s) => s === 'converged')).toBe(true);
    return out.z;
  }, params);
  return pullback(cot)[0] as Record<string, Tensor>;
}

describe('convex.qp against qpth and an exact active-set solution', () => {
  for (const inst of fixture.instances) {
    const name = inst.id[0]!;
    test(`${name}: z, λ, ν, slack to 1e-8`, () => {
      const out = qp(paramsOf(inst));
      expect(out.info.status).toEqual(['converged']);
      expect(maxAbsDiff(out.z, inst.z_activeset)).toBeLessThanOrEqual(1e-8);
      expect(maxAbsDiff(out.z, inst.outputs.z)).toBeLessThanOrEqual(1e-8);
      for (const key of ['lam', 'nu', 'slack'] as const) expect(maxAbsDiff(out[key], inst.outputs[key]), key).toBeLessThanOrEqual(1e-8);
    });

    test(`${name}: the implicit VJP matches the exact active-set VJP to 1e-8 and qpth's to 1e-6`, () => {
      const g = zVjp(paramsOf(inst), tensor(inst.cotangent.z));
      for (const key of KEYS) {
        expect(relErr(g[key]!, inst.vjp_activeset[key]), `${key} vs active set`).toBeLessThanOrEqual(1e-8);
        expect(relErr(g[key]!, inst.vjp[key]), `${key} vs qpth`).toBeLessThanOrEqual(1e-6);
      }
    });

    test(`${name}: without polishing, the interior-point solution and OptNet VJP agree too`, () => {
      const out = qp(paramsOf(inst), { polish: false });
      expect(maxAbsDiff(out.z, inst.z_activeset)).toBeLessThanOrEqual(1e-8);
      const g = zVjp(paramsOf(inst), tensor(inst.cotangent.z), { polish: false });
      // The interior derivative takes D = λ/s at the final iterate rather than its 0/∞ limits;
      // at the final complementarity (~1e-12) that costs up to 3e-9 relative on these instances.
      for (const key of KEYS) expect(relErr(g[key]!, inst.vjp_activeset[key]), key).toBeLessThanOrEqual(1e-8);
    });
  }

  test('a batch of the fixture instances (n = 5 and n = 20, pairwise) matches element by element', () => {
    for (const [i, j] of [
      [0, 1],
      [2, 3],
    ] as const) {
      const [a, b] = [fixture.instances[i]!, fixture.instances[j]!];
      const params = Object.fromEntries(
        KEYS.map((k) => [
          k,
          stackBatch(
            [tensor(a.inputs[k]).data, tensor(b.inputs[k]).data].map(
              (d, e) => new Tensor(d, tensor((e === 0 ? a : b).inputs[k]).shape.slice(1)),
            ),
          ),
        ]),
      ) as QpParams;
      const cot = stackBatch([a, b].map((x) => new Tensor(tensor(x.cotangent.z).data, [x.sizes.n])));
      const out = qp(params);
      const g = zVjp(params, cot);
      [a, b].forEach((x, e) => {
        expect(
          maxAbsDiff(new Tensor(out.z.data.subarray(e * x.sizes.n, (e + 1) * x.sizes.n), [x.sizes.n]), x.z_activeset),
        ).toBeLessThanOrEqual(1e-8);
        for (const key of KEYS) {
          const ge = g[key]!;
          const per = ge.size / 2;
          expect(
            relErr(new Tensor(ge.data.subarray(e * per, (e + 1) * per), ge.shape.slice(1)), x.vjp_activeset[key]),
            key,
          ).toBeLessThanOrEqual(1e-8);
        }
      });
    }
  });

  test('the unrolled VJP agrees with the active-set VJP (n = 5)', () => {
    for (const inst of fixture.instances.slice(0, 2)) {
      const g = zVjp(paramsOf(inst), tensor(inst.cotangent.z), { strategy: 'unroll' });
      for (const key of KEYS) expect(relErr(g[key]!, inst.vjp_activeset[key]), key).toBeLessThanOrEqual(1e-9);
    }
  });
});
