import { gemm } from '@argmin/autodiff/kernels';
import { choleskyInPlace } from './problem.js';

/**
 * The Riccati recursion of one batch element's LQR problem, on raw arrays. Shared by the LQR
 * forward, its backward ("just another LQR problem"), the box-DDP backward pass of MPC and its
 * implicit VJP (with the active controls pinned).
 *
 * Backward, with V_T = 0, v_T = 0 and, for t = T−1 … 0,
 *   Q_t = C_t + F_tᵀ V_{t+1} F_t,   q_t = c_t + F_tᵀ (V_{t+1} f_t + v_{t+1}),
 *   u_t = K_t x_t + k_t with K_t = −Q_uu⁻¹ Q_ux, k_t = −Q_uu⁻¹ q_u (restricted to free controls),
 *   V_t = Q_xx + Q_xu K_t,   v_t = q_x + Q_xu k_t + K_tᵀ (q_u + Q_uu k_t).
 * The factors of Q_uu and the blocks Q_ux are kept, so a second solve with the same C and F
 * but new linear terms (the VJP) only redoes the affine part, O(T·n·ns) instead of O(T·n³).
 */

/** One element's problem data as (array, offset) views; C must be symmetric. */
export interface LqrArrays {
  readonly C: Float64Array;
  readonly cOff: number;
  /** Linear cost terms, T vectors of n. */
  readonly q: Float64Array;
  readonly qOff: number;
  /** Dynamics Jacobians [T−1, ns, n]. */
  readonly F: Float64Array;
  readonly FOff: number;
  /** Affine dynamics terms [T−1, ns], or null for zero. */
  readonly f: Float64Array | null;
  readonly fOff: number;
}

/**
 * Chooses the control step of one time step in box mode: solves min ½kᵀHk + gᵀk on the box,
 * writes k (nc entries at kOff) and the free mask (1 = free) and returns false if H is not
 * positive definite on the free controls.
 */
export type BoxStep = (
  t: number,
  H: Float64Array,
  g: Float64Array,
  k: Float64Array,
  kOff: number,
  free: Uint8Array,
  freeOff: number,
) => boolean;

/** Scratch buffers of the recursion, shared by the elements of a batch. */
export class RiccatiWorkspace {
  readonly n: number;
  readonly Q: Float64Array;
  readonly qt: Float64Array;
  readonly V: Float64Array;
  readonly v: Float64Array;
  readonly W: Float64Array;
  readonly tmp: Float64Array;
  readonly Huu: Float64Array;
  readonly gu: Float64Array;

  constructor(
    readonly T: number,
    readonly ns: number,
    readonly nc: number,
  ) {
    const n = (this.n = ns + nc);
    this.Q = new Float64Array(n * n);
    this.qt = new Float64Array(n);
    this.V = new Float64Array(ns * ns);
    this.v = new Float64Array(ns);
    this.W = new Float64Array(ns * n);
    this.tmp = new Float64Array(Math.max(ns, n));
    this.Huu = new Float64Array(nc * nc);
    this.gu = new Float64Array(nc);
  }
}

/** What one element's backward pass keeps: the policy and the factors the VJP reuses. */
export class RiccatiFactors {
  /** Feedback gains [T, nc, ns] and feedforward terms [T, nc]. */
  readonly K: Float64Array;
  readonly k: Float64Array;
  /** Cholesky factors of Q_uu restricted to the free controls (identity on pinned ones) [T, nc, nc]. */
  readonly L: Float64Array;
  /** Q_ux [T, nc, ns]. */
  readonly Qux: Float64Array;
  /** 1 where a control is free, 0 where it is pinned [T, nc]. */
  readonly free: Uint8Array;

  constructor(T: number, ns: number, nc: number) {
    this.K = new Float64Array(T * nc * ns);
    this.k = new Float64Array(T * nc);
    this.L = new Float64Array(T * nc * nc);
    this.Qux = new Float64Array(T * nc * ns);
    this.free = new Uint8Array(T * nc).fill(1);
  }
}

/**
 * The backward pass. Mode 'free' frees every control, 'pinned' keeps `fac.free` as set by the
 * caller (pinned controls get zero gain and step), 'box' asks `box` for each step. Returns −1,
 * or the first time step whose Q_uu is not positive definite on the free controls.
 */
export function riccatiBackward(
  ws: RiccatiWorkspace,
  fac: RiccatiFactors,
  p: LqrArrays,
  mode: 'free' | 'pinned' | 'box',
  box?: BoxStep,
): number {
  const { T, ns, nc, n, Q, qt, V, v, W, tmp } = ws;
  const { K, k, L, Qux, free } = fac;
  if (mode === 'free') free.fill(1);
  V.fill(0);
  v.fill(0);
  for (let t = T - 1; t >= 0; t--) {
    const cO = p.cOff + t * n * n;
    for (let i = 0; i < n * n; i++) Q[i] = p.C[cO + i]!;
    for (let i = 0; i < n; i++) qt[i] = p.q[p.qOff + t * n + i]!;
    if (t < T - 1) {
      const fO = p.FOff + t * ns * n;
      // W = V F, Q += Fᵀ W; tmp = V f + v, q += Fᵀ tmp.
      gemm(false, false, ns, n, ns, 1, V, 0, ns, p.F, fO, n, 0, W, 0, n);
      gemm(true, false, n, n, ns, 1, p.F, fO, n, W, 0, n, 1, Q, 0, n);
      for (let i = 0; i < ns; i++) {
        let s = v[i]!;
        if (p.f) for (let j = 0; j < ns; j++) s += V[i * ns + j]! * p.f[p.fOff + t * ns + j]!;
        tmp[i] = s;
      }
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let i = 0; i < ns; i++) s += p.F[fO + i * n + j]! * tmp[i]!;
        qt[j]! += s;
      }
    }
    const kO = t * nc;
    const KO = t * nc * ns;
    const LO = t * nc * nc;
    for (let a = 0; a < nc; a++) for (let j = 0; j < ns; j++) Qux[KO + a * ns + j] = Q[(ns + a) * n + j]!;
    if (mode === 'box') {
      for (let a = 0; a < nc; a++) {
        ws.gu[a] = qt[ns + a]!;
        for (let b = 0; b < nc; b++) ws.Huu[a * nc + b] = Q[(ns + a) * n + ns + b]!;
      }
      if (!box!(t, ws.Huu, ws.gu, k, kO, free, kO)) return t;
    }
    // Cholesky of Q_uu on the free controls (identity rows/columns for pinned ones).
    for (let a = 0; a < nc; a++) {
      for (let b = 0; b < nc; b++) {
        L[LO + a * nc + b] = free[kO + a] && free[kO + b] ? Q[(ns + a) * n + ns + b]! : a === b ? 1 : 0;
      }
    }
    if (choleskyInPlace(L, nc, LO) >= 0) return t;
    // K = −Q_uu⁻¹ Q_ux (pinned rows zero); in the unboxed modes k = −Q_uu⁻¹ q_u likewise.
    for (let a = 0; a < nc; a++) {
      const on = free[kO + a] === 1;
      for (let j = 0; j < ns; j++) K[KO + a * ns + j] = on ? -Qux[KO + a * ns + j]! : 0;
      if (mode !== 'box') k[kO + a] = on ? -qt[ns + a]! : 0;
    }
    cholSolveRows(L, LO, nc, K, KO, ns);
    if (mode !== 'box') cholSolveRows(L, LO, nc, k, kO, 1);
    valueUpdate(ws, fac, t);
  }
  return -1;
}

/** V = Q_xx + Q_xu K (symmetrized), v = q_x + Q_xu k + Kᵀ(q_u + Q_uu k), for step t. */
function valueUpdate(ws: RiccatiWorkspace, fac: RiccatiFactors, t: number): void {
  const { ns, nc, n, Q, qt, V, v, tmp } = ws;
  const { K, k } = fac;
  const KO = t * nc * ns;
  const kO = t * nc;
  for (let i = 0; i < ns; i++) {
    for (let j = 0; j <= i; j++) {
      let s = 0.5 * (Q[i * n + j]! + Q[j * n + i]!);
      for (let a = 0; a < nc; a++) s += 0.5 * (Q[i * n + ns + a]! * K[KO + a * ns + j]! + Q[j * n + ns + a]! * K[KO + a * ns + i]!);
      V[i * ns + j] = s;
      V[j * ns + i] = s;
    }
  }
  // tmp[a] = q_u + Q_uu k (zero at the exact unconstrained or free-restricted step).
  for (let a = 0; a < nc; a++) {
    let s = qt[ns + a]!;
    for (let b = 0; b < nc; b++) s += Q[(ns + a) * n + ns + b]! * k[kO + b]!;
    tmp[a] = s;
  }
  for (let i = 0; i < ns; i++) {
    let s = qt[i]!;
    for (let a = 0; a < nc; a++) s += Q[i * n + ns + a]! * k[kO + a]! + K[KO + a * ns + i]! * tmp[a]!;
    v[i] = s;
  }
}

/** Solves (L Lᵀ) X = B in place for B with `cols` columns, stored row-major at bOff (nc rows). */
export function cholSolveRows(L: Float64Array, lOff: number, nc: number, B: Float64Array, bOff: number, cols: number): void {
  for (let i = 0; i < nc; i++) {
    for (let j = 0; j < i; j++) {
      const lij = L[lOff + i * nc + j]!;
      if (lij !== 0) for (let r = 0; r < cols; r++) B[bOff + i * cols + r]! -= lij * B[bOff + j * cols + r]!;
    }
    const inv = 1 / L[lOff + i * nc + i]!;
    for (let r = 0; r < cols; r++) B[bOff + i * cols + r]! *= inv;
  }
  for (let i = nc - 1; i >= 0; i--) {
    for (let j = i + 1; j < nc; j++) {
      const lji = L[lOff + j * nc + i]!;
      if (lji !== 0) for (let r = 0; r < cols; r++) B[bOff + i * cols + r]! -= lji * B[bOff + j * cols + r]!;
    }
    const inv = 1 / L[lOff + i * nc + i]!;
    for (let r = 0; r < cols; r++) B[bOff + i * cols + r]! *= inv;
  }
}

/**
 * The affine part of the backward pass again, with the gains, factors and Q_ux of the last
 * `riccatiBackward` on the same C and F but new linear terms `q` and no affine dynamics term:
 * only k and v change. Used by the VJP, whose LQR differs from the forward one only there.
 */
export function riccatiAffine(
  ws: RiccatiWorkspace,
  fac: RiccatiFactors,
  q: Float64Array,
  qOff: number,
  F: Float64Array,
  FOff: number,
): void {
  const { T, ns, nc, n, v, tmp } = ws;
  const { k, L, Qux, free } = fac;
  v.fill(0);
  const qt = ws.qt;
  for (let t = T - 1; t >= 0; t--) {
    for (let i = 0; i < n; i++) qt[i] = q[qOff + t * n + i]!;
    if (t < T - 1) {
      const fO = FOff + t * ns * n;
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let i = 0; i < ns; i++) s += F[fO + i * n + j]! * v[i]!;
        qt[j]! += s;
      }
    }
    const kO = t * nc;
    const KO = t * nc * ns;
    for (let a = 0; a < nc; a++) k[kO + a] = free[kO + a] ? -qt[ns + a]! : 0;
    cholSolveRows(L, t * nc * nc, nc, k, kO, 1);
    // v = q_x + Q_xu k (the Kᵀ(q_u + Q_uu k) term vanishes for the exact restricted step).
    for (let i = 0; i < ns; i++) {
      let s = qt[i]!;
      for (let a = 0; a < nc; a++) s += Qux[KO + a * ns + i]! * k[kO + a]!;
      tmp[i] = s;
    }
    for (let i = 0; i < ns; i++) v[i] = tmp[i]!;
  }
}

/**
 * Rolls the linear policy u_t = K_t x_t + k_t through x_{t+1} = F_t τ_t + f_t from x0, writing
 * x [T, ns] and u [T, nc] at the given offsets.
 */
export function rolloutLinear(
  fac: RiccatiFactors,
  T: number,
  ns: number,
  nc: number,
  p: LqrArrays,
  x0: Float64Array | null,
  x0Off: number,
  x: Float64Array,
  xOff: number,
  u: Float64Array,
  uOff: number,
): void {
  const n = ns + nc;
  const { K, k } = fac;
  for (let i = 0; i < ns; i++) x[xOff + i] = x0 ? x0[x0Off + i]! : 0;
  for (let t = 0; t < T; t++) {
    const xt = xOff + t * ns;
    const ut = uOff + t * nc;
    for (let a = 0; a < nc; a++) {
      let s = k[t * nc + a]!;
      for (let j = 0; j < ns; j++) s += K[t * nc * ns + a * ns + j]! * x[xt + j]!;
      u[ut + a] = s;
    }
    if (t === T - 1) break;
    const fO = p.FOff + t * ns * n;
    for (let i = 0; i < ns; i++) {
      let s = p.f ? p.f[p.fOff + t * ns + i]! : 0;
      for (let j = 0; j < ns; j++) s += p.F[fO + i * n + j]! * x[xt + j]!;
      for (let a = 0; a < nc; a++) s += p.F[fO + i * n + ns + a]! * u[ut + a]!;
      x[xt + ns + i] = s;
    }
  }
}

/**
 * Costates of the dynamics constraints at a trajectory: λ_{T−1} = (C τ + q)_x and
 * λ_t = (C_t τ_t + q_t)_x + F_{t,x}ᵀ λ_{t+1}, written to lam [T, ns]. Also writes the control
 * gradient g_t = (C_t τ_t + q_t)_u + F_{t,u}ᵀ λ_{t+1} to grad [T, nc] if given (zero at a free
 * optimum; minus the bound multiplier at an active bound).
 */
export function costates(
  T: number,
  ns: number,
  nc: number,
  p: LqrArrays,
  x: Float64Array,
  xOff: number,
  u: Float64Array,
  uOff: number,
  lam: Float64Array,
  lamOff: number,
  grad: Float64Array | null,
  gradOff: number,
): void {
  const n = ns + nc;
  for (let t = T - 1; t >= 0; t--) {
    const cO = p.cOff + t * n * n;
    for (let i = 0; i < n; i++) {
      let s = p.q[p.qOff + t * n + i]!;
      const row = cO + i * n;
      for (let j = 0; j < ns; j++) s += p.C[row + j]! * x[xOff + t * ns + j]!;
      for (let a = 0; a < nc; a++) s += p.C[row + ns + a]! * u[uOff + t * nc + a]!;
      if (t < T - 1) {
        const fO = p.FOff + t * ns * n;
        for (let r = 0; r < ns; r++) s += p.F[fO + r * n + i]! * lam[lamOff + (t + 1) * ns + r]!;
      }
      if (i < ns) lam[lamOff + t * ns + i] = s;
      else if (grad) grad[gradOff + t * nc + i - ns] = s;
    }
  }
}
