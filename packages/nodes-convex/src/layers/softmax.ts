import {
  InvalidInputError,
  Tensor,
  add,
  concat,
  div,
  log,
  maximum,
  mean,
  mul,
  reshape,
  softmax,
  sub,
  sum,
  type NodeCallOptions,
  type NodeOutput,
  type SolveStatus,
} from '@argmin/autodiff';
import { defineNode, optionFields } from '@argmin/autodiff/extend';
import { rowChange, runLayer } from './last-axis.js';

type P = { x: Tensor };
type S = { y: Tensor; nu: Tensor };
export interface SoftmaxOptions {
  /** τ > 0: y = argmin −yᵀx − τH(y) on the simplex, i.e. softmax(x/τ). Default 1. */
  readonly temperature?: number;
}

const STEP = 0.5;

function temperatureOf(options: SoftmaxOptions): number {
  const t = options.temperature ?? 1;
  if (!(t > 0) || !Number.isFinite(t))
    throw new InvalidInputError(`convex.softmax: temperature must be a positive finite number, got ${t}`);
  return t;
}

/**
 * Softmax as an argmin over the simplex: y = argmin −yᵀx − τH(y) s.t. 1ᵀy = 1, with H the
 * entropy. Solved by exponentiated-gradient (mirror descent) steps; the solution also returns
 * the multiplier ν of 1ᵀy = 1, so that the KKT residual [τ(log y + 1) − x + ν; 1ᵀy − 1] is
 * square. The implicit VJP is the closed form x̄ = y ⊙ (ȳ − ⟨ȳ, y⟩)/τ + ν̄ y.
 */
export const softmaxNode = defineNode<P, S, SoftmaxOptions>({
  name: 'convex.softmax',
  signature: { params: { x: '(n)' }, solution: { y: '(n)', nu: '()' } },
  options: { temperature: optionFields.positive().optional() },
  solve({ x }, options) {
    const { tol = 1e-14, maxIter = 300, warmStart } = options;
    const tau = temperatureOf(options);
    const rows = x.ndim === 2 ? x.shape[0]! : 1;
    const n = x.size / rows;
    // A warm start with zeros is lifted off them: log 0 = −∞ would never move.
    const z = warmStart?.y ? Float64Array.from(warmStart.y.data, (v) => Math.log(Math.max(v, Number.MIN_VALUE))) : new Float64Array(x.size);
    let y: Float64Array = normalizeRows(z, rows);
    const iterations = new Array<number>(rows).fill(0);
    let change: Float64Array = new Float64Array(rows).fill(Infinity);
    for (let k = 0; k < maxIter && change.some((c) => c > tol); k++) {
      const prev = Float64Array.from(z);
      for (let i = 0; i < z.length; i++) z[i] = (1 - STEP) * z[i]! + (STEP * x.data[i]!) / tau;
      const next = normalizeRows(z, rows);
      const moved = rowChange(y, next, rows);
      // As for the sigmoid, y's change is no measure where the softmax is flat (a warm start
      // with zeros). The error of z, up to a common shift, is its change: y's error is at most
      // the spread of Δz over the row.
      change = spreadOfChange(prev, z, rows, n);
      moved.forEach((c, r) => c > 0 && iterations[r]!++);
      y = next;
    }
    // ν = τ·logsumexp(x/τ) − τ, from stationarity.
    const nu = new Float64Array(rows);
    for (let r = 0; r < rows; r++) {
      let m = -Infinity;
      for (let i = 0; i < n; i++) m = Math.max(m, x.data[r * n + i]! / tau);
      let s = 0;
      for (let i = 0; i < n; i++) s += Math.exp(x.data[r * n + i]! / tau - m);
      nu[r] = tau * (m + Math.log(s)) - tau;
    }
    const status: SolveStatus[] = Array.from(change, (c) => (c <= tol ? 'converged' : 'max_iter'));
    return {
      solution: { y: new Tensor(y, x.shape), nu: new Tensor(nu, x.ndim === 2 ? [rows] : []) },
      info: { status, iterations, residual: Array.from(change) },
    };
  },
  optimality({ x }, { y, nu }, options) {
    const tau = temperatureOf(options);
    const stationarity = add(sub(mul(add(log(y), 1), tau), x), nu);
    return concat([stationarity, reshape(sub(sum(y), 1), [1])], 0);
  },
  vjp(_params, { solution: { y } }, { y: yBar, nu: nuBar }, options) {
    const tau = temperatureOf(options);
    const rows = y.ndim === 2 ? y.shape[0]! : 1;
    const n = y.size / rows;
    const out = new Float64Array(y.size);
    for (let r = 0; r < rows; r++) {
      let inner = 0;
      if (yBar) for (let i = 0; i < n; i++) inner += yBar.data[r * n + i]! * y.data[r * n + i]!;
      const nb = nuBar ? nuBar.data[r]! : 0;
      for (let i = 0; i < n; i++) {
        const yi = y.data[r * n + i]!;
        out[r * n + i] = (yBar ? (yi * (yBar.data[r * n + i]! - inner)) / tau : 0) + nb * yi;
      }
    }
    return { x: new Tensor(out, y.shape) };
  },
  step: {
    defaultSteps: 80,
    init: ({ x }, { warmStart }) => {
      const rows = x.ndim === 2 ? x.shape[0]! : 1;
      const y = warmStart?.y ?? new Tensor(new Float64Array(x.size).fill(rows / x.size), x.shape);
      return { y, nu: warmStart?.nu ?? new Tensor(new Float64Array(rows), x.ndim === 2 ? [rows] : []) };
    },
    update: ({ x }, { y }, options) => {
      const tau = temperatureOf(options);
      // Entries that underflow to 0 would make log(y) = −∞: keep them at the smallest double.
      const next = softmax(add(mul(log(maximum(y, Number.MIN_VALUE)), 1 - STEP), div(mul(x, STEP), tau)), -1);
      // ν from stationarity, averaged over the entries (exact at the fixed point).
      const nu = mean(sub(x, mul(add(log(maximum(next, Number.MIN_VALUE)), 1), tau)), -1);
      return { y: next, nu };
    },
  },
});

/** Per row, max Δz − min Δz: a bound on the distance of softmax(z) from its fixed point. */
function spreadOfChange(prev: Float64Array, z: Float64Array, rows: number, n: number): Float64Array {
  const out = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let hi = -Infinity;
    let lo = Infinity;
    for (let i = r * n; i < (r + 1) * n; i++) {
      const d = z[i]! - prev[i]!;
      hi = Math.max(hi, d);
      lo = Math.min(lo, d);
    }
    out[r] = Number.isNaN(hi - lo) ? Infinity : hi - lo;
  }
  return out;
}

function normalizeRows(z: Float64Array, rows: number): Float64Array {
  const n = z.length / rows;
  const out = new Float64Array(z.length);
  for (let r = 0; r < rows; r++) {
    let m = -Infinity;
    for (let i = 0; i < n; i++) m = Math.max(m, z[r * n + i]!);
    let s = 0;
    for (let i = 0; i < n; i++) s += out[r * n + i] = Math.exp(z[r * n + i]! - m);
    for (let i = 0; i < n; i++) out[r * n + i]! /= s;
  }
  return out;
}

/**
 * Softmax computed as the solution of its argmin problem, over the last axis of `x`: `{ y, info }`, like
 * every node, with the solver's status per row (a row that did not converge follows the gradient
 * policy, `onUnconverged`, in the backward pass).
 */
export function softmaxLayer(params: { readonly x: Tensor }, options: SoftmaxOptions & NodeCallOptions<S> = {}): NodeOutput<S> {
  return runLayer(softmaxNode, params, options);
}
