import { InvalidInputError, Tensor } from '@argmin/autodiff';
import { choleskyFactor, choleskySolve } from '@argmin/autodiff/kernels';
import type { QpParams, QpSolution } from './problem.js';

export interface QpStartOptions {
  /**
   * Complementarity λᵢsᵢ = μ of the centred start (default 0.02): small enough to start near the
   * solution, large enough that the interior-point method is not pinned to a wrong boundary.
   */
  readonly mu?: number;
  /** A constraint is taken as active when its slack is at most this, relative to 1 + |hᵢ| (default 1e-6). */
  readonly activeTol?: number;
}

/**
 * A `complete` for warm-starting the QP node's interior-point solver from a predicted ẑ (and
 * multipliers, if the model predicts them). Interior-point methods are notoriously hard to warm
 * start: from ẑ alone they keep multipliers of order one, far from complementary, and a point
 * on the boundary pins their first steps to it. This start
 *  - recovers multipliers when none are predicted, from stationarity on the constraints ẑ makes
 *    active: least squares G𝒜ᵀλ𝒜 = −(Qẑ + p), clamped at 0 (exact for box constraints);
 *  - centres the pairs: λᵢsᵢ = μ, keeping the larger of λ̂ᵢ and ŝᵢ (at least √μ) and setting
 *    the other to μ over it — a point near the end of the central path, in the active set the
 *    prediction suggests.
 * Equality multipliers are passed on when predicted and otherwise left to the solver.
 */
export function qpInteriorStart(options: QpStartOptions = {}): (params: QpParams, prediction: Partial<QpSolution>) => Partial<QpSolution> {
  const mu = options.mu ?? 0.02;
  const activeTol = options.activeTol ?? 1e-6;
  if (!(mu > 0 && Number.isFinite(mu))) throw new InvalidInputError(`qpInteriorStart: 'mu' must be a positive number, got ${mu}`);
  return (params, prediction) => {
    const z = prediction.z;
    if (!z) throw new InvalidInputError("qpInteriorStart: the prediction must include 'z'");
    if (!params.G || !params.h) return prediction;
    const n = z.shape[z.ndim - 1]!;
    const m = params.h.shape[params.h.ndim - 1]!;
    const B = z.ndim === 2 ? z.shape[0]! : 1;
    const lam = new Float64Array(B * m);
    const slack = new Float64Array(B * m);
    const at = (t: Tensor, core: number, b: number) => (t.size === core ? 0 : b * core);
    const g = new Float64Array(n);
    for (let b = 0; b < B; b++) {
      const zo = b * n;
      const [Q, qo] = [params.Q.data, at(params.Q, n * n, b)];
      const [p, po] = [params.p.data, at(params.p, n, b)];
      const [G, go] = [params.G.data, at(params.G, m * n, b)];
      const [h, ho] = [params.h.data, at(params.h, m, b)];
      for (let i = 0; i < m; i++) {
        let gz = 0;
        for (let j = 0; j < n; j++) gz += G[go + i * n + j]! * z.data[zo + j]!;
        slack[b * m + i] = h[ho + i]! - gz;
      }
      if (prediction.lam) {
        for (let i = 0; i < m; i++) lam[b * m + i] = Math.max(0, prediction.lam.data[at(prediction.lam, m, b) + i]!);
      } else {
        for (let i = 0; i < n; i++) {
          let s = p[po + i]!;
          for (let j = 0; j < n; j++) s += Q[qo + i * n + j]! * z.data[zo + j]!;
          g[i] = s;
        }
        const active: number[] = [];
        for (let i = 0; i < m; i++) if (slack[b * m + i]! <= activeTol * (1 + Math.abs(h[ho + i]!))) active.push(i);
        leastSquaresMultipliers(G, go, n, active, g, lam, b * m);
      }
      for (let i = b * m; i < (b + 1) * m; i++) {
        if (lam[i]! > slack[i]!) {
          lam[i] = Math.max(lam[i]!, Math.sqrt(mu));
          slack[i] = mu / lam[i]!;
        } else {
          slack[i] = Math.max(slack[i]!, Math.sqrt(mu));
          lam[i] = mu / slack[i]!;
        }
      }
    }
    const lead = z.ndim === 2 ? [B] : [];
    return { ...prediction, lam: new Tensor(lam, [...lead, m]), slack: new Tensor(slack, [...lead, m]) };
  };
}

/** λ𝒜 = max(0, argmin ‖G𝒜ᵀλ + g‖) by the normal equations (G𝒜G𝒜ᵀ + δI)λ = −G𝒜g, into out[off + i]. */
function leastSquaresMultipliers(
  G: Float64Array,
  go: number,
  n: number,
  active: readonly number[],
  g: Float64Array,
  out: Float64Array,
  off: number,
): void {
  const a = active.length;
  if (a === 0) return;
  const M = new Float64Array(a * a);
  const r = new Float64Array(a);
  let scale = 0;
  for (let u = 0; u < a; u++) {
    const ru = go + active[u]! * n;
    let s = 0;
    for (let j = 0; j < n; j++) s -= G[ru + j]! * g[j]!;
    r[u] = s;
    for (let v = 0; v <= u; v++) {
      const rv = go + active[v]! * n;
      let d = 0;
      for (let j = 0; j < n; j++) d += G[ru + j]! * G[rv + j]!;
      M[u * a + v] = d;
      M[v * a + u] = d;
    }
    scale = Math.max(scale, M[u * a + u]!);
  }
  // A small ridge keeps dependent active rows (more active constraints than n) solvable.
  for (let u = 0; u < a; u++) M[u * a + u]! += 1e-8 * Math.max(scale, 1);
  const x = choleskySolve(choleskyFactor(M, a, 1), r, 1);
  active.forEach((i, u) => (out[off + i] = Math.max(0, x[u]!)));
}
