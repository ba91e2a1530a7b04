import { Tensor, createRuntime, grad } from '@argmin/autodiff';
import { stackBatch } from '@argmin/autodiff/extend';
import { checkVjp } from '@argmin/autodiff/testing';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { controlPlugin } from '../../src/index.js';
import { lqr } from '../../src/lqr/node.js';
import { linearRollout, lqrObjective } from '../../src/lqr/objective.js';
import { arbLqr } from '../helpers/arbitraries.js';

const instances = fc.sample(arbLqr({ T: 4, ns: 3, nc: 2 }), { numRuns: 3, seed: 5 });

describe('lqrObjective and linearRollout (ops, for amortization)', () => {
  test('the rollout of the LQR controls is the LQR state trajectory', () => {
    for (const p of instances) {
      const out = lqr(p);
      const x = linearRollout(p, out.u);
      x.data.forEach((v, i) => expect(v).toBeCloseTo(out.x.data[i]!, 12));
    }
  });
  test('∇_u J(rollout(u), u) vanishes at the LQR solution and not elsewhere', () => {
    for (const p of instances) {
      const J = (u: Tensor) => lqrObjective(p, { x: linearRollout(p, u), u });
      const { u } = lqr(p);
      const g = grad(J)(u) as Tensor;
      expect(Math.max(...Array.from(g.data, Math.abs))).toBeLessThan(1e-12);
      const moved = grad(J)(shift(u)) as Tensor;
      expect(Math.max(...Array.from(moved.data, Math.abs))).toBeGreaterThan(1e-3);
    }
  });
  test('batched and shared parameters, and its VJP by central differences', () => {
    const [a, b] = instances as [(typeof instances)[0], (typeof instances)[0]];
    const { x, u } = lqr({ ...a, c: stack2(a.c, b.c) });
    const J = lqrObjective({ C: a.C, c: stack2(a.c, b.c) }, { x, u });
    expect(J.shape).toEqual([2]);
    checkVjp((C: Tensor, c: Tensor, xx: Tensor, uu: Tensor) => lqrObjective({ C, c }, { x: xx, u: uu }), [a.C, stack2(a.c, b.c), x, u]);
  });
  test('controlPlugin builds a runtime that knows its nodes and ops', () => {
    const rt = createRuntime({ plugins: [controlPlugin] });
    for (const name of ['control.lqr', 'control.mpc']) expect(rt.node(name)?.name).toBe(name);
    // The dynamics' sin and cos are core ops: the runtime has them without the plugin declaring them.
    for (const name of ['sin', 'cos']) expect(rt.op(name)?.name).toBe(name);
    expect(controlPlugin.ops ?? []).toEqual([]);
  });
});

const shift = (u: Tensor): Tensor =>
  new Tensor(
    u.data.map((v) => v + 0.1),
    u.shape,
  );
const stack2 = (a: Tensor, b: Tensor): Tensor => stackBatch([a, b]);
