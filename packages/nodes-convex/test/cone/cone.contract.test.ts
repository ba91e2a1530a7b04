import { describeOptimizationNode } from '@argmin/autodiff/testing';
import { describe } from 'vitest';
import { coneNode } from '../../src/cone/node.js';
import { arbProgram, arbProgramBatch } from './programs.js';

// Every cone at once: 1 + 3 + 3 + 3 + 3 = 13 rows, 4 variables; random regular programs with a
// known solution (programs.ts). Batches share one A, so A can be passed once for the whole batch.
const cones = { zero: 1, nonneg: 3, soc: [3], psd: [2], exp: 1 };
const n = 4;

describeOptimizationNode(coneNode, {
  params: arbProgram(cones, n).map((p) => p.params),
  batch: arbProgramBatch(cones, n).map((ps) => ps.map((p) => p.params)),
  options: { cones },
  sharedParam: 'A',
});

// Power cones (one exponent α per cone, so a family of their own) beside the orthant and a
// second-order cone: 2 + 3 + 3 + 3 = 11 rows, 4 variables.
describe('with power cones', () => {
  const withPower = { nonneg: 2, soc: [3], power: [0.3, 0.7] };
  describeOptimizationNode(coneNode, {
    params: arbProgram(withPower, n).map((p) => p.params),
    batch: arbProgramBatch(withPower, n).map((ps) => ps.map((p) => p.params)),
    options: { cones: withPower },
    sharedParam: 'A',
  });
});

// The default unroll (refinement steps) is checked here. The plain-ADMM unroll (unroll: 'admm')
// converges linearly and has no test of its own yet (there was never a cone.unroll.test.ts).
