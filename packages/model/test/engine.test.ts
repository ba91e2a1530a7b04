import { Tensor, vjp } from '@argmin/autodiff';
import { describe, expect, test } from 'vitest';
import type { ConeEngine } from '../src/assemble.js';
import { applyData, dataPlan } from '../src/data-plan.js';
import { convexLayer, entr, minimize, parameter, problem, variable } from '../src/index.js';
import { solveProgram } from '../src/solve.js';

/**
 * The cone node's sparse data form, which the compiler emits on request (assemble.ts): A's values
 * on a CSC pattern. On one compiled program it must agree with the default dense A in the data,
 * the solution and, through the node's VJP, the gradients of the data. The gradient check is an
 * expected failure today (the node's VJP through Aval disagrees with its VJP through dense A,
 * whose gradients match the talks' closed forms); when it starts passing, sparse A can become the
 * default and this a plain test. (The quadratic term P, the other opt-in form, is shown by
 * flipping `quadratic` in coneEngine: the talks' and property tests fail their gradient checks.)
 */
const n = 4;
const x = parameter([n]);
const y = variable([n]);
// The talks' sigmoid: 12 variables, 8 exponential cones.
const sigmoid = problem(
  minimize(
    x
      .dot(y)
      .neg()
      .sub(entr(y).sum())
      .sub(entr(y.neg().add(1)).sum()),
  ),
);
const xt = new Tensor(Float64Array.from([0.3, -1.2, 2.0, 0.1]), [n]);
const opts = { tol: 1e-12 };

function solveWith(engine: ConeEngine) {
  const layer = convexLayer(sigmoid, { parameters: [x], variables: [y], engine });
  const p = layer.program;
  const seg = applyData(dataPlan(p.map, p.segments, p.theta), [xt], [false], null);
  const { value, pullback } = vjp((s: Record<string, Tensor>) => solveProgram(p, s, opts).x, seg);
  const cot = new Tensor(
    Float64Array.from({ length: value.size }, (_, i) => Math.sin(i + 1)),
    value.shape,
  );
  const [g] = pullback(cot) as [Record<string, Tensor>];
  return { program: p, seg, x: value, g };
}
const maxDiff = (a: Float64Array, b: Float64Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);

describe('sparse A on the cone node', () => {
  const dense = solveWith({ quadratic: false, sparse: false });
  const sparse = solveWith({ quadratic: false, sparse: true });
  const pattern = sparse.program.sparsity!.A!;
  /** Dense A's entries (or its gradient's) at the pattern's positions, in Aval's order. */
  const onPattern = (d: Float64Array) => {
    const out = new Float64Array(pattern.colPtr[pattern.ncols]!);
    for (let j = 0; j < pattern.ncols; j++)
      for (let q = pattern.colPtr[j]!; q < pattern.colPtr[j + 1]!; q++) out[q] = d[pattern.rowIdx[q]! * pattern.ncols + j]!;
    return out;
  };

  test('the same data and the same solution as dense A', () => {
    expect(maxDiff(onPattern(dense.seg.A!.data), sparse.seg.Aval!.data)).toBe(0);
    expect(maxDiff(dense.x.data, sparse.x.data)).toBeLessThan(1e-9);
  });

  test.fails('the same gradients of b, c and A as dense A (the node’s Aval VJP disagrees today)', () => {
    expect(maxDiff(dense.g.b!.data, sparse.g.b!.data)).toBeLessThan(1e-6);
    expect(maxDiff(dense.g.c!.data, sparse.g.c!.data)).toBeLessThan(1e-6);
    expect(maxDiff(onPattern(dense.g.A!.data), sparse.g.Aval!.data)).toBeLessThan(1e-6);
  });
});
