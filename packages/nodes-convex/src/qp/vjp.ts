import { Tensor } from '@argmin/autodiff';
import type { Cotangents, SolveResult } from '@argmin/autodiff/extend';
import { addMatTVec } from './dense.js';
import { solvePartitioned } from './polish.js';
import { SparseKkt } from './sparse-kkt.js';
import { elementOffset, type QpParams, type QpSolution } from './problem.js';
import type { ElementFactor, QpSaved } from './solve.js';

/**
 * The implicit VJP of the QP (OptNet, Amos & Kolter 2017, eq. 8), reusing the forward's
 * factorization. With cotangents (z̄, λ̄, ν̄, s̄) of the solution, solve the adjoint KKT system
 *
 *   [ Q   Gᵀ        Aᵀ ] [u]   [−z̄ + Gᵀs̄]
 *   [ G  −diag(s/λ)  0 ] [v] = [−λ̄      ]
 *   [ A   0          0 ] [w]   [−ν̄      ]
 *
 * (the slack s = h − Gz passes its cotangent to z, G and h), then
 *   Q̄ = ½(u zᵀ + z uᵀ), p̄ = u, Ḡ = λuᵀ + (v − s̄)zᵀ, h̄ = s̄ − v, Ā = νuᵀ + w zᵀ, b̄ = −w.
 * At a polished solution s/λ is 0 on the active set and +∞ off it, so the system is the
 * active-set KKT system the polish factored (v = 0 off 𝒜: the exact derivative at a strictly
 * complementary solution); otherwise it is the interior-point system at the final iterate.
 * Q̄ is symmetric: Q enters the problem only through its symmetric part.
 */
export function qpVjp(params: QpParams, result: SolveResult<QpSolution>, cot: Cotangents<QpSolution>): Cotangents<QpParams> {
  const { dims, factors } = result.saved as QpSaved;
  const { n, m, k } = dims;
  const batch = dims.batch ?? 1;
  const sol = result.solution;
  const grads = {
    Q: new Float64Array(params.Q.size),
    p: new Float64Array(params.p.size),
    G: params.G ? new Float64Array(params.G.size) : null,
    h: params.h ? new Float64Array(params.h.size) : null,
    A: params.A ? new Float64Array(params.A.size) : null,
    b: params.b ? new Float64Array(params.b.size) : null,
  };
  const u = new Float64Array(n),
    v = new Float64Array(m),
    w = new Float64Array(k),
    rhs = new Float64Array(n);
  for (let e = 0; e < batch; e++) {
    const f = factors[e];
    if (!f) continue;
    const at = <T extends Tensor | null | undefined>(t: T, size: number) => (t ? t.data.subarray(e * size, (e + 1) * size) : null);
    const zBar = at(cot.z, n),
      lamBar = at(cot.lam, m),
      nuBar = at(cot.nu, k),
      sBar = at(cot.slack, m);
    if (!zBar && !lamBar && !nuBar && !sBar) continue;
    const z = sol.z.data.subarray(e * n, (e + 1) * n);
    const lam = sol.lam.data.subarray(e * m, (e + 1) * m);
    const nu = sol.nu.data.subarray(e * k, (e + 1) * k);
    // rhs = −z̄ + Gᵀs̄
    for (let i = 0; i < n; i++) rhs[i] = zBar ? -zBar[i]! : 0;
    if (sBar) addMatTVec(m, n, 1, f.el.G, sBar, rhs);
    adjointSolve(f, rhs, lamBar, nuBar, u, v, w);

    const add = (
      g: Float64Array | null,
      t: Tensor | undefined,
      key: 'Q' | 'p' | 'G' | 'h' | 'A' | 'b',
      fill: (g: Float64Array, o: number) => void,
    ) => {
      if (g && t) fill(g, elementOffset(t, key, e));
    };
    add(grads.Q, params.Q, 'Q', (g, o) => {
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) g[o + i * n + j]! += 0.5 * (u[i]! * z[j]! + z[i]! * u[j]!);
    });
    add(grads.p, params.p, 'p', (g, o) => {
      for (let i = 0; i < n; i++) g[o + i]! += u[i]!;
    });
    add(grads.G, params.G, 'G', (g, o) => {
      for (let r = 0; r < m; r++) {
        const vr = v[r]! - (sBar ? sBar[r]! : 0);
        for (let j = 0; j < n; j++) g[o + r * n + j]! += lam[r]! * u[j]! + vr * z[j]!;
      }
    });
    add(grads.h, params.h, 'h', (g, o) => {
      for (let r = 0; r < m; r++) g[o + r]! += (sBar ? sBar[r]! : 0) - v[r]!;
    });
    add(grads.A, params.A, 'A', (g, o) => {
      for (let r = 0; r < k; r++) for (let j = 0; j < n; j++) g[o + r * n + j]! += nu[r]! * u[j]! + w[r]! * z[j]!;
    });
    add(grads.b, params.b, 'b', (g, o) => {
      for (let r = 0; r < k; r++) g[o + r]! -= w[r]!;
    });
  }
  const wrap = (g: Float64Array | null, t: Tensor | undefined) => (g && t ? new Tensor(g, t.shape) : null);
  return {
    Q: wrap(grads.Q, params.Q),
    p: wrap(grads.p, params.p),
    G: wrap(grads.G, params.G),
    h: wrap(grads.h, params.h),
    A: wrap(grads.A, params.A),
    b: wrap(grads.b, params.b),
  };
}

/** Solves the adjoint KKT system of one element with the factor the forward kept. */
function adjointSolve(
  f: ElementFactor,
  rhs: Float64Array,
  lamBar: Float64Array | null,
  nuBar: Float64Array | null,
  u: Float64Array,
  v: Float64Array,
  w: Float64Array,
): void {
  const { m, k } = f.el;
  const negLam = new Float64Array(m);
  if (lamBar) for (let i = 0; i < m; i++) negLam[i] = -lamBar[i]!;
  const negNu = new Float64Array(k);
  if (nuBar) for (let i = 0; i < k; i++) negNu[i] = -nuBar[i]!;
  if (f.factor instanceof SparseKkt) f.factor.solve(rhs, negLam, negNu, u, v, w);
  else solvePartitioned(f.factor, rhs, negLam, negNu, u, v, w);
}
