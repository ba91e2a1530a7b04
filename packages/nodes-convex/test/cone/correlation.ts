import { type Rng, Tensor } from '@argmin/autodiff';
import type { ConeParams, ConeSpec } from '../../src/cone/problem.js';

/**
 * The nearest-correlation SDP of order k, shared by the cone bench's SDP row and the VJP tests:
 * min ‖X − C‖_F s.t. X ⪰ 0, diag X = 1, in (svec X, t), C's off-diagonal entries √2·tanh(1.5·N(0,1)).
 */
export function nearestCorrelation(k: number, rng: Rng): { params: ConeParams; cones: ConeSpec } {
  const p = (k * (k + 1)) / 2;
  const m = k + (p + 1) + p;
  const n = p + 1;
  const A = new Float64Array(m * n);
  const b = new Float64Array(m);
  let r = 0;
  for (let j = 0; j < k; j++)
    for (let i = j; i < k; i++, r++) {
      if (i === j) (A[j * n + r] = 1), (b[j] = 1);
      const cij = i === j ? 1 : Math.SQRT2 * Math.tanh(1.5 * rng.normal());
      A[(k + 1 + r) * n + r] = -1;
      b[k + 1 + r] = -cij;
      A[(k + p + 1 + r) * n + r] = -1;
    }
  A[k * n + p] = -1;
  const c = new Float64Array(n);
  c[p] = 1;
  return { params: { A: new Tensor(A, [m, n]), b: new Tensor(b, [m]), c: new Tensor(c, [n]) }, cones: { zero: k, soc: [p + 1], psd: [k] } };
}
