import { ShapeError, Tensor, type SolveStatus } from '@argmin/autodiff';
import type { SolveControls, SolveResult } from '@argmin/autodiff/extend';
import { qpElement, type QpElement } from './dense.js';
import {
  absoluteResidual,
  hugeThreshold,
  satisfiesDropped,
  solveElement,
  type ElementSolution,
  type QpMethod,
  type WorkCache,
} from './element.js';
import type { WarmPoint } from './ipm.js';
import type { PartitionedKkt } from './polish.js';
import { routeElement } from './route.js';
import type { SparseQp } from './sparse-data.js';
import type { SparseKkt } from './sparse-kkt.js';
import { solveSparseElement } from './sparse-solve.js';
import { NODE, qpDims, type QpDims, type QpOptions, type QpParams, type QpSolution } from './problem.js';

/**
 * What the backward pass of one batch element reuses: the KKT factor at the solution, either
 * the polish step's active-set factor ('active': the exact derivative at a strictly
 * complementary solution) or, where the polish did not apply, one at the final interior-point
 * iterate ('interior': OptNet's derivative with D = λ/s). The factor is of the equilibrated
 * problem and carries its scaling, so its solves take and return original units.
 */
export interface ElementFactor {
  readonly kind: 'active' | 'interior';
  readonly el: QpElement;
  readonly factor: PartitionedKkt | SparseKkt;
}

export interface QpSaved {
  readonly dims: QpDims;
  /** One entry per batch element; null where the solve did not converge. */
  readonly factors: readonly (ElementFactor | null)[];
}

export const DEFAULT_TOL = 1e-10;
export const DEFAULT_MAX_ITER = 50;

/**
 * The relative KKT error, per condition on the original data, below which a point is reported
 * 'converged' (accept.ts): a few hundred times the interior point's tolerance, never looser
 * than 1e-6 nor tighter than rounding.
 */
export function acceptanceTol(tol: number): number {
  return Math.min(1e-6, Math.max(300 * tol, 1e-12));
}

/**
 * The batched forward: validates, then solves every batch element on equilibrated data by the
 * primal–dual active-set method when Q is positive definite (active-set.ts), else or when that
 * gives up by the interior-point method (ipm.ts) polished on its active set (polish.ts), with a
 * degenerate path and an acceptance test on the original data (element.ts). Infeasible and unbounded
 * elements are reported in `info.status` with zeros as their solution; an element that is
 * neither solved nor certified keeps the best point found under 'max_iter' or 'failed'.
 * Elements routed to the sparse conic engine (`options.solver`, route.ts) have `info.method`
 * 'sparse-polish' or 'sparse-ipm' (sparse-solve.ts), whatever their status.
 * `info.method` says how each point was obtained, `info.weaklyActive` lists the constraints
 * without strict complementarity (where the gradient is one of several one-sided ones).
 */
export function solveQp(params: QpParams, options: QpOptions & SolveControls<QpSolution>): SolveResult<QpSolution> {
  const dims = qpDims(params);
  const { n, m, k } = dims;
  const batch = dims.batch ?? 1;
  const tol = options.tol ?? DEFAULT_TOL;
  const maxIter = options.maxIter ?? DEFAULT_MAX_ITER;
  const usePolish = options.polish ?? true;
  const accept = acceptanceTol(tol);
  const warm = warmStartOf(options.warmStart, dims);
  const out = {
    z: new Float64Array(batch * n),
    lam: new Float64Array(batch * m),
    nu: new Float64Array(batch * k),
    slack: new Float64Array(batch * m),
  };
  const status: SolveStatus[] = [];
  const iterations: number[] = [];
  const residual: number[] = [];
  const factors: (ElementFactor | null)[] = [];
  const method: QpMethod[] = [];
  const choice = options.solver ?? 'auto';
  const weaklyActive: (readonly number[])[] = [];
  const sharedQ: { q?: Float64Array } = {};
  const cache: WorkCache = new Map();

  for (let e = 0; e < batch; e++) {
    const el = qpElement(params, dims, e, sharedQ);
    const settings = { tol, maxIter, polish: usePolish, accept, warm: warm(e), withAll: false, equilibrate: true };
    const route = routeElement(el, choice);
    let r = route.solver === 'sparse' ? solveRouted(el, settings, route.sparse) : null;
    // An element 'auto' routed that the engine neither solved nor certified gets the dense path.
    if (r === null || (choice === 'auto' && !(r.status === 'converged' || r.status === 'infeasible' || r.status === 'unbounded'))) {
      r = solveDense(el, settings, cache);
    }
    out.z.set(r.z, e * n);
    out.lam.set(r.lam, e * m);
    out.nu.set(r.nu, e * k);
    out.slack.set(r.slack, e * m);
    status.push(r.status);
    iterations.push(r.iterations);
    residual.push(absoluteResidual(el, r));
    method.push(r.method);
    weaklyActive.push(r.weak);
    factors.push(r.status === 'converged' && r.factor ? { kind: r.factor.kind, el, factor: r.factor.factor } : null);
  }
  const lead = dims.batch === null ? [] : [batch];
  return {
    solution: {
      z: new Tensor(out.z, [...lead, n]),
      lam: new Tensor(out.lam, [...lead, m]),
      nu: new Tensor(out.nu, [...lead, k]),
      slack: new Tensor(out.slack, [...lead, m]),
    },
    info: { status, iterations, residual, method, weaklyActive },
    saved: { dims, factors } satisfies QpSaved,
  };
}

type Settings = Parameters<typeof solveElement>[1];

/** The dense path of one element (element.ts), with its retries. */
function solveDense(el: QpElement, settings: Settings, cache: WorkCache): ElementSolution {
  let r = solveElement(el, settings, cache);
  // The interior point's path depends on the scaling; when the equilibrated solve neither
  // converges nor certifies, the data as given get a second chance (both are checked alike).
  if (r.status === 'max_iter' || r.status === 'failed') {
    const plain = solveElement(el, { ...settings, equilibrate: false }, cache);
    if (plain.status === 'converged' || plain.status === 'infeasible' || plain.status === 'unbounded') r = plain;
  }
  return withDroppedRows(el, settings.accept, r, (withAll) => solveElement(el, { ...settings, withAll }, cache));
}

/** The sparse route of one element (sparse-solve.ts), with the same check of dropped rows. */
function solveRouted(el: QpElement, settings: Settings, built: SparseQp | undefined): ElementSolution {
  const solve = (withAll: boolean) => solveSparseElement(el, { ...settings, withAll }, withAll ? undefined : built);
  return withDroppedRows(el, settings.accept, solve(false), solve);
}

/**
 * Huge bounds were dropped as absent; if that was wrong (the point violates one, or the
 * reduced problem is unbounded), solve again with every row.
 */
function withDroppedRows(el: QpElement, accept: number, r: ElementSolution, solve: (withAll: boolean) => ElementSolution): ElementSolution {
  const huge = hugeThreshold(el);
  if (el.h.some((h) => h >= huge) && !(r.status === 'converged' && satisfiesDropped(el, r.z, accept))) {
    const again = solve(true);
    if (again.status === 'converged' || r.status !== 'converged') return again;
    return { ...r, status: 'failed', factor: null, method: 'none' };
  }
  return r;
}

/** Per-element views of a warm start given batched (`[B, …]`) or shared (`[…]`). */
function warmStartOf(ws: Partial<QpSolution> | undefined, dims: QpDims): (e: number) => WarmPoint | undefined {
  if (!ws) return () => undefined;
  const sizes = { z: dims.n, lam: dims.m, nu: dims.k, slack: dims.m } as const;
  const parts = (Object.keys(sizes) as (keyof typeof sizes)[]).filter((key) => ws[key] !== undefined);
  for (const key of parts) {
    const t = ws[key]!;
    const size = sizes[key];
    const ok = (t.ndim === 1 && t.shape[0] === size) || (t.ndim === 2 && t.shape[1] === size && t.shape[0] === (dims.batch ?? 1));
    if (!ok) {
      throw new ShapeError(
        `${NODE}: warmStart.${key} of shape [${t.shape.join(',')}] does not fit the problem: expected [${size}] or [${dims.batch ?? 1},${size}]`,
      );
    }
  }
  return (e) => {
    const point: Record<string, Float64Array> = {};
    for (const key of parts) {
      const t = ws[key]!;
      const size = sizes[key];
      point[key] = t.ndim === 2 ? t.data.subarray(e * size, (e + 1) * size) : t.data;
    }
    return point as WarmPoint;
  };
}
