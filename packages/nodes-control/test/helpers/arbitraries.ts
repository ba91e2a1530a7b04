import { Tensor } from '@argmin/autodiff';
import { arbSpd, arbTensor } from '@argmin/autodiff/testing';
import fc from 'fast-check';

/** Random well-posed unbatched LQR instances: SPD cost blocks, stable-ish dynamics. */
export function arbLqr({ T, ns, nc }: { T: number; ns: number; nc: number }) {
  const n = ns + nc;
  return fc.record({
    C: arbSpd(n, { batch: T, minEig: 0.3 }),
    c: arbTensor([T, n], { min: -1, max: 1 }),
    F: arbTensor([T - 1, ns, n], { min: -0.6, max: 0.6 }).map((F) => addIdentity(F, T - 1, ns, n, 0.8)),
    f: arbTensor([T - 1, ns], { min: -0.2, max: 0.2 }),
    x0: arbTensor([ns], { min: -1, max: 1 }),
  });
}

/** F with s·I added to its state block, per time step. */
export function addIdentity(F: Tensor, steps: number, ns: number, n: number, s: number): Tensor {
  const d = Float64Array.from(F.data);
  for (let t = 0; t < steps; t++) for (let i = 0; i < ns; i++) d[t * ns * n + i * n + i]! += s;
  return new Tensor(d, F.shape);
}

/** Box bounds [T, nc]: lower in [−0.6, −0.1], upper in [0.1, 0.6], so some bind for |c| ~ 1. */
export function arbBounds(T: number, nc: number) {
  return fc.record({
    uLower: arbTensor([T, nc], { min: -0.6, max: -0.1 }),
    uUpper: arbTensor([T, nc], { min: 0.1, max: 0.6 }),
  });
}

/**
 * Whether a box-constrained solution is strictly complementary with a margin: every control is
 * either at least `margin` inside both bounds, or at a bound with |∂J/∂u| ≥ margin (the
 * gradient is read off the optimality residual's control part where the control is free, so
 * we use a finite-difference-free proxy: distance to the bound in the unclamped step).
 */
export function strictlyComplementary(u: Tensor, lo: Tensor, hi: Tensor, grad: Float64Array, margin: number): boolean {
  for (let i = 0; i < u.size; i++) {
    const v = u.data[i]!;
    const atLo = v <= lo.data[i]!;
    const atHi = v >= hi.data[i]!;
    if (atLo || atHi) {
      if (Math.abs(grad[i]!) < margin) return false;
    } else if (v - lo.data[i]! < margin || hi.data[i]! - v < margin) return false;
  }
  return true;
}
