import type { IpmCone } from './cone.js';

/**
 * The second-order cone {(t, u): ‖u‖ ≤ t} with Nesterov–Todd scaling in ECOS's form: with
 * s̄ = s/√(sᵀJs), z̄ = z/√(zᵀJz), γ = √((1 + s̄ᵀz̄)/2) and w̄ = (s̄ + Jz̄)/(2γ) = (a, q),
 *   W = η [[a, qᵀ], [q, I + qqᵀ/(1 + a)]],   W⁻¹ = η⁻¹ [[a, −qᵀ], [−q, I + qqᵀ/(1 + a)]],
 * η = (sᵀJs / zᵀJz)^¼. W is symmetric, so Wᵀ = W and W⁻ᵀ = W⁻¹; every map costs O(size).
 */
export function socCone(offset: number, size: number): IpmCone {
  const q = new Float64Array(size - 1);
  let a = 1;
  let eta = 1;
  const lambda = new Float64Array(size);
  const t1 = new Float64Array(size);
  const t2 = new Float64Array(size);

  /** out[o…] = W·x[xo…] (or W⁻¹) for one column read with stride ld. */
  const map1 = (inverse: boolean, x: Float64Array, xo: number, out: Float64Array, oo: number, ld: number) => {
    const x0 = x[xo]!;
    let t = 0;
    for (let i = 1; i < size; i++) t += q[i - 1]! * x[xo + i * ld]!;
    if (!inverse) {
      const c = x0 + t / (1 + a);
      out[oo] = eta * (a * x0 + t);
      for (let i = 1; i < size; i++) out[oo + i * ld] = eta * (x[xo + i * ld]! + c * q[i - 1]!);
    } else {
      const c = -x0 + t / (1 + a);
      out[oo] = (a * x0 - t) / eta;
      for (let i = 1; i < size; i++) out[oo + i * ld] = (x[xo + i * ld]! + c * q[i - 1]!) / eta;
    }
  };
  /** u ∘ v for cone vectors (block-local). */
  const jordan = (u: Float64Array, uo: number, v: Float64Array, vo: number, out: Float64Array, oo: number) => {
    let d = 0;
    for (let i = 0; i < size; i++) d += u[uo + i]! * v[vo + i]!;
    const u0 = u[uo]!;
    const v0 = v[vo]!;
    for (let i = 1; i < size; i++) out[oo + i] = u0 * v[vo + i]! + v0 * u[uo + i]!;
    out[oo] = d;
  };

  return {
    kind: 'soc',
    offset,
    size,
    degree: 1,
    init(s, z) {
      s.fill(0, offset, offset + size);
      z.fill(0, offset, offset + size);
      s[offset] = 1;
      z[offset] = 1;
    },
    scale(s, z) {
      const sres = jnorm2(s, offset, size);
      const zres = jnorm2(z, offset, size);
      if (!(sres > 0 && zres > 0 && s[offset]! > 0 && z[offset]! > 0)) return false;
      const sn = Math.sqrt(sres);
      const zn = Math.sqrt(zres);
      let dot = 0;
      for (let i = 0; i < size; i++) dot += (s[offset + i]! / sn) * (z[offset + i]! / zn);
      const gamma = Math.sqrt(Math.max((1 + dot) / 2, 0));
      a = (s[offset]! / sn + z[offset]! / zn) / (2 * gamma);
      for (let i = 1; i < size; i++) q[i - 1] = (s[offset + i]! / sn - z[offset + i]! / zn) / (2 * gamma);
      eta = Math.sqrt(sn / zn);
      map1(false, z, offset, lambda, 0, 1);
      return Number.isFinite(a) && Number.isFinite(eta);
    },
    affineDs(_s, out) {
      jordan(lambda, 0, lambda, 0, out, offset);
    },
    combinedDs(_s, _z, dsa, dza, sigmaMu, out) {
      map1(true, dsa, offset, t1, 0, 1); // W⁻ᵀΔs_a
      map1(false, dza, offset, t2, 0, 1); // WΔz_a
      jordan(t1, 0, t2, 0, out, offset);
      jordan(lambda, 0, lambda, 0, t1, 0);
      for (let i = 0; i < size; i++) out[offset + i]! += t1[i]!;
      out[offset]! -= sigmaMu;
    },
    rhs(ds, out) {
      // λ \ d_s, then Wᵀ = W.
      const l0 = lambda[0]!;
      let det = l0 * l0;
      let lv = 0;
      for (let i = 1; i < size; i++) {
        det -= lambda[i]! * lambda[i]!;
        lv += lambda[i]! * ds[offset + i]!;
      }
      const x0 = (l0 * ds[offset]! - lv) / det;
      t1[0] = x0;
      for (let i = 1; i < size; i++) t1[i] = (ds[offset + i]! - x0 * lambda[i]!) / l0;
      map1(false, t1, 0, out, offset, 1);
    },
    apply(map, x, out, ld, ncols) {
      const inverse = map === 'WinvT' || map === 'Winv';
      for (let j = 0; j < ncols; j++) map1(inverse, x, offset * ld + j, out, offset * ld + j, ld);
    },
    stepLength(_s, _z, ds, dz, alphaMax) {
      map1(true, ds, offset, t1, 0, 1);
      map1(false, dz, offset, t2, 0, 1);
      return Math.min(alphaMax, socStep(lambda, t1, size), socStep(lambda, t2, size));
    },
    lowRank(d, u, v) {
      // W² = η²[[a² + ‖q‖², β qᵀ], [β q, I + κ qqᵀ]] with β = a + 1 + ‖q‖²/(1+a) and
      // κ = 1 + (2 + ‖q‖²/(1+a))/(1+a) (2a and 2 when a² − ‖q‖² = 1). Split as
      // η²(diag(d₁, 1, …) + uuᵀ − vvᵀ) with u = (u₀, u₁q), v = (0, v₁q): u₀u₁ = β, u₁² − v₁² = κ,
      // d₁ + u₀² = a² + ‖q‖². d₁ = 1/(2(a² + ‖q‖²)) keeps diag(d) − vvᵀ positive definite (both
      // its margins are then about 1/(2(a² + ‖q‖²))), and u₀² ≥ 1/2.
      let w = 0;
      for (let i = 0; i < size - 1; i++) w += q[i]! * q[i]!;
      const c = 1 / (1 + a);
      const beta = a + 1 + c * w;
      const kappa = 1 + c * (2 + c * w);
      const top = a * a + w;
      const d1 = 1 / (2 * top);
      const u0 = Math.sqrt(top - d1);
      const u1 = beta / u0;
      const v1 = Math.sqrt(Math.max(u1 * u1 - kappa, 0));
      const e2 = eta * eta;
      d.fill(e2, 0, size);
      d[0] = e2 * d1;
      u[0] = eta * u0;
      v[0] = 0;
      for (let i = 1; i < size; i++) {
        u[i] = eta * u1 * q[i - 1]!;
        v[i] = eta * v1 * q[i - 1]!;
      }
    },
    hessian(out) {
      // H = W² column by column.
      for (let j = 0; j < size; j++) {
        t1.fill(0);
        t1[j] = 1;
        map1(false, t1, 0, t2, 0, 1);
        map1(false, t2, 0, t1, 0, 1);
        for (let i = 0; i < size; i++) out[i * size + j] = t1[i]!;
      }
    },
  };
}

/** sᵀJs = s₀² − ‖s₁‖². */
function jnorm2(v: Float64Array, off: number, size: number): number {
  let r = 0;
  for (let i = 1; i < size; i++) r += v[off + i]! * v[off + i]!;
  const t = v[off]!;
  return (t - Math.sqrt(r)) * (t + Math.sqrt(r));
}

/** The largest α with λ + αd in the cone, for λ in its interior (∞ if the ray never leaves). */
export function socStep(lambda: Float64Array, d: Float64Array, size: number): number {
  let aa = d[0]! * d[0]!;
  let b = lambda[0]! * d[0]!;
  for (let i = 1; i < size; i++) {
    aa -= d[i]! * d[i]!;
    b -= lambda[i]! * d[i]!;
  }
  const c = jnorm2(lambda, 0, size);
  if (aa >= 0 && d[0]! >= 0) return Infinity;
  const disc = b * b - aa * c;
  if (disc < 0) return Infinity;
  const den = -b + Math.sqrt(disc);
  return den > 0 ? c / den : Infinity;
}
