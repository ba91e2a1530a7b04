import type { Tensor } from '@argmin/autodiff';

/**
 * The dense QP  min ½zᵀQz + pᵀz  s.t. Gz ≤ h, Az = b  (OptNet's layer), batched over a leading
 * axis: `Q [B,n,n]`, `p [B,n]`, `G [B,m,n]`, `h [B,m]`, `A [B,k,n]`, `b [B,k]`. A parameter given
 * without the batch axis is shared by every element. G/h and A/b are optional, in pairs.
 */
export type QpParams = {
  readonly Q: Tensor;
  readonly p: Tensor;
  readonly G?: Tensor;
  readonly h?: Tensor;
  readonly A?: Tensor;
  readonly b?: Tensor;
};

/**
 * The primal solution z, the multipliers of the inequalities (lam ≥ 0) and equalities (nu), and
 * the slack h − Gz ≥ 0, with Qz + p + Gᵀlam + Aᵀnu = 0 and lam ∘ slack = 0.
 */
export type QpSolution = { readonly z: Tensor; readonly lam: Tensor; readonly nu: Tensor; readonly slack: Tensor };

/** Options of the QP node (beside the controls every node takes: tol, maxIter, warmStart). */
export interface QpOptions {
  /**
   * Finish with an active-set polish: re-solve the equality-constrained KKT system on the
   * constraints the interior point found active (default true). It gives solutions exact to
   * rounding and the exact active-set derivative; it is kept only if it is a better KKT point.
   */
  readonly polish?: boolean;
  /**
   * The solver of each batch element: 'dense' (this node's own active-set and interior-point
   * methods), 'sparse' (the cone engine's sparse interior point on the CSC form of Q, G and A,
   * then a sparse active-set polish), or 'auto' (default): sparse when the element is large and
   * mostly zero (route.ts), falling back to dense if the engine neither solves nor certifies it.
   * Routed elements have `info.method` 'sparse-polish' or 'sparse-ipm'. The sparse route
   * ignores `warmStart`; the 'unroll' strategy is always dense.
   */
  readonly solver?: 'auto' | 'dense' | 'sparse';
}

export const NODE = 'convex.qp';

/** Sizes of a QP call: batch size (null when unbatched), variables, inequalities, equalities. */
export interface QpDims {
  readonly batch: number | null;
  readonly n: number;
  readonly m: number;
  readonly k: number;
}

const CORE_RANK = { Q: 2, p: 1, G: 2, h: 1, A: 2, b: 1 } as const;
type Key = keyof typeof CORE_RANK;

/**
 * The sizes of a call, read from the shapes. Nothing is checked here: `applyNode` has checked
 * the call against the node's signature (ranks, batch sizes, n/m/k agreement, finiteness,
 * symmetric PSD Q) before solve, vjp or step see it.
 */
export function qpDims(params: QpParams): QpDims {
  const { Q, G, A } = params;
  const batched = (Object.keys(CORE_RANK) as Key[]).find((key) => {
    const t = params[key];
    return t !== undefined && t.ndim === CORE_RANK[key] + 1;
  });
  return {
    batch: batched === undefined ? null : params[batched]!.shape[0]!,
    n: Q.shape[Q.ndim - 1]!,
    m: G ? G.shape[G.ndim - 2]! : 0,
    k: A ? A.shape[A.ndim - 2]! : 0,
  };
}

/** Offset of batch element `e` in a parameter's data (0 for a shared parameter). */
export function elementOffset(t: Tensor, key: Key, e: number): number {
  return t.ndim === CORE_RANK[key] + 1 ? e * (t.size / t.shape[0]!) : 0;
}
