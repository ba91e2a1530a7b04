import type { Tensor } from '@argmin/autodiff';
import { RiccatiFactors, RiccatiWorkspace, costates, riccatiBackward, type LqrArrays } from '../lqr/riccati.js';
import { symmetricBlocks } from '../lqr/solve.js';
import { strideOf } from '../shared/shapes.js';
import { BoxQp } from './box-qp.js';
import { numericDynamics, type NumericDynamics } from './dynamics-eval.js';
import { lineSearch, trajectoryCost, type Bounds } from './line-search.js';
import { mpcSizes, type MpcOptions, type MpcParams, type MpcSizes } from './problem.js';

/**
 * The pieces of one box-DDP iteration on raw arrays, for a batch: costates and the projected
 * gradient (the convergence measure), the backward pass in the deltas with a box QP per step,
 * and the line search. The numeric solve loops over them; the unrolled step replays one
 * iteration's decisions (active sets, step sizes) with differentiable ops.
 */
export class DdpContext {
  readonly sizes: MpcSizes;
  readonly B: number;
  readonly Csym: Float64Array;
  readonly sC: number;
  readonly sc: number;
  readonly dyn: NumericDynamics;
  readonly bounds: Bounds;
  private readonly ws: RiccatiWorkspace;
  private readonly qp: BoxQp;
  private readonly q: Float64Array;
  private readonly grad: Float64Array;

  constructor(
    readonly params: MpcParams,
    readonly options: MpcOptions,
  ) {
    const sizes = (this.sizes = mpcSizes(params));
    const { T, ns, nc, n } = sizes;
    this.B = sizes.batch ?? 1;
    this.Csym = symmetricBlocks(params.C, n);
    this.sC = strideOf(params.C, 3);
    this.sc = strideOf(params.c, 2);
    this.dyn = numericDynamics(params, options.dynamics, this.B, T, ns, nc);
    this.bounds = boundsOf(params, this.B, T, nc);
    this.ws = new RiccatiWorkspace(T, ns, nc);
    this.qp = new BoxQp(nc);
    this.q = new Float64Array(T * n);
    this.grad = new Float64Array(T * nc);
  }

  /** Element b's problem arrays with the current Jacobians and linear terms q (default c). */
  arrays(b: number, q?: Float64Array): LqrArrays {
    const { dyn } = this;
    return {
      C: this.Csym,
      cOff: b * this.sC,
      q: q ?? this.params.c.data,
      qOff: q ? 0 : b * this.sc,
      F: dyn.G.data,
      FOff: b * dyn.G.stride,
      f: null,
      fOff: 0,
    };
  }

  /**
   * Writes the costates of element b into lam [B,T,ns] and returns its projected gradient
   * |u − Π(u − ∇J/s)|∞, with the gradient in units of the cost's own size s (the largest entry
   * of C and c): the measure is then independent of how the cost is scaled, where the plain
   * |u − Π(u − ∇J)| would call any point of a cost scaled by 1e-10 converged.
   */
  projectedGradient(b: number, x: Float64Array, u: Float64Array, lam: Float64Array): number {
    const { T, ns, nc } = this.sizes;
    costates(T, ns, nc, this.arrays(b), x, b * T * ns, u, b * T * nc, lam, b * T * ns, this.grad, 0);
    const unit = this.costScale(b);
    let r = 0;
    for (let i = 0; i < T * nc; i++) {
      const ui = u[b * T * nc + i]!;
      const p = Math.min(Math.max(ui - this.grad[i]! / unit, this.bounds.lo(b, i)), this.bounds.hi(b, i));
      r = Math.max(r, Math.abs(ui - p));
    }
    return r;
  }

  /** The largest |entry| of element b's C and c (1 if the cost is zero). */
  private costScale(b: number): number {
    const { T, n } = this.sizes;
    let s = 0;
    for (let i = 0; i < T * n * n; i++) s = Math.max(s, Math.abs(this.Csym[b * this.sC + i]!));
    for (let i = 0; i < T * n; i++) s = Math.max(s, Math.abs(this.params.c.data[b * this.sc + i]!));
    return s > 0 && Number.isFinite(s) ? s : 1;
  }

  /**
   * The backward pass of element b at its trajectory: q_t = C_t τ_t + c_t, box δu ∈ [lo − u_t,
   * hi − u_t], warm-started from `warm` (k of the previous iteration). Null if Q_uu is not
   * positive definite on the free controls.
   */
  backward(b: number, x: Float64Array, u: Float64Array, warm?: Float64Array): RiccatiFactors | null {
    const { T, ns, nc, n } = this.sizes;
    const { q, bounds } = this;
    const c = this.params.c.data;
    for (let t = 0; t < T; t++) {
      for (let i = 0; i < n; i++) {
        let s = c[b * this.sc + t * n + i]!;
        const row = b * this.sC + t * n * n + i * n;
        for (let j = 0; j < ns; j++) s += this.Csym[row + j]! * x[(b * T + t) * ns + j]!;
        for (let a = 0; a < nc; a++) s += this.Csym[row + ns + a]! * u[(b * T + t) * nc + a]!;
        q[t * n + i] = s;
      }
    }
    const lo = new Float64Array(T * nc);
    const hi = new Float64Array(T * nc);
    for (let i = 0; i < T * nc; i++) {
      lo[i] = bounds.lo(b, i) - u[b * T * nc + i]!;
      hi[i] = bounds.hi(b, i) - u[b * T * nc + i]!;
    }
    const policy = new RiccatiFactors(T, ns, nc);
    if (warm) policy.k.set(warm);
    const failed = riccatiBackward(this.ws, policy, this.arrays(b, q), 'box', (t, H, g, k, kOff, free, freeOff) =>
      this.qp.solve(H, g, lo, hi, t * nc, k, kOff, free, freeOff),
    );
    return failed >= 0 ? null : policy;
  }

  cost(b: number, x: Float64Array, u: Float64Array): number {
    const { T, ns, nc } = this.sizes;
    return trajectoryCost(this.Csym, b * this.sC, this.params.c.data, b * this.sc, x, u, b, T, ns, nc);
  }

  /** Line search of the listed elements (updates x, u, cost in place); step sizes of those that moved. */
  search(
    elems: readonly number[],
    policies: ReadonlyMap<number, RiccatiFactors>,
    x: Float64Array,
    u: Float64Array,
    cost: number[],
  ): Map<number, number> {
    const { T, ns, nc } = this.sizes;
    return lineSearch(
      {
        dyn: this.dyn,
        params: this.params,
        Csym: this.Csym,
        sC: this.sC,
        sc: this.sc,
        bounds: this.bounds,
        x,
        u,
        cost,
        T,
        ns,
        nc,
        decay: this.options.linesearchDecay ?? 0.2,
        maxTries: this.options.maxLinesearch ?? 10,
      },
      elems,
      policies,
    );
  }
}

/** Element-wise accessors of the (optional, possibly shared) control bounds. */
export function boundsOf(p: MpcParams, B: number, T: number, nc: number): Bounds {
  const lo: Tensor | undefined = p.uLower;
  const hi: Tensor | undefined = p.uUpper;
  const sl = lo ? strideOf(lo, 2) : 0;
  const sh = hi ? strideOf(hi, 2) : 0;
  return {
    lo: lo ? (b, i) => lo.data[b * sl + i]! : () => -Infinity,
    hi: hi ? (b, i) => hi.data[b * sh + i]! : () => Infinity,
    size: B * T * nc,
  };
}
