import { Tensor } from '@argmin/autodiff';
import { describeOptimizationNode } from '@argmin/autodiff/testing';
import { qpNode, type QpParams } from '../../src/qp/node.js';
import { arbQp, generateQp, symmetricTangent } from './arbitraries.js';

/** Degenerate but valid QPs: a weakly active constraint, an interior optimum, a duplicated active constraint. */
function degenerateQps(): QpParams[] {
  const weak = generateQp({ n: 4, m: 3, k: 1 }, 7);
  // Make constraint 0 weakly active: λ₀ = 0 and slack 0 at the solution.
  const { params, z } = weak;
  const G = params.G!;
  const h = Float64Array.from(params.h!.data);
  let g0z = 0;
  for (let j = 0; j < 4; j++) g0z += G.data[j]! * z[j]!;
  h[0] = g0z;
  const p = Float64Array.from(params.p!.data);
  for (let j = 0; j < 4; j++) p[j]! += G.data[j]! * weak.lam[0]!;
  const weaklyActive = { ...params, p: new Tensor(p, [4]), h: new Tensor(h, [3]) };
  const interior = { Q: params.Q, p: new Tensor(new Float64Array(4), [4]), G, h: new Tensor(new Float64Array(3).fill(1), [3]) };
  const dup = generateQp({ n: 3, m: 2, k: 0, margin: 0.5 }, 3).params;
  const duplicated = {
    Q: dup.Q,
    p: dup.p,
    G: new Tensor(Float64Array.from([...dup.G!.data.subarray(0, 3), ...dup.G!.data.subarray(0, 3)]), [2, 3]),
    h: new Tensor(Float64Array.of(dup.h!.data[0]!, dup.h!.data[0]!), [2]),
  };
  return [weaklyActive, interior, duplicated];
}

describeOptimizationNode(qpNode, {
  params: arbQp({ n: 4, m: 4, k: 1 }),
  tangent: symmetricTangent,
  degenerate: degenerateQps(),
});
