import { Tensor, vjp } from '@argmin/autodiff';
import type { DynamicsModel } from '../dynamics/model.js';
import { strideOf } from '../shared/shapes.js';
import type { MpcParams } from './problem.js';

/**
 * The dynamics as the numeric MPC solver sees them: rollouts of rows of batch elements and
 * Jacobians G_t = ∂x_{t+1}/∂τ_t along trajectories. Linear dynamics read F, f; a model runs its
 * ops on untracked copies of the inputs (nothing lands on any tape) and takes Jacobians by one
 * forward trace and ns pullbacks over all rows at once.
 */
export interface NumericDynamics {
  /** x_{t+1} for rows whose batch elements are `elems`: x [R, ns], u [R, nc] → out [R, ns]. */
  next(t: number, elems: readonly number[], x: Float64Array, u: Float64Array, out: Float64Array): void;
  /** Jacobians [T−1, ns, n] of batch element b start at `G.data[b * G.stride]`. */
  readonly G: { readonly data: Float64Array; readonly stride: number };
  /** Recomputes G for the listed elements at the trajectories x [B, T, ns], u [B, T, nc]. */
  linearize(elems: readonly number[], x: Float64Array, u: Float64Array): void;
}

export function numericDynamics(
  p: MpcParams,
  model: DynamicsModel | undefined,
  B: number,
  T: number,
  ns: number,
  nc: number,
): NumericDynamics {
  return p.F ? linearDynamics(p.F, p.f, ns, nc) : modelDynamics(model!, p.theta, B, T, ns, nc);
}

function linearDynamics(F: Tensor, f: Tensor | undefined, ns: number, nc: number): NumericDynamics {
  const n = ns + nc;
  const sF = strideOf(F, 3);
  const sf = f ? strideOf(f, 2) : 0;
  return {
    G: { data: F.data, stride: sF },
    linearize: () => {},
    next(t, elems, x, u, out) {
      elems.forEach((b, r) => {
        const fO = b * sF + t * ns * n;
        for (let i = 0; i < ns; i++) {
          let s = f ? f.data[b * sf + t * ns + i]! : 0;
          for (let j = 0; j < ns; j++) s += F.data[fO + i * n + j]! * x[r * ns + j]!;
          for (let a = 0; a < nc; a++) s += F.data[fO + i * n + ns + a]! * u[r * nc + a]!;
          out[r * ns + i] = s;
        }
      });
    },
  };
}

/** The model's parameters for rows of the given batch elements: shared [p] or gathered [R, p]. */
export function rowParams(theta: Tensor | undefined, rowsOf: readonly number[]): Tensor {
  if (!theta) return new Tensor(new Float64Array(0), [0]);
  if (theta.ndim === 1) return new Tensor(theta.data, theta.shape);
  const p = theta.shape[1]!;
  const out = new Float64Array(rowsOf.length * p);
  rowsOf.forEach((b, r) => out.set(theta.data.subarray(b * p, (b + 1) * p), r * p));
  return new Tensor(out, [rowsOf.length, p]);
}

/** Rows (b, t) for t < T−1 of the listed elements, gathered from x [B,T,ns] and u [B,T,nc]. */
export function transitionRows(elems: readonly number[], x: Float64Array, u: Float64Array, T: number, ns: number, nc: number) {
  const R = elems.length * (T - 1);
  const X = new Float64Array(R * ns);
  const U = new Float64Array(R * nc);
  const rowsOf: number[] = [];
  elems.forEach((b, e) => {
    X.set(x.subarray(b * T * ns, (b * T + T - 1) * ns), e * (T - 1) * ns);
    U.set(u.subarray(b * T * nc, (b * T + T - 1) * nc), e * (T - 1) * nc);
    for (let t = 0; t < T - 1; t++) rowsOf.push(b);
  });
  return { R, X: new Tensor(X, [R, ns]), U: new Tensor(U, [R, nc]), rowsOf };
}

function modelDynamics(model: DynamicsModel, theta: Tensor | undefined, B: number, T: number, ns: number, nc: number): NumericDynamics {
  const n = ns + nc;
  const stride = Math.max(T - 1, 0) * ns * n;
  const G = new Float64Array(B * stride);
  return {
    G: { data: G, stride },
    next(_t, elems, x, u, out) {
      const R = elems.length;
      const params = rowParams(theta, elems);
      if (model.stepRaw) {
        model.stepRaw(x, u, params.data, params.ndim === 2 ? params.shape[1]! : 0, R, out);
        return;
      }
      const y = model.step(new Tensor(x.slice(0, R * ns), [R, ns]), new Tensor(u.slice(0, R * nc), [R, nc]), params);
      out.set(y.data);
    },
    linearize(elems, x, u) {
      if (T < 2 || elems.length === 0) return;
      const { R, X, U, rowsOf } = transitionRows(elems, x, u, T, ns, nc);
      const params = rowParams(theta, rowsOf);
      const { pullback } = vjp((xx: Tensor, uu: Tensor) => model.step(xx, uu, params), X, U);
      const e = new Float64Array(R * ns);
      for (let i = 0; i < ns; i++) {
        e.fill(0);
        for (let r = 0; r < R; r++) e[r * ns + i] = 1;
        const [gx, gu] = pullback(new Tensor(e.slice(), [R, ns])) as [Tensor, Tensor];
        for (let r = 0; r < R; r++) {
          const b = rowsOf[r]!;
          const t = r % (T - 1);
          const o = b * stride + t * ns * n + i * n;
          for (let j = 0; j < ns; j++) G[o + j] = gx.data[r * ns + j]!;
          for (let a = 0; a < nc; a++) G[o + ns + a] = gu.data[r * nc + a]!;
        }
      }
    },
  };
}
