import { Rng, Tensor, add, matmul, maximum, minimum, randn, sigmoid } from '@argmin/autodiff';
import type { LmlParams, LmlSolution, QpParams, QpSolution } from '@argmin/nodes-convex';
import type { MpcParams } from '@argmin/nodes-control';

/**
 * Tiny problem families for the amortization tests: each maps contexts x `[B, dx]` to a node's
 * parameters, with every matrix fixed by a seed, so a test is a few hundred small solves.
 */

/** A box-constrained QP in Rⁿ whose linear term is affine in x: −1 ≤ z ≤ 1 as G = [I; −I], h = 1. */
export interface QpFamily {
  readonly n: number;
  readonly dx: number;
  readonly Q: Tensor;
  problem(x: Tensor): QpParams;
}

export function qpFamily(n: number, dx: number, seed = 0, scale = 1.5): QpFamily {
  const rng = Rng.seeded(seed);
  const M = randn([n, n], rng);
  const Q = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += M.data[i * n + k]! * M.data[j * n + k]!;
      Q[i * n + j] = s / n + (i === j ? 1 : 0);
    }
  }
  const G = new Float64Array(2 * n * n);
  for (let i = 0; i < n; i++) {
    G[i * n + i] = 1;
    G[(n + i) * n + i] = -1;
  }
  const Qt = new Tensor(Q, [n, n]);
  const Gt = new Tensor(G, [2 * n, n]);
  const h = new Tensor(new Float64Array(2 * n).fill(1), [2 * n]);
  const P = randn([dx, n], rng, scale / Math.sqrt(dx));
  const p0 = randn([n], rng, 0.3);
  return { n, dx, Q: Qt, problem: (x) => ({ Q: Qt, p: add(matmul(x, P), p0), G: Gt, h }) };
}

/** Clamps ẑ onto the box [−1, 1]: the projection the QP tests predict through. */
export const clampBox = (_: QpParams, s: Partial<QpSolution>): Partial<QpSolution> => ({ ...s, z: minimum(maximum(s.z!, -1), 1) });

/** LML scores affine in the context: x `[B, dx]` ↦ scores `[B, n]`. */
export function lmlFamily(n: number, dx: number, seed = 0): { n: number; dx: number; problem(x: Tensor): LmlParams } {
  const rng = Rng.seeded(seed);
  const W = randn([dx, n], rng, 2 / Math.sqrt(dx));
  return { n, dx, problem: (x) => ({ x: matmul(x, W) }) };
}

/** Keeps the predicted y in (0, 1), LML's box (the sum constraint is the objective's penalty). */
export const squash = (_: LmlParams, s: Partial<LmlSolution>): Partial<LmlSolution> => ({ ...s, y: sigmoid(s.y!) });

/** A double integrator (position, velocity; one force) over horizon T, |u| ≤ uMax, from x0 = context. */
export function integratorFamily(T: number, uMax = 0.5, dt = 0.2): { ns: number; nc: number; T: number; problem(x0: Tensor): MpcParams } {
  const [ns, nc, n] = [2, 1, 3];
  const step = [1, dt, 0, 0, 1, dt];
  const F = new Float64Array((T - 1) * ns * n);
  for (let t = 0; t < T - 1; t++) F.set(step, t * ns * n);
  const C = new Float64Array(T * n * n);
  for (let t = 0; t < T; t++) {
    const w = t === T - 1 ? 5 : 1;
    C[t * n * n] = w;
    C[t * n * n + 4] = w;
    C[t * n * n + 8] = 0.1;
  }
  const fixed = {
    C: new Tensor(C, [T, n, n]),
    c: new Tensor(new Float64Array(T * n), [T, n]),
    F: new Tensor(F, [T - 1, ns, n]),
    uLower: new Tensor(new Float64Array(T * nc).fill(-uMax), [T, nc]),
    uUpper: new Tensor(new Float64Array(T * nc).fill(uMax), [T, nc]),
  };
  return { ns, nc, T, problem: (x0: Tensor) => ({ ...fixed, x0 }) };
}
