import {
  DifferentiationError,
  Tensor,
  add,
  concat,
  expandDims,
  eye,
  matrixTranspose,
  mean,
  mul,
  reshape,
  slice,
  solve,
  sub,
  sum,
  sumTo,
  zeros,
} from '@argmin/autodiff';
import type { Cotangents } from '@argmin/autodiff/extend';
import { SINKHORN, type SinkhornParams, type SinkhornSizes, type SinkhornSolution } from './problem.js';
import { solvePlanSystem, type SchurOptions } from './schur.js';

/**
 * The implicit VJP of Sinkhorn's solution (plan, f, g, value) in (a, b, C), batched.
 *
 * - value: by the envelope theorem d value = ⟨P, dC⟩ + ⟨f, da⟩ + ⟨g, db⟩, no solve needed.
 * - plan: P = exp((f ⊕ g − C)/ε) gives C̄ −= W and (f̄, ḡ) += (W1, Wᵀ1), W = P ⊙ P̄ / ε.
 * - potentials: the marginal constraints linearize to H [df; dg] = ε[da; db] + [(P⊙dC)1; (P⊙dC)ᵀ1]
 *   with H = [[diag(r), P], [Pᵀ, diag(c)]] (schur.ts) and the gauge mean(f) = mean(g). Its
 *   adjoint is one solve H y = z̃, with z̃ the cotangent of (f, g) projected by the gauge, and
 *   then ā = ε y_f, b̄ = ε y_g, C̄ += P ⊙ (y_f ⊕ y_g).
 *
 * Only perturbations that keep Σa = Σb are feasible, so the gradients for a and b are defined
 * up to a constant each: they are returned centred (mean removed), like ott-jax and POT's tests.
 */
export function sinkhornVjp(
  params: SinkhornParams,
  sizes: SinkhornSizes,
  epsilon: number,
  solution: SinkhornSolution,
  cot: Cotangents<SinkhornSolution>,
  options: SchurOptions,
): { a: Tensor; b: Tensor; C: Tensor } {
  const { batch, n, m } = sizes;
  const B = batch ?? 1;
  const gradA = new Float64Array(params.a.size);
  const gradB = new Float64Array(params.b.size);
  const gradC = new Float64Array(params.C.size);
  const zf = new Float64Array(n);
  const zg = new Float64Array(m);
  const yf = new Float64Array(n);
  const yg = new Float64Array(m);
  const { plan, f, g } = solution;
  for (let e = 0; e < B; e++) {
    const P = plan.data.subarray(e * n * m, (e + 1) * n * m);
    const pBar = cot.plan ? cot.plan.data.subarray(e * n * m, (e + 1) * n * m) : null;
    const vBar = cot.value ? cot.value.data[e]! : 0;
    zf.fill(0);
    zg.fill(0);
    if (cot.f) zf.set(cot.f.data.subarray(e * n, (e + 1) * n));
    if (cot.g) zg.set(cot.g.data.subarray(e * m, (e + 1) * m));
    if (pBar) {
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < m; j++) {
          const w = (P[i * m + j]! * pBar[i * m + j]!) / epsilon;
          zf[i]! += w;
          zg[j]! += w;
        }
      }
    }
    // Gauge: (f, g) ↦ (f + κ, g − κ) with κ fixing mean(f) = mean(g); its adjoint removes
    // the component of the cotangent along (1, −1) in the metric of the constraint.
    let excess = 0;
    for (let i = 0; i < n; i++) excess += zf[i]!;
    for (let j = 0; j < m; j++) excess -= zg[j]!;
    let any = false;
    for (let i = 0; i < n; i++) {
      zf[i]! -= excess / (2 * n);
      if (zf[i] !== 0) any = true;
    }
    for (let j = 0; j < m; j++) {
      zg[j]! += excess / (2 * m);
      if (zg[j] !== 0) any = true;
    }
    yf.fill(0);
    yg.fill(0);
    if (any) {
      const solved = solvePlanSystem(P, n, m, zf, zg, yf, yg, options);
      if (!solved.converged) {
        throw new DifferentiationError(
          `${SINKHORN}: implicit differentiation failed${batch === null ? '' : ` at batch element ${e}`}: the ${solved.method} solve of the potentials' system did not converge (residual ${solved.residual.toExponential(2)} after ${solved.iterations} iterations); the plan may be degenerate (ε too small for float64) — try a larger epsilon or strategy 'unroll'`,
        );
      }
    }
    const fe = f.data.subarray(e * n, (e + 1) * n);
    const ge = g.data.subarray(e * m, (e + 1) * m);
    const aOff = params.a.ndim === 2 ? e * n : 0;
    const bOff = params.b.ndim === 2 ? e * m : 0;
    const cOff = params.C.ndim === 3 ? e * n * m : 0;
    addCentred(gradA, aOff, n, (i) => epsilon * yf[i]! + vBar * fe[i]!);
    addCentred(gradB, bOff, m, (j) => epsilon * yg[j]! + vBar * ge[j]!);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < m; j++) {
        const p = P[i * m + j]!;
        const direct = pBar ? pBar[i * m + j]! / epsilon : 0;
        gradC[cOff + i * m + j]! += p * (yf[i]! + yg[j]! + vBar - direct);
      }
    }
  }
  return {
    a: new Tensor(gradA, params.a.shape),
    b: new Tensor(gradB, params.b.shape),
    C: new Tensor(gradC, params.C.shape),
  };
}

/** out[off + i] += v(i) − mean(v) for i < len. */
function addCentred(out: Float64Array, off: number, len: number, v: (i: number) => number): void {
  let mean = 0;
  for (let i = 0; i < len; i++) mean += v(i);
  mean /= len;
  for (let i = 0; i < len; i++) out[off + i]! += v(i) - mean;
}

/**
 * The same VJP written with differentiable ops, for when it is differentiated again (a
 * Hessian-vector product through the node). Every element's potentials' system is solved
 * densely with the `solve` op, made nonsingular along its gauge direction q = (1, −1) (a null
 * vector of H for any plan, since H's diagonals are the plan's row and column sums):
 * H' = H + qqᵀ/(n + m) has the same solution as H on the gauge-projected right-hand side. An
 * unbatched call is treated as a batch of one; shared parameters' gradients are summed.
 */
export function sinkhornVjpOps(
  params: SinkhornParams,
  epsilon: number,
  solution: SinkhornSolution,
  cot: Cotangents<SinkhornSolution>,
): { a: Tensor; b: Tensor; C: Tensor } {
  const batched = solution.plan.ndim === 3;
  const lead = (t: Tensor | null | undefined) => (t ? (batched ? t : expandDims(t, 0)) : null);
  const P = lead(solution.plan)!;
  const [B, n, m] = P.shape as [number, number, number];
  const f = lead(solution.f)!;
  const g = lead(solution.g)!;
  const pBar = lead(cot.plan);
  const vBar = cot.value ? reshape(cot.value, [B]) : null;
  const fBar = lead(cot.f);
  const gBar = lead(cot.g);
  const W = pBar ? mul(mul(P, pBar), 1 / epsilon) : null;
  const part = (x: Tensor | null, y: Tensor | null, size: number) => (x && y ? add(x, y) : (x ?? y ?? zeros([B, size])));
  let zf = part(fBar, W ? sum(W, -1) : null, n);
  let zg = part(gBar, W ? sum(W, -2) : null, m);
  const excess = expandDims(sub(sum(zf, -1), sum(zg, -1)), -1);
  zf = sub(zf, mul(excess, 1 / (2 * n)));
  zg = add(zg, mul(excess, 1 / (2 * m)));
  const diagR = mul(eye(n), expandDims(sum(P, -1), -2));
  const diagC = mul(eye(m), expandDims(sum(P, -2), -2));
  const H = concat([concat([diagR, P], -1), concat([matrixTranspose(P), diagC], -1)], -2);
  const q = Float64Array.from({ length: n + m }, (_, i) => (i < n ? 1 : -1));
  const gauge = new Tensor(
    Float64Array.from({ length: (n + m) ** 2 }, (_, k) => (q[Math.floor(k / (n + m))]! * q[k % (n + m)]!) / (n + m)),
    [n + m, n + m],
  );
  const y = solve(add(H, gauge), concat([zf, zg], -1));
  const yf = slice(y, [0, 0], [B, n]);
  const yg = slice(y, [0, n], [B, n + m]);
  const centred = (v: Tensor) => sub(v, mean(v, -1, true));
  const withValue = (base: Tensor, potential: Tensor) => (vBar ? add(base, mul(expandDims(vBar, -1), potential)) : base);
  const gA = centred(withValue(mul(yf, epsilon), f));
  const gB = centred(withValue(mul(yg, epsilon), g));
  let inner = add(expandDims(yf, -1), expandDims(yg, -2));
  if (vBar) inner = add(inner, reshape(vBar, [B, 1, 1]));
  if (pBar) inner = sub(inner, mul(pBar, 1 / epsilon));
  const gC = mul(P, inner);
  return { a: sumTo(gA, params.a.shape), b: sumTo(gB, params.b.shape), C: sumTo(gC, params.C.shape) };
}
