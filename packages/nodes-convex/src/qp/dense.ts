import { choleskyInto, type CholeskyFactor } from '@argmin/autodiff/kernels';
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
 * `out` (count×count, row-major): out[i,j] = base[i,j] + ⟨xᵢ, xⱼ⟩ for j ≤ i. Rows are taken four
 * by four so each pass over them feeds sixteen accumulators kept in registers (2–3× the speed
 * of one dot product per entry).
 */
export function syrkLower(count: number, len: number, X: Float64Array, base: Float64Array | null, out: Float64Array): void {
  for (let i = 0; i < count; i += 4) {
    const ie = Math.min(i + 4, count);
    for (let j = 0; j < ie; j += 4) {
      if (ie - i === 4 && j + 4 <= ie) {
        tile4(len, X, i, j, count, base, out);
        continue;
      }
      for (let a = i; a < ie; a++) {
        for (let b = j; b < Math.min(j + 4, a + 1); b++) {
          let s = 0;
          for (let r = 0; r < len; r++) s += X[a * len + r]! * X[b * len + r]!;
          out[a * count + b] = (base ? base[a * count + b]! : 0) + s;
        }
      }
    }
  }
}

function tile4(len: number, X: Float64Array, i: number, j: number, ld: number, base: Float64Array | null, out: Float64Array): void {
  let c00 = 0,
    c01 = 0,
    c02 = 0,
    c03 = 0,
    c10 = 0,
    c11 = 0,
    c12 = 0,
    c13 = 0;
  let c20 = 0,
    c21 = 0,
    c22 = 0,
    c23 = 0,
    c30 = 0,
    c31 = 0,
    c32 = 0,
    c33 = 0;
  const a0 = i * len,
    a1 = a0 + len,
    a2 = a1 + len,
    a3 = a2 + len;
  const b0 = j * len,
    b1 = b0 + len,
    b2 = b1 + len,
    b3 = b2 + len;
  for (let r = 0; r < len; r++) {
    const x0 = X[a0 + r]!,
      x1 = X[a1 + r]!,
      x2 = X[a2 + r]!,
      x3 = X[a3 + r]!;
    const y0 = X[b0 + r]!,
      y1 = X[b1 + r]!,
      y2 = X[b2 + r]!,
      y3 = X[b3 + r]!;
    c00 += x0 * y0;
    c01 += x0 * y1;
    c02 += x0 * y2;
    c03 += x0 * y3;
    c10 += x1 * y0;
    c11 += x1 * y1;
    c12 += x1 * y2;
    c13 += x1 * y3;
    c20 += x2 * y0;
    c21 += x2 * y1;
    c22 += x2 * y2;
    c23 += x2 * y3;
    c30 += x3 * y0;
    c31 += x3 * y1;
    c32 += x3 * y2;
    c33 += x3 * y3;
  }
  // Plain calls, not a closure: a function created per tile costs more than the tile at n ≈ 20.
  putRow(out, i * ld + j, base, c00, c01, c02, c03);
  putRow(out, (i + 1) * ld + j, base, c10, c11, c12, c13);
  putRow(out, (i + 2) * ld + j, base, c20, c21, c22, c23);
  putRow(out, (i + 3) * ld + j, base, c30, c31, c32, c33);
}

function putRow(out: Float64Array, o: number, base: Float64Array | null, v0: number, v1: number, v2: number, v3: number): void {
  out[o] = v0 + (base ? base[o]! : 0);
  out[o + 1] = v1 + (base ? base[o + 1]! : 0);
  out[o + 2] = v2 + (base ? base[o + 2]! : 0);
  out[o + 3] = v3 + (base ? base[o + 3]! : 0);
}
