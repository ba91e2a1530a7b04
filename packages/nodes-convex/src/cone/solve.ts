import { Tensor, type SolveInfo, type SolveStatus } from '@argmin/autodiff';
import { admm, splitIterate } from './admm.js';
import { bDot, cDot, type ConeData } from './data.js';
import { hsdeSystem } from './linsys.js';
import type { ConeLayout, ConeParams, ConeSolution } from './problem.js';
import { refine, scaledResidual } from './refine.js';
import { residualAt, type ResidualPoint } from './residual-map.js';

/** Solver options of the cone node (beside `cones` and the common controls). */
export interface ConeSolverOptions {
  /** Target for the scaled primal, dual and gap residuals (default 1e-9). */
  readonly tol?: number;
  /** ADMM iteration budget (default 10 000). */
  readonly maxIter?: number;
  /** Over-relaxation of ADMM (default 1.5). */
  readonly alpha?: number;
  /** Anderson acceleration memory (default 10; 0 disables). */
  readonly anderson?: number;
  /** Polish ADMM points by Gauss–Newton on the residual map (default true). */
  readonly refine?: boolean;
  /** Certificate tolerance for infeasible / unbounded programs (default 1e-7). */
  readonly tolInfeasible?: number;
  /** Largest n + m handled with dense linear algebra in refinement and the VJP (default 400). */
  readonly denseMax?: number;
}

/** What the VJP reuses: per batch element, the solution point and DΠ_K* at it. */
export interface ConeSaved {
  readonly points: readonly (ResidualPoint | null)[];
}

export interface ElementResult {
  readonly status: SolveStatus;
  readonly iterations: number;
  readonly residual: number;
  readonly x: Float64Array;
  readonly y: Float64Array;
  readonly s: Float64Array;
  readonly point: ResidualPoint | null;
}

/** Solves one cone program; `start` is a warm start (x, y, s) or null. */
export function solveElement(
  d: ConeData,
  opts: ConeSolverOptions,
  start: { x: Float64Array; y: Float64Array; s: Float64Array } | null,
): ElementResult {
  const { n, m } = d;
  const N = n + m + 1;
  const tol = opts.tol ?? 1e-9;
  const maxIter = opts.maxIter ?? 10_000;
  const denseMax = opts.denseMax ?? 400;
  const useRefine = opts.refine ?? true;
  const w = new Float64Array(N);
  if (start) {
    w.set(start.x, 0);
    for (let i = 0; i < m; i++) w[n + i] = start.y[i]! - start.s[i]!;
  }
  w[N - 1] = 1;
  const x = new Float64Array(n);
  const y = new Float64Array(m);
  const s = new Float64Array(m);

  const finish = (point: ResidualPoint, iterations: number, residual: number): ElementResult => ({
    status: residual <= tol ? 'converged' : 'max_iter',
    iterations,
    residual,
    x: point.x,
    y: point.y,
    s: point.s,
    point,
  });
  const tryRefine = (iterations: number): ElementResult | null => {
    const { tau } = splitIterate(d, w, x, y, s);
    if (!(tau > 0)) return null;
    const zx = w.slice(0, n).map((v) => v / tau);
    const zy = w.slice(n, n + m).map((v) => v / tau);
    const r = useRefine ? refine(d, zx, zy, { maxSteps: 12, tol, denseMax }) : null;
    if (r && r.residual <= tol) return finish(r.point, iterations + r.steps, r.residual);
    if (r && r.steps > 0) {
      // Keep the improvement as ADMM's next start (T is homogeneous: τ = 1 is as good as any).
      w.set(r.zx, 0);
      w.set(r.zy, n);
      w[N - 1] = 1;
    }
    return null;
  };

  // ADMM to a coarse accuracy, then refinement; if that does not finish, ADMM to a 10× tighter
  // target and refine again. Refinement is cheap next to a slow ADMM tail: once the iterate has
  // found the right face of the cone (often at 1e-3 already; for an LP, the active set) a few
  // Newton steps finish the job.
  let used = 0;
  let target = Math.max(tol, 1e-3);
  const sys = hsdeSystem(d);
  const admmOpts = { alpha: opts.alpha ?? 1.5, memory: opts.anderson ?? 10, tolInfeasible: opts.tolInfeasible ?? 1e-7 };
  for (;;) {
    const r = admm(d, sys, w, { ...admmOpts, tol: target, maxIter: Math.max(maxIter - used, 1) });
    used += r.iterations + 1;
    if (r.outcome === 'infeasible' || r.outcome === 'unbounded') return certificate(d, w, r.outcome, used);
    if (r.outcome === 'solved' || used >= maxIter) {
      const refined = tryRefine(used);
      if (refined) return refined;
    }
    if (used >= maxIter || (r.outcome === 'solved' && target <= tol)) {
      const { tau } = splitIterate(d, w, x, y, s);
      if (!(tau > 0))
        return {
          status: 'max_iter',
          iterations: used,
          residual: Infinity,
          x: new Float64Array(n),
          y: new Float64Array(m),
          s: new Float64Array(m),
          point: null,
        };
      const point = residualAt(
        d,
        w.slice(0, n).map((v) => v / tau),
        w.slice(n, n + m).map((v) => v / tau),
      );
      return finish(point, used, scaledResidual(d, point));
    }
    target = Math.max(tol, target * 0.1);
  }
}

/**
 * Finite certificates in place of a solution: for an infeasible program y with y ∈ K*, Aᵀy ≈ 0,
 * bᵀy = −1 (x = s = 0); for an unbounded one (x, s) with s ∈ K, Ax + s ≈ 0, cᵀx = −1 (y = 0).
 */
function certificate(d: ConeData, w: Float64Array, outcome: 'infeasible' | 'unbounded', iterations: number): ElementResult {
  const x = new Float64Array(d.n);
  const y = new Float64Array(d.m);
  const s = new Float64Array(d.m);
  splitIterate(d, w, x, y, s);
  if (outcome === 'infeasible') {
    const scale = -1 / bDot(d, y);
    return {
      status: 'infeasible',
      iterations,
      residual: Infinity,
      x: new Float64Array(d.n),
      y: y.map((v) => v * scale),
      s: new Float64Array(d.m),
      point: null,
    };
  }
  const scale = -1 / cDot(d, x);
  return {
    status: 'unbounded',
    iterations,
    residual: Infinity,
    x: x.map((v) => v * scale),
    y: new Float64Array(d.m),
    s: s.map((v) => v * scale),
    point: null,
  };
}

/** The batched forward: one solve per element; shared parameters are read in place. */
export function solveCone(
  params: ConeParams,
  layout: ConeLayout,
  opts: ConeSolverOptions,
  warmStart?: Partial<ConeSolution>,
): { solution: ConeSolution; info: SolveInfo; saved: ConeSaved } {
  const { A, b, c } = params;
  const m = A.shape[A.ndim - 2]!;
  const n = A.shape[A.ndim - 1]!;
  const batched = A.ndim === 3 || b.ndim === 2 || c.ndim === 2;
  const B = A.ndim === 3 ? A.shape[0]! : b.ndim === 2 ? b.shape[0]! : c.ndim === 2 ? c.shape[0]! : 1;
  const x = new Float64Array(B * n);
  const y = new Float64Array(B * m);
  const s = new Float64Array(B * m);
  const status: SolveStatus[] = [];
  const iterations: number[] = [];
  const residual: number[] = [];
  const points: (ResidualPoint | null)[] = [];
  const ws = warmStart?.x && warmStart.y && warmStart.s ? warmStart : null;
  for (let e = 0; e < B; e++) {
    const d: ConeData = {
      m,
      n,
      layout,
      A: A.data,
      aOff: A.ndim === 3 ? e * m * n : 0,
      b: b.data,
      bOff: b.ndim === 2 ? e * m : 0,
      c: c.data,
      cOff: c.ndim === 2 ? e * n : 0,
    };
    const start = ws
      ? {
          x: ws.x!.data.subarray(ws.x!.ndim === 2 ? e * n : 0).subarray(0, n),
          y: ws.y!.data.subarray(ws.y!.ndim === 2 ? e * m : 0).subarray(0, m),
          s: ws.s!.data.subarray(ws.s!.ndim === 2 ? e * m : 0).subarray(0, m),
        }
      : null;
    const r = solveElement(d, opts, start);
    x.set(r.x, e * n);
    y.set(r.y, e * m);
    s.set(r.s, e * m);
    status.push(r.status);
    iterations.push(r.iterations);
    residual.push(r.residual);
    points.push(r.status === 'converged' ? r.point : null);
  }
  const shape = (k: number) => (batched ? [B, k] : [k]);
  return {
    solution: { x: new Tensor(x, shape(n)), y: new Tensor(y, shape(m)), s: new Tensor(s, shape(m)) },
    info: { status, iterations, residual },
    saved: { points },
  };
}
