import { InvalidInputError, ShapeError, Tensor } from '@argmin/autodiff';
import { sinkhorn } from '@argmin/nodes-convex';
import type { GridGeometry } from './ot-data.js';

/**
 * A start for Sinkhorn on an s×s grid from the same problem on a grid `factor` times coarser:
 * the marginals summed over factor×factor blocks, the cost between block centres in the fine
 * cost's units (same ε), solved to `tol`; the coarse target potential g is then extended to
 * every fine pixel by its c-transform,
 *   fᵢ = ε log aᵢ − ε log Σ_J exp((g_J − C(xᵢ, y_J))/ε),
 * so the start is right at the scales the coarse grid resolves: the slow, low-frequency modes
 * of Sinkhorn. No learning: the reference a learned start has to beat, and a base for one.
 */
export interface CoarseStartOptions {
  /** Coarsening per axis (default 2); must divide the side. */
  readonly factor?: number;
  /** Marginal error of the coarse solve (default 1e-6). */
  readonly tol?: number;
}

export interface CoarseStart {
  readonly factor: number;
  /** The coarse grid's cost [nc, nc], in the fine cost's units. */
  readonly coarseCost: Tensor;
  /** f [1, n] for one pair a, b [1, n]; `iterations` of the coarse solve. */
  predict(a: Tensor, b: Tensor): { f: Tensor; iterations: number };
}

export function coarseStart(geometry: GridGeometry, epsilon: number, options: CoarseStartOptions = {}): CoarseStart {
  const { factor = 2, tol = 1e-6 } = options;
  const side = geometry.side;
  if (!(Number.isInteger(factor) && factor >= 2 && side % factor === 0 && side / factor >= 2)) {
    throw new InvalidInputError(`coarseStart: 'factor' must be an integer ≥ 2 dividing the side ${side} (coarse side ≥ 2), got ${factor}`);
  }
  if (!(epsilon > 0 && Number.isFinite(epsilon))) throw new InvalidInputError(`coarseStart: 'epsilon' must be > 0, got ${epsilon}`);
  const n = geometry.size;
  const cs = side / factor;
  const nc = cs * cs;
  // The fine cost's normalization (gridGeometry: max over pixel centres of ‖x − y‖²).
  const scale = 1 / (2 * ((side - 1) / side) ** 2);
  const centre = (k: number, s: number) => [((k % s) + 0.5) / s, (Math.floor(k / s) + 0.5) / s] as const;
  /** The cost between the pixel centres of an s×s and a t×t grid of [0, 1]². */
  const between = (s: number, t: number): Float64Array => {
    const out = new Float64Array(s * s * t * t);
    for (let i = 0; i < s * s; i++) {
      const [xi, yi] = centre(i, s);
      for (let J = 0; J < t * t; J++) {
        const [xj, yj] = centre(J, t);
        out[i * t * t + J] = ((xi - xj) ** 2 + (yi - yj) ** 2) * scale;
      }
    }
    return out;
  };
  const coarse = between(cs, cs);
  // Fine pixel i against coarse centre J, for the extension.
  const cross = between(side, cs);
  const block = (i: number) => Math.floor(Math.floor(i / side) / factor) * cs + Math.floor((i % side) / factor);
  const coarseCost = new Tensor(coarse, [nc, nc]);
  return {
    factor,
    coarseCost,
    predict(a, b) {
      if (a.size !== n || b.size !== n)
        throw new ShapeError(`coarseStart: expected marginals of ${n} entries, got ${a.size} and ${b.size}`);
      const A = new Float64Array(nc);
      const B = new Float64Array(nc);
      for (let i = 0; i < n; i++) {
        A[block(i)]! += a.data[i]!;
        B[block(i)]! += b.data[i]!;
      }
      const solved = sinkhorn({ a: new Tensor(A, [nc]), b: new Tensor(B, [nc]), C: coarseCost }, { epsilon, tol, maxIter: 100000 });
      const g = solved.g.data;
      const f = new Float64Array(n);
      const z = new Float64Array(nc);
      for (let i = 0; i < n; i++) {
        let max = -Infinity;
        for (let J = 0; J < nc; J++) {
          z[J] = (g[J]! - cross[i * nc + J]!) / epsilon;
          if (z[J]! > max) max = z[J]!;
        }
        let sum = 0;
        for (let J = 0; J < nc; J++) sum += Math.exp(z[J]! - max);
        f[i] = epsilon * (Math.log(a.data[i]!) - max - Math.log(sum));
      }
      return { f: new Tensor(f, [1, n]), iterations: solved.info.iterations[0]! };
    },
  };
}
