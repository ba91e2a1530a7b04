import { numRuns } from '@argmin/autodiff/testing';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { applyConeDerivative, denseConeDerivative, projectCone, projectConeWithDerivative } from '../../src/cone/cones.js';
import { symmetricEigen } from '@argmin/autodiff/kernels';
import { projectExp } from '../../src/cone/exp-cone.js';
import { coneLayout, type ConeLayout, type ConeSpec } from '../../src/cone/problem.js';
import { smatInto, svecInto } from '../../src/cone/psd.js';
import { centralDifference } from './central-difference.js';

const runs = numRuns(20);
const value = fc.double({ min: -3, max: 3, noNaN: true, noDefaultInfinity: true });
const vec = (n: number) => fc.array(value, { minLength: n, maxLength: n }).map((a) => Float64Array.from(a));

const SPECS: [string, ConeSpec][] = [
  ['zero', { zero: 3 }],
  ['nonneg', { nonneg: 4 }],
  ['soc', { soc: [1, 2, 4] }],
  ['psd', { psd: [1, 2, 3, 4] }],
  ['exp', { exp: 3 }],
  ['mixed', { zero: 1, nonneg: 2, soc: [3], psd: [2], exp: 1 }],
];

const proj = (layout: ConeLayout, dual: boolean, v: Float64Array) => {
  const out = new Float64Array(layout.m);
  projectCone(layout, dual, v, out);
  return out;
};
const dot = (a: Float64Array, b: Float64Array) => a.reduce((s, x, i) => s + x * b[i]!, 0);
const norm = (a: Float64Array) => Math.sqrt(dot(a, a));
const maxAbs = (a: Float64Array) => a.reduce((s, x) => Math.max(s, Math.abs(x)), 0);
const diff = (a: Float64Array, b: Float64Array) => a.map((x, i) => x - b[i]!);
/** v with its entries below 1e-3 in size set to 0. */
const entriesAwayFromZero = (v: Float64Array) => v.map((x) => (Math.abs(x) < 1e-3 ? 0 : x));

/** Distance-to-cone membership test with tolerance, block by block. */
/** Whether v is in K (or K*) up to tol; `scale` is the size of the vector v was projected from (see the exp case). */
function inCone(layout: ConeLayout, dual: boolean, v: Float64Array, tol: number, scale = 1): boolean {
  for (const b of layout.blocks) {
    const x = v.subarray(b.offset, b.offset + b.size);
    switch (b.kind) {
      case 'zero':
        if (!dual && maxAbs(x) > tol) return false;
        break;
      case 'nonneg':
        if (x.some((t) => t < -tol)) return false;
        break;
      case 'soc':
        if (norm(x.subarray(1)) > x[0]! + tol) return false;
        break;
      case 'psd': {
        const k = b.order!;
        const m = new Float64Array(k * k);
        smatInto(x, 0, k, m);
        if (symmetricEigen(m, k).values[0]! < -tol) return false;
        break;
      }
      case 'exp': {
        // Checked on v/max(‖v‖, scale) in the function-value form, whose error is of the order
        // of the point's own error near the boundary (the log form, x ≤ y·log(z/y), amplifies an
        // error in z by 1/z): primal y·e^{x/y} ≤ z; dual (u, v, w) with u < 0: −u·e^{v/u} ≤ e·w.
        // The form is homogeneous, and a projection's error is absolute, ~ε times the input's
        // size: a result much smaller than its input (1e-8 from 0.1) is judged in the input's
        // units, not magnified by 1/‖v‖.
        const r = Math.max(norm(x), scale);
        const [a, y, z] = [x[0]! / r, x[1]! / r, x[2]! / r];
        // Within tol of the cone: moved by tol along the direction that helps most (y up and x
        // down for K, u down and v up for K*), the function form holds. Tests on y > tol only
        // rejected boundary points with 0 < y ≤ tol (y·e^{x/y} = z exactly, x/y ≈ 26).
        if (dual) {
          if (a > tol || z < -tol) return false;
          const u = Math.min(a, 0) - tol;
          if (-u * Math.exp((y + tol) / u) > Math.E * (z + tol)) return false;
        } else {
          if (y < -tol || z < -tol) return false;
          const w = Math.max(y, 0) + tol;
          if (w * Math.exp((a - tol) / w) > z + tol) return false;
        }
        break;
      }
    }
  }
  return true;
}

describe('symmetric eigendecomposition', () => {
  test.each([1, 2, 3, 5, 8])('V·diag(λ)·Vᵀ = A and VᵀV = I (n = %i)', (n) => {
    fc.assert(
      fc.property(vec(n * n), (a) => {
        for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) a[j * n + i] = a[i * n + j]!;
        const { values, vectors: V } = symmetricEigen(a, n);
        for (let i = 1; i < n; i++) expect(values[i]!).toBeGreaterThanOrEqual(values[i - 1]!);
        for (let i = 0; i < n; i++) {
          for (let j = 0; j < n; j++) {
            let r = 0;
            let o = 0;
            for (let k = 0; k < n; k++) (r += V[i * n + k]! * values[k]! * V[j * n + k]!), (o += V[k * n + i]! * V[k * n + j]!);
            expect(Math.abs(r - a[i * n + j]!)).toBeLessThan(1e-12);
            expect(Math.abs(o - (i === j ? 1 : 0))).toBeLessThan(1e-12);
          }
        }
      }),
      { numRuns: runs },
    );
  });

  test('repeated eigenvalues (identity, zero, rank one)', () => {
    const n = 4;
    const u = Float64Array.of(1, 2, -1, 0.5);
    for (const a of [
      Float64Array.from({ length: 16 }, (_, i) => (i % 5 === 0 ? 2 : 0)),
      new Float64Array(16),
      Float64Array.from({ length: 16 }, (_, i) => u[Math.floor(i / 4)]! * u[i % 4]!),
    ]) {
      const { values, vectors: V } = symmetricEigen(a, n);
      for (let i = 0; i < n; i++)
        for (let j = 0; j < n; j++) {
          let r = 0;
          for (let k = 0; k < n; k++) r += V[i * n + k]! * values[k]! * V[j * n + k]!;
          expect(Math.abs(r - a[i * n + j]!)).toBeLessThan(1e-13);
        }
    }
  });
});

describe.each(SPECS)('projection onto the %s cone', (_, spec) => {
  const layout = coneLayout(spec);
  const m = layout.m;

  test('is idempotent and lands in the cone, for K and K*', () => {
    fc.assert(
      fc.property(vec(m), (v) => {
        for (const dual of [false, true]) {
          const p = proj(layout, dual, v);
          expect(inCone(layout, dual, p, 1e-10, Math.max(1e-8, maxAbs(v)))).toBe(true);
          expect(maxAbs(diff(proj(layout, dual, p), p))).toBeLessThan(1e-10 * Math.max(1, maxAbs(p)));
        }
      }),
      { numRuns: runs },
    );
  });

  test('obeys Moreau: v = Π_K(v) − Π_K*(−v) with the parts orthogonal', () => {
    fc.assert(
      fc.property(vec(m), (v) => {
        const p = proj(layout, false, v);
        const q = proj(
          layout,
          true,
          v.map((x) => -x),
        );
        expect(maxAbs(diff(v, diff(p, q)))).toBeLessThan(1e-10);
        expect(Math.abs(dot(p, q))).toBeLessThan(1e-9 * Math.max(1, norm(v) ** 2));
      }),
      { numRuns: runs },
    );
  });

  test('is no farther from v than random points of the cone', () => {
    fc.assert(
      fc.property(vec(m), vec(m), (v, w) => {
        const p = proj(layout, false, v);
        const q = proj(layout, false, w); // some point of K
        expect(norm(diff(v, p))).toBeLessThanOrEqual(norm(diff(v, q)) + 1e-10);
      }),
      { numRuns: runs },
    );
  });

  test('derivative matches central differences and is symmetric', () => {
    fc.assert(
      // Entries below 1e5·h in size are set to 0: features of Π at their scale (the apex, the
      // exponential cone's ray x = y = 0 and its face y·e^{x/y} ≈ 0) are invisible to a step of h,
      // and the central difference's own error there, ~h²/size², is not small. Small sizes are
      // the scale-invariance property's below.
      fc.property(vec(m).map(entriesAwayFromZero), vec(m), fc.boolean(), (v, t0, dual) => {
        fc.pre(norm(t0) > 1e-3);
        const t = t0.map((x) => x / norm(t0));
        const out = new Float64Array(m);
        const D = projectConeWithDerivative(layout, dual, v, out);
        expect(maxAbs(diff(out, proj(layout, dual, v)))).toBe(0);
        const jt = new Float64Array(m);
        applyConeDerivative(D, t, jt);
        // A small step keeps the curvature error (≈ h·‖Π''‖) near 1e-8; then a kink of Π within
        // the step (fast-check shrinks towards 0, a kink of every cone) shows as one-sided
        // differences that disagree by more than that, and such points are skipped; so are
        // points where the central difference itself changes with the step (the exponential
        // cone's ray {x ≤ 0, y = 0}, where Π's one-sided slopes differ only by 1/log(1/h)).
        const central = (h: number) => {
          const fd = centralDifference((w) => proj(layout, dual, w), v, t, h, 1e-6);
          fc.pre(fd !== null);
          return fd;
        };
        const fd = central(1e-8);
        fc.pre(maxAbs(diff(fd, central(1e-7))) < 1e-7);
        expect(maxAbs(diff(jt, fd))).toBeLessThan(2e-6 * Math.max(1, maxAbs(jt)));
        const J = denseConeDerivative(D);
        for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) expect(Math.abs(J[i * m + j]! - J[j * m + i]!)).toBeLessThan(1e-12);
      }),
      { numRuns: runs },
    );
  });

  test('derivative is scale-invariant (Π is positively homogeneous), at sizes 1e-289 to 1e301', () => {
    fc.assert(
      // Entries 0 or ≥ 1e-3 in size, so that every scaled entry stays a normal number (a subnormal
      // one has lost bits: the point itself would change, not only its size).
      fc.property(vec(m).map(entriesAwayFromZero), vec(m), fc.boolean(), fc.integer({ min: -950, max: 1000 }), (v, t, dual, k) => {
        const s = 2 ** k;
        const scaled = v.map((x) => x * s);
        const out = new Float64Array(m);
        const jt = new Float64Array(m);
        const js = new Float64Array(m);
        applyConeDerivative(projectConeWithDerivative(layout, dual, v, out), t, jt);
        const p = out.slice();
        applyConeDerivative(projectConeWithDerivative(layout, dual, scaled, out), t, js);
        expect(maxAbs(diff(js, jt))).toBeLessThan(1e-8 * Math.max(1, maxAbs(jt)));
        expect(
          maxAbs(
            diff(
              out.map((x) => x / s),
              p,
            ),
          ),
        ).toBeLessThan(1e-9 * Math.max(1, maxAbs(v)));
      }),
      { numRuns: runs },
    );
  });
});

/** Builds v = p + d with p ∈ ∂K, d ∈ ∂K°, ⟨p, d⟩ = 0, so Π_K(v) = p exactly. */
describe('points built from a known projection, on and near the boundary', () => {
  const scales = fc.constantFrom(1, 1e-3, 1e-8, 0);

  test('exponential cone', () => {
    fc.assert(
      fc.property(
        fc.double({ min: -8, max: 8, noNaN: true }),
        fc.double({ min: 1e-3, max: 3, noNaN: true }),
        fc.double({ min: 0, max: 3, noNaN: true }),
        scales,
        (rho, y, mu, s) => {
          const er = Math.exp(rho);
          const p = Float64Array.of(y * rho, y, y * er);
          const d = Float64Array.of(s * mu * er, s * mu * (1 - rho) * er, -s * mu);
          const v = p.map((x, i) => x + d[i]!);
          const out = new Float64Array(3);
          projectExp(v, 0, out, 0);
          expect(maxAbs(diff(out, p))).toBeLessThan(1e-9 * Math.max(1, maxAbs(p), maxAbs(d)));
        },
      ),
      { numRuns: runs * 5 },
    );
  });

  test('exponential cone: the closed-form cases and the polar', () => {
    const out = new Float64Array(3);
    projectExp(Float64Array.of(-1, -2, 3), 0, out, 0);
    expect(Array.from(out)).toEqual([-1, 0, 3]);
    projectExp(Float64Array.of(-1, -2, -3), 0, out, 0);
    expect(Array.from(out)).toEqual([-1, 0, 0]);
    projectExp(Float64Array.of(1, 0.5, -4), 0, out, 0); // 1·e^{0.5} ≤ e·4: in the polar
    expect(Array.from(out)).toEqual([0, 0, 0]);
    projectExp(Float64Array.of(0, 1, 1), 0, out, 0); // on the boundary: y·e^{x/y} = z
    expect(Array.from(out)).toEqual([0, 1, 1]);
  });

  test('second-order cone', () => {
    fc.assert(
      fc.property(vec(4), fc.double({ min: 0, max: 3, noNaN: true }), fc.double({ min: 0, max: 3, noNaN: true }), scales, (u, r, mu, s) => {
        const nu = norm(u);
        fc.pre(nu > 1e-3);
        const uh = u.map((x) => x / nu);
        const v = Float64Array.of(r - s * mu, ...uh.map((x) => (r + s * mu) * x));
        const layout = coneLayout({ soc: [5] });
        const p = proj(layout, false, v);
        expect(maxAbs(diff(p, Float64Array.of(r, ...uh.map((x) => r * x))))).toBeLessThan(1e-12 * Math.max(1, r + mu));
      }),
      { numRuns: runs },
    );
  });

  test('PSD cone', () => {
    const k = 4;
    fc.assert(
      fc.property(vec(k * k), vec(k), scales, (g, lam, s) => {
        for (let i = 0; i < k; i++) for (let j = 0; j < i; j++) g[j * k + i] = g[i * k + j]!;
        const { vectors: V } = symmetricEigen(g, k);
        const build = (f: (l: number) => number) => {
          const x = new Float64Array(k * k);
          for (let i = 0; i < k; i++)
            for (let j = 0; j < k; j++) for (let q = 0; q < k; q++) x[i * k + j]! += V[i * k + q]! * f(lam[q]!) * V[j * k + q]!;
          const out = new Float64Array((k * (k + 1)) / 2);
          svecInto(x, k, out, 0);
          return out;
        };
        const p = build((l) => Math.max(l, 0));
        const v = build((l) => (l > 0 ? l : s * l));
        const got = proj(coneLayout({ psd: [k] }), false, v);
        expect(maxAbs(diff(got, p))).toBeLessThan(1e-12 * Math.max(1, maxAbs(p) * 10));
      }),
      { numRuns: runs },
    );
  });
});
