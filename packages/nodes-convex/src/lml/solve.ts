import type { SolveStatus } from '@argmin/autodiff';

/**
 * The LML forward: per row, the root ν of φ(ν) = Σᵢ σ(xᵢ + ν) − k, which is increasing in ν.
 * The root is bracketed from two order statistics of x (below), then found by Newton's method
 * safeguarded by bisection (Numerical Recipes' rtsafe): quadratic convergence near the root,
 * and never worse than bisection far from it, however large, small or tied the scores are.
 */

export interface LmlRowsResult {
  readonly y: Float64Array;
  readonly nu: Float64Array;
  readonly status: SolveStatus[];
  readonly iterations: number[];
  readonly residual: number[];
}

export interface LmlSolveControls {
  /** Stop when |Σy − k| ≤ tol (default 1e-12·max(1, k)). */
  readonly tol?: number;
  readonly maxIter?: number;
  /** Initial ν per row (clamped into the bracket). */
  readonly nu0?: Float64Array;
}

/**
 * A bracket [lo, hi] of the root, from the order statistics of the row (x₍ⱼ₎ is the j-th largest).
 * With j = ⌈k⌉: at lo = −x₍ⱼ₎ − log((n − k)/(k − j + 1)) the j − 1 largest entries give at most
 * j − 1 and the other n − j + 1 at most (k − j + 1)/(n − j + 1) each, so φ(lo) ≤ 0. With
 * j' = ⌊k⌋ + 1: at hi = −x₍ⱼ'₎ + log(k/(j' − k)) the j' largest give at least k/j' each, so φ(hi) ≥ 0.
 */
export function lmlBracket(x: Float64Array, off: number, n: number, k: number, scratch: Float64Array): [number, number] {
  const jLo = Math.ceil(k);
  const jHi = Math.floor(k) + 1;
  for (let i = 0; i < n; i++) scratch[i] = x[off + i]!;
  const xLo = selectDescending(scratch, n, jLo - 1);
  // After selection, positions ≥ jLo hold the entries not larger than x₍ⱼLo₎.
  let xHi = xLo;
  if (jHi !== jLo) {
    xHi = -Infinity;
    for (let i = jLo; i < n; i++) if (scratch[i]! > xHi) xHi = scratch[i]!;
  }
  return [-xLo - Math.log((n - k) / (k - jLo + 1)), -xHi + Math.log(k / (jHi - k))];
}

/** Solves every row of a [rows, n] array of scores. */
export function solveLmlRows(x: Float64Array, rows: number, n: number, k: number, controls: LmlSolveControls = {}): LmlRowsResult {
  const tol = controls.tol ?? 1e-12 * Math.max(1, k);
  const maxIter = controls.maxIter ?? 100;
  const y = new Float64Array(rows * n);
  const nu = new Float64Array(rows);
  const status: SolveStatus[] = new Array(rows);
  const iterations: number[] = new Array(rows);
  const residual: number[] = new Array(rows);
  const scratch = new Float64Array(n);
  const scaled = new Float64Array(n);
  const row = new Float64Array(n);
  const eval2 = new Float64Array(2);

  for (let r = 0; r < rows; r++) {
    const [lo0, hi0] = lmlBracket(x, r * n, n, k, scratch);
    // Solve for the row shifted by c ≈ its pivotal score (the one carrying the fractional
    // mass), so that xᵢ + ν is formed without cancellation where it matters: at x = [1e15, 0]
    // the unshifted ν ≈ −1e15 has a spacing of 0.125 and Σy could not get closer to k than 0.06.
    const c = -0.5 * (lo0 + hi0);
    for (let i = 0; i < n; i++) row[i] = x[r * n + i]! - c;
    const off = 0;
    let lo = lo0 + c;
    let hi = hi0 + c;
    const guess = controls.nu0?.[r] === undefined ? undefined : controls.nu0[r]! + c;
    let v = guess !== undefined && guess > lo && guess < hi ? guess : 0.5 * (lo + hi);
    // When every xᵢ + ν stays within ±600 over the bracket, exponentiate once: with
    // Eᵢ = exp(xᵢ + ν₀), σ(xᵢ + ν) = Eᵢt/(1 + Eᵢt) for t = exp(ν − ν₀), one exp per evaluation
    // instead of n. Otherwise (huge score gaps) every evaluation takes its n stable exps.
    const v0 = v;
    let xMin = Infinity;
    let xMax = -Infinity;
    for (let i = off; i < off + n; i++) {
      xMin = Math.min(xMin, row[i]!);
      xMax = Math.max(xMax, row[i]!);
    }
    const fast = Math.max(Math.abs(xMax + v0), Math.abs(xMin + v0)) + (hi - lo) < 600 ? scaled : null;
    if (fast) for (let i = 0; i < n; i++) fast[i] = Math.exp(row[off + i]! + v0);
    const evaluate = (at: number): void => (fast ? phiScaled(fast, n, Math.exp(at - v0), eval2) : phi(row, off, n, at, eval2));
    evaluate(v);
    let f = eval2[0]! - k;
    let df = eval2[1]!;
    let dxOld = hi - lo;
    let dx = dxOld;
    let it = 0;
    let done = Math.abs(f) <= tol;
    while (!done && it < maxIter) {
      it++;
      if (f < 0) lo = v;
      else hi = v;
      // Bisect when the Newton step leaves the bracket or does not halve the step before last.
      if (((v - hi) * df - f) * ((v - lo) * df - f) > 0 || Math.abs(2 * f) > Math.abs(dxOld * df)) {
        dxOld = dx;
        dx = 0.5 * (hi - lo);
        v = lo + dx;
      } else {
        dxOld = dx;
        dx = f / df;
        v -= dx;
      }
      evaluate(v);
      f = eval2[0]! - k;
      df = eval2[1]!;
      // A bracket as narrow as the float spacing at ν cannot be improved: that is the answer.
      done = Math.abs(f) <= tol || hi - lo <= 4 * Number.EPSILON * Math.max(1, Math.abs(v));
    }
    nu[r] = v - c;
    const out = r * n;
    if (fast) {
      const t = Math.exp(v - v0);
      for (let i = 0; i < n; i++) {
        const et = fast[i]! * t;
        y[out + i] = et / (1 + et);
      }
    } else for (let i = 0; i < n; i++) y[out + i] = sigmoid(row[i]! + v);
    // A bracket at the float spacing ends the search; it is a solution only if Σy = k holds.
    status[r] = done && Math.abs(f) <= Math.max(tol, 1e-9 * Math.max(1, k)) ? 'converged' : done ? 'failed' : 'max_iter';
    iterations[r] = it;
    residual[r] = Math.abs(f);
  }
  return { y, nu, status, iterations, residual };
}

/** out ← [Σ σ, Σ σ'] at Eᵢt, where Eᵢ = exp(xᵢ + ν₀) and t = exp(ν − ν₀): no exp at all. */
function phiScaled(E: Float64Array, n: number, t: number, out: Float64Array): void {
  let s = 0;
  let d = 0;
  for (let i = 0; i < n; i++) {
    const et = E[i]! * t;
    const q = 1 / (1 + et);
    const p = et * q;
    s += p;
    d += p * q;
  }
  out[0] = s;
  out[1] = d;
}

/** out ← [Σ σ(xᵢ + ν), Σ σ'(xᵢ + ν)], one exp per entry. */
function phi(x: Float64Array, off: number, n: number, v: number, out: Float64Array): void {
  let s = 0;
  let d = 0;
  for (let i = off; i < off + n; i++) {
    const z = x[i]! + v;
    const e = Math.exp(-Math.abs(z));
    const q = 1 / (1 + e);
    s += z >= 0 ? q : e * q;
    d += e * q * q;
  }
  out[0] = s;
  out[1] = d;
}

export function sigmoid(z: number): number {
  if (z >= 0) return 1 / (1 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1 + e);
}

/**
 * Quickselect (Hoare partition, median-of-three pivot) on a[0..n): afterwards a[j] is the
 * (j+1)-th largest entry, with larger-or-equal entries before it and smaller-or-equal after.
 * Expected O(n); the input is a scratch copy, so it may be reordered.
 */
function selectDescending(a: Float64Array, n: number, j: number): number {
  let left = 0;
  let right = n - 1;
  while (right > left) {
    const mid = (left + right) >> 1;
    const pivot = median3(a[left]!, a[mid]!, a[right]!);
    let i = left;
    let k = right;
    while (i <= k) {
      while (a[i]! > pivot) i++;
      while (a[k]! < pivot) k--;
      if (i <= k) {
        const t = a[i]!;
        a[i] = a[k]!;
        a[k] = t;
        i++;
        k--;
      }
    }
    if (j <= k) right = k;
    else if (j >= i) left = i;
    else break;
  }
  return a[j]!;
}

function median3(a: number, b: number, c: number): number {
  return a < b ? (b < c ? b : Math.max(a, c)) : a < c ? a : Math.max(b, c);
}
