/**
 * A complete third-party plugin: ridge regression as an optimization node, written against
 * @argmin/autodiff alone. docs/writing-a-plugin.md walks through it.
 *
 *   w*(A, b, λ) = argmin_w ½‖Aw − b‖² + ½λ‖w‖²
 */
import {
  InvalidInputError,
  Tensor,
  add,
  matmul,
  mul,
  expandDims,
  squeeze,
  sub,
  sum,
  type NodeCallOptions,
  type SolveStatus,
} from '@argmin/autodiff';
import { ARGMIN_API_VERSION, applyNode, defineNode, definePlugin } from '@argmin/autodiff/extend';
import type { NodeLayout } from '@argmin/autodiff/extend';
import { cg } from '@argmin/autodiff/kernels';

type RidgeParams = { A: Tensor; b: Tensor; lambda: Tensor };
type RidgeSolution = { w: Tensor };

/** The objective, written with differentiable ops (one problem, unbatched). */
export function ridgeObjective({ A, b, lambda }: RidgeParams, w: Tensor): Tensor {
  const r = sub(matmul(A, w), b);
  return add(mul(sum(mul(r, r)), 0.5), mul(mul(lambda, sum(mul(w, w))), 0.5));
}

export const ridgeNode = defineNode<RidgeParams, RidgeSolution>({
  name: 'example.ridge',
  // Core shapes with named dimensions: A is m×n, b has m entries, λ is a scalar; each may carry a
  // leading batch axis. applyNode checks ranks, batch sizes, that m and n agree across A, b and
  // w's warm start, and finiteness, once, before any of the code below runs.
  signature: { params: { A: '(m,n)', b: '(m)', lambda: '()' }, solution: { w: '(n)' } },
  // The node's own options as zod fields (e.g. `{ damping: optionFields.positive().optional() }`);
  // ridge has none beyond the common ones (tol, maxIter, warmStart, strategy, …), so a misspelled
  // or ill-typed option is a typed error naming the node and the option.
  options: {},
  // What only ridge knows: λ > 0, so that the problem is strongly convex.
  check({ lambda }) {
    const bad = lambda.data.findIndex((v) => !(v > 0));
    if (bad >= 0)
      throw new InvalidInputError(`example.ridge: parameter 'lambda' must be positive, got ${lambda.data[bad]} (at flat index ${bad})`);
  },

  // Forward: conjugate gradients on the normal equations (AᵀA + λI)w = Aᵀb, per batch element.
  // The layout gives the batch size and the dimension sizes the signature resolved.
  solve({ A, b, lambda }, { tol = 1e-12, maxIter = 1000 }, layout) {
    const batch = layout.size ?? 1;
    const { m, n } = layout.dims as { m: number; n: number };
    const w = new Float64Array(batch * n);
    const status: SolveStatus[] = [];
    const iterations: number[] = [];
    const residual: number[] = [];
    for (let e = 0; e < batch; e++) {
      const a = layout.batched.has('A') ? A.data.subarray(e * m * n, (e + 1) * m * n) : A.data;
      const y = layout.batched.has('b') ? b.data.subarray(e * m, (e + 1) * m) : b.data;
      const lam = layout.batched.has('lambda') ? lambda.data[e]! : lambda.data[0]!;
      const rhs = new Float64Array(n);
      for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) rhs[j]! += a[i * n + j]! * y[i]!;
      const av = new Float64Array(m);
      const r = cg(
        (x, out) => {
          av.fill(0);
          for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) av[i]! += a[i * n + j]! * x[j]!;
          for (let j = 0; j < n; j++) out[j] = lam * x[j]!;
          for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) out[j]! += a[i * n + j]! * av[i]!;
        },
        rhs,
        { tol, maxIter },
      );
      w.set(r.x, e * n);
      status.push(r.converged ? 'converged' : 'max_iter');
      iterations.push(r.iterations);
      residual.push(r.residual);
    }
    return { solution: { w: new Tensor(w, solutionShape(layout)) }, info: { status, iterations, residual } };
  },

  // Optimality: the gradient of the objective vanishes. The generic implicit VJP differentiates it.
  optimality(params, { w }) {
    return objectiveGradient(params, w);
  },

  // One gradient step for the 'unroll' strategy. The step size 1/(‖A‖²_F + λ) is below 1/L, so
  // the iteration contracts; it is a constant of the iteration, not differentiated.
  step: {
    defaultSteps: 500,
    init: (_params, { warmStart }, layout) => ({
      w: warmStart?.w ?? new Tensor(new Float64Array(solutionSize(layout)), solutionShape(layout)),
    }),
    update: (params, { w }, _options, layout) => {
      let frob = 0;
      for (const v of params.A.data) frob += v * v;
      const lam = Math.max(...params.lambda.data);
      const rate = 1 / (frob / (layout.batched.has('A') ? layout.size! : 1) + lam);
      return { w: sub(w, mul(objectiveGradient(params, w), rate)) };
    },
  },
});

/** w's shape: [n], or [B, n] for a batched call. */
function solutionShape(layout: NodeLayout): number[] {
  const n = layout.dims.n!;
  return layout.size === null ? [n] : [layout.size, n];
}

function solutionSize(layout: NodeLayout): number {
  return (layout.size ?? 1) * layout.dims.n!;
}

/** ∇w = Aᵀ(Aw − b) + λw, for one problem or a batch (A, b, λ each batched or shared). */
function objectiveGradient({ A, b, lambda }: RidgeParams, w: Tensor): Tensor {
  const Aw = squeeze(matmul(A, expandDims(w, -1)), -1);
  const r = sub(Aw, b);
  const Atr = squeeze(matmul(expandDims(r, -2), A), -2);
  return add(Atr, mul(lambda.ndim === 1 ? expandDims(lambda, -1) : lambda, w));
}

/** ridge({ A, b, lambda }, options) → { w, info }: the public function of the plugin. */
export function ridge(params: RidgeParams, options: NodeCallOptions<RidgeSolution> = {}) {
  return applyNode(ridgeNode, params, options);
}

export const ridgePlugin = definePlugin({
  name: 'example-ridge-plugin',
  version: '1.0.0',
  argminApi: `^${ARGMIN_API_VERSION.split('.')[0]}`,
  nodes: [ridgeNode],
});
