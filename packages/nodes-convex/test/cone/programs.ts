import { Rng, Tensor } from '@argmin/autodiff';
import fc from 'fast-check';
import { denseConeDerivative, projectCone, projectConeWithDerivative } from '../../src/cone/cones.js';
import { symmetricEigen } from '@argmin/autodiff/kernels';
import { smatInto } from '../../src/cone/psd.js';
import { denseJacobian, residualAt } from '../../src/cone/residual-map.js';
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
      case 'power': {
        // The generic case again: p on the smooth part of ∂K (x, y, |z| away from 0) and v away from p.
        const p = new Float64Array(3);
        projectCone(coneLayout({ power: [blk.alpha!] }), false, v, p);
        if (Math.min(p[0]!, p[1]!, Math.abs(p[2]!)) < margin || Math.hypot(v[0]! - p[0]!, v[1]! - p[1]!, v[2]! - p[2]!) < margin)
          return false;
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
  const D = denseConeDerivative(
    projectConeWithDerivative(
      layout,
      true,
      z.map((v) => -v),
      new Float64Array(m),
    ),
  );
  const eig = symmetricEigen(D, m).values;
  const r = eig.filter((l) => l > 1 - 1e-9).length;
  const h = eig.filter((l) => l > 1e-9 && l <= 1 - 1e-9).length;
  return r <= n && n <= r + h;
}

/**
 * The smallest singular value of the derivative of the residual map M̃ at the known solution
 * (vjp.ts): how far the program is from degenerate. Gradients scale like 1/σ_min.
 */
export function residualMapConditioning(p: KnownProgram, layout: ConeLayout): number {
  const { A, b, c } = p.params;
  const m = layout.m;
  const n = c.size;
  const N = n + m + 1;
  const d = { m, n, layout, A: A!.data, aOff: 0, b: b.data, bOff: 0, c: c.data, cOff: 0 };
  const pt = residualAt(
    d,
    p.x,
    p.y.map((v, i) => v - p.s[i]!),
  );
  const J = denseJacobian(d, pt.D);
  const M = new Float64Array(N * N);
  for (let i = 0; i < N; i++) M.set(J.subarray(i * (N - 1), (i + 1) * (N - 1)), i * N);
  for (let j = 0; j < n; j++) M[j * N + N - 1] = c.data[j]! + p.x[j]!;
  for (let i = 0; i < m; i++) M[(n + i) * N + N - 1] = b.data[i]! + p.y[i]!;
  M[N * N - 1] = 1;
  const G = new Float64Array(N * N);
  for (let i = 0; i < N; i++)
    for (let j = 0; j < N; j++) {
      let v = 0;
      for (let k = 0; k < N; k++) v += M[k * N + i]! * M[k * N + j]!;
      G[i * N + j] = v;
    }
  return Math.sqrt(Math.max(symmetricEigen(G, N).values[0]!, 0));
}

export interface ProgramOptions {
  /** Distance of z from non-strict complementarity (default 0.1). */
  readonly margin?: number;
  /** Smallest accepted σ_min of the residual map's derivative (default 0.02). */
  readonly minSingular?: number;
}

/**
 * `count` regular programs sharing one A, drawn from a seed: Gaussian A and x*, z uniform in
 * [−2, 2], z redrawn until it passes the margin, suits n and leaves the residual map well
 * conditioned. (Seeded Gaussians rather than fast-check doubles: those favour edge values —
 * zeros, repeated bounds — that make A rank-deficient and the program degenerate.)
 */
export function randomPrograms(spec: ConeSpec, n: number, seed: number, count: number, opts: ProgramOptions = {}): KnownProgram[] {
  const { margin = 0.1, minSingular = 0.02 } = opts;
  const layout = coneLayout(spec);
  const m = layout.m;
  const rng = Rng.seeded(seed);
  const A = Float64Array.from({ length: m * n }, () => rng.normal() / Math.sqrt(n));
  const out: KnownProgram[] = [];
  for (let attempt = 0; out.length < count; attempt++) {
    if (attempt > 20_000) throw new Error(`no regular program with cones ${JSON.stringify(spec)} and n = ${n}`);
    const x = Float64Array.from({ length: n }, () => rng.normal());
    const z = Float64Array.from({ length: m }, () => 4 * rng.uniform() - 2);
    if (!strictlyComplementary(layout, z, margin) || !suitsVariables(layout, z, n)) continue;
    const p = programFrom(layout, A, z, x, n);
    if (residualMapConditioning(p, layout) >= minSingular) out.push(p);
  }
  return out;
}

export function randomProgram(spec: ConeSpec, n: number, seed: number, opts: ProgramOptions = {}): KnownProgram {
  return randomPrograms(spec, n, seed, 1, opts)[0]!;
}

/** An arbitrary regular program with cones `spec` and n variables (m from the cones). */
export function arbProgram(spec: ConeSpec, n: number, opts: ProgramOptions = {}): fc.Arbitrary<KnownProgram> {
  return fc.integer({ min: 0, max: 2 ** 30 }).map((seed) => randomProgram(spec, n, seed, opts));
}

/** 2–3 regular programs sharing A (so a batch may pass A once). */
export function arbProgramBatch(spec: ConeSpec, n: number, opts: ProgramOptions = {}): fc.Arbitrary<KnownProgram[]> {
  return fc
    .tuple(fc.integer({ min: 0, max: 2 ** 30 }), fc.integer({ min: 2, max: 3 }))
    .map(([seed, k]) => randomPrograms(spec, n, seed, k, opts));
}

/** A value drawn from an integer grid (fast-check's doubles favour 0 and ±1, which make A rank-deficient). */
const gridValue = (scale: number) => fc.integer({ min: -1000, max: 1000 }).map((k) => (k / 1000) * scale + 1e-3);
const gridVector = (len: number, scale: number) =>
  fc.array(gridValue(scale), { minLength: len, maxLength: len }).map((v) => Float64Array.from(v));

/**
 * A regular cone program built by fast-check from its structure: the cone product (zero,
 * orthant, up to two second-order cones, at most one PSD block of order 2–3, at most one
 * exponential cone, at most one power cone with α in {0.1, …, 0.9}), the point z that fixes the
 * optimal face, then n suited to that face (r ≤ n ≤ r + h, see suitsVariables), then A and x*.
 * Every part shrinks; instances too close to degenerate are filtered out as in randomPrograms.
 */
export function arbStructuredProgram(opts: ProgramOptions = {}): fc.Arbitrary<{ params: ConeParams; cones: ConeSpec; x: Float64Array }> {
  const { margin = 0.1, minSingular = 0.02 } = opts;
  const spec = fc
    .record({
      zero: fc.integer({ min: 0, max: 1 }),
      nonneg: fc.integer({ min: 0, max: 4 }),
      soc: fc.array(fc.integer({ min: 2, max: 4 }), { maxLength: 2 }),
      psd: fc.array(fc.integer({ min: 2, max: 3 }), { maxLength: 1 }),
      exp: fc.integer({ min: 0, max: 1 }),
      power: fc.array(
        fc.integer({ min: 1, max: 9 }).map((k) => k / 10),
        { maxLength: 1 },
      ),
    })
    .filter((s) => s.nonneg + s.soc.length + s.psd.length + s.exp + s.power.length > 0);
  return spec
    .chain((cones) => {
      const layout = coneLayout(cones);
      return gridVector(layout.m, 2)
        .filter((z) => strictlyComplementary(layout, z, margin))
        .chain((z) => {
          const m = layout.m;
          const D = denseConeDerivative(
            projectConeWithDerivative(
              layout,
              true,
              z.map((v) => -v),
              new Float64Array(m),
            ),
          );
          const eig = symmetricEigen(D, m).values;
          const r = eig.filter((l) => l > 1 - 1e-9).length;
          const h = eig.filter((l) => l > 1e-9 && l <= 1 - 1e-9).length;
          const lo = Math.max(1, r);
          if (lo > r + h) return fc.constant(null);
          return fc
            .integer({ min: lo, max: Math.min(r + h, lo + 3) })
            .chain((n) => fc.tuple(fc.constant(n), gridVector(m * n, 1 / Math.sqrt(n)), gridVector(n, 1)))
            .map(([n, A, x]) => {
              const p = programFrom(layout, A, z, x, n);
              return residualMapConditioning(p, layout) >= minSingular ? { params: p.params, cones: cones as ConeSpec, x: p.x } : null;
            });
        });
    })
    .filter((v): v is { params: ConeParams; cones: ConeSpec; x: Float64Array } => v !== null);
}
