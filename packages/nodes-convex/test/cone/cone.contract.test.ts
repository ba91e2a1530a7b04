import { Rng, randn } from '@argmin/autodiff';
import { describeOptimizationNode } from '@argmin/autodiff/testing';
import { coneNode } from '../../src/cone/node.js';
import { coneLayout } from '../../src/cone/problem.js';
import { arbProgram } from './programs.js';

// Every cone at once: 1 + 3 + 3 + 3 + 3 = 13 rows, 4 variables. Instances perturb one base A
// (by 1%), so the batch check can share A across elements and keep each program regular.
const cones = { zero: 1, nonneg: 3, soc: [3], psd: [2], exp: 1 };
const n = 4;
const base = randn([coneLayout(cones).m, n], Rng.seeded(2024), 0.5).data;

describeOptimizationNode(coneNode, {
  params: arbProgram(cones, n, 0.1, base).map((p) => p.params),
  options: { cones },
  sharedParam: 'A',
});

// The plain-ADMM unroll converges linearly; it is checked against the implicit gradient in
// cone.unroll.test.ts rather than in the contract's tight tolerance.
