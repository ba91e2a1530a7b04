import { tensor, zeros } from '@argmin/autodiff';
import { arbTensor, describeOptimizationNode } from '@argmin/autodiff/testing';
import { lmlNode } from '../../src/lml/node.js';

const n = 6;
/** LML on 6 entries is a few Newton steps: the full tier runs 10⁵ cases of the node, half in each contract. */
const fullRuns = 50_000;

describeOptimizationNode(lmlNode, {
  params: arbTensor([n], { min: -3, max: 3 }).map((x) => ({ x })),
  options: { k: 2 },
  fullRuns,
  degenerate: [
    { x: zeros([n]) }, // all tied: y = k/n everywhere
    { x: tensor([5, 5, 5, -5, -5, -5]) }, // tied blocks
    { x: tensor([1e3, 1e3, 0, -1e3, -1e3, -1e3]) }, // saturated: σ' underflows to 0 in float64
    { x: tensor([1e-12, 0, -1e-12, 2e-12, 0, 0]) }, // tiny differences
  ],
});

// A fractional k: the constraint 1ᵀy = k needs no integer.
describeOptimizationNode(lmlNode, {
  params: arbTensor([n], { min: -3, max: 3 }).map((x) => ({ x })),
  options: { k: 3.5 },
  numRuns: 8,
  fullRuns,
});
