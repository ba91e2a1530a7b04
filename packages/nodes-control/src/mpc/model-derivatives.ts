import { Tensor, add, mul, sum, take, vjp } from '@argmin/autodiff';
import type { DynamicsModel } from '../dynamics/model.js';
import { rowParams, transitionRows } from './dynamics-eval.js';

/**
 * The second-order pieces of the exact MPC gradient for model dynamics, by nested reverse mode
 * over all transition rows (b, t < T−1) at once (grad-of-grad: the model's op VJPs are ops).
 * mpc.pytorch drops both, which is why its pendulum gradients are off by up to 11%.
 */

/** Costates λ_{t+1} of the listed elements' transition rows, [R, ns]. */
function nextCostates(elems: readonly number[], lam: Float64Array, T: number, ns: number): Tensor {
  const out = new Float64Array(elems.length * (T - 1) * ns);
  elems.forEach((b, e) => out.set(lam.subarray((b * T + 1) * ns, (b * T + T) * ns), e * (T - 1) * ns));
  return new Tensor(out, [elems.length * (T - 1), ns]);
}

/**
 * Σ_i λ_{t+1,i} ∇²_ττ g_i(τ_t) for every transition row: the curvature of the dynamics
 * constraints, weighted by their costates, that the VJP's LQR adds to C_t. Returns
 * [E, T−1, n, n] for the E listed elements, in their order.
 */
export function constraintCurvature(
  model: DynamicsModel,
  theta: Tensor | undefined,
  elems: readonly number[],
  x: Float64Array,
  u: Float64Array,
  lam: Float64Array,
  T: number,
  ns: number,
  nc: number,
): Float64Array {
  const n = ns + nc;
  const { R, X, U, rowsOf } = transitionRows(elems, x, u, T, ns, nc);
  const out = new Float64Array(R * n * n);
  if (R === 0) return out;
  const params = rowParams(theta, rowsOf);
  const weights = nextCostates(elems, lam, T, ns);
  const { pullback } = vjp(
    (xx: Tensor, uu: Tensor) => {
      const inner = vjp((x2: Tensor, u2: Tensor) => model.step(x2, u2, params), xx, uu);
      return inner.pullback(weights) as [Tensor, Tensor];
    },
    X,
    U,
  );
  for (let j = 0; j < n; j++) {
    const ex = new Float64Array(R * ns);
    const eu = new Float64Array(R * nc);
    for (let r = 0; r < R; r++) {
      if (j < ns) ex[r * ns + j] = 1;
      else eu[r * nc + j - ns] = 1;
    }
    const [hx, hu] = pullback([new Tensor(ex, [R, ns]), new Tensor(eu, [R, nc])]) as [Tensor, Tensor];
    for (let r = 0; r < R; r++) {
      const o = r * n * n + j * n;
      for (let i = 0; i < ns; i++) out[o + i] = hx.data[r * ns + i]!;
      for (let a = 0; a < nc; a++) out[o + ns + a] = hu.data[r * nc + a]!;
    }
  }
  return out;
}

/**
 * θ̄ = ∇_θ Σ_rows [ λ_{t+1}ᵀ (∂g/∂τ)(τ_t; θ) dτ_t + dλ_{t+1}ᵀ g(τ_t; θ) ], the parameter part of
 * (∂R/∂θ)ᵀ w for the KKT residual R, where (dτ, dλ) solve the VJP's LQR. `dtau` holds
 * [dx; du] rows and `dlam` the costates of that LQR, per listed element ([E, T, ·]).
 */
export function parameterGradient(
  model: DynamicsModel,
  theta: Tensor,
  elems: readonly number[],
  x: Float64Array,
  u: Float64Array,
  lam: Float64Array,
  dx: Float64Array,
  du: Float64Array,
  dlam: Float64Array,
  T: number,
  ns: number,
  nc: number,
): Tensor {
  const { R, X, U, rowsOf } = transitionRows(elems, x, u, T, ns, nc);
  if (R === 0) return new Tensor(new Float64Array(theta.size), theta.shape);
  const local = elems.map((_, e) => e);
  const dX = transitionRows(local, dx, du, T, ns, nc);
  const weights = nextCostates(elems, lam, T, ns);
  const dWeights = nextCostates(local, dlam, T, ns);
  const batched = theta.ndim === 2;
  const { pullback } = vjp((th: Tensor) => {
    const params = batched ? take(th, rowsOf, 0) : th;
    const inner = vjp((x2: Tensor, u2: Tensor) => model.step(x2, u2, params), X, U);
    const [gx, gu] = inner.pullback(weights) as [Tensor, Tensor];
    return add(add(sum(mul(gx, dX.X)), sum(mul(gu, dX.U))), sum(mul(inner.value, dWeights)));
  }, theta);
  return pullback(new Tensor(Float64Array.of(1), []))[0] as Tensor;
}
