import { describe, expect } from 'vitest';
import { test } from '@fast-check/vitest';
import fc from 'fast-check';
import { Tensor, flatten, vjp } from '@argmin/autodiff';
import { numRuns } from '@argmin/autodiff/testing';
import { elementwiseSpecs } from './specs/elementwise.js';
import { linalgSpecs } from './specs/linalg.js';
import { reduceSpecs } from './specs/reduce.js';
import { shapeSpecs } from './specs/shape.js';

/**
 * Tensors are immutable by contract (ops allocate their outputs; reshape-like ops share data
 * read-only), and tapes rely on it: a value kept for the backward pass must still hold what
 * the forward pass saw. So for every op in every spec table, neither the forward pass nor the
 * pullback (run twice) may change any argument, including non-tensor ones (axes, shapes,
 * indices), the cotangent, or the forward's output.
 */

/** A deep, exact snapshot: tensors by shape and every bit of their data (NaN and −0 included). */
function snapshot(tree: unknown): string {
  return JSON.stringify(tree, (_key, v: unknown) =>
    v instanceof Tensor ? { shape: v.shape, bits: Array.from(new BigUint64Array(v.data.slice().buffer), String) } : v,
  );
}

const specs = [...elementwiseSpecs, ...reduceSpecs, ...shapeSpecs, ...linalgSpecs];

describe('ops never mutate their inputs, forward or backward', () => {
  for (const spec of specs) {
    test.prop([spec.args, fc.double({ min: -2, max: 2, noNaN: true })], { numRuns: numRuns() })(spec.name, (args, c) => {
      const before = snapshot(args);
      const { value, pullback } = vjp(spec.fn, ...args);
      expect(snapshot(args)).toBe(before);

      const valueBefore = snapshot(value);
      const cot = new Tensor(new Float64Array(value.size).fill(c), value.shape);
      const cotBefore = snapshot(cot);
      const first = pullback(cot);
      const firstBefore = snapshot(first);
      const second = pullback(cot);
      expect(snapshot(args)).toBe(before);
      expect(snapshot(value)).toBe(valueBefore);
      expect(snapshot(cot)).toBe(cotBefore);
      // The second pullback neither overwrote the first gradients nor computed different ones.
      expect(snapshot(first)).toBe(firstBefore);
      expect(snapshot(second)).toBe(firstBefore);
      expect(flatten(args).leaves).not.toContain(value);
    });
  }
});
