import { choleskyInto, syrk, type CholeskyFactor } from '@argmin/autodiff/kernels';
import type { Tensor } from '@argmin/autodiff';
import { elementOffset, type QpDims, type QpParams } from './problem.js';

/**
 * The Cholesky factor of the n×n matrix `a` (lower triangle read), or null if it is not positive
 * definite. With `into` (an n×n factor whose buffer may be overwritten) the factor is written
 * there and `into` returned: the interior-point loop factors every iteration into one buffer.
 */
export function tryCholesky(a: Float64Array, n: number, into?: CholeskyFactor): CholeskyFactor | null {
  const f: CholeskyFactor = into && into.n === n && into.batch === 1 ? into : { kind: 'cholesky', n, batch: 1, l: new Float64Array(n * n) };
  return choleskyInto(a, n, f.l) < 0 ? f : null;
}

/**
 * One batch element of a QP as flat row-major arrays. p, G, h, A, b are views into the
 * parameters' data (never written); Q is symmetrized, ½(Q + Qᵀ), so that every use of it (the
 * factorizations read one triangle, the products read both) sees the same matrix.
 */
export interface QpElement {
  readonly n: number;
  readonly m: number;
  readonly k: number;
  readonly Q: Float64Array;
  readonly p: Float64Array;
  readonly G: Float64Array;
  readonly h: Float64Array;
  readonly A: Float64Array;
  readonly b: Float64Array;
}

const EMPTY = new Float64Array(0);

function view(t: Tensor | undefined, key: 'p' | 'G' | 'h' | 'A' | 'b', e: number, size: number): Float64Array {
  if (!t) return EMPTY;
  const o = elementOffset(t, key, e);
  return t.data.subarray(o, o + size);
}

/** Batch element e of validated parameters; `sharedQ` caches the symmetrized Q of a shared Q. */
export function qpElement(params: QpParams, dims: QpDims, e: number, sharedQ?: { q?: Float64Array }): QpElement {
  const { n, m, k } = dims;
  let Q: Float64Array;
  if (params.Q.ndim === 2 && sharedQ?.q) Q = sharedQ.q;
  else {
    const o = elementOffset(params.Q, 'Q', e);
    const src = params.Q.data;
    Q = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j <= i; j++) {
        const v = 0.5 * (src[o + i * n + j]! + src[o + j * n + i]!);
        Q[i * n + j] = v;
        Q[j * n + i] = v;
      }
    }
    if (params.Q.ndim === 2 && sharedQ) sharedQ.q = Q;
  }
  return {
    n,
    m,
    k,
    Q,
    p: view(params.p, 'p', e, n),
    G: view(params.G, 'G', e, m * n),
    h: view(params.h, 'h', e, m),
    A: view(params.A, 'A', e, k * n),
    b: view(params.b, 'b', e, k),
  };
}

/** y ← Mx for a row-major r×c matrix M. */
export function matVec(r: number, c: number, M: Float64Array, x: Float64Array, y: Float64Array): void {
  for (let i = 0; i < r; i++) {
    let s = 0;
    const o = i * c;
    for (let j = 0; j < c; j++) s += M[o + j]! * x[j]!;
    y[i] = s;
  }
}

/** y ← y + α·Mᵀx for a row-major r×c matrix M (y has c entries). */
export function addMatTVec(r: number, c: number, alpha: number, M: Float64Array, x: Float64Array, y: Float64Array): void {
  for (let i = 0; i < r; i++) {
    const a = alpha * x[i]!;
    if (a === 0) continue;
    const o = i * c;
    for (let j = 0; j < c; j++) y[j]! += a * M[o + j]!;
  }
}

export function dotN(n: number, x: Float64Array, y: Float64Array): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += x[i]! * y[i]!;
  return s;
}

export function normInf(x: Float64Array, n: number = x.length): number {
  let s = 0;
  for (let i = 0; i < n; i++) s = Math.max(s, Math.abs(x[i]!));
  return s;
}

/**
 * The KKT residual (∞-norm) of a candidate QP solution: stationarity ‖Qz + p + Gᵀλ + Aᵀν‖,
 * equality feasibility ‖Az − b‖, inequality violation max(Gz − h)₊, negative multipliers or
 * slacks, complementarity max|λᵢsᵢ| and the slack's consistency ‖s − (h − Gz)‖.
 */
export function kktResidual(el: QpElement, z: Float64Array, lam: Float64Array, nu: Float64Array, slack: Float64Array): number {
  const { n, m, k } = el;
  const r = new Float64Array(Math.max(n, m, k));
  matVec(n, n, el.Q, z, r);
  for (let i = 0; i < n; i++) r[i]! += el.p[i]!;
  addMatTVec(m, n, 1, el.G, lam, r);
  addMatTVec(k, n, 1, el.A, nu, r);
  let res = normInf(r, n);
  matVec(k, n, el.A, z, r);
  for (let i = 0; i < k; i++) res = Math.max(res, Math.abs(r[i]! - el.b[i]!));
  matVec(m, n, el.G, z, r);
  for (let i = 0; i < m; i++) {
    const s = el.h[i]! - r[i]!;
    res = Math.max(res, -s, -lam[i]!, -slack[i]!, Math.abs(lam[i]! * slack[i]!), Math.abs(slack[i]! - s));
  }
  return res;
}

/**
 * The lower triangle of X·Xᵀ (+ base) for X with `count` rows of length `len` (row-major), into
 * `out` (count×count, row-major): out[i,j] = base[i,j] + ⟨xᵢ, xⱼ⟩ for j ≤ i; the strict upper
 * triangle of `out` is not written. The packed syrk kernel does the products.
 */
export function syrkLower(count: number, len: number, X: Float64Array, base: Float64Array | null, out: Float64Array): void {
  if (base) for (let i = 0; i < count; i++) for (let j = 0, o = i * count; j <= i; j++) out[o + j] = base[o + j]!;
  syrk(false, count, len, 1, X, 0, len, base ? 1 : 0, out, 0, count);
}
