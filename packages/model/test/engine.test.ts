import { Tensor, vjp } from '@argmin/autodiff';
import { describe, expect, test } from 'vitest';
import type { ConeEngine } from '../src/assemble.js';
import { applyData, dataPlan } from '../src/data-plan.js';
import { abs, convexLayer, entr, minimize, norm, parameter, problem, sumSquares, variable } from '../src/index.js';
import { checkVjp } from '@argmin/autodiff/testing';
import { solveProgram } from '../src/solve.js';

/**
 * The cone node's sparse data form (assemble.ts): A's values on a CSC pattern. On one compiled
 * program it must agree with dense A in the data, the solution and, through the node's VJP, the
 * gradients of the data (the polished residual-map VJP once read Aval as if it were dense).
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

  test('the same gradients of b, c and A as dense A', () => {
    expect(maxDiff(dense.g.b!.data, sparse.g.b!.data)).toBeLessThan(1e-6);
    expect(maxDiff(dense.g.c!.data, sparse.g.c!.data)).toBeLessThan(1e-6);
    expect(maxDiff(onPattern(dense.g.A!.data), sparse.g.Aval!.data)).toBeLessThan(1e-6);
  });
});

describe("engine 'auto' picks A's form from its structure", () => {
  // A chain of differences |x_{i+1} − x_i| ≤ h_i with a norm objective: 2 nonzeros per row.
  const N = 100;
  const p = parameter([N]);
  const h = parameter([N - 1]);
  const z = variable([N]);
  const chain = problem(minimize(norm(z.sub(p), 2)), [abs(z.slice(1, N).sub(z.slice(0, N - 1))).le(h)]);
  const pt = new Tensor(
    Float64Array.from({ length: N }, (_, i) => Math.sin(i / 7) * 3),
    [N],
  );
  const ht = new Tensor(new Float64Array(N - 1).fill(0.05), [N - 1]);
  const run = (engine?: ConeEngine) => {
    const layer = convexLayer(chain, { parameters: [p, h], variables: [z], ...(engine ? { engine } : {}) });
    const w = new Tensor(
      Float64Array.from({ length: N }, (_, i) => Math.cos(i)),
      [N],
    );
    const { value, pullback } = vjp((a: Tensor, b: Tensor) => layer([a, b], { tol: 1e-10 })[0]!, pt, ht);
    return { layer, z: value, g: pullback(w) as Tensor[] };
  };

  test('a large, mostly empty A goes on its pattern, with the dense path’s solution and gradients', () => {
    const auto = run();
    const dense = run({ quadratic: false, sparse: false });
    expect(auto.layer.program.sparsity?.A).toBeDefined();
    expect(dense.layer.program.sparsity?.A).toBeUndefined();
    expect(maxDiff(auto.z.data, dense.z.data)).toBeLessThan(1e-7);
    expect(maxDiff(auto.g[0]!.data, dense.g[0]!.data)).toBeLessThan(1e-6);
    expect(maxDiff(auto.g[1]!.data, dense.g[1]!.data)).toBeLessThan(1e-6);
  });

  test('a small program (the sigmoid) stays dense', () => {
    expect(convexLayer(sigmoid, { parameters: [x], variables: [y] }).program.sparsity?.A).toBeUndefined();
  });
});

describe("engine 'auto' sends a quadratic objective with curved cones to the node's P", () => {
  const N = 4;
  const p = parameter([N]);
  const z = variable([N]);
  // The projection onto the unit ball: sumSquares meets a second-order cone.
  const ball = problem(minimize(sumSquares(z.sub(p))), [norm(z, 2).le(1)]);
  const pt = new Tensor(Float64Array.from([0.9, -1.2, 0.3, 0.5]), [N]);

  test('P is emitted, the answer is the projection, and the gradient matches central differences', () => {
    const layer = convexLayer(ball, { parameters: [p], variables: [z] });
    expect(layer.program.segments.some((s) => s.name === 'Pval' || s.name === 'P')).toBe(true);
    const norm0 = Math.hypot(...pt.data);
    const zt = layer([pt], { tol: 1e-10 })[0]!;
    zt.data.forEach((v, i) => expect(v).toBeCloseTo(pt.data[i]! / norm0, 9));
    checkVjp((a: Tensor) => layer([a], { tol: 1e-10 })[0]!, [pt], { rtol: 1e-6, atol: 1e-8 });
  });
});
