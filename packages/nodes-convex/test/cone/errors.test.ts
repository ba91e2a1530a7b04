import { InvalidInputError, ShapeError, tensor, zeros } from '@argmin/autodiff';
import { describe, expect, test } from 'vitest';
import { cone } from '../../src/cone/node.js';

const A = tensor([
  [1, 0],
  [0, 1],
  [1, 1],
]);
const b = tensor([1, 1, 1]);
const c = tensor([1, 1]);

function expectError(f: () => unknown, type: typeof ShapeError | typeof InvalidInputError, ...fragments: string[]) {
  let err: unknown;
  try {
    f();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(type);
  for (const frag of ['convex.cone', ...fragments]) expect((err as Error).message).toContain(frag);
}

describe('convex.cone rejects bad input with typed errors naming the parameter', () => {
  test('cone sizes that do not add up to the rows of A', () => {
    expectError(() => cone({ A, b, c }, { cones: { nonneg: 2 } }), ShapeError, 'take 2 rows', 'A has 3 rows');
    expectError(() => cone({ A, b, c }, { cones: { nonneg: 1, soc: [3] } }), ShapeError, 'take 4 rows', 'soc [3]');
  });

  test('a PSD block whose order does not fit its rows', () => {
    // Order 2 takes 3 rows (a lower triangle); 4 rows cannot hold a square matrix.
    expectError(() => cone({ A: zeros([4, 2]), b: zeros([4]), c }, { cones: { psd: [2] } }), ShapeError, 'psd [2] = 3', 'k(k+1)/2');
    expectError(() => cone({ A, b, c }, { cones: { psd: [1.5] } }), InvalidInputError, 'cones.psd[0]', 'positive integer');
    expectError(() => cone({ A, b, c }, { cones: { psd: [0] } }), InvalidInputError, 'cones.psd[0]');
  });

  test('malformed cone specifications', () => {
    expectError(() => cone({ A, b, c }, { cones: { nonneg: -3 } }), InvalidInputError, 'cones.nonneg');
    expectError(() => cone({ A, b, c }, { cones: { orthant: 3 } as never }), InvalidInputError, "unknown cone 'orthant'");
    expectError(() => cone({ A, b, c }, {} as never), InvalidInputError, "option 'cones'", 'required');
    expectError(() => cone({ A, b, c }, { cones: { soc: [2, 0] } }), InvalidInputError, 'cones.soc[1]');
  });

  test('options are checked against the node schema', () => {
    const opts = { cones: { nonneg: 3 } };
    expectError(
      () => cone({ A, b, c }, { ...opts, anderson: -1 } as never),
      InvalidInputError,
      "unknown option 'anderson'",
      'valid options',
    );
    expectError(() => cone({ A, b, c }, { ...opts, maxIters: 5 } as never), InvalidInputError, "did you mean 'maxIter'");
    expectError(() => cone({ A, b, c }, { ...opts, polish: 'no' } as never), InvalidInputError, "option 'polish'", "'auto'");
    expectError(() => cone({ A, b, c }, { ...opts, kkt: 'qr' } as never), InvalidInputError, "option 'kkt'");
    expectError(() => cone({ A, b, c }, { ...opts, tolInfeasible: -1 } as never), InvalidInputError, "option 'tolInfeasible'");
    expectError(() => cone({ A, b, c }, { ...opts, denseMax: 1.5 } as never), InvalidInputError, "option 'denseMax'");
    expectError(() => cone({ A, b, c }, { ...opts, unroll: 'newton' } as never), InvalidInputError, "option 'unroll'");
    expectError(() => cone({ A, b, c }, { ...opts, sparsity: { Q: 1 } } as never), InvalidInputError, "option 'sparsity'");
    expectError(() => cone({ A, b, c }, { cones: [3] } as never), InvalidInputError, "option 'cones'");
  });

  test('parameters that are not Tensors', () => {
    const opts = { cones: { nonneg: 3 } };
    expectError(
      () =>
        cone(
          {
            A: [
              [1, 0],
              [0, 1],
              [1, 1],
            ],
            b,
            c,
          } as never,
          opts,
        ),
      InvalidInputError,
      "parameter 'A'",
      'Tensor',
    );
    expectError(() => cone({ A, b: [1, 1, 1], c } as never, opts), InvalidInputError, "parameter 'b'", 'Tensor');
    expectError(() => cone({ A, b, c: 1 } as never, opts), InvalidInputError, "parameter 'c'", 'Tensor');
    expectError(() => cone({ Aval: { data: [1] }, b, c } as never, opts), InvalidInputError, "parameter 'Aval'");
    expectError(() => cone(null as never, opts), InvalidInputError, 'parameters');
    expectError(() => cone({ b, c } as never, opts), InvalidInputError, "parameter 'A'");
  });

  test('NaN and Infinity in A, b or c', () => {
    expectError(
      () =>
        cone(
          {
            A: tensor([
              [1, 0],
              [0, NaN],
              [1, 1],
            ]),
            b,
            c,
          },
          { cones: { nonneg: 3 } },
        ),
      InvalidInputError,
      "'A'",
      'NaN',
    );
    expectError(() => cone({ A, b: tensor([1, Infinity, 1]), c }, { cones: { nonneg: 3 } }), InvalidInputError, "'b'", 'Infinity');
    expectError(() => cone({ A, b, c: tensor([-Infinity, 1]) }, { cones: { nonneg: 3 } }), InvalidInputError, "'c'");
  });

  test('shapes of b and c that do not match A', () => {
    expectError(() => cone({ A, b: tensor([1, 1]), c }, { cones: { nonneg: 3 } }), ShapeError, "'b' has 2 entries", 'A has 3 rows');
    expectError(() => cone({ A, b, c: tensor([1, 1, 1]) }, { cones: { nonneg: 3 } }), ShapeError, "'c' has 3 entries", 'A has 2 columns');
    expectError(() => cone({ A: tensor([1, 2, 3]), b, c }, { cones: { nonneg: 3 } }), ShapeError, "'A'");
  });

  test('inputs are never mutated', () => {
    const copies = [A, b, c].map((t) => Float64Array.from(t.data));
    cone({ A, b, c: tensor([-1, -1]) }, { cones: { nonneg: 3 } });
    [A, b, c].forEach((t, i) => expect(Array.from(t.data)).toEqual(Array.from(copies[i]!)));
  });
});
