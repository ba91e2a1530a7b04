import { Rng, Tensor } from '@argmin/autodiff';
import fc from 'fast-check';
import { denseConeDerivative, projectCone, projectConeWithDerivative } from '../../src/cone/cones.js';
import { symmetricEigen } from '../../src/cone/eigen.js';
import { smatInto } from '../../src/cone/psd.js';
import { coneLayout, type ConeLayout, type ConeParams, type ConeSpec } from '../../src/cone/problem.js';

/**
 * Random cone programs with a known, unique, strictly complementary solution (SCS's test
 * construction): draw z and x*, split z by Moreau into s* = Π_K(z) and y* = Π_K*(−z), and set
 * b = Ax* + s*, c = −Aᵀy*. Then (x*, y*, s*) satisfies the optimality conditions. Instances
 * whose z lies within `margin` of a face where complementarity is not strict are rejected.
 */
export interface KnownProgram {
  readonly params: ConeParams;
  readonly x: Float64Array;
  readonly y: Float64Array;
  readonly s: Float64Array;
}

export function programFrom(layout: ConeLayout, A: Float64Array, z: Float64Array, x: Float64Array, n: number): KnownProgram {
  const m = layout.m;
  const s = new Float64Array(m);
  projectCone(layout, false, z, s);
  const y = s.map((v, i) => v - z[i]!);
  const b = new Float64Array(m);
  const c = new Float64Array(n);
  for (let i = 0; i < m; i++) {
    let v = s[i]!;
    for (let j = 0; j < n; j++) v += A[i * n + j]! * x[j]!;
    b[i] = v;
  }
  for (let j = 0; j < n; j++) {
    let v = 0;
    for (let i = 0; i < m; i++) v -= A[i * n + j]! * y[i]!;
    c[j] = v;
  }
  return { params: { A: new Tensor(A.slice(), [m, n]), b: new Tensor(b, [m]), c: new Tensor(c, [n]) }, x, y, s };
}

/** Whether z is at least `margin` away from losing strict complementarity, block by block. */
export function strictlyComplementary(layout: ConeLayout, z: Float64Array, margin: number): boolean {
  for (const blk of layout.blocks) {
    const v = z.subarray(blk.offset, blk.offset + blk.size);
    switch (blk.kind) {
      case 'nonneg':
        if (v.some((t) => Math.abs(t) < margin)) return false;
        break;
      case 'soc': {
        const r = Math.hypot(...v.subarray(1));
        if (Math.abs(r - Math.abs(v[0]!)) < margin || (blk.size > 1 && r < margin)) return false;
        break;
      }
      case 'psd': {
        const k = blk.order!;
        const mat = new Float64Array(k * k);
        smatInto(v, 0, k, mat);
        if (symmetricEigen(mat, k).values.some((l) => Math.abs(l) < margin)) return false;
        break;
      }
      case 'exp': {
        // Only the generic case: both parts on the boundaries, away from the apex and the y = 0 face.
        const p = new Float64Array(3);
        projectCone(coneLayout({ exp: 1 }), false, v, p);
        if (p[1]! < margin || Math.hypot(v[0]! - p[0]!, v[1]! - p[1]!, v[2]! - p[2]!) < margin) return false;
        break;
      }
      default:
        break;
    }
  }
  return true;
}

/**
 * Whether n variables suit the face z picks: with D = DΠ_K*(−z) (eigenvalues in [0, 1]), the
 * directions where D = 1 pin Aδx = 0 (r of them) and those with 0 < λ < 1 add curvature (h);
 * the derivative of the solution exists for generic A iff r ≤ n ≤ r + h. (An LP needs exactly
 * n active constraints: more makes the dual non-unique, fewer the primal.)
 */
export function suitsVariables(layout: ConeLayout, z: Float64Array, n: number): boolean {
  const m = layout.m;
  const D = denseConeDerivative(projectConeWithDerivative(layout, true, z.map((v) => -v), new Float64Array(m)));
  const eig = symmetricEigen(D, m).values;
  const r = eig.filter((l) => l > 1 - 1e-9).length;
  const h = eig.filter((l) => l > 1e-9 && l <= 1 - 1e-9).length;
  return r <= n && n <= r + h;
}

/**
 * A regular program drawn from a seed: Gaussian A and x*, z uniform in [−2, 2], redrawn until z
 * passes the margin and suits n. (Seeded Gaussians rather than fast-check doubles: those favour
 * edge values — zeros, repeated bounds — that make A rank-deficient and the program degenerate.)
 */
export function randomProgram(spec: ConeSpec, n: number, seed: number, margin = 0.1, base?: Float64Array): KnownProgram {
  const layout = coneLayout(spec);
  const m = layout.m;
  const rng = Rng.seeded(seed);
  // With a base matrix, A is a small perturbation of it (so a batch can share any one A).
  const A = Float64Array.from({ length: m * n }, (_, i) => (base ? base[i]! + 0.01 * rng.normal() : rng.normal() / Math.sqrt(n)));
  const x = Float64Array.from({ length: n }, () => rng.normal());
  for (let attempt = 0; ; attempt++) {
    const z = Float64Array.from({ length: m }, () => 4 * rng.uniform() - 2);
    if (strictlyComplementary(layout, z, margin) && suitsVariables(layout, z, n)) return programFrom(layout, A, z, x, n);
    if (attempt > 10_000) throw new Error(`no regular program with cones ${JSON.stringify(spec)} and n = ${n}`);
  }
}

/** An arbitrary regular program with cones `spec` and n variables (m from the cones). */
export function arbProgram(spec: ConeSpec, n: number, margin = 0.1, base?: Float64Array): fc.Arbitrary<KnownProgram> {
  return fc.integer({ min: 0, max: 2 ** 30 }).map((seed) => randomProgram(spec, n, seed, margin, base));
}
