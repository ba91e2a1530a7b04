import { InvalidInputError, type Tensor } from '@argmin/autodiff';
import type { NodeLayout } from '@argmin/autodiff/extend';
import type { DynamicsModel } from '../dynamics/model.js';
import { checkHorizonAndState } from '../lqr/problem.js';
import { batchOf, fmt, strideOf } from '../shared/shapes.js';

/**
 * Box-constrained MPC, per batch element, with τ_t = [x_t; u_t]:
 *
 *   min Σ_{t<T} ½ τ_tᵀ C_t τ_t + c_tᵀ τ_t   s.t.  x_{t+1} = g(x_t, u_t),  x_0 = x0,  uLower ≤ u_t ≤ uUpper,
 *
 * with linear dynamics g = F_t τ_t + f_t, or a {@link DynamicsModel} with parameters `theta`.
 * The node's parameters (core ranks): `C [T,n,n]`, `c [T,n]`, `x0 [ns]`, `uLower`/`uUpper`
 * `[T,nc]` (each optional), and either `F [T−1,ns,n]` (+ optional `f [T−1,ns]`) or `theta [p]`.
 */
export type MpcParams = {
  readonly C: Tensor;
  readonly c: Tensor;
  readonly x0: Tensor;
  readonly uLower?: Tensor;
  readonly uUpper?: Tensor;
  readonly F?: Tensor;
  readonly f?: Tensor;
  readonly theta?: Tensor;
};

export type MpcSolution = { readonly x: Tensor; readonly u: Tensor };

export interface MpcOptions {
  /** The dynamics model, when the dynamics are not linear (F, f). */
  readonly dynamics?: DynamicsModel;
  /** Step-size decay of the backtracking line search (default 0.2, as mpc.pytorch). */
  readonly linesearchDecay?: number;
  /** Largest number of step sizes tried per iteration (default 10). */
  readonly maxLinesearch?: number;
}

export const MPC_RANKS = { C: 3, c: 2, x0: 1, uLower: 2, uUpper: 2, F: 3, f: 2, theta: 1 } as const;

export interface MpcSizes {
  readonly batch: number | null;
  readonly T: number;
  readonly ns: number;
  readonly nc: number;
  readonly n: number;
}

/** The sizes of a call, read from the shapes (checked by `applyNode` against the signature). */
export function mpcSizes(p: MpcParams): MpcSizes {
  const batch = batchOf(p as unknown as Record<string, Tensor>, MPC_RANKS);
  const n = p.C.shape[p.C.ndim - 1]!;
  const ns = p.x0.shape[p.x0.ndim - 1]!;
  return { batch, T: p.C.shape[p.C.ndim - 3]!, ns, nc: n - ns, n };
}

/**
 * What only MPC knows, run once per call after the signature (shapes, finiteness, PSD cost
 * blocks) and the options schema: the horizon and state sizes, one kind of dynamics and a model
 * that fits them, and ordered bounds.
 */
export function checkMpc(p: MpcParams, options: MpcOptions, layout: NodeLayout): void {
  const node = 'control.mpc';
  checkHorizonAndState(node, layout.dims);
  const { T, n, ns } = layout.dims as { T: number; n: number; ns: number };
  const nc = n - ns;
  if (p.F) {
    if (p.theta || options.dynamics)
      throw new InvalidInputError(`${node}: give either linear dynamics (F, f) or a dynamics model with its parameters, not both`);
  } else {
    const model = options.dynamics;
    if (!model) throw new InvalidInputError(`${node}: no dynamics: pass linear dynamics { F, f } or a model { model, params }`);
    if (p.f) throw new InvalidInputError(`${node}: parameter 'f' is only for linear dynamics (F, f)`);
    if (model.nState !== ns || model.nCtrl !== nc) {
      throw new InvalidInputError(
        `${node}: the dynamics model '${model.name}' has ${model.nState} states and ${model.nCtrl} controls, but x0 gives ns = ${ns} and C gives nc = n − ns = ${nc}`,
      );
    }
    const q = layout.dims.q ?? 0;
    if (q !== model.nParams) {
      throw new InvalidInputError(
        `${node}: the dynamics model '${model.name}' takes ${model.nParams} parameters, got ${p.theta ? `shape ${fmt(p.theta.shape)}` : 'none'}`,
      );
    }
  }
  if (p.uLower && p.uUpper) assertOrderedBounds(node, p.uLower, p.uUpper, layout.size ?? 1, T, nc);
}

function assertOrderedBounds(node: string, lo: Tensor, hi: Tensor, B: number, T: number, nc: number): void {
  const sl = strideOf(lo, 2);
  const sh = strideOf(hi, 2);
  for (let b = 0; b < B; b++) {
    for (let i = 0; i < T * nc; i++) {
      const l = lo.data[b * sl + i]!;
      const h = hi.data[b * sh + i]!;
      if (l > h) {
        const t = Math.floor(i / nc);
        throw new InvalidInputError(
          `${node}: uLower exceeds uUpper at batch element ${b}, time step ${t}, control ${i % nc} (${l} > ${h}); the box is empty`,
        );
      }
    }
  }
}
