import { describe, expect, it } from 'vitest';
import { test } from '@fast-check/vitest';
import fc from 'fast-check';
import { InvalidInputError, ShapeError, Tensor, grad, mul, tensor, vjp } from '@argmin/autodiff';
import { arbSpd, arbTensor, checkVjp, numRuns } from '@argmin/autodiff/testing';
import { sum } from '../src/ops/reduce.js';
import { cholesky, matmul, matmulT, quadForm, solve, triangularSolve } from '../src/ops/linalg.js';
import { maxAbsDiff, refMatmul } from './kernels/reference.js';

const dim = fc.integer({ min: 1, max: 4 });

/** ⟨x, c⟩ as a scalar tensor: turns any op into a scalar loss with a fixed random weighting. */
const weighted = (x: Tensor, c: Tensor): Tensor => sum(mul(x, c));

function symmetricTangent(t: Tensor): Tensor {
  const n = t.shape[t.ndim - 1]!;
  return new Tensor(
    t.data.map((_, idx) => {
      const o = idx - (idx % (n * n));
      const i = Math.floor((idx - o) / n);
      const j = (idx - o) % n;
      return 0.5 * (t.data[o + i * n + j]! + t.data[o + j * n + i]!);
    }),
    t.shape,
  );
}

describe('matmul', () => {
  test.prop([fc.tuple(dim, dim, dim, dim, dim).chain(([b, c, m, k, n]) => fc.tuple(arbTensor([b, 1, m, k]), arbTensor([c, k, n])))], {
    numRuns: numRuns(),
  })('broadcasts batch dimensions like NumPy', ([a, b]) => {
    const out = matmul(a, b);
    const [bb, , m, k] = a.shape as [number, number, number, number];
    const [cc, , n] = b.shape as [number, number, number];
    expect(out.shape).toEqual([bb, cc, m, n]);
    for (let i = 0; i < bb; i++)
      for (let j = 0; j < cc; j++) {
        const ref = refMatmul(a.data.subarray(i * m * k, (i + 1) * m * k), b.data.subarray(j * k * n, (j + 1) * k * n), m, k, n);
        expect(maxAbsDiff(out.data.subarray((i * cc + j) * m * n, (i * cc + j + 1) * m * n), ref)).toBeLessThan(1e-12);
      }
  });

  it('promotes 1-D operands and removes the promoted axis', () => {
    const v = tensor([1, 2]);
    const m = tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(matmul(v, v).shape).toEqual([]);
    expect(matmul(v, v).item()).toBe(5);
    expect(matmul(v, m).toArray()).toEqual([9, 12, 15]);
    expect(
      matmul(
        tensor([
          [1, 2],
          [3, 4],
        ]),
        v,
      ).toArray(),
    ).toEqual([5, 11]);
    const batch = tensor(new Float64Array(3 * 2 * 3).fill(1), [3, 2, 3]);
    expect(matmul(batch, tensor([1, 1, 1])).shape).toEqual([3, 2]);
    expect(matmul(v, batch).shape).toEqual([3, 3]);
  });

  it('names the op, the inputs and their shapes in shape errors', () => {
    expect(() => matmul(tensor([[1, 2, 3]]), tensor([[1, 2]]))).toThrow(ShapeError);
    expect(() => matmul(tensor([[1, 2, 3]]), tensor([[1, 2]]))).toThrow(
      "matmul: inner dimensions differ: op(a) of input 'a' (shape [1,3]) has 3 columns but op(b) of input 'b' (shape [1,2]) has 1 rows",
    );
    expect(() => matmul(tensor(2), tensor([1]))).toThrow(/matmul: inputs must be at least 1-D, got 'a' of shape \[\]/);
    expect(() => matmul(tensor(new Array(8).fill(1), [2, 2, 2]), tensor(new Array(12).fill(1), [3, 2, 2]))).toThrow(
      /matmul: shapes \[2\] and \[3\] cannot be broadcast/,
    );
  });

  it('gives a weight shared by a batch the sum of the per-example gradients', () => {
    const x = tensor([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], [3, 2, 2]);
    const w = tensor([
      [0.5, -1],
      [2, 0.25],
    ]);
    const c = tensor([1, -1, 2, 0.5, 0, 3, -2, 1, 1, 1, 0.5, -0.5], [3, 2, 2]);
    const gw = grad((w: Tensor) => weighted(matmul(x, w), c))(w) as Tensor;
    let expected = new Float64Array(4);
    for (let b = 0; b < 3; b++) {
      const xb = new Tensor(x.data.slice(4 * b, 4 * b + 4), [2, 2]);
      const cb = new Tensor(c.data.slice(4 * b, 4 * b + 4), [2, 2]);
      const g = grad((w: Tensor) => weighted(matmul(xb, w), cb))(w) as Tensor;
      expected = expected.map((v, i) => v + g.data[i]!);
    }
    expect(maxAbsDiff(gw.data, expected)).toBeLessThan(1e-12);
  });
});

describe('solve', () => {
  it('accepts a vector, a batch of vectors (shaped exactly like A without its last axis) or a matrix', () => {
    const a = tensor([
      [2, 0],
      [0, 4],
    ]);
    expect(solve(a, tensor([2, 4])).toArray()).toEqual([1, 1]);
    expect(
      solve(
        a,
        tensor([
          [2, 4],
          [6, 8],
        ]),
      ).toArray(),
    ).toEqual([
      [1, 2],
      [1.5, 2],
    ]);
    const batchA = tensor([2, 0, 0, 4, 1, 0, 0, 1, 4, 0, 0, 2], [3, 2, 2]);
    expect(solve(batchA, tensor([2, 4, 1, 1, 4, 2], [3, 2])).toArray()).toEqual([
      [1, 1],
      [1, 1],
      [1, 1],
    ]);
    expect(solve(batchA, tensor([2, 4])).shape).toEqual([3, 2]);
    expect(() => solve(a, tensor([1, 2, 3]))).toThrow("solve: input 'b' of shape [3,1] has 3 rows but input 'A' of shape [2,2] is 2×2");
  });

  it('rejects NaN/Infinity in A or b and singular A, naming the op, the input and the batch element', () => {
    expect(() =>
      solve(
        tensor([
          [1, NaN],
          [0, 1],
        ]),
        tensor([1, 1]),
      ),
    ).toThrow(InvalidInputError);
    expect(() =>
      solve(
        tensor([
          [1, NaN],
          [0, 1],
        ]),
        tensor([1, 1]),
      ),
    ).toThrow(/^solve: input 'A' holds NaN at flat index 1/);
    expect(() =>
      solve(
        tensor([
          [1, 0],
          [0, 1],
        ]),
        tensor([1, Infinity]),
      ),
    ).toThrow(/^solve: input 'b' holds Infinity/);
    expect(() => solve(tensor([1, 0, 0, 1, 1, 2, 2, 4], [2, 2, 2]), tensor([1, 1]))).toThrow(
      /^solve: input 'A' \(batch element 1\) is singular to working precision/,
    );
  });

  test.prop([dim.chain((n) => fc.tuple(arbSpd(n), arbTensor([n]), arbTensor([n])))], { numRuns: numRuns() })(
    'is twice differentiable: the gradient with respect to A passes the dot-product test',
    ([a, b, c]) => {
      const gA = (a: Tensor) => grad((a: Tensor) => weighted(solve(a, b), c))(a) as Tensor;
      const gB = (b: Tensor) => grad((b: Tensor) => weighted(solve(a, b), c))(b) as Tensor;
      checkVjp(gA, [a], { rtol: 1e-5 });
      checkVjp(gB, [b], { rtol: 1e-5 });
    },
  );
});

describe('cholesky', () => {
  it('rejects inputs that are not symmetric positive definite, naming the op, input and batch element', () => {
    const notPd = tensor([2, 0, 0, 1, 1, 2, 2, 1], [2, 2, 2]);
    expect(() => cholesky(notPd)).toThrow(InvalidInputError);
    expect(() => cholesky(notPd)).toThrow("cholesky: input 'A' (batch element 1) is not positive definite: pivot 1 is -3 (must be > 0)");
    expect(() =>
      cholesky(
        tensor([
          [2, 1],
          [0, 2],
        ]),
      ),
    ).toThrow("cholesky: input 'A' is not symmetric: A[1,0] = 0 but A[0,1] = 1");
    expect(() =>
      cholesky(
        tensor([
          [NaN, 0],
          [0, 1],
        ]),
      ),
    ).toThrow(/^cholesky: input 'A' holds NaN/);
    expect(() => cholesky(tensor([[1, 2, 3]]))).toThrow(ShapeError);
  });

  test.prop([fc.tuple(dim, dim).chain(([n, b]) => fc.tuple(arbSpd(n, { batch: b }), arbTensor([b, n, n])))], { numRuns: numRuns() })(
    'returns a symmetric gradient, and is twice differentiable along symmetric directions',
    ([a, c]) => {
      const g = (a: Tensor) => grad((a: Tensor) => weighted(cholesky(a), c))(a) as Tensor;
      const ga = g(a);
      expect(maxAbsDiff(ga.data, symmetricTangent(ga).data)).toBeLessThan(1e-12);
      checkVjp(g, [a], { rtol: 1e-5, tangent: symmetricTangent });
    },
  );
});

describe('triangularSolve', () => {
  it('rejects a zero on the diagonal unless the diagonal is taken as unit', () => {
    const t = tensor([
      [1, 0],
      [3, 0],
    ]);
    expect(() => triangularSolve(t, tensor([1, 1]))).toThrow("triangularSolve: input 'T' is singular: diagonal entry 1 is 0");
    expect(triangularSolve(t, tensor([1, 1]), { unitDiagonal: true }).toArray()).toEqual([1, -2]);
  });
});

describe('quadForm', () => {
  test.prop([fc.tuple(dim, dim).chain(([b, n]) => fc.tuple(arbTensor([b, n]), arbTensor([n, n]), arbTensor([b])))], { numRuns: numRuns() })(
    'equals xᵀAx per batch element and is twice differentiable',
    ([x, a, c]) => {
      const [b, n] = x.shape as [number, number];
      const q = quadForm(x, a);
      for (let e = 0; e < b; e++) {
        const xe = x.data.subarray(e * n, (e + 1) * n);
        const ax = refMatmul(a.data, xe, n, n, 1);
        expect(q.data[e]).toBeCloseTo(
          xe.reduce((s, v, i) => s + v * ax[i]!, 0),
          12,
        );
      }
      checkVjp((x: Tensor) => grad((x: Tensor) => weighted(quadForm(x, a), c))(x) as Tensor, [x], { rtol: 1e-5 });
      checkVjp((a: Tensor) => grad((a: Tensor) => weighted(quadForm(x, a), c))(a) as Tensor, [a], { rtol: 1e-5 });
    },
  );
});

describe('all linalg ops', () => {
  it('never write into their inputs, forward or backward', () => {
    const a = tensor([
      [4, 1, 0],
      [1, 3, 1],
      [0, 1, 2],
    ]);
    const b = tensor([
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
    const x = tensor([1, -1, 2]);
    const snapshot = [a, b, x].map((t) => t.data.slice());
    const f = (a: Tensor, b: Tensor, x: Tensor) => [
      matmul(a, b),
      matmulT(a, b, true, false),
      solve(a, b),
      solve(a, x, { transpose: true }),
      cholesky(a),
      triangularSolve(a, b, { lower: false }),
      quadForm(x, a),
    ];
    const { value, pullback } = vjp(f, a, b, x);
    pullback(value.map((v) => new Tensor(new Float64Array(v.size).fill(1), v.shape)));
    [a, b, x].forEach((t, i) => expect(t.data).toEqual(snapshot[i]));
  });

  test.prop([fc.tuple(dim, dim, dim).chain(([m, k, n]) => fc.tuple(arbTensor([m, k]), arbTensor([k, n]), arbTensor([m, n])))], {
    numRuns: numRuns(),
  })('matmul is twice differentiable: the dot-product test on the gradient of a bilinear loss', ([a, b, c]) => {
    // ∂⟨ab, c⟩/∂a = c·bᵀ depends on b only, so differentiate it with respect to b.
    checkVjp((b: Tensor) => grad((a: Tensor) => weighted(matmul(a, b), c))(a) as Tensor, [b], { rtol: 1e-5 });
  });
});
