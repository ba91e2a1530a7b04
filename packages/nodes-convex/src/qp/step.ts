import {
  InvalidInputError,
  Tensor,
  add,
  broadcastTo,
  concat,
  expandDims,
  eye,
  matmul,
  matmulT,
  matrixTranspose,
  maximum,
  mul,
  neg,
  slice,
  solve,
  squeeze,
  sub,
  symmetrize,
  zeros,
} from '@argmin/autodiff';
import type { SolveControls, SolverStep } from '@argmin/autodiff/extend';
import { qpDims, type QpOptions, type QpParams, type QpSolution } from './problem.js';

/** M·x for M `[..., r, c]` and x `[..., c]` (batch dimensions broadcast). */
const mv = (M: Tensor, x: Tensor): Tensor => squeeze(matmul(M, expandDims(x, -1)), -1);
/** Mᵀ·y for M `[..., r, c]` and y `[..., r]`. */
const mtv = (M: Tensor, y: Tensor): Tensor => squeeze(matmulT(M, expandDims(y, -1), true, false), -1);

/** Fraction of the step to the boundary, and the centring of the complementarity target. */
const STEP_FRACTION = 0.99;
const MAX_SIGMA = 0.1;
/**
 * Floor of the complementarity target: at a degenerate (weakly active) constraint λᵢ and sᵢ
 * then level off near 1e-7 instead of both reaching 0, where the Newton matrix is singular.
 */
const MIN_TARGET = 1e-14;

/**
 * One iteration of a primal–dual interior-point method written with differentiable ops, for
 * the 'unroll' strategy: a Newton step on the perturbed KKT conditions
 *   Qz + p + Gᵀλ + Aᵀν = 0,  λ∘s = σμ,  Az = b,  s + Gz = h,
 * damped to keep λ, s > 0. The target σμ (with σ = min(0.1, μ), so it falls superlinearly, to 1e-14)
 * and the step length are taken as constants. At convergence the step is a Newton step on
 * the KKT residual, whose derivative is the implicit one, so the unrolled gradient converges
 * to it on strictly complementary problems.
 */
export const qpStep: SolverStep<QpParams, QpSolution, QpOptions> = {
  defaultSteps: 25,
  init(params, options: QpOptions & SolveControls<QpSolution>) {
    const { batch, n, m, k } = qpDims(params);
    const lead = batch === null ? [] : [batch];
    const warm = options.warmStart ?? {};
    const z = warm.z ? broadcastTo(warm.z, [...lead, n]) : zeros([...lead, n]);
    const nu = warm.nu ? broadcastTo(warm.nu, [...lead, k]) : zeros([...lead, k]);
    if (m === 0) return { z, lam: zeros([...lead, 0]), nu, slack: zeros([...lead, 0]) };
    // A warm start keeps its multipliers and slacks, lifted off zero; a cold one starts at 1.
    const floor = warm.z || warm.lam ? 1e-3 : 1;
    const slack = broadcastTo(maximum(warm.slack ?? sub(params.h!, mv(params.G!, z)), floor), [...lead, m]);
    const lam = broadcastTo(warm.lam ? maximum(warm.lam, floor) : new Tensor(new Float64Array(m).fill(1), [m]), [...lead, m]);
    return { z, lam, nu, slack };
  },
  update(params, state) {
    const { Q, p, G, h, A, b } = params;
    const { z, lam, nu, slack } = state;
    const n = z.shape[z.ndim - 1]!;
    const m = lam.shape[lam.ndim - 1]!;
    const k = nu.shape[nu.ndim - 1]!;
    const lead = z.shape.slice(0, -1);
    const block = (t: Tensor, rows: number, cols: number) => broadcastTo(t, [...lead, rows, cols]);
    const zero = (rows: number, cols: number) => zeros([...lead, rows, cols]);
    const Qs = symmetrize(Q);
    // Residuals, and the Newton matrix in (Δz, Δλ, Δν, Δs); unreduced, so its entries stay
    // bounded as λ∘s → 0 (the reduced form has λ/s, which the LU would take as singular).
    let r1 = add(mv(Qs, z), p);
    if (m > 0) r1 = add(r1, mtv(G!, lam));
    if (k > 0) r1 = add(r1, mtv(A!, nu));
    const rows: Tensor[][] = [[block(Qs, n, n)]];
    const rhs: Tensor[] = [broadcastTo(neg(r1), [...lead, n])];
    if (m > 0) rows[0]!.push(block(matrixTranspose(G!), n, m));
    if (k > 0) rows[0]!.push(block(matrixTranspose(A!), n, k));
    if (m > 0) rows[0]!.push(zero(n, m));
    let r4: Tensor | null = null;
    let r2: Tensor | null = null;
    if (m > 0) {
      r2 = sub(mul(lam, slack), centringTarget(lam, slack, lead));
      rows.push([zero(m, n), diag(slack), ...(k > 0 ? [zero(m, k)] : []), diag(lam)]);
      rhs.push(neg(r2));
    }
    const nuRow = rows.length;
    if (k > 0) {
      rows.push([block(A!, k, n), ...(m > 0 ? [zero(k, m)] : []), zero(k, k), ...(m > 0 ? [zero(k, m)] : [])]);
      rhs.push(broadcastTo(neg(sub(mv(A!, z), b!)), [...lead, k]));
    }
    if (m > 0) {
      r4 = sub(add(slack, mv(G!, z)), h!);
      rows.push([block(G!, m, n), zero(m, m), ...(k > 0 ? [zero(m, k)] : []), block(eye(m), m, m)]);
      rhs.push(broadcastTo(neg(r4), [...lead, m]));
    }
    const assemble = () =>
      rows.length === 1
        ? rows[0]![0]!
        : concat(
            rows.map((r) => concat(r, -1)),
            -2,
          );
    const right = rhs.length === 1 ? rhs[0]! : concat(rhs, -1);
    let step: Tensor;
    try {
      step = solve(assemble(), right);
    } catch (e) {
      if (!(e instanceof InvalidInputError)) throw e;
      // Linearly dependent equality rows make the Newton matrix singular: a proximal term −δI in
      // the (ν, ν) block makes it solvable while the residual, hence the fixed point, is unchanged
      // (ν converges to the multiplier of least norm). Otherwise (an infeasible problem unrolled
      // under 'unroll-fallback') stay put, and the status reports it.
      if (k === 0) return state;
      const delta = 1e-10 * (1 + maxAbs(A!) ** 2);
      rows[nuRow]![m > 0 ? 2 : 1] = mul(block(eye(k), k, k), -delta);
      try {
        step = solve(assemble(), right);
      } catch (e2) {
        if (e2 instanceof InvalidInputError) return state;
        throw e2;
      }
    }
    const dz = lastAxis(step, 0, n);
    const dlam = lastAxis(step, n, n + m);
    const dnu = lastAxis(step, n + m, n + m + k);
    const ds = lastAxis(step, n + m + k, n + 2 * m + k);
    if (m === 0) return { z: add(z, dz), lam, nu: k > 0 ? add(nu, dnu) : nu, slack };
    const alpha = stepLengths(lam, slack, dlam, ds, lead);
    return {
      z: add(z, mul(alpha, dz)),
      lam: add(lam, mul(alpha, dlam)),
      nu: k > 0 ? add(nu, mul(alpha, dnu)) : nu,
      slack: add(slack, mul(alpha, ds)),
    };
  },
};

/** diag(v) for v `[..., m]`: `[..., m, m]`. */
function diag(v: Tensor): Tensor {
  const m = v.shape[v.ndim - 1]!;
  return mul(expandDims(v, -1), eye(m));
}

/** Entries [from, to) of the last axis. */
function lastAxis(t: Tensor, from: number, to: number): Tensor {
  const starts = t.shape.map((_, i) => (i === t.ndim - 1 ? from : 0));
  const ends = t.shape.map((d, i) => (i === t.ndim - 1 ? to : d));
  return slice(t, starts, ends);
}

/** σμ per batch element, as a constant `[..., 1]`: μ = λᵀs/m and σ = min(0.1, μ), at least MIN_TARGET. */
function centringTarget(lam: Tensor, slack: Tensor, lead: readonly number[]): Tensor {
  const m = lam.shape[lam.ndim - 1]!;
  const count = lam.size / m;
  const out = new Float64Array(count);
  for (let e = 0; e < count; e++) {
    let mu = 0;
    for (let i = 0; i < m; i++) mu += lam.data[e * m + i]! * slack.data[e * m + i]!;
    mu /= m;
    out[e] = Math.max(Math.min(MAX_SIGMA, mu) * mu, MIN_TARGET);
  }
  return new Tensor(out, [...lead, 1]);
}

/** The damped step length per batch element, as a constant `[..., 1]`. */
function stepLengths(lam: Tensor, slack: Tensor, dlam: Tensor, ds: Tensor, lead: readonly number[]): Tensor {
  const m = lam.shape[lam.ndim - 1]!;
  const count = lam.size / m;
  const out = new Float64Array(count);
  for (let e = 0; e < count; e++) {
    let a = Infinity;
    for (let i = e * m; i < (e + 1) * m; i++) {
      if (dlam.data[i]! < 0) a = Math.min(a, -lam.data[i]! / dlam.data[i]!);
      if (ds.data[i]! < 0) a = Math.min(a, -slack.data[i]! / ds.data[i]!);
    }
    out[e] = Math.min(1, STEP_FRACTION * a);
  }
  return new Tensor(out, [...lead, 1]);
}

function maxAbs(t: Tensor): number {
  let s = 0;
  for (const v of t.data) s = Math.max(s, Math.abs(v));
  return s;
}
