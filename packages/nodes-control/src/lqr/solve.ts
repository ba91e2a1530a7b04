import { Tensor, type SolveInfo, type SolveStatus } from '@argmin/autodiff';
import { batchOf, strideOf } from '../shared/shapes.js';
import { LQR_RANKS, lqrSizes, type LqrParams, type LqrSizes, type LqrSolution } from './problem.js';
import { RiccatiFactors, RiccatiWorkspace, costates, riccatiBackward, rolloutLinear, type LqrArrays } from './riccati.js';

/** What the LQR forward keeps for its VJP: the Riccati factors and costates of every element. */
export interface LqrSaved {
  readonly sizes: LqrSizes;
  readonly Csym: Float64Array;
  readonly factors: readonly RiccatiFactors[];
  /** Costates λ [B, T, ns] at the solution. */
  readonly lam: Float64Array;
  readonly ok: readonly boolean[];
}

/** The data of C with every n×n block symmetrized (the data itself when already symmetric). */
export function symmetricBlocks(C: Tensor, n: number): Float64Array {
  const d = C.data;
  const blocks = C.size / (n * n);
  let symmetric = true;
  for (let k = 0; k < blocks && symmetric; k++) {
    const o = k * n * n;
    for (let i = 0; i < n && symmetric; i++)
      for (let j = 0; j < i; j++)
        if (d[o + i * n + j] !== d[o + j * n + i]) {
          symmetric = false;
          break;
        }
  }
  if (symmetric) return d;
  const out = new Float64Array(d.length);
  for (let k = 0; k < blocks; k++) {
    const o = k * n * n;
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) out[o + i * n + j] = 0.5 * (d[o + i * n + j]! + d[o + j * n + i]!);
  }
  return out;
}

/** The problem arrays of batch element b (shared parameters at offset 0). */
export function elementArrays(p: { C: Tensor; F: Tensor; f?: Tensor | undefined }, Csym: Float64Array, q: Tensor, b: number): LqrArrays {
  return {
    C: Csym,
    cOff: b * strideOf(p.C, 3),
    q: q.data,
    qOff: b * strideOf(q, 2),
    F: p.F.data,
    FOff: b * strideOf(p.F, 3),
    f: p.f ? p.f.data : null,
    fOff: p.f ? b * strideOf(p.f, 2) : 0,
  };
}

/**
 * Solves a batch of LQR problems by the Riccati recursion. An element whose Q_uu is not
 * positive definite (no unique minimizer: the cost is not strictly convex in the controls)
 * gets status 'unbounded' and a zero trajectory, never NaN.
 */
export function solveLqr(params: LqrParams): { solution: LqrSolution; info: SolveInfo; saved: LqrSaved } {
  const batch = batchOf(params as unknown as Record<string, Tensor>, LQR_RANKS);
  const sizes = lqrSizes(params, batch);
  const { T, ns, nc, n } = sizes;
  const B = batch ?? 1;
  const Csym = symmetricBlocks(params.C, n);
  const ws = new RiccatiWorkspace(T, ns, nc);
  const x = new Float64Array(B * T * ns);
  const u = new Float64Array(B * T * nc);
  const lam = new Float64Array(B * T * ns);
  const grad = new Float64Array(T * nc);
  const factors: RiccatiFactors[] = [];
  const status: SolveStatus[] = [];
  const residual: number[] = [];
  const ok: boolean[] = [];
  const x0Stride = strideOf(params.x0, 1);
  for (let b = 0; b < B; b++) {
    const arrays = elementArrays(params, Csym, params.c, b);
    const fac = new RiccatiFactors(T, ns, nc);
    factors.push(fac);
    if (riccatiBackward(ws, fac, arrays, 'free') >= 0) {
      status.push('unbounded');
      residual.push(Infinity);
      ok.push(false);
      continue;
    }
    rolloutLinear(fac, T, ns, nc, arrays, params.x0.data, b * x0Stride, x, b * T * ns, u, b * T * nc);
    costates(T, ns, nc, arrays, x, b * T * ns, u, b * T * nc, lam, b * T * ns, grad, 0);
    let r = 0;
    for (let i = 0; i < grad.length; i++) r = Math.max(r, Math.abs(grad[i]!));
    status.push('converged');
    residual.push(r);
    ok.push(true);
  }
  const lead = batch === null ? [] : [batch];
  return {
    solution: { x: new Tensor(x, [...lead, T, ns]), u: new Tensor(u, [...lead, T, nc]) },
    info: { status, iterations: new Array<number>(B).fill(1), residual },
    saved: { sizes, Csym, factors, lam, ok },
  };
}
