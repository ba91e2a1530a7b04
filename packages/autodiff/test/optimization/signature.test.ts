import { describe, expect, test } from 'vitest';
import { InvalidInputError, ShapeError, Tensor, eye, tensor, zeros } from '../../src/index.js';
import { applyNode, defineNode, resolveLayout, type NodeLayout } from '../../src/extend.js';
import { parseSpec } from '../../src/optimization/signature.js';

/** A toy node with the QP's signature: it returns z = −p and records the layout it was given. */
let seen: NodeLayout | null = null;
const toy = defineNode<{ Q: Tensor; p: Tensor; G?: Tensor; h?: Tensor; C?: Tensor; F?: Tensor }, { z: Tensor; lam: Tensor }>({
  name: 'test.toy',
  signature: {
    params: { Q: '(n,n)', p: '(n)', G: '(m,n)', h: '(m)', C: '(T,n,n)', F: '(T-1,n)' },
    solution: { z: '(n)', lam: '(m)' },
    optional: ['G', 'h', 'C', 'F'],
    together: [['G', 'h']],
    psd: { Q: 'symmetric', C: 'symmetric-part' },
    infinite: ['h'],
    dimLabels: { T: 'time step' },
  },
  solve({ p }, _options, layout) {
    seen = layout;
    const m = layout.dims.m ?? 0;
    return {
      solution: {
        z: new Tensor(
          p.data.map((v) => -v),
          p.shape,
        ),
        lam: zeros(layout.size === null ? [m] : [layout.size, m]),
      },
      info: { status: Array(layout.size ?? 1).fill('converged'), iterations: [1], residual: [0] },
    };
  },
});

const Q = eye(2);
const p = tensor([1, 2]);
const solveOnly = { strategy: 'solve' } as const;
const call = (params: object) => () => applyNode(toy, params as never, solveOnly);
const fails = (params: object, type: typeof ShapeError | typeof InvalidInputError, message: string) => {
  expect(call(params)).toThrow(type);
  expect(call(params)).toThrow(message);
};

describe('core shape specs', () => {
  test('parse names, integers, sums and the numeric rank', () => {
    expect(parseSpec('(n,n)', 'x').rank).toBe(2);
    expect(parseSpec('()', 'x').rank).toBe(0);
    expect(parseSpec(3, 'x').axes).toEqual([null, null, null]);
    expect(parseSpec('(T-1, ns, 2)', 'x').axes[0]).toEqual({ terms: [{ name: 'T', sign: 1 }], constant: -1 });
  });

  test('a malformed spec is an error naming the node', () => {
    expect(() => parseSpec('n,n', 'test.bad')).toThrow("test.bad: core shape 'n,n' must look like '(n,n)', '(n)' or '()'");
    expect(() => parseSpec('(n*2)', 'test.bad')).toThrow("dimension 'n*2' in core shape '(n*2)'");
  });
});

describe('the signature checker (resolveLayout): one message per mistake', () => {
  test('resolves batch size, the batched set and the dimension sizes, and passes them to solve', () => {
    applyNode(toy, { Q: new Tensor(new Float64Array([1, 0, 0, 1, 2, 0, 0, 2, 1, 0, 0, 1]), [3, 2, 2]), p }, solveOnly);
    expect(seen).toEqual({ size: 3, batched: new Set(['Q']), dims: { n: 2 } });
    applyNode(toy, { Q, p, G: zeros([4, 2]), h: zeros([4]), C: zeros([5, 2, 2]), F: zeros([4, 2]) }, solveOnly);
    expect(seen?.dims).toEqual({ n: 2, m: 4, T: 5 });
    expect(seen?.size).toBeNull();
  });

  test('parameters must be an object of Tensors', () => {
    fails(Q as never, InvalidInputError, 'test.toy: parameters must be an object { Q, p, G, h, C, F }, got a Tensor of shape [2,2]');
    fails({ Q, p: [1, 2] }, InvalidInputError, "test.toy: parameter 'p' must be a Tensor of core shape (n), got an array");
    fails({ Q, p: 3 }, InvalidInputError, "parameter 'p' must be a Tensor of core shape (n), got number 3");
  });

  test('unknown, missing and unpaired parameters', () => {
    fails({ Q, p, q: p }, InvalidInputError, "test.toy: unknown parameter 'q' (expected Q, p, G, h, C, F)");
    fails({ Q }, InvalidInputError, "test.toy: parameter 'p' is required");
    fails({ Q, p, G: zeros([1, 2]) }, InvalidInputError, "test.toy: parameters 'G' and 'h' come together: 'G' given without 'h'");
  });

  test('ranks', () => {
    fails(
      { Q: tensor([1, 2]), p },
      ShapeError,
      "test.toy: parameter 'Q' must have core shape (n,n), rank 2 (or 3 with a leading batch axis), got shape [2]",
    );
  });

  test('batch sizes name both parameters and both shapes', () => {
    fails(
      { Q: zeros([3, 2, 2]), p: zeros([4, 2]) },
      ShapeError,
      "test.toy: parameter 'p' of shape [4,2] has batch size 4 but 'Q' of shape [3,2,2] has 3",
    );
  });

  test('a dimension that disagrees across parameters names both, both shapes and the dimension', () => {
    fails(
      { Q, p: tensor([1, 2, 3]) },
      ShapeError,
      "test.toy: parameter 'p' of shape [3] (core shape (n)) does not fit 'Q' of shape [2,2] (core shape (n,n)): dimension n is 3 at its core axis 0 but 2 in 'Q'",
    );
    fails(
      { Q, p, G: zeros([3, 2]), h: zeros([2]) },
      ShapeError,
      "parameter 'h' of shape [2] (core shape (m)) does not fit 'G' of shape [3,2] (core shape (m,n)): dimension m is 2",
    );
  });

  test('a dimension that disagrees within one parameter (a non-square matrix)', () => {
    fails(
      { Q: zeros([2, 3]), p },
      ShapeError,
      "test.toy: parameter 'Q' of shape [2,3] (core shape (n,n)) must have square matrices: dimension n is 2 at core axis 0 but 3 at core axis 1",
    );
  });

  test('a dimension that is a sum of others (T−1 transitions), with a readable label', () => {
    fails(
      { Q, p, C: zeros([5, 2, 2]), F: zeros([5, 2]) },
      ShapeError,
      "test.toy: parameter 'F' of shape [5,2] (core shape (T-1,n)) must have T-1 = 4 entries on its core axis 0 (T (time step) = 5 from 'C' of shape [5,2,2]), got 5",
    );
  });

  test('finiteness: NaN and ±∞ are rejected, ±∞ only where the signature allows it', () => {
    fails(
      { Q, p: tensor([1, Number.NaN]) },
      InvalidInputError,
      "test.toy: parameter 'p' holds NaN at flat index 1 (shape [2]); finite values are required",
    );
    fails({ Q, p: tensor([Infinity, 1]) }, InvalidInputError, "parameter 'p' holds Infinity at flat index 0");
    expect(call({ Q, p, G: zeros([1, 2]), h: tensor([Infinity]) })).not.toThrow();
    fails(
      { Q, p, G: zeros([1, 2]), h: tensor([Number.NaN]) },
      InvalidInputError,
      "parameter 'h' holds NaN at flat index 0 (shape [1]); values must not be NaN",
    );
  });

  test('one symmetry and PSD check, locating the block by batch element and named axis', () => {
    fails(
      {
        Q: tensor([
          [1, 2],
          [0, 1],
        ]),
        p,
      },
      InvalidInputError,
      "test.toy: parameter 'Q' is not symmetric: Q[1,0] = 0 but Q[0,1] = 2",
    );
    const bad = new Float64Array([1, 0, 0, 1, 1, 0, 0, -1]);
    fails(
      { Q: new Tensor(bad, [2, 2, 2]), p },
      InvalidInputError,
      "test.toy: parameter 'Q' at batch element 1 is not positive semidefinite",
    );
    const C = new Float64Array(3 * 4);
    C.set([1, 0, 0, 1], 0);
    C.set([1, 3, -1, 1], 4); // not symmetric, but its symmetric part [[1,1],[1,1]] is PSD
    C.set([1, 0, 0, -2], 8);
    fails(
      { Q, p, C: new Tensor(C, [3, 2, 2]) },
      InvalidInputError,
      "test.toy: parameter 'C' at time step 2 is not positive semidefinite (its symmetric part has a negative eigenvalue)",
    );
    // Singular PSD blocks pass: a zero control cost, a rank-one Q.
    expect(
      call({
        Q: tensor([
          [1, 1],
          [1, 1],
        ]),
        p,
      }),
    ).not.toThrow();
  });

  test('numeric core ranks keep working (no sizes checked)', () => {
    const legacy = defineNode<{ x: Tensor }, { y: Tensor }>({
      name: 'test.legacy',
      signature: { params: { x: 1 }, solution: { y: 1 } },
      solve: ({ x }) => ({ solution: { y: x }, info: { status: ['converged'], iterations: [0], residual: [0] } }),
    });
    expect(resolveLayout(legacy.name, legacy.signature, { x: zeros([3, 2]) })).toEqual({ size: 3, batched: new Set(['x']), dims: {} });
    expect(() => applyNode(legacy, { x: zeros([1, 2, 3]) }, solveOnly)).toThrow(
      "test.legacy: parameter 'x' must have rank 1 (or 2 with a leading batch axis), got shape [1,2,3]",
    );
  });
});
