import { dot, solveRightLowerTransposed, type CholeskyFactor } from '@argmin/autodiff/kernels';
import { addMatTVec, matVec, syrkLower, tryCholesky } from './dense.js';

/** The matrices of a KKT system: Q (n×n, symmetric), G (m×n), A (k×n), row-major, and E ≥ 0 (k). */
export interface KktData {
  readonly n: number;
  readonly m: number;
  readonly k: number;
  readonly Q: Float64Array;
  readonly G: Float64Array;
  readonly A: Float64Array;
  /** The diagonal of the (ν, ν) block −E; absent means 0. */
  readonly e?: Float64Array;
}

export interface KktOptions {
  /**
   * 'always': factor H = Q + GᵀDG + ρAᵀA (ρ > 0), positive definite whenever the KKT matrix is
   * nonsingular, even for a singular Q (cvxopt's trick). 'fallback': first try ρ = 0, which
   * saves forming AᵀA, and augment only if H is singular.
   */
  readonly augment: 'always' | 'fallback';
  /**
   * Whether a singular system is regularized by a small multiple of I (with iterative
   * refinement of every solve), or makes `factor` return false.
   */
  readonly regularize: boolean;
}

/** A pivot below this fraction of its diagonal entry counts as singular under augment 'fallback'. */
const PIVOT_RTOL = 1e-12;

/**
 * The KKT system of a QP for a diagonal D = diag(λ/s) > 0 (the interior-point system; with m = 0
 * and E = 0 it is the equality-constrained system of an active set):
 *
 *   [ Q   Gᵀ      Aᵀ ] [x]   [rx]
 *   [ G  −D⁻¹     0  ] [λ] = [rλ]
 *   [ A   0      −E  ] [ν]   [rν]
 *
 * reduced to an n×n Cholesky factorization. Eliminating λ = D(Gx − rλ) leaves
 * (Q + GᵀDG)x + Aᵀν = rx + GᵀD rλ, plus ρAᵀ(Ax − rν) = 0 when augmented, and the rows of A
 * are solved through the k×k Schur complement S = A H⁻¹ Aᵀ + E. What does not change between
 * factorizations (Q + ρAᵀA, Gᵀ, Aᵀ) is formed once. (Augmenting drops E's term ρAᵀEν from
 * the factor; iterative refinement restores it.)
 */
export class ReducedKkt {
  readonly n: number;
  readonly m: number;
  readonly k: number;
  /** The diagonal D = λ/s of the current factorization. */
  readonly d: Float64Array;
  /** Whether the last factorization had to be regularized. */
  regularized = false;
  private refine = false;
  private data: KktData;
  private readonly options: KktOptions;
  private rho = 0;
  private QA: Float64Array = new Float64Array(0);
  private QAbuf: Float64Array | undefined;
  private readonly GT: Float64Array;
  private qMax = 0;
  private aMax = 0;
  private gMax = 0;
  private hBuf: Float64Array | null = null;
  private readonly GsT: Float64Array;
  private readonly YT: Float64Array;
  private readonly S: Float64Array;
  private L: CholeskyFactor | null = null;
  private Sf: CholeskyFactor | null = null;
  // The buffers L and Sf are factored into, reused by every factorization of the batch (L's and
  // H's made on first use: a system factored with a given L never needs them).
  private lFactor: CholeskyFactor | null = null;
  private readonly sBuf: CholeskyFactor;
  // Scratch of the solves.
  private readonly t: Float64Array;
  private readonly w: Float64Array;
  private readonly gx: Float64Array;
  private readonly ex: Float64Array;
  private readonly en: Float64Array;
  private readonly cx: Float64Array;
  private readonly cl: Float64Array;
  private readonly cn: Float64Array;
  private readonly zeroM: Float64Array;

  constructor(data: KktData, options: KktOptions) {
    const { n, m, k } = data;
    this.options = options;
    this.n = n;
    this.m = m;
    this.k = k;
    const vec = (len: number) => new Float64Array(len);
    this.GT = vec(n * m);
    this.GsT = vec(n * m);
    this.YT = vec(k * n);
    this.S = vec(k * k);
    this.d = vec(m);
    this.t = vec(n);
    this.w = vec(k);
    this.gx = vec(m);
    this.ex = vec(n);
    this.en = vec(k);
    this.cx = vec(n);
    this.cl = vec(m);
    this.cn = vec(k);
    this.zeroM = vec(m);
    this.sBuf = { kind: 'cholesky', n: k, batch: 1, l: vec(k * k) };
    this.data = data;
    this.load(data);
  }

  /**
   * Takes the matrices of another problem of the same sizes (a batch reuses one object and its
   * buffers for all its elements), forming what does not change between factorizations.
   */
  load(data: KktData): void {
    const { n, m, k, Q, G, A } = data;
    if (n !== this.n || m !== this.m || k !== this.k)
      throw new Error(`ReducedKkt.load: sizes (${n}, ${m}, ${k}) differ from (${this.n}, ${this.m}, ${this.k})`);
    this.data = data;
    let qMax = 0;
    for (let i = 0; i < n; i++) qMax = Math.max(qMax, Math.abs(Q[i * n + i]!));
    this.qMax = qMax;
    this.aMax = maxAbs(A);
    this.gMax = maxAbs(G);
    this.rho = 0;
    this.refine = false;
    this.L = null;
    this.Sf = null;
    this.QA = Q;
    if (this.options.augment === 'always') this.augment();
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) this.GT[j * m + i] = G[i * n + j]!;
  }

  /** QA = Q + ρAᵀA, with ρ putting ρAᵀA on the scale of Q (or of 1 for an LP). */
  private augment(): boolean {
    const { n, k, Q, A } = this.data;
    if (k === 0 || this.aMax === 0 || this.rho > 0) return false;
    this.refine = this.data.e !== undefined;
    this.rho = Math.max(this.qMax, 1) / (this.aMax * this.aMax);
    // Lower triangle of AᵀA from the rows of Aᵀ; only the lower triangle of H is ever read.
    this.QAbuf ??= new Float64Array(n * n);
    const QA = this.QAbuf;
    syrkLower(n, k, transpose(k, n, A), null, QA);
    for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) QA[i * n + j] = Q[i * n + j]! + this.rho * QA[i * n + j]!;
    this.QA = QA;
    return true;
  }

  private get H(): Float64Array {
    return (this.hBuf ??= new Float64Array(this.n * this.n));
  }

  private get lBuf(): CholeskyFactor {
    return (this.lFactor ??= { kind: 'cholesky', n: this.n, batch: 1, l: new Float64Array(this.n * this.n) });
  }

  /** Factors the system for D = lam / s (elementwise). Returns false if it could not be factored. */
  factor(lam: Float64Array, s: Float64Array): boolean {
    const { n, m, d, H, GsT, GT, YT } = this;
    const sq = this.gx;
    for (let i = 0; i < m; i++) {
      d[i] = lam[i]! / s[i]!;
      sq[i] = Math.sqrt(d[i]!);
    }
    for (let i = 0; i < n; i++) for (let r = 0; r < m; r++) GsT[i * m + r] = GT[i * m + r]! * sq[r]!;
    this.regularized = false;
    this.formH();
    this.L = tryCholesky(H, n, this.lBuf);
    if (this.options.augment === 'fallback' && (this.L === null || !healthyPivots(this.L, H, n)) && this.augment()) {
      this.formH();
      this.L = tryCholesky(H, n, this.lBuf);
    }
    const scale = Math.max(1, this.qMax, this.gMax * this.gMax, this.rho * this.aMax * this.aMax);
    if (this.L === null && this.options.regularize) this.L = this.shifted(H, n, this.lBuf, 1e-11 * scale, 1e-3 * scale);
    if (this.L === null) return false;
    YT.set(this.data.A);
    solveRightLowerTransposed(false, this.k, n, this.L.l, 0, n, YT, 0, n);
    return this.factorSchur();
  }

  /**
   * Factors a system without inequality rows (m = 0) and without augmentation, whose H = Q the
   * caller has factored, given Yᵀ = A·L⁻ᵀ (k rows): only the Schur complement is factored. For
   * systems that differ only in their rows of A (the polish's guesses of the active set), L and
   * L⁻¹ of every candidate row are then computed once. `L` is kept by reference, not copied, and
   * so is `schur`, the factor of S = YᵀY when the caller has it (it is then not formed again).
   */
  factorGiven(L: CholeskyFactor, YT: Float64Array, schur?: CholeskyFactor): boolean {
    if (this.m !== 0 || this.rho !== 0) throw new Error('ReducedKkt.factorGiven: only for m = 0 without augmentation');
    this.regularized = false;
    this.L = L;
    this.YT.set(YT.subarray(0, this.k * this.n));
    if (schur && schur.n === this.k) {
      this.Sf = schur;
      return true;
    }
    return this.factorSchur();
  }

  /** H = Q + ρAᵀA + GᵀDG, lower triangle, as X·Xᵀ for the rows X of D^{1/2}-scaled Gᵀ. */
  private formH(): void {
    syrkLower(this.n, this.m, this.GsT, this.QA, this.H);
  }

  /** The Cholesky factor of S = YᵀY + E = A H⁻¹ Aᵀ + E, for Yᵀ = A L⁻ᵀ (row r: L⁻¹aᵣ) already in YT. */
  private factorSchur(): boolean {
    const { n, k, YT, S } = this;
    if (k === 0) return true;
    syrkLower(k, n, YT, null, S);
    const e = this.data.e;
    if (e) for (let i = 0; i < k; i++) S[i * k + i]! += e[i]!;
    let sMax = 0;
    for (let i = 0; i < k; i++) sMax = Math.max(sMax, S[i * k + i]!);
    this.Sf = tryCholesky(S, k, this.sBuf);
    if (this.Sf !== null && this.options.augment === 'fallback' && !healthyPivots(this.Sf, S, k)) this.Sf = null;
    if (this.Sf === null && this.options.regularize) this.Sf = this.shifted(S, k, this.sBuf, 1e-13 * sMax, 1e-3 * sMax);
    return this.Sf !== null;
  }

  /** Cholesky of `a` + δI for δ = first, 100·first, … up to `last` (the diagonal is shifted in place). */
  private shifted(a: Float64Array, n: number, into: CholeskyFactor, first: number, last: number): CholeskyFactor | null {
    let f: CholeskyFactor | null = null;
    let added = 0;
    if (!Number.isFinite(last)) return null;
    for (let delta = Math.max(first, Number.MIN_VALUE); f === null && delta <= last; delta *= 100) {
      for (let i = 0; i < n; i++) a[i * n + i]! += delta - added;
      added = delta;
      this.regularized = true;
      f = tryCholesky(a, n, into);
    }
    return f;
  }

  /** Solves the KKT system for the right-hand side (rx, rl, rn) into (x, l, nu). */
  solve(rx: Float64Array, rl: Float64Array, rn: Float64Array, x: Float64Array, l: Float64Array, nu: Float64Array): void {
    this.solveFactored(rx, rl, rn, x, l, nu);
    if (!this.regularized && !this.refine) return;
    // Iterative refinement against the unregularized system; λ's rows hold by construction.
    const { n, m, k, data, ex, en, cx, cl, cn } = this;
    let prev = Infinity;
    for (let it = 0; it < 4; it++) {
      matVec(n, n, data.Q, x, ex);
      addMatTVec(m, n, 1, data.G, l, ex);
      addMatTVec(k, n, 1, data.A, nu, ex);
      let err = 0;
      for (let i = 0; i < n; i++) err = Math.max(err, Math.abs((ex[i] = rx[i]! - ex[i]!)));
      matVec(k, n, data.A, x, en);
      const e = data.e;
      for (let i = 0; i < k; i++) err = Math.max(err, Math.abs((en[i] = rn[i]! - en[i]! + (e ? e[i]! * nu[i]! : 0))));
      if (!(err < 0.5 * prev) || err === 0) break;
      prev = err;
      this.solveFactored(ex, this.zeroM, en, cx, cl, cn);
      for (let i = 0; i < n; i++) x[i]! += cx[i]!;
      for (let i = 0; i < m; i++) l[i]! += cl[i]!;
      for (let i = 0; i < k; i++) nu[i]! += cn[i]!;
    }
  }

  private solveFactored(rx: Float64Array, rl: Float64Array, rn: Float64Array, x: Float64Array, l: Float64Array, nu: Float64Array): void {
    const { n, m, k, data, d, t, w, gx } = this;
    const L = this.L!.l;
    // t = L⁻¹(rx + Gᵀ D rλ + ρAᵀ rν).
    for (let i = 0; i < n; i++) t[i] = rx[i]!;
    for (let i = 0; i < m; i++) gx[i] = d[i]! * rl[i]!;
    addMatTVec(m, n, 1, data.G, gx, t);
    if (k > 0 && this.rho > 0) addMatTVec(k, n, this.rho, data.A, rn, t);
    forwardSubstitute(n, L, t);
    if (k > 0) {
      // ν = S⁻¹(Yᵀt − rν), t ← t − Yν.
      const YT = this.YT;
      for (let i = 0; i < k; i++) w[i] = dot(n, YT, t, i * n, 0) - rn[i]!;
      const Sl = this.Sf!.l;
      forwardSubstitute(k, Sl, w);
      backSubstituteTransposed(k, Sl, w);
      nu.set(w);
      for (let i = 0; i < k; i++) {
        const wi = w[i]!;
        if (wi !== 0) for (let r = 0; r < n; r++) t[r]! -= YT[i * n + r]! * wi;
      }
    }
    backSubstituteTransposed(n, L, t);
    x.set(t);
    // λ = D(Gx − rλ).
    matVec(m, n, data.G, x, gx);
    for (let i = 0; i < m; i++) l[i] = d[i]! * (gx[i]! - rl[i]!);
  }
}

/**
 * The Cholesky factor of the n×n matrix `a` (lower triangle read) when it exists and every pivot
 * is healthy (the test of augment 'fallback'), else null; written into `into` when it is of order n.
 */
export function healthyCholesky(a: Float64Array, n: number, into?: CholeskyFactor): CholeskyFactor | null {
  const f = tryCholesky(a, n, into);
  return f !== null && healthyPivots(f, a, n) ? f : null;
}

/** Whether every pivot of the factor keeps at least PIVOT_RTOL of its matrix's diagonal entry. */
function healthyPivots(f: CholeskyFactor, a: Float64Array, n: number): boolean {
  for (let i = 0; i < n; i++) {
    const p = f.l[i * n + i]!;
    if (!(p * p >= PIVOT_RTOL * a[i * n + i]!)) return false;
  }
  return true;
}

/** t ← L⁻¹t for a row-major lower-triangular L (rows read contiguously). */
function forwardSubstitute(n: number, L: Float64Array, t: Float64Array): void {
  for (let i = 0; i < n; i++) t[i] = (t[i]! - dot(i, L, t, i * n, 0)) / L[i * n + i]!;
}

/** t ← L⁻ᵀt for a row-major lower-triangular L, column-oriented so rows of L are read contiguously. */
function backSubstituteTransposed(n: number, L: Float64Array, t: Float64Array): void {
  for (let i = n - 1; i >= 0; i--) {
    const o = i * n;
    const xi = (t[i] = t[i]! / L[o + i]!);
    if (xi !== 0) for (let j = 0; j < i; j++) t[j]! -= L[o + j]! * xi;
  }
}

function maxAbs(a: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s = Math.max(s, Math.abs(a[i]!));
  return s;
}

function transpose(r: number, c: number, M: Float64Array): Float64Array {
  const out = new Float64Array(r * c);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[j * r + i] = M[i * c + j]!;
  return out;
}
