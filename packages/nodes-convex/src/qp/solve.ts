import { ShapeError, Tensor, type SolveControls, type SolveResult, type SolveStatus } from '@argmin/autodiff';
import { kktResidual, normInf, qpElement, type QpElement } from './dense.js';
import { interiorPoint, ipmWorkspace, type IpmWorkspace, type WarmPoint } from './ipm.js';
import { factorPartitioned, polish, type PartitionedKkt, type Polished } from './polish.js';
import { NODE, validateQp, type QpDims, type QpOptions, type QpParams, type QpSolution } from './problem.js';

/**
 * What the backward pass of one batch element reuses: the KKT factor at the solution, either
 * the polish step's active-set factor ('active': the exact derivative at a strictly
 * complementary solution) or, where the polish did not apply, one at the final interior-point
 * iterate ('interior': OptNet's derivative with D = λ/s).
 */
export interface ElementFactor {
  readonly kind: 'active' | 'interior';
  readonly el: QpElement;
  readonly factor: PartitionedKkt;
}

export interface QpSaved {
  readonly dims: QpDims;
  /** One entry per batch element; null where the solve did not converge. */
  readonly factors: readonly (ElementFactor | null)[];
}

export const DEFAULT_TOL = 1e-10;
export const DEFAULT_MAX_ITER = 50;

/**
 * The batched forward: validates, then solves every batch element by the interior-point method
 * (ipm.ts) and polishes it on its active set (polish.ts), keeping the factorization the backward
 * pass needs. Infeasible and unbounded elements are reported in `info.status` with zeros as
 * their solution.
 */
export function solveQp(params: QpParams, options: QpOptions & SolveControls<QpSolution>): SolveResult<QpSolution> {
  const dims = validateQp(params);
  const { n, m, k } = dims;
  const batch = dims.batch ?? 1;
  const tol = options.tol ?? DEFAULT_TOL;
  const maxIter = options.maxIter ?? DEFAULT_MAX_ITER;
  const usePolish = options.polish ?? true;
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
  const sharedQ: { q?: Float64Array } = {};
  let work: IpmWorkspace | undefined;

  for (let e = 0; e < batch; e++) {
    const el = qpElement(params, dims, e, sharedQ);
    // The polish is accepted at tol relative to the data, but never below rounding level.
    const accept = Math.max(tol, 1e-13) * problemScale(el);
    let polished: Polished | null = null;
    const finish = usePolish
      ? (_x: Float64Array, lam: Float64Array, _nu: Float64Array, s: Float64Array) => (polished = polish(el, lam, s, accept)) !== null
      : undefined;
    work ??= ipmWorkspace(el);
    const r = interiorPoint(el, { tol, maxIter, warm: warm(e), finish }, work);
    let sol = { z: r.x, lam: r.lam, nu: r.nu, slack: r.s };
    let factor: ElementFactor | null = null;
    let st: SolveStatus = r.status;
    const unfinished = st === 'max_iter' || st === 'failed';
    if (polished === null && usePolish && (st === 'converged' || unfinished)) {
      // A last polish: it may improve a converged iterate, or rescue one that ran out of steps.
      polished = polish(el, r.lam, r.s, st === 'converged' ? Infinity : accept);
    }
    const p = polished as Polished | null;
    if (p !== null && (r.finished || unfinished || p.residual <= kktResidual(el, r.x, r.lam, r.nu, r.s))) {
      sol = { z: p.z, lam: p.lam, nu: p.nu, slack: p.slack };
      factor = { kind: 'active', el, factor: p.factor };
      st = 'converged';
    } else if (st === 'converged') {
      // Factor at the final iterate, where the derivative is taken.
      const f = factorPartitioned(el, sol.lam, sol.slack, false);
      factor = f ? { kind: 'interior', el, factor: f } : null;
      if (factor === null) st = 'failed';
    }
    out.z.set(sol.z, e * n);
    out.lam.set(sol.lam, e * m);
    out.nu.set(sol.nu, e * k);
    out.slack.set(sol.slack, e * m);
    status.push(st);
    iterations.push(r.iterations);
    residual.push(kktResidual(el, sol.z, sol.lam, sol.nu, sol.slack));
    factors.push(st === 'converged' ? factor : null);
  }
  const lead = dims.batch === null ? [] : [batch];
  return {
    solution: {
      z: new Tensor(out.z, [...lead, n]),
      lam: new Tensor(out.lam, [...lead, m]),
      nu: new Tensor(out.nu, [...lead, k]),
      slack: new Tensor(out.slack, [...lead, m]),
    },
    info: { status, iterations, residual },
    saved: { dims, factors } satisfies QpSaved,
  };
}

/** The size of the data, for absolute tolerances. */
function problemScale(el: QpElement): number {
  return 1 + Math.max(normInf(el.Q), normInf(el.p), normInf(el.G), normInf(el.h), normInf(el.A), normInf(el.b));
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
