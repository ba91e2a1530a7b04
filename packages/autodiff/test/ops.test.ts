import { describe, expect } from 'vitest';
import { test } from '@fast-check/vitest';
import fc from 'fast-check';
import { checkVjp, numRuns } from '@argmin/autodiff/testing';
import { elementwiseSpecs } from './specs/elementwise.js';
import { reduceSpecs } from './specs/reduce.js';
import { shapeSpecs } from './specs/shape.js';
import { linalgSpecs } from './specs/linalg.js';

// Every op in the table passes the dot-product test on random inputs from its domain.
const specs = [...elementwiseSpecs, ...reduceSpecs, ...shapeSpecs, ...linalgSpecs];

describe('op VJPs match central differences', () => {
  for (const spec of specs) {
    test.prop([spec.args, fc.integer({ min: 0, max: 2 ** 30 })], { numRuns: numRuns() })(spec.name, (args, seed) => {
      const r = checkVjp(spec.fn, args, { seed, ...spec.check });
      expect(r.error).toBeLessThanOrEqual(r.tolerance);
    });
  }
});
