import { InvalidInputError, type Tensor } from '@argmin/autodiff';
import type { DynamicsModel } from '../dynamics/model.js';
import { assertFiniteParam, assertPsdBlocks, validateCostAndState, validateLinearDynamics } from '../lqr/problem.js';
import { batchOf, coreShape, expectCore, fmt, strideOf } from '../shared/shapes.js';

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

export function mpcSizes(p: MpcParams): MpcSizes {
  const batch = batchOf('control.mpc', p as unknown as Record<string, Tensor>, MPC_RANKS);
  const n = p.C.shape[p.C.ndim - 1]!;
  const ns = p.x0.shape[p.x0.ndim - 1]!;
  return { batch, T: p.C.shape[p.C.ndim - 3]!, ns, nc: n - ns, n };
}

/** Full validation of the node's parameters and options; see {@link MpcParams}. */
export function validateMpc(p: MpcParams, options: MpcOptions): MpcSizes {
  const node = 'control.mpc';
  const { T, n, ns, nc } = validateCostAndState(node, p);
  if (p.F) {
    if (p.theta || options.dynamics)
      throw new InvalidInputError(`${node}: give either linear dynamics (F, f) or a dynamics model with its parameters, not both`);
    validateLinearDynamics(node, p.F, p.f, T, ns, n);
  } else {
    const model = options.dynamics;
    if (!model) throw new InvalidInputError(`${node}: no dynamics: pass linear dynamics { F, f } or a model { model, params }`);
    if (p.f) throw new InvalidInputError(`${node}: parameter 'f' is only for linear dynamics (F, f)`);
    if (model.nState !== ns || model.nCtrl !== nc) {
      throw new InvalidInputError(
        `${node}: the dynamics model '${model.name}' has ${model.nState} states and ${model.nCtrl} controls, but x0 gives ns = ${ns} and C gives nc = n − ns = ${nc}`,
      );
    }
    const pShape = p.theta ? coreShape(node, 'theta', p.theta, 1, '[p]') : [0];
    if (pShape[0] !== model.nParams) {
      throw new InvalidInputError(
        `${node}: the dynamics model '${model.name}' takes ${model.nParams} parameters, got ${p.theta ? `shape ${fmt(p.theta.shape)}` : 'none'}`,
      );
    }
  }
  for (const name of ['uLower', 'uUpper'] as const) {
    const t = p[name];
    if (t) expectCore(node, name, coreShape(node, name, t, 2, '[T,nc]'), [T, nc], `T = ${T} from C, nc = ${nc}`);
  }
  const batch = batchOf(node, p as unknown as Record<string, Tensor>, MPC_RANKS);
  for (const [k, t] of Object.entries(p)) if (t) assertFiniteParam(node, k, t as Tensor);
  if (p.uLower && p.uUpper) assertOrderedBounds(node, p.uLower, p.uUpper, batch ?? 1, T, nc);
  assertPsdBlocks(node, 'C', p.C, T, n);
  const ls = options.linesearchDecay ?? 0.2;
  if (!(ls > 0 && ls < 1)) throw new InvalidInputError(`${node}: linesearchDecay must be in (0, 1), got ${ls}`);
  const maxLs = options.maxLinesearch ?? 10;
  if (!(Number.isInteger(maxLs) && maxLs >= 1))
    throw new InvalidInputError(`${node}: maxLinesearch must be a positive integer, got ${maxLs}`);
  return { batch, T, ns, nc, n };
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
