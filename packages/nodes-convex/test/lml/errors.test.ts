import { InvalidInputError, ShapeError, tensor } from '@argmin/autodiff';
import { applyNode } from '@argmin/autodiff/extend';
import { describe, expect, test } from 'vitest';
import { lml, lmlNode } from '../../src/lml/node.js';

describe('convex.lml: bad input', () => {
  const x = tensor([0.3, -1, 2, 0.5]);

  test.each([
    [4, /0 < k < n.*n = 4.*k = 4.*k ≥ n/],
    [7, /0 < k < n.*k = 7/],
    [0, /0 < k < n.*k = 0.*k ≤ 0/],
    [-1, /k = -1/],
  ])('k = %d is rejected with a message naming the node, the option and n', (k, message) => {
    expect(() => lml(x, { k })).toThrow(InvalidInputError);
    expect(() => lml(x, { k })).toThrow(message);
    expect(() => lml(x, { k })).toThrow(/^convex\.lml: option 'k'/);
  });

  test('a non-finite k is rejected', () => {
    expect(() => lml(x, { k: Number.NaN })).toThrow(/convex\.lml: option 'k' must be a finite number/);
    expect(() => lml(x, { k: Infinity })).toThrow(InvalidInputError);
  });

  test('the node checks k too when called directly', () => {
    expect(() => applyNode(lmlNode, { x }, { k: 4 })).toThrow(/convex\.lml: option 'k'/);
    expect(() => applyNode(lmlNode, { x }, { k: 4, strategy: 'unroll' })).toThrow(/convex\.lml: option 'k'/);
  });

  test('non-finite scores are rejected, naming the parameter', () => {
    expect(() => lml(tensor([0, Number.NaN, 1]), { k: 1 })).toThrow(/convex\.lml: parameter 'x' holds NaN/);
    expect(() => lml(tensor([0, -Infinity, 1]), { k: 1 })).toThrow(InvalidInputError);
  });

  test('a warm start of the wrong size is rejected', () => {
    expect(() =>
      lml(
        tensor([
          [0, 1, 2],
          [3, 4, 5],
        ]),
        { k: 1 },
        { warmStart: { nu: tensor([0, 0, 0]) } },
      ),
    ).toThrow(/convex\.lml: warmStart\.nu of shape \[3\] does not fit the problem: expected \[\] or \[2\]/);
  });

  test('a scalar x is a shape error', () => {
    expect(() => lml(tensor(1), { k: 1 })).toThrow(ShapeError);
  });

  test('inputs are never mutated', () => {
    const before = Array.from(x.data);
    lml(x, { k: 2 });
    lml(x, { k: 2 }, { strategy: 'unroll' });
    expect(Array.from(x.data)).toEqual(before);
  });
});
