import { choleskyInPlace } from '../lqr/problem.js';
import { cholSolveRows } from '../lqr/riccati.js';

/**
 * Projected Newton for a small box-constrained QP (Bertsekas 1982, as in mpc.pytorch's `pnqp`):
 *   min ½ kᵀ H k + gᵀ k   s.t.  lo ≤ k ≤ hi,
 * with H positive definite on the free coordinates. Each iteration frees every coordinate except
 * those at a bound whose gradient pushes outward, takes the Newton step on the free ones,
 * projects and backtracks (Armijo). Unlike `pnqp`, which stops once the Newton step is below
 * 1e-4, it iterates until the step is at roundoff level, so MPC's fixed point is exact.
 */
export class BoxQp {
  private readonly L: Float64Array;
  private readonly grad: Float64Array;
  private readonly step: Float64Array;
  private readonly trial: Float64Array;

  constructor(
    private readonly n: number,
    private readonly maxIter = 50,
  ) {
    this.L = new Float64Array(n * n);
    this.grad = new Float64Array(n);
    this.step = new Float64Array(n);
    this.trial = new Float64Array(n);
  }

  /**
   * Solves in place: k (n entries at kOff) holds the warm start and receives the solution;
   * free (at freeOff) receives 1 for free coordinates, 0 for clamped ones. lo/hi may hold
   * ∓Infinity. Returns false if H is not positive definite on the free coordinates.
   */
  solve(
    H: Float64Array,
    g: Float64Array,
    lo: Float64Array,
    hi: Float64Array,
    bOff: number,
    k: Float64Array,
    kOff: number,
    free: Uint8Array,
    freeOff: number,
  ): boolean {
    const { n, L, grad, step, trial } = this;
    for (let i = 0; i < n; i++) k[kOff + i] = clamp(k[kOff + i]!, lo[bOff + i]!, hi[bOff + i]!);
    for (let it = 0; it < this.maxIter; it++) {
      let scale = 1;
      for (let i = 0; i < n; i++) {
        let s = g[i]!;
        for (let j = 0; j < n; j++) s += H[i * n + j]! * k[kOff + j]!;
        grad[i] = s;
        const x = k[kOff + i]!;
        free[freeOff + i] = (x <= lo[bOff + i]! && s > 0) || (x >= hi[bOff + i]! && s < 0) ? 0 : 1;
        scale = Math.max(scale, Math.abs(x));
      }
      for (let i = 0; i < n; i++) step[i] = free[freeOff + i] ? -grad[i]! : 0;
      // H may be only semidefinite on the free coordinates (a zero control cost): then the step
      // is regularized, a long gradient step along the flat directions that the box cuts short.
      if (!this.factorFree(H, free, freeOff, 0) && !this.factorFree(H, free, freeOff, 1e-8 * (1 + maxDiag(H, n)))) return false;
      cholSolveRows(L, 0, n, step, 0, 1);
      let size = 0;
      for (let i = 0; i < n; i++) size = Math.max(size, Math.abs(step[i]!));
      if (size <= 1e-15 * scale) return this.pinFlat(H, k, kOff, lo, hi, bOff, free, freeOff);
      // Backtrack on the projected path until the Armijo condition holds.
      const f0 = this.objective(H, g, k, kOff);
      let alpha = 1;
      for (let ls = 0; ls < 30; ls++) {
        let descent = 0;
        for (let i = 0; i < n; i++) {
          trial[i] = clamp(k[kOff + i]! + alpha * step[i]!, lo[bOff + i]!, hi[bOff + i]!);
          descent += grad[i]! * (k[kOff + i]! - trial[i]!);
        }
        if (f0 - this.objective(H, g, trial, 0) >= 0.1 * descent - 1e-15 * Math.abs(f0)) break;
        alpha *= 0.5;
      }
      let moved = 0;
      for (let i = 0; i < n; i++) {
        moved = Math.max(moved, Math.abs(trial[i]! - k[kOff + i]!));
        k[kOff + i] = trial[i]!;
      }
      if (moved === 0) return this.pinFlat(H, k, kOff, lo, hi, bOff, free, freeOff);
    }
    return this.pinFlat(H, k, kOff, lo, hi, bOff, free, freeOff);
  }

  /** L ← Cholesky of H (+ δI) on the free coordinates, identity elsewhere; false if not PD. */
  private factorFree(H: Float64Array, free: Uint8Array, freeOff: number, delta: number): boolean {
    const { n, L } = this;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++)
        L[i * n + j] = free[freeOff + i] && free[freeOff + j] ? H[i * n + j]! + (i === j ? delta : 0) : i === j ? 1 : 0;
    }
    return choleskyInPlace(L, n) < 0;
  }

  /**
   * At the solution, H must be positive definite on the free coordinates (the feedback gains
   * solve with it). A flat free coordinate is pinned (zero gain: the minimizer is not unique
   * there and this picks one) when its gradient vanishes or a bound stops it; one that could
   * still descend without bound means the QP is unbounded (false).
   */
  private pinFlat(
    H: Float64Array,
    k: Float64Array,
    kOff: number,
    lo: Float64Array,
    hi: Float64Array,
    bOff: number,
    free: Uint8Array,
    freeOff: number,
  ): boolean {
    const { n, grad } = this;
    let gScale = 0;
    for (let i = 0; i < n; i++) gScale = Math.max(gScale, Math.abs(grad[i]!));
    while (!this.factorFree(H, free, freeOff, 0)) {
      let worst = -1;
      for (let i = 0; i < n; i++) if (free[freeOff + i] && (worst < 0 || H[i * n + i]! < H[worst * n + worst]!)) worst = i;
      if (worst < 0) return false;
      const g = grad[worst]!;
      const x = k[kOff + worst]!;
      const stopped = (g > 0 && x <= lo[bOff + worst]!) || (g < 0 && x >= hi[bOff + worst]!);
      const open = g > 0 ? lo[bOff + worst] === -Infinity : hi[bOff + worst] === Infinity;
      if (!stopped && open && Math.abs(g) > 1e-9 * (1 + gScale)) return false;
      free[freeOff + worst] = 0;
    }
    return true;
  }

  private objective(H: Float64Array, g: Float64Array, k: Float64Array, kOff: number): number {
    const n = this.n;
    let f = 0;
    for (let i = 0; i < n; i++) {
      let s = 0.5 * H[i * n + i]! * k[kOff + i]!;
      for (let j = 0; j < i; j++) s += H[i * n + j]! * k[kOff + j]!;
      f += k[kOff + i]! * (s + g[i]!);
    }
    return f;
  }
}

export function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : Math.min(v, hi);
}

function maxDiag(H: Float64Array, n: number): number {
  let m = 0;
  for (let i = 0; i < n; i++) m = Math.max(m, Math.abs(H[i * n + i]!));
  return m;
}
