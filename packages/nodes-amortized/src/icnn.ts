import { InvalidInputError, ShapeError, Tensor, add, matmul, mul, randn, softplus, sum, zeros, type Rng } from '@argmin/autodiff';
import { gemm } from '@argmin/autodiff/kernels';
import type { Model } from './model.js';

/**
 * An input-convex neural network (Amos, Xu & Kolter, 2017) f: ℝᵈ → ℝ, convex in x:
 *   z₁ = σ(W₀x + b₀),   zₖ₊₁ = σ(softplus(Uₖ) zₖ + Wₖx + bₖ),
 *   f(x) = softplus(u)ᵀ z_L + wᵀx + c + ½‖Qᵀx‖² + ½α‖x‖².
 * σ = softplus is convex and non-decreasing, and the hidden-to-hidden weights softplus(Uₖ) and
 * softplus(u) are non-negative by parametrization (any raw Uₖ is valid, so plain Adam steps keep
 * convexity; nothing is clipped after the fact). Non-negative sums of convex non-decreasing
 * functions of convex functions are convex; the quadratic skip ½‖Qᵀx‖² (Q [d, rank]) is convex
 * too and lets f be a general quadratic, the exact potential between Gaussians. α ≥ 0 adds
 * strong convexity, so that f*(y) = max_x xᵀy − f(x) is attained for every y. ∇f is the
 * transport map of W2 (Brenier).
 */
export interface IcnnOptions {
  /** Input dimension d. */
  readonly input: number;
  /** Hidden widths (at least one), e.g. [64, 64]. */
  readonly hidden: readonly number[];
  /** Columns of the quadratic skip Q [d, rank] (default d; 0 turns it off). */
  readonly quadraticRank?: number;
  /** Fixed strong convexity α ≥ 0 (default 1e-3). */
  readonly strongConvexity?: number;
}

/** W0 [d,h₁], b0; U1..U(L−1) [hₖ,hₖ₊₁] raw (softplus applied), W1.., b1..; u [h_L,1] raw; w [d,1]; c [1]; Q [d,r]. */
export type IcnnParams = { readonly [key: string]: Tensor };

export interface Icnn extends Model<IcnnParams> {
  readonly input: number;
  /** f(x) [B] and ∇f(x) [B, d] at x [B, d], on raw kernels (never recorded): for inner solvers and maps. */
  valueAndGrad(theta: IcnnParams, x: Float64Array, batch: number): { value: Float64Array; grad: Float64Array };
  /** ∇²f(x) [B, d, d] at x [B, d], exact and positive semidefinite, on raw kernels (for Newton-type inner solvers). */
  hessian(theta: IcnnParams, x: Float64Array, batch: number): Float64Array;
}

/** softplus of a raw weight tensor, cached per tensor (inner solvers call with one θ many times). */
const positiveCache = new WeakMap<Tensor, Float64Array>();
function positive(t: Tensor): Float64Array {
  let out = positiveCache.get(t);
  if (!out) {
    out = t.data.map(softplusRaw);
    positiveCache.set(t, out);
  }
  return out;
}

const softplusRaw = (v: number): number => Math.max(v, 0) + Math.log1p(Math.exp(-Math.abs(v)));
const sigmoidRaw = (v: number): number => (v >= 0 ? 1 / (1 + Math.exp(-v)) : Math.exp(v) / (1 + Math.exp(v)));

export function icnn(options: IcnnOptions): Icnn {
  const { input: d, hidden, quadraticRank = options.input, strongConvexity: alpha = 1e-3 } = options;
  const name = `icnn[${d};${hidden.join(',')}]`;
  if (!(Number.isInteger(d) && d >= 1)) throw new InvalidInputError(`icnn: 'input' must be a positive integer, got ${d}`);
  if (hidden.length < 1 || !hidden.every((h) => Number.isInteger(h) && h >= 1)) {
    throw new InvalidInputError(`icnn: 'hidden' must list at least one positive integer width, got [${hidden.join(',')}]`);
  }
  if (!(Number.isInteger(quadraticRank) && quadraticRank >= 0)) {
    throw new InvalidInputError(`icnn: 'quadraticRank' must be a non-negative integer, got ${quadraticRank}`);
  }
  if (!(Number.isFinite(alpha) && alpha >= 0)) throw new InvalidInputError(`icnn: 'strongConvexity' must be ≥ 0, got ${alpha}`);
  const L = hidden.length;
  const shapes: [string, number[]][] = [
    ['W0', [d, hidden[0]!]],
    ['b0', [hidden[0]!]],
  ];
  for (let k = 1; k < L; k++) shapes.push([`U${k}`, [hidden[k - 1]!, hidden[k]!]], [`W${k}`, [d, hidden[k]!]], [`b${k}`, [hidden[k]!]]);
  shapes.push(['u', [hidden[L - 1]!, 1]], ['w', [d, 1]], ['c', [1]]);
  if (quadraticRank > 0) shapes.push(['Q', [d, quadraticRank]]);
  const checkTheta = (theta: IcnnParams): void => {
    for (const [key, shape] of shapes) {
      const t = theta[key];
      if (!(t instanceof Tensor)) throw new InvalidInputError(`${name}: parameter '${key}' is missing`);
      if (t.shape.length !== shape.length || t.shape.some((s, i) => s !== shape[i])) {
        throw new ShapeError(`${name}: parameter '${key}' has shape [${t.shape.join(',')}], expected [${shape.join(',')}]`);
      }
    }
  };
  const checkInput = (x: Tensor): void => {
    if (x.ndim < 1 || x.shape[x.ndim - 1] !== d) throw new ShapeError(`${name}: input of shape [${x.shape.join(',')}] must end in ${d}`);
  };

  /** The hidden layers' pre-activations sₖ and outputs zₖ [B, hₖ], and the softplus(Uₖ). */
  function forward(theta: IcnnParams, x: Float64Array, B: number, what: string) {
    checkTheta(theta);
    if (x.length !== B * d) throw new ShapeError(`${name}: ${what} needs x of ${B}×${d} entries, got ${x.length}`);
    const pre: Float64Array[] = [];
    const zs: Float64Array[] = [];
    const posU: Float64Array[] = [];
    let z: Float64Array | null = null;
    for (let k = 0; k < L; k++) {
      const h = hidden[k]!;
      const s = new Float64Array(B * h);
      gemm(false, false, B, h, d, 1, x, 0, d, theta[`W${k}`]!.data, 0, h, 0, s, 0, h);
      if (k > 0) {
        const U = positive(theta[`U${k}`]!);
        posU.push(U);
        gemm(false, false, B, h, hidden[k - 1]!, 1, z!, 0, hidden[k - 1]!, U, 0, h, 1, s, 0, h);
      }
      const bias = theta[`b${k}`]!.data;
      for (let r = 0; r < B; r++) for (let j = 0; j < h; j++) s[r * h + j]! += bias[j]!;
      pre.push(s);
      z = s.map(softplusRaw);
      zs.push(z);
    }
    return { pre, zs, posU };
  }

  /** Forward keeping pre-activations, then the backward of Σ f (∂/∂x only). */
  function valueAndGrad(theta: IcnnParams, x: Float64Array, B: number): { value: Float64Array; grad: Float64Array } {
    const { pre, zs, posU } = forward(theta, x, B, 'valueAndGrad');
    const z = zs[L - 1]!;
    const hL = hidden[L - 1]!;
    const u = positive(theta.u!);
    const w = theta.w!.data;
    const Q = quadraticRank > 0 ? theta.Q!.data : null;
    const value = new Float64Array(B);
    const grad = new Float64Array(B * d);
    const qx = Q ? new Float64Array(B * quadraticRank) : null;
    if (Q) gemm(false, false, B, quadraticRank, d, 1, x, 0, d, Q, 0, quadraticRank, 0, qx!, 0, quadraticRank);
    for (let r = 0; r < B; r++) {
      let v = theta.c!.data[0]!;
      for (let j = 0; j < hL; j++) v += u[j]! * z[r * hL + j]!;
      let xx = 0;
      for (let i = 0; i < d; i++) {
        const xi = x[r * d + i]!;
        v += w[i]! * xi;
        xx += xi * xi;
        grad[r * d + i] = w[i]! + alpha * xi;
      }
      v += 0.5 * alpha * xx;
      if (qx) for (let j = 0; j < quadraticRank; j++) v += 0.5 * qx[r * quadraticRank + j]! ** 2;
      value[r] = v;
    }
    if (Q) gemm(false, true, B, d, quadraticRank, 1, qx!, 0, quadraticRank, Q, 0, quadraticRank, 1, grad, 0, d);
    // Backward: δ_L = u ⊙ σ'(s_L); δₖ = (δₖ₊₁ softplus(Uₖ₊₁)ᵀ) ⊙ σ'(sₖ); ∇x += δₖ Wₖᵀ.
    let delta = new Float64Array(B * hL);
    for (let r = 0; r < B; r++) for (let j = 0; j < hL; j++) delta[r * hL + j] = u[j]! * sigmoidRaw(pre[L - 1]![r * hL + j]!);
    for (let k = L - 1; k >= 0; k--) {
      const h = hidden[k]!;
      gemm(false, true, B, d, h, 1, delta, 0, h, theta[`W${k}`]!.data, 0, h, 1, grad, 0, d);
      if (k === 0) break;
      const hp = hidden[k - 1]!;
      const next = new Float64Array(B * hp);
      gemm(false, true, B, hp, h, 1, delta, 0, h, posU[k - 1]!, 0, h, 0, next, 0, hp);
      const s = pre[k - 1]!;
      for (let q = 0; q < next.length; q++) next[q]! *= sigmoidRaw(s[q]!);
      delta = next;
    }
    return { value, grad };
  }

  /**
   * Only σ is nonlinear, so ∇²f = αI + QQᵀ + Σₖ Aₖ diag(z̄ₖ ⊙ σ''(sₖ)) Aₖᵀ, with Aₖ = ∂sₖ/∂x [d, hₖ]
   * (A₀ = W₀, Aₖ = Wₖ + Aₖ₋₁ diag(σ'(sₖ₋₁)) softplus(Uₖ)) and z̄ₖ = ∂f/∂zₖ ≥ 0 from the backward
   * pass: every term is PSD, as convexity says.
   */
  function hessian(theta: IcnnParams, x: Float64Array, B: number): Float64Array {
    const { pre, posU } = forward(theta, x, B, 'hessian');
    const out = new Float64Array(B * d * d);
    const Q = quadraticRank > 0 ? theta.Q!.data : null;
    const base = new Float64Array(d * d);
    for (let i = 0; i < d; i++) base[i * d + i] = alpha;
    if (Q) gemm(false, true, d, d, quadraticRank, 1, Q, 0, quadraticRank, Q, 0, quadraticRank, 1, base, 0, d);
    // Adjoints z̄ₖ per row, from the top: z̄_L = softplus(u), z̄ₖ₋₁ = softplus(Uₖ)(z̄ₖ ⊙ σ'(sₖ)).
    const bar: Float64Array[] = new Array(L);
    bar[L - 1] = new Float64Array(B * hidden[L - 1]!);
    const u = positive(theta.u!);
    for (let r = 0; r < B; r++) bar[L - 1]!.set(u, r * hidden[L - 1]!);
    for (let k = L - 1; k > 0; k--) {
      const h = hidden[k]!;
      const sbar = bar[k]!.map((v, q) => v * sigmoidRaw(pre[k]![q]!));
      bar[k - 1] = new Float64Array(B * hidden[k - 1]!);
      gemm(false, true, B, hidden[k - 1]!, h, 1, sbar, 0, h, posU[k - 1]!, 0, h, 0, bar[k - 1]!, 0, hidden[k - 1]!);
    }
    const maxH = Math.max(...hidden);
    let A = new Float64Array(d * maxH);
    let next = new Float64Array(d * maxH);
    const scaled = new Float64Array(d * maxH);
    for (let r = 0; r < B; r++) {
      const H = out.subarray(r * d * d, (r + 1) * d * d);
      H.set(base);
      for (let k = 0; k < L; k++) {
        const h = hidden[k]!;
        const Wk = theta[`W${k}`]!.data;
        if (k === 0) A.set(Wk);
        else {
          // next = Wₖ + (A diag σ'(sₖ₋₁)) softplus(Uₖ)
          const hp = hidden[k - 1]!;
          for (let i = 0; i < d; i++)
            for (let j = 0; j < hp; j++) scaled[i * hp + j] = A[i * hp + j]! * sigmoidRaw(pre[k - 1]![r * hp + j]!);
          next.set(Wk);
          gemm(false, false, d, h, hp, 1, scaled, 0, hp, posU[k - 1]!, 0, h, 1, next, 0, h);
          [A, next] = [next, A];
        }
        for (let j = 0; j < h; j++) {
          const sg = sigmoidRaw(pre[k]![r * h + j]!);
          const c = Math.sqrt(bar[k]![r * h + j]! * sg * (1 - sg));
          for (let i = 0; i < d; i++) scaled[i * h + j] = A[i * h + j]! * c;
        }
        gemm(false, true, d, d, h, 1, scaled, 0, h, scaled, 0, h, 1, H, 0, d);
      }
    }
    return out;
  }

  return {
    name,
    input: d,
    inputSize: d,
    outputSize: 1,
    init(rng: Rng): IcnnParams {
      const theta: Record<string, Tensor> = {};
      theta.W0 = randn([d, hidden[0]!], rng, Math.sqrt(1 / d));
      theta.b0 = zeros([hidden[0]!]);
      for (let k = 1; k < L; k++) {
        // softplus(−3 ± noise) ≈ 0.05: small positive hidden weights, so layers do not blow up.
        theta[`U${k}`] = add(randn([hidden[k - 1]!, hidden[k]!], rng, 0.3), -3);
        theta[`W${k}`] = randn([d, hidden[k]!], rng, Math.sqrt(1 / d));
        theta[`b${k}`] = zeros([hidden[k]!]);
      }
      theta.u = add(randn([hidden[L - 1]!, 1], rng, 0.3), -3);
      theta.w = zeros([d, 1]);
      theta.c = zeros([1]);
      if (quadraticRank > 0) {
        // Q Qᵀ ≈ I at start: f ≈ ½‖x‖², ∇f ≈ identity.
        const q = new Float64Array(d * quadraticRank);
        for (let i = 0; i < Math.min(d, quadraticRank); i++) q[i * quadraticRank + i] = 1;
        theta.Q = new Tensor(q, [d, quadraticRank]);
      }
      return theta;
    },
    apply(theta: IcnnParams, x: Tensor): Tensor {
      checkTheta(theta);
      checkInput(x);
      let z = softplus(add(matmul(x, theta.W0!), theta.b0!));
      for (let k = 1; k < L; k++) z = softplus(add(add(matmul(z, softplus(theta[`U${k}`]!)), matmul(x, theta[`W${k}`]!)), theta[`b${k}`]!));
      let f = add(add(matmul(z, softplus(theta.u!)), matmul(x, theta.w!)), theta.c!);
      if (alpha > 0) f = add(f, mul(sum(mul(x, x), -1, true), 0.5 * alpha));
      if (quadraticRank > 0) {
        const qx = matmul(x, theta.Q!);
        f = add(f, mul(sum(mul(qx, qx), -1, true), 0.5));
      }
      return f;
    },
    predict(theta: IcnnParams, x: Tensor): Tensor {
      checkInput(x);
      const B = x.size / d;
      return new Tensor(valueAndGrad(theta, x.data, B).value, [...x.shape.slice(0, -1), 1]);
    },
    valueAndGrad,
    hessian,
  };
}
