import { Rng, Tensor } from '@argmin/autodiff';
import type { QpParams } from '../../src/qp/problem.js';

/**
 * A banded QP (smoothing with bounds, as in MPC): Q = DᵀD + diag(0.1 + U[0,1)) with D the second
 * differences (pentadiagonal), |zᵢ| ≤ 1 and |zᵢ₊₁ − zᵢ| ≤ 0.37 (m = 4n − 2), n/50 equalities on
 * three consecutive variables, p ~ N(0, 1). About 11/(5n) of the entries are nonzero.
 */
export function bandedQp(n: number, seed: number): QpParams {
  const rng = Rng.seeded(seed);
  const Q = new Float64Array(n * n);
  for (let i = 0; i + 2 < n; i++)
    for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) Q[(i + a) * n + i + b]! += [1, -2, 1][a]! * [1, -2, 1][b]!;
  for (let i = 0; i < n; i++) Q[i * n + i]! += 0.1 + rng.uniform();
  const m = 4 * n - 2;
  const G = new Float64Array(m * n);
  const h = new Float64Array(m);
  let r = 0;
  const row = (entries: [number, number][], bound: number) => {
    for (const [j, v] of entries) G[r * n + j] = v;
    h[r++] = bound;
  };
  for (let i = 0; i < n; i++) row([[i, 1]], 1), row([[i, -1]], 1);
  for (let i = 0; i + 1 < n; i++)
    row(
      [
        [i + 1, 1],
        [i, -1],
      ],
      0.37,
    ),
      row(
        [
          [i + 1, -1],
          [i, 1],
        ],
        0.37,
      );
  const k = Math.max(1, Math.floor(n / 50));
  const A = new Float64Array(k * n);
  const b = new Float64Array(k);
  for (let e = 0; e < k; e++) {
    const c = Math.floor(rng.uniform() * (n - 3));
    for (let t = 0; t < 3; t++) A[e * n + c + t] = rng.normal();
    b[e] = 0.1 * rng.normal();
  }
  const p = Float64Array.from({ length: n }, () => rng.normal());
  return {
    Q: new Tensor(Q, [n, n]),
    p: new Tensor(p, [n]),
    G: new Tensor(G, [m, n]),
    h: new Tensor(h, [m]),
    A: new Tensor(A, [k, n]),
    b: new Tensor(b, [k]),
  };
}
