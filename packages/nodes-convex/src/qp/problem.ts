import { InvalidInputError, ShapeError, Tensor } from '@argmin/autodiff';
import { tryCholesky } from './dense.js';

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

const fmt = (t: Tensor): string => `[${t.shape.join(',')}]`;

/** The core (unbatched) shape of a parameter: its last `rank` axes. */
function core(t: Tensor, key: Key): readonly number[] {
  return t.shape.slice(t.ndim - CORE_RANK[key]);
}

/**
 * Checks a QP's parameters: presence and pairing, ranks, a common batch size, sizes that fit
 * together, finiteness, and that every Q is symmetric positive semidefinite. Errors are typed
 * (ShapeError / InvalidInputError) and name the node, the parameter(s), both shapes and the batch
 * element. Returns the problem's sizes.
 */
export function validateQp(params: QpParams, checkPsd = true): QpDims {
  const given = params as Record<string, Tensor | undefined>;
  for (const key of Object.keys(given)) {
    if (!(key in CORE_RANK)) throw new InvalidInputError(`${NODE}: unknown parameter '${key}' (expected Q, p, G, h, A, b)`);
  }
  for (const key of ['Q', 'p'] as const) if (!given[key]) throw new InvalidInputError(`${NODE}: parameter '${key}' is required`);
  for (const [x, y] of [
    ['G', 'h'],
    ['A', 'b'],
  ] as const) {
    if (!given[x] !== !given[y]) {
      throw new InvalidInputError(
        `${NODE}: parameters '${x}' and '${y}' come together: '${given[x] ? x : y}' is given without '${given[x] ? y : x}'`,
      );
    }
  }
  let batch: number | null = null;
  let batchFrom = '';
  for (const key of Object.keys(CORE_RANK) as Key[]) {
    const t = given[key];
    if (t === undefined) continue;
    if (!(t instanceof Tensor)) throw new InvalidInputError(`${NODE}: parameter '${key}' must be a Tensor`);
    const rank = CORE_RANK[key];
    if (t.ndim !== rank && t.ndim !== rank + 1) {
      throw new ShapeError(
        `${NODE}: parameter '${key}' must have rank ${rank} (or ${rank + 1} with a leading batch axis), got shape ${fmt(t)}`,
      );
    }
    if (t.ndim === rank + 1) {
      if (batch === null) [batch, batchFrom] = [t.shape[0]!, key];
      else if (t.shape[0] !== batch) {
        throw new ShapeError(
          `${NODE}: parameter '${key}' of shape ${fmt(t)} has batch size ${t.shape[0]} but '${batchFrom}' of shape ${fmt(given[batchFrom]!)} has ${batch}`,
        );
      }
    }
  }
  const Q = params.Q;
  const [n, n2] = core(Q, 'Q');
  if (n !== n2) throw new ShapeError(`${NODE}: parameter 'Q' of shape ${fmt(Q)} must hold square matrices`);
  const expect = (key: Key, axis: number, size: number, other: Key, what: string): void => {
    const t = given[key]!;
    const c = core(t, key);
    if (c[axis] !== size) {
      throw new ShapeError(
        `${NODE}: parameter '${key}' of shape ${fmt(t)} does not fit '${other}' of shape ${fmt(given[other]!)}: ${what} ${c[axis]} ≠ ${size}`,
      );
    }
  };
  expect('p', 0, n!, 'Q', 'its length is');
  let m = 0;
  let k = 0;
  if (params.G) {
    expect('G', 1, n!, 'Q', 'its column count is');
    m = core(params.G, 'G')[0]!;
    expect('h', 0, m, 'G', 'its length is');
  }
  if (params.A) {
    expect('A', 1, n!, 'Q', 'its column count is');
    k = core(params.A, 'A')[0]!;
    expect('b', 0, k, 'A', 'its length is');
  }
  for (const key of Object.keys(CORE_RANK) as Key[]) {
    const t = given[key];
    if (t) assertFiniteParam(t, key);
  }
  if (checkPsd) assertSymmetricPsd(Q, n!);
  return { batch, n: n!, m, k };
}

function assertFiniteParam(t: Tensor, key: string): void {
  const d = t.data;
  for (let i = 0; i < d.length; i++) {
    if (!Number.isFinite(d[i]!)) {
      throw new InvalidInputError(
        `${NODE}: parameter '${key}' holds ${d[i]} at flat index ${i} (shape ${fmt(t)}); finite values are required`,
      );
    }
  }
}

/** Largest |Qᵢⱼ − Qⱼᵢ| tolerated, relative to max |Qᵢⱼ|. */
const SYMMETRY_RTOL = 1e-10;

/**
 * Each Q must be symmetric and positive semidefinite. PSD is tested by a Cholesky factorization
 * of Q + δI with δ = n·1e-13·max|Q| (a few ulps of slack for matrices that are singular in
 * exact arithmetic), so a negative eigenvalue below about −δ is reported.
 */
function assertSymmetricPsd(Q: Tensor, n: number): void {
  const count = Q.ndim === 3 ? Q.shape[0]! : 1;
  const where = (e: number) => (Q.ndim === 3 ? ` (batch element ${e})` : '');
  const shifted = new Float64Array(n * n);
  for (let e = 0; e < count; e++) {
    const o = e * n * n;
    let scale = 0;
    for (let i = 0; i < n * n; i++) scale = Math.max(scale, Math.abs(Q.data[o + i]!));
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < i; j++) {
        const u = Q.data[o + i * n + j]!;
        const v = Q.data[o + j * n + i]!;
        if (Math.abs(u - v) > SYMMETRY_RTOL * scale) {
          throw new InvalidInputError(`${NODE}: parameter 'Q'${where(e)} is not symmetric: Q[${i},${j}] = ${u} but Q[${j},${i}] = ${v}`);
        }
      }
    }
    const delta = Math.max(n * 1e-13 * scale, Number.MIN_VALUE);
    shifted.set(Q.data.subarray(o, o + n * n));
    for (let i = 0; i < n; i++) shifted[i * n + i]! += delta;
    if (tryCholesky(shifted, n) === null) {
      throw new InvalidInputError(
        `${NODE}: parameter 'Q'${where(e)} is not positive semidefinite (it has a negative eigenvalue); the QP is not convex`,
      );
    }
  }
}

/** Offset of batch element `e` in a parameter's data (0 for a shared parameter). */
export function elementOffset(t: Tensor, key: Key, e: number): number {
  return t.ndim === CORE_RANK[key] + 1 ? e * (t.size / t.shape[0]!) : 0;
}
