import { InvalidInputError, Tensor, add, concat, eye, matmul, matmulT, neg, reshape, slice, solve, sub, sum, mul } from '@argmin/autodiff';
import type { SolverStep } from '@argmin/autodiff/extend';
import { denseConeDerivative, projectConeWithDerivative } from './cones.js';
import { coneLayout } from './problem.js';
import type { ConeParams, ConeSolution } from './problem.js';
import { coneProjection } from './projection-op.js';
import { solveCone } from './solve.js';
import { admmInit, admmUpdate, broadcastParams, dims, type StepOptions } from './step-admm.js';

/** Which iteration the 'unroll' strategy differentiates. */
export type ConeUnroll = 'refine' | 'admm';

/**
 * The 'unroll' strategy's iteration, chosen by `options.unroll`:
 * - 'refine' (default): `init` runs the interior-point solver to 1e-6 (not differentiated: a
 *   constant start, like any warm start), then each step is one
 *   Gauss–Newton step on the residual map F(ζ) (residual-map.ts) written with differentiable ops:
 *   ζ⁺ = ζ − (JᵀJ)⁻¹JᵀF(ζ). J's cone-derivative block D is held constant (second derivatives of
 *   the projections are not formed); the terms this drops are multiplied by F and vanish as the
 *   iteration converges, so the unrolled gradient reaches the implicit one in 2–4 steps.
 * - 'admm': plain relaxed ADMM from the cold start (step-admm.ts), converging linearly; the
 *   unrolled gradient approaches the implicit one at that rate (hundreds of steps).
 */
export const coneStep: SolverStep<ConeParams, ConeSolution, StepOptions & { unroll?: ConeUnroll }> = {
  defaultSteps: 8,
  init(params, options) {
    if (!params.A || params.Aval || params.P || params.Pval)
      throw new InvalidInputError(
        "convex.cone: strategy 'unroll' differentiates the conic LP residual map and needs a dense 'A' without 'P' (use the implicit strategy for sparse A or a quadratic objective)",
      );
    const ws = options.warmStart;
    if (ws?.x && ws.y && ws.s) return { x: ws.x, y: ws.y, s: ws.s };
    if (options.unroll === 'admm') return admmInit(params);
    const start = solveCone(params, coneLayout(options.cones), { ...options, tol: 1e-6 });
    return start.solution;
  },
  update(params, state, options) {
    return options.unroll === 'admm' ? admmUpdate(params, state, options) : refineUpdate(params, state, options);
  },
};

/** One Gauss–Newton step on F(ζ) = (Aᵀy + c, b − Ax − s, −cᵀx − bᵀy), ζ = (x, y − s). */
function refineUpdate(params: ConeParams, { x, y, s }: ConeSolution, options: StepOptions): ConeSolution {
  const { m, n } = dims(params);
  const { A, b, c, lead } = broadcastParams(params);
  const col = (v: Tensor) => reshape(v, [...v.shape, 1]);
  const row = (v: Tensor) => reshape(v, [...lead, 1, v.shape[v.ndim - 1]!]);
  const zy = sub(y, s);
  const py = coneProjection(zy, options.cones, true);
  const ps = sub(py, zy);
  const F = concat(
    [
      add(reshape(matmulT(A, col(py), true, false), [...lead, n]), c),
      sub(sub(b, reshape(matmul(A, col(x)), [...lead, m])), ps),
      neg(add(sum(mul(c, x), -1, true), sum(mul(b, py), -1, true))),
    ],
    -1,
  );
  const D = constantConeDerivative(zy, options);
  const AtD = matmulT(A, D, true, false);
  const I = eye(m);
  const J = concat(
    [
      concat([new Tensor(new Float64Array(lead.reduce((p, q) => p * q, 1) * n * n), [...lead, n, n]), AtD], -1),
      concat([neg(A), sub(I, D)], -1),
      concat([neg(row(c)), neg(matmul(row(b), D))], -1),
    ],
    -2,
  );
  const delta = solve(matmulT(J, J, true, false), matmulT(J, col(F), true, false));
  const flat = reshape(delta, [...lead, n + m]);
  const part = (from: number, to: number) => slice(flat, lead.length ? [0, from] : [from], lead.length ? [lead[0]!, to] : [to]);
  const xNext = sub(x, part(0, n));
  const zyNext = sub(zy, part(n, n + m));
  const yNext = coneProjection(zyNext, options.cones, true);
  return { x: xNext, y: yNext, s: sub(yNext, zyNext) };
}

/** DΠ_K*(z_y) as a dense constant ([..., m, m]), row by row of a batch. */
function constantConeDerivative(zy: Tensor, options: StepOptions): Tensor {
  const layout = coneLayout(options.cones);
  const m = layout.m;
  const rows = zy.size / m;
  const out = new Float64Array(rows * m * m);
  const scratch = new Float64Array(m);
  for (let r = 0; r < rows; r++)
    out.set(denseConeDerivative(projectConeWithDerivative(layout, true, zy.data, scratch, r * m, 0)), r * m * m);
  return new Tensor(out, [...zy.shape.slice(0, -1), m, m]);
}
