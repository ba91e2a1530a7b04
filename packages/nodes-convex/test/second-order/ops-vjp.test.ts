import { Rng, Tensor, randn, randu } from '@argmin/autodiff';
import { solveNode } from '@argmin/autodiff/extend';
import { describe, expect, test } from 'vitest';
import { lmlNode } from '../../src/lml/node.js';
import { lmlVjp, lmlVjpOps } from '../../src/lml/vjp.js';
import { sinkhornNode } from '../../src/sinkhorn/node.js';
import { sinkhornVjp, sinkhornVjpOps } from '../../src/sinkhorn/vjp.js';

/**
 * The VJPs written with ops (run when a node's gradient is differentiated again) are the same
 * maps as the raw kernels of the first-order gradient: batched, with shared parameters, every
 * cotangent given.
 */
function distance(a: Tensor, b: Tensor): number {
  let d = 0;
  let s = 0;
  a.data.forEach((v, i) => {
    d = Math.max(d, Math.abs(v - b.data[i]!));
    s = Math.max(s, Math.abs(v));
  });
  return d / s;
}

function normalizedRows(B: number, n: number, rng: Rng): Tensor {
  const t = randu([B, n], rng);
  const d = t.data.map((v) => v + 0.2);
  for (let r = 0; r < B; r++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += d[r * n + i]!;
    for (let i = 0; i < n; i++) d[r * n + i]! /= s;
  }
  return new Tensor(d, [B, n]);
}

describe('VJPs with ops equal the raw ones', () => {
  test('sinkhorn: batched marginals, a shared cost', () => {
    const rng = Rng.seeded(8);
    const [B, n, m] = [3, 4, 5];
    const params = { a: normalizedRows(B, n, rng), b: normalizedRows(B, m, rng), C: randu([n, m], rng) };
    const options = { epsilon: 0.3, tol: 1e-13 };
    const { solution } = solveNode(sinkhornNode, params, options);
    const cot = { plan: randn([B, n, m], rng), f: randn([B, n], rng), g: randn([B, m], rng), value: randn([B], rng) };
    const raw = sinkhornVjp(params, { batch: B, n, m }, 0.3, solution, cot, {});
    const ops = sinkhornVjpOps(params, 0.3, solution, cot);
    for (const k of ['a', 'b', 'C'] as const) expect(distance(ops[k], raw[k]), k).toBeLessThan(1e-10);
  });

  test('lml: batched rows, both cotangents, a saturated row', () => {
    const rng = Rng.seeded(9);
    const x = new Tensor(Float64Array.from([...randn([2, 4], rng).data, 40, -40, 3, -3]), [3, 4]);
    const { solution } = solveNode(lmlNode, { x }, { k: 1 });
    const yBar = randn([3, 4], rng);
    const nuBar = randn([3], rng);
    const raw = lmlVjp(solution.y, yBar, nuBar, { x, nu: solution.nu });
    expect(distance(lmlVjpOps(x, solution.nu, yBar, nuBar), raw)).toBeLessThan(1e-12);
  });
});
