import { Tensor } from '@argmin/autodiff';
import type { Cotangents } from '@argmin/autodiff/extend';
import { strideOf } from '../shared/shapes.js';
import type { LqrParams, LqrSolution } from './problem.js';
import { RiccatiWorkspace, costates, riccatiAffine, rolloutLinear, type LqrArrays, type RiccatiFactors } from './riccati.js';
import { elementArrays, type LqrSaved } from './solve.js';

/**
 * The implicit VJP of LQR (Amos et al. 2018): with cotangents τ̄ of the trajectory, solve the
 * LQR problem with the same C and F, linear cost τ̄, no affine dynamics term and x0 = 0 — it
 * reuses the forward's gains and factors, so only the affine recursion runs — giving dτ and
 * its costates dλ. Then, with τ and λ of the forward solution,
 *   C̄_t = ½(dτ_t τ_tᵀ + τ_t dτ_tᵀ),  c̄_t = dτ_t,  x̄0 = dλ_0,
 *   F̄_t = dλ_{t+1} τ_tᵀ + λ_{t+1} dτ_tᵀ,  f̄_t = dλ_{t+1}.
 * Shared (unbatched) parameters receive the sum over the batch.
 */
export function lqrVjp(params: LqrParams, solution: LqrSolution, saved: LqrSaved, cot: Cotangents<LqrSolution>): Cotangents<LqrParams> {
  const { sizes, Csym, factors, lam, ok } = saved;
  const { T, ns, nc, n } = sizes;
  const B = sizes.batch ?? 1;
  const ws = new RiccatiWorkspace(T, ns, nc);
  const grads = new GradientBuffers(params);
  const tauBar = new Tensor(new Float64Array(B * T * n), sizes.batch === null ? [T, n] : [B, T, n]);
  interleave(cot.x ?? null, cot.u ?? null, tauBar.data, B * T, ns, nc);
  const dx = new Float64Array(T * ns);
  const du = new Float64Array(T * nc);
  const dlam = new Float64Array(T * ns);
  for (let b = 0; b < B; b++) {
    if (!ok[b]) continue;
    const arrays = elementArrays(params, Csym, tauBar, b);
    riccatiAffine(ws, factors[b]!, tauBar.data, arrays.qOff, arrays.F, arrays.FOff);
    const noAffine: LqrArrays = { ...arrays, f: null };
    rolloutLinear(factors[b] as RiccatiFactors, T, ns, nc, noAffine, null, 0, dx, 0, du, 0);
    costates(T, ns, nc, arrays, dx, 0, du, 0, dlam, 0, null, 0);
    accumulateLinear(grads, b, sizes, solution.x.data, solution.u.data, lam, dx, du, dlam);
  }
  return grads.result();
}

/** Writes [x_t; u_t] rows of n from separate x [R, ns] and u [R, nc] tensors (null → zeros). */
export function interleave(x: Tensor | null, u: Tensor | null, out: Float64Array, rows: number, ns: number, nc: number): void {
  const zx = new Float64Array(x ? 0 : rows * ns);
  const zu = new Float64Array(u ? 0 : rows * nc);
  interleaveRows(x ? x.data : zx, 0, u ? u.data : zu, 0, out, rows, ns, nc);
}

/** τ rows [x; u] of n from x (rows × ns at xOff) and u (rows × nc at uOff). */
export function interleaveRows(
  x: Float64Array,
  xOff: number,
  u: Float64Array,
  uOff: number,
  out: Float64Array,
  rows: number,
  ns: number,
  nc: number,
): void {
  const n = ns + nc;
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < ns; i++) out[r * n + i] = x[xOff + r * ns + i]!;
    for (let a = 0; a < nc; a++) out[r * n + ns + a] = u[uOff + r * nc + a]!;
  }
}

/** Gradient arrays shaped like the parameters; shared ones accumulate the batch sum. */
export class GradientBuffers {
  readonly data: Record<string, Float64Array> = {};
  readonly stride: Record<string, number> = {};

  constructor(
    private readonly params: Readonly<Record<string, Tensor | undefined>>,
    ranks: Readonly<Record<string, number>> = { C: 3, c: 2, F: 3, f: 2, x0: 1 },
  ) {
    for (const [k, t] of Object.entries(params)) {
      if (!t) continue;
      this.data[k] = new Float64Array(t.size);
      this.stride[k] = strideOf(t, ranks[k]!);
    }
  }

  /** Offset of batch element b's block of parameter k (0 for a shared parameter). */
  offset(k: string, b: number): number {
    return b * this.stride[k]!;
  }

  result(): Record<string, Tensor> {
    const out: Record<string, Tensor> = {};
    for (const [k, d] of Object.entries(this.data)) out[k] = new Tensor(d, this.params[k]!.shape);
    return out;
  }
}

/** Adds batch element b's gradients of C, c, x0 and (linear dynamics) F, f. */
export function accumulateLinear(
  g: GradientBuffers,
  b: number,
  sizes: { T: number; ns: number; nc: number },
  xAll: Float64Array,
  uAll: Float64Array,
  lamAll: Float64Array,
  dx: Float64Array,
  du: Float64Array,
  dlam: Float64Array,
): void {
  const { T, ns, nc } = sizes;
  const n = ns + nc;
  const tau = new Float64Array(T * n);
  const dtau = new Float64Array(T * n);
  interleaveRows(xAll, b * T * ns, uAll, b * T * nc, tau, T, ns, nc);
  interleaveRows(dx, 0, du, 0, dtau, T, ns, nc);
  accumulateCost(g, b, T, n, tau, dtau);
  const gx0 = g.data.x0;
  if (gx0) {
    const o = g.offset('x0', b);
    for (let i = 0; i < ns; i++) gx0[o + i]! += dlam[i]!;
  }
  const gF = g.data.F;
  if (gF) {
    const o = g.offset('F', b);
    for (let t = 0; t < T - 1; t++) {
      for (let r = 0; r < ns; r++) {
        const dl = dlam[(t + 1) * ns + r]!;
        const l = lamAll[b * T * ns + (t + 1) * ns + r]!;
        const row = o + t * ns * n + r * n;
        for (let j = 0; j < n; j++) gF[row + j]! += dl * tau[t * n + j]! + l * dtau[t * n + j]!;
      }
    }
  }
  const gf = g.data.f;
  if (gf) {
    const o = g.offset('f', b);
    for (let t = 0; t < T - 1; t++) for (let r = 0; r < ns; r++) gf[o + t * ns + r]! += dlam[(t + 1) * ns + r]!;
  }
}

/** C̄_t += ½(dτ_t τ_tᵀ + τ_t dτ_tᵀ), c̄_t += dτ_t. */
export function accumulateCost(g: GradientBuffers, b: number, T: number, n: number, tau: Float64Array, dtau: Float64Array): void {
  const gC = g.data.C;
  const gc = g.data.c;
  const oC = gC ? g.offset('C', b) : 0;
  const oc = gc ? g.offset('c', b) : 0;
  for (let t = 0; t < T; t++) {
    const r = t * n;
    for (let i = 0; i < n; i++) {
      const di = dtau[r + i]!;
      const ti = tau[r + i]!;
      if (gc) gc[oc + r + i]! += di;
      if (gC) {
        const row = oC + t * n * n + i * n;
        for (let j = 0; j < n; j++) gC[row + j]! += 0.5 * (di * tau[r + j]! + ti * dtau[r + j]!);
      }
    }
  }
}
