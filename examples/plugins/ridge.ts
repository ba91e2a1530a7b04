/**
 * A complete third-party plugin: ridge regression as an optimization node, written against
 * @argmin/autodiff alone. docs/writing-a-plugin.md walks through it.
 *
 *   w*(A, b, λ) = argmin_w ½‖Aw − b‖² + ½λ‖w‖²
 */
import {
  ARGMIN_API_VERSION,
  InvalidInputError,
  ShapeError,
  Tensor,
  add,
  applyNode,
  defineNode,
  definePlugin,
  matmul,
  mul,
  expandDims,
  squeeze,
  sub,
  sum,
  type NodeCallOptions,
  type SolveStatus,
} from '@argmin/autodiff';
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
  // A is a matrix, b a vector, λ a scalar; each may carry a leading batch axis.
  signature: { params: { A: 2, b: 1, lambda: 0 }, solution: { w: 1 } },

  // Forward: conjugate gradients on the normal equations (AᵀA + λI)w = Aᵀb, per batch element.
  solve({ A, b, lambda }, { tol = 1e-12, maxIter = 1000 }) {
    const batch = batchSize({ A, b, lambda }) ?? 1;
    const [m, n] = A.shape.slice(-2) as [number, number];
    const w = new Float64Array(batch * n);
    const status: SolveStatus[] = [];
    const iterations: number[] = [];
    const residual: number[] = [];
    for (let e = 0; e < batch; e++) {
      const a = A.ndim === 3 ? A.data.subarray(e * m * n, (e + 1) * m * n) : A.data;
      const y = b.ndim === 2 ? b.data.subarray(e * m, (e + 1) * m) : b.data;
      const lam = lambda.ndim === 1 ? lambda.data[e]! : lambda.data[0]!;
      if (!(lam > 0)) throw new InvalidInputError(`example.ridge: parameter 'lambda' must be positive, got ${lam} (batch element ${e})`);
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
    const shape = batchSize({ A, b, lambda }) === null ? [n] : [batch, n];
    return { solution: { w: new Tensor(w, shape) }, info: { status, iterations, residual } };
  },

  // Optimality: the gradient of the objective vanishes. The generic implicit VJP differentiates it.
  optimality(params, { w }) {
    return objectiveGradient(params, w);
  },

  // One gradient step for the 'unroll' strategy. The step size 1/(‖A‖²_F + λ) is below 1/L, so
  // the iteration contracts; it is a constant of the iteration, not differentiated.
  step: {
    defaultSteps: 500,
    init: (params, { warmStart }) => {
      const n = params.A.shape[params.A.ndim - 1]!;
      const batch = batchSize(params);
      const shape = batch === null ? [n] : [batch, n];
      return { w: warmStart?.w ?? new Tensor(new Float64Array(batch === null ? n : batch * n), shape) };
    },
    update: (params, { w }) => {
      let frob = 0;
      for (const v of params.A.data) frob += v * v;
      const lam = Math.max(...params.lambda.data);
      const rate = 1 / (frob / (params.A.ndim === 3 ? params.A.shape[0]! : 1) + lam);
      return { w: sub(w, mul(objectiveGradient(params, w), rate)) };
    },
  },
});

/** The batch size, or null if no parameter carries a batch axis. */
function batchSize({ A, b, lambda }: RidgeParams): number | null {
  return A.ndim === 3 ? A.shape[0]! : b.ndim === 2 ? b.shape[0]! : lambda.ndim === 1 ? lambda.shape[0]! : null;
}

/** ∇w = Aᵀ(Aw − b) + λw, for one problem or a batch (A, b, λ each batched or shared). */
function objectiveGradient({ A, b, lambda }: RidgeParams, w: Tensor): Tensor {
  const Aw = squeeze(matmul(A, expandDims(w, -1)), -1);
  const r = sub(Aw, b);
  const Atr = squeeze(matmul(expandDims(r, -2), A), -2);
  return add(Atr, mul(lambda.ndim === 1 ? expandDims(lambda, -1) : lambda, w));
}

/** ridge({ A, b, lambda }) → { w, info }: the public function of the plugin. */
export function ridge(params: RidgeParams, options: NodeCallOptions<RidgeSolution> = {}) {
  const m = params.A.shape[params.A.ndim - 2];
  if (params.b.shape[params.b.ndim - 1] !== m) {
    throw new ShapeError(`example.ridge: 'b' of shape [${params.b.shape}] does not match the ${m} rows of 'A' (shape [${params.A.shape}])`);
  }
  return applyNode(ridgeNode, params, options);
}

export const ridgePlugin = definePlugin({
  name: 'example-ridge-plugin',
  version: '1.0.0',
  argminApi: `^${ARGMIN_API_VERSION.split('.')[0]}`,
  nodes: [ridgeNode],
});
