import { InvalidInputError, Rng, ShapeError, type Tensor, randn, tensor } from '@argmin/autodiff';
import { checkVjp } from '@argmin/autodiff/testing';
import { describe, expect, test } from 'vitest';
import { gumbel, sinkhornPermutation } from '../../src/sinkhorn/permutation.js';

function lineSums(P: Tensor, n: number, offset = 0): { rows: number[]; cols: number[] } {
  const rows = Array.from({ length: n }, (_, i) => P.data.slice(offset + i * n, offset + (i + 1) * n).reduce((s, v) => s + v, 0));
  const cols = Array.from({ length: n }, (_, j) =>
    Array.from({ length: n }, (_, i) => P.data[offset + i * n + j]!).reduce((s, v) => s + v, 0),
  );
  return { rows, cols };
}

describe('sinkhornPermutation (Gumbel-Sinkhorn)', () => {
  test('gives a doubly stochastic matrix, batched', () => {
    const X = randn([3, 5, 5], Rng.seeded(1));
    const P = sinkhornPermutation(X, { tau: 0.5, tol: 1e-12 });
    expect(P.shape).toEqual([3, 5, 5]);
    for (let b = 0; b < 3; b++) {
      const { rows, cols } = lineSums(P, 5, b * 25);
      for (const s of [...rows, ...cols]) expect(Math.abs(s - 1)).toBeLessThanOrEqual(1e-11);
    }
  });

  test('at a small temperature it is the permutation that maximizes ⟨P, X⟩', () => {
    // The best assignment of these scores is 0→2, 1→0, 2→1.
    const X = tensor([
      [0.1, 0.2, 0.9],
      [0.8, 0.3, 0.1],
      [0.2, 0.7, 0.3],
    ]);
    const P = sinkhornPermutation(X, { tau: 0.01 });
    const hard = [
      [0, 0, 1],
      [1, 0, 0],
      [0, 1, 0],
    ].flat();
    P.data.forEach((v, i) => expect(Math.abs(v - hard[i]!)).toBeLessThanOrEqual(1e-6));
  });

  test('Gumbel noise is reproducible from the seed, and different across seeds', () => {
    const X = randn([4, 4], Rng.seeded(2));
    const draw = (seed: number) => sinkhornPermutation(X, { tau: 0.3, noise: { rng: Rng.seeded(seed) } });
    expect(Array.from(draw(7).data)).toEqual(Array.from(draw(7).data));
    expect(Array.from(draw(7).data)).not.toEqual(Array.from(draw(8).data));
    const g = gumbel([20000], Rng.seeded(3));
    const mean = g.data.reduce((s, v) => s + v, 0) / g.size;
    expect(Math.abs(mean - 0.5772156649)).toBeLessThanOrEqual(0.03); // the Euler–Mascheroni constant
  });

  test.each(['implicit', 'unroll'] as const)('%s gradients in X match central differences (noise fixed by its seed)', (strategy) => {
    const X = randn([2, 4, 4], Rng.seeded(4));
    checkVjp(
      (x: Tensor) =>
        sinkhornPermutation(x, {
          tau: 1,
          strategy,
          ...(strategy === 'unroll' ? { maxIter: 150 } : { tol: 1e-14 }),
          noise: { rng: Rng.seeded(5), scale: 0.5 },
        }),
      [X],
      { rtol: 1e-6 },
    );
  });

  test('bad input', () => {
    expect(() => sinkhornPermutation(randn([3, 4], Rng.seeded(1)), { tau: 1 })).toThrow(ShapeError);
    expect(() => sinkhornPermutation(randn([3, 3], Rng.seeded(1)), { tau: 0 })).toThrow(/option 'tau' must be a finite number > 0/);
    expect(() => sinkhornPermutation(randn([3, 3], Rng.seeded(1)), { tau: 1, noise: { rng: Rng.seeded(1), scale: -1 } })).toThrow(
      InvalidInputError,
    );
  });
});
