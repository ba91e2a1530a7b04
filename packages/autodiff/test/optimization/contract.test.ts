import { describe, expect, test } from 'vitest';
import { Tensor, mul, sub, vjp, type SolveStatus } from '../../src/index.js';
import { defineNode } from '../../src/extend.js';
import { applyNode } from '../../src/optimization/apply.js';
import { arbTensor, nodeContract, numRuns, type ContractProperty } from '../../src/testing/index.js';

// The node contract must be able to fail: each broken node below violates one property, and
// that property (and only a property about it) must reject it, while a correct node passes all.

const converged = (n = 1) => ({
  status: Array<SolveStatus>(n).fill('converged'),
  iterations: Array(n).fill(1),
  residual: Array(n).fill(0),
});
const params = arbTensor([3], { min: 0.5, max: 2 }).map((x) => ({ x }));
const runAll = (properties: ContractProperty[]) =>
  properties.map(({ name, run }) => {
    try {
      run();
      return { name, error: null };
    } catch (e) {
      // fast-check wraps the failing assertion as the cause of its report.
      return { name, error: `${String(e)}\n${String((e as { cause?: unknown }).cause ?? '')}` };
    }
  });

describe('the node contract fails for broken nodes', () => {
  // y = 2x, fully specified: the reference that passes everything.
  const doubling = defineNode<{ x: Tensor }, { y: Tensor }>({
    name: 'test.doubling',
    signature: { params: { x: 1 }, solution: { y: 1 } },
    solve: ({ x }) => ({
      solution: {
        y: new Tensor(
          x.data.map((v) => 2 * v),
          x.shape,
        ),
      },
      info: converged(x.ndim > 1 ? x.shape[0] : 1),
    }),
    optimality: ({ x }, { y }) => sub(y, mul(x, 2)),
    step: { defaultSteps: 2, init: ({ x }) => ({ y: mul(x, 0) }), update: ({ x }) => ({ y: mul(x, 2) }) },
  });

  test('a correct node passes every property', () => {
    const results = runAll(nodeContract(doubling, { params, numRuns: 10, fullRuns: 10 }));
    expect(results.map((r) => r.name)).toContain("'solve' passes no gradient back");
    expect(results.filter((r) => r.error !== null)).toEqual([]);
  });

  // A projection with the common shortcut "already feasible: return the input". The output is
  // then the caller's own tracked tensor, so the tape routes the cotangent straight into x even
  // under 'solve', which promises zero gradients.
  const leaky = defineNode<{ x: Tensor }, { y: Tensor }>({
    name: 'test.leaky-projection',
    signature: { params: { x: 1 }, solution: { y: 1 } },
    solve: ({ x }) => ({
      solution: {
        y: x.data.every((v) => v >= 0)
          ? x
          : new Tensor(
              x.data.map((v) => Math.max(v, 0)),
              x.shape,
            ),
      },
      info: converged(x.ndim > 1 ? x.shape[0] : 1),
    }),
  });

  test("'solve' leaking a gradient fails the contract's 'solve' property", () => {
    const results = runAll(nodeContract(leaky, { params, numRuns: 10, fullRuns: 10 }));
    const solve = results.find((r) => r.name === "'solve' passes no gradient back");
    expect(solve?.error).toMatch(/'solve' leaked a gradient into 'x'/);
    // The property it replaces pulled back a null cotangent, which is zero whatever the node does.
    const p = { x: new Tensor(Float64Array.of(1, 2, 3), [3]) };
    const [g] = vjp((q: typeof p) => [applyNode(leaky, q, { strategy: 'solve' }).y], p).pullback([null]) as [typeof p];
    expect(Array.from(g.x.data)).toEqual([0, 0, 0]);
  });

  // A simplex output (y = x/Σx on positive x) whose VJP is NaN where the input has ties, except
  // that it returns zeros early when the centred cotangent is zero — which an all-ones cotangent
  // always is on a simplex. Only a random cotangent reaches the NaN.
  const normalize = (x: Tensor) => {
    const s = x.data.reduce((a, b) => a + b, 0);
    return new Tensor(
      x.data.map((v) => v / s),
      x.shape,
    );
  };
  const tieBlind = defineNode<{ x: Tensor }, { y: Tensor }>({
    name: 'test.tie-blind-simplex',
    signature: { params: { x: 1 }, solution: { y: 1 } },
    solve: ({ x }) => ({ solution: { y: normalize(x) }, info: converged() }),
    vjp: ({ x }, { solution: { y } }, { y: c }) => {
      const s = x.data.reduce((a, b) => a + b, 0);
      const cy = c!.data.reduce((a, v, i) => a + v * y.data[i]!, 0);
      const centred = c!.data.map((v) => v - cy);
      if (centred.every((v) => Math.abs(v) < 1e-15)) return { x: new Tensor(new Float64Array(x.size), x.shape) };
      const spread = Math.max(...x.data) - Math.min(...x.data); // 0 at a full tie: the defect
      return {
        x: new Tensor(
          centred.map((v) => (v / s) * (spread / spread)),
          x.shape,
        ),
      };
    },
  });

  test('a NaN gradient at a degenerate input fails the degenerate-input property, which an all-ones cotangent missed', () => {
    const tie = { x: new Tensor(Float64Array.of(1, 1, 1), [3]) };
    const results = runAll(nodeContract(tieBlind, { params, numRuns: 5, fullRuns: 5, strategies: ['implicit'], degenerate: [tie] }));
    const degenerate = results.find((r) => r.name.startsWith('degenerate valid inputs'));
    expect(degenerate?.error).toMatch(/non-finite gradient for parameter 'x'/);
    // The all-ones cotangent the property used before: centred to zero, so the NaN never shows.
    const ones = new Tensor(Float64Array.of(1, 1, 1), [3]);
    const [g] = vjp((q: typeof tie) => [applyNode(tieBlind, q).y], tie).pullback([ones]) as [typeof tie];
    expect(g.x.data.every(Number.isFinite)).toBe(true);
  });

  test('the properties run fc.assert with the tier’s number of runs, the full tier sharing the contract’s cases', () => {
    let calls = 0;
    const counting = defineNode<{ x: Tensor }, { y: Tensor }>({
      ...doubling,
      name: 'test.counting',
      solve: (...args: Parameters<typeof doubling.solve>) => (calls++, doubling.solve(...args)),
    });
    const properties = nodeContract(counting, { params, numRuns: 7, fullRuns: 700 });
    const same = properties.find((r) => r.name === 'the same input gives the same output')!;
    same.run();
    // 7 runs in the fast tier; in the full tier the contract's 700 cases, shared by its random
    // properties (all but the degenerate-input one, absent here), unless FULL_RUNS sets the count.
    expect(calls).toBe(2 * numRuns(7, Math.ceil(700 / properties.length)));
  });
});
