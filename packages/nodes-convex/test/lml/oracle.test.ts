// Oracle: ../../../../shared/fixtures/lml.json (copied to ./fixtures/lml.json), produced by
// locuslab/lml (commit cf8251e, eps = 1e-12, n_iter = 100) in float64; see that file's
// `reference` and `checks` fields. Its Σy − k is ≤ 7.6e-13 and its VJP equals the closed form
// to 6e-17, so 1e-9 leaves room only for genuine disagreement.
import { readFileSync } from 'node:fs';
import { type Tensor, tensor, vjp, zeros } from '@argmin/autodiff';
import { describe, expect, test } from 'vitest';
import { lmlSolve } from '../../src/lml/node.js';

interface LmlInstance {
  id: string;
  sizes: { n: number; k: number; batch: number };
  inputs: { x: number[][]; k: number };
  outputs: { y: number[][]; nu: number[] };
  cotangent: { y: number[][] };
  vjp: { x: number[][] };
}
const fixture = JSON.parse(readFileSync(new URL('./fixtures/lml.json', import.meta.url), 'utf8')) as { instances: LmlInstance[] };

function maxAbsDiff(a: Tensor, b: number[] | number[][]): number {
  const flat = (b as number[]).flat();
  return Math.max(...Array.from(a.data, (v, i) => Math.abs(v - flat[i]!)));
}

describe('convex.lml against locuslab/lml', () => {
  for (const inst of fixture.instances) {
    test(`${inst.id}: y, ν and the VJP to 1e-9`, () => {
      const x = tensor(inst.inputs.x);
      const { value, pullback } = vjp((xx: Tensor) => {
        const out = lmlSolve(xx, { k: inst.inputs.k });
        expect(out.info.status.every((s) => s === 'converged')).toBe(true);
        return [out.y, out.nu];
      }, x);
      expect(maxAbsDiff(value[0]!, inst.outputs.y)).toBeLessThanOrEqual(1e-9);
      expect(maxAbsDiff(value[1]!, inst.outputs.nu)).toBeLessThanOrEqual(1e-9);
      const [gx] = pullback([tensor(inst.cotangent.y), zeros([inst.sizes.batch])]) as [Tensor];
      expect(maxAbsDiff(gx, inst.vjp.x)).toBeLessThanOrEqual(1e-9);
    });

    test(`${inst.id}: the unrolled VJP agrees too`, () => {
      const x = tensor(inst.inputs.x);
      const { pullback } = vjp((xx: Tensor) => lmlSolve(xx, { k: inst.inputs.k }, { strategy: 'unroll' }).y, x);
      expect(maxAbsDiff(pullback(tensor(inst.cotangent.y))[0] as Tensor, inst.vjp.x)).toBeLessThanOrEqual(1e-9);
    });
  }
});
