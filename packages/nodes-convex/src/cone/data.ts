import { gemv } from '@argmin/autodiff/kernels';
import type { ConeLayout } from './problem.js';

/** One cone program's data as raw views (a batch element of the node's parameters). */
export interface ConeData {
  readonly m: number;
  readonly n: number;
  /** Row-major m×n at aOff. */
  readonly A: Float64Array;
  readonly aOff: number;
  readonly b: Float64Array;
  readonly bOff: number;
  readonly c: Float64Array;
  readonly cOff: number;
  readonly layout: ConeLayout;
}

/** out ← α·A·x + β·out (m entries). */
export function aTimes(d: ConeData, x: Float64Array, out: Float64Array, alpha = 1, beta = 0, xOff = 0, outOff = 0): void {
  gemv(false, d.m, d.n, alpha, d.A, d.aOff, d.n, x, xOff, beta, out, outOff);
}

/** out ← α·Aᵀ·y + β·out (n entries). */
export function atTimes(d: ConeData, y: Float64Array, out: Float64Array, alpha = 1, beta = 0, yOff = 0, outOff = 0): void {
  gemv(true, d.m, d.n, alpha, d.A, d.aOff, d.n, y, yOff, beta, out, outOff);
}

export function bDot(d: ConeData, y: Float64Array, yOff = 0): number {
  let s = 0;
  for (let i = 0; i < d.m; i++) s += d.b[d.bOff + i]! * y[yOff + i]!;
  return s;
}

export function cDot(d: ConeData, x: Float64Array, xOff = 0): number {
  let s = 0;
  for (let i = 0; i < d.n; i++) s += d.c[d.cOff + i]! * x[xOff + i]!;
  return s;
}

export function normInf(v: Float64Array, off = 0, len = v.length - off): number {
  let s = 0;
  for (let i = 0; i < len; i++) s = Math.max(s, Math.abs(v[off + i]!));
  return s;
}

/** The scale-aware optimality residuals of a candidate (x, y, s) of the program (SCS's measures). */
export interface Residuals {
  /** ‖Ax + s − b‖∞ / (1 + max(‖b‖∞, ‖Ax‖∞, ‖s‖∞)). */
  readonly primal: number;
  /** ‖Aᵀy + c‖∞ / (1 + max(‖c‖∞, ‖Aᵀy‖∞)). */
  readonly dual: number;
  /** |cᵀx + bᵀy| / (1 + max(|cᵀx|, |bᵀy|)). */
  readonly gap: number;
}

export function residuals(d: ConeData, x: Float64Array, y: Float64Array, s: Float64Array, xOff = 0, yOff = 0, sOff = 0): Residuals {
  const ax = new Float64Array(d.m);
  aTimes(d, x, ax, 1, 0, xOff);
  let pr = 0;
  let scaleP = normInf(d.b, d.bOff, d.m);
  for (let i = 0; i < d.m; i++) {
    pr = Math.max(pr, Math.abs(ax[i]! + s[sOff + i]! - d.b[d.bOff + i]!));
    scaleP = Math.max(scaleP, Math.abs(ax[i]!), Math.abs(s[sOff + i]!));
  }
  const aty = new Float64Array(d.n);
  atTimes(d, y, aty, 1, 0, yOff);
  let dr = 0;
  let scaleD = normInf(d.c, d.cOff, d.n);
  for (let j = 0; j < d.n; j++) {
    dr = Math.max(dr, Math.abs(aty[j]! + d.c[d.cOff + j]!));
    scaleD = Math.max(scaleD, Math.abs(aty[j]!));
  }
  const cx = cDot(d, x, xOff);
  const by = bDot(d, y, yOff);
  return {
    primal: pr / (1 + scaleP),
    dual: dr / (1 + scaleD),
    gap: Math.abs(cx + by) / (1 + Math.max(Math.abs(cx), Math.abs(by))),
  };
}

export function worst(r: Residuals): number {
  return Math.max(r.primal, r.dual, r.gap);
}
