/**
 * One block of the product cone as the interior-point method sees it. Vectors are the full
 * length-m arrays of the program; a block reads and writes rows [offset, offset + size).
 *
 * Symmetric cones (nonnegative, second-order, PSD) use Nesterov–Todd scaling: a linear map W with
 * W z = W⁻ᵀ s = λ, and the linearised complementarity λ ∘ (W Δz + W⁻ᵀ Δs) = −d_s, so
 *   Δs = −Wᵀ(λ \ d_s) − WᵀW Δz.
 * The exponential and power cones (nonsymmetric) use the dual barrier's Hessian, H = μ∇²f*(z) = WᵀW with
 * W = Lᵀ from H = LLᵀ, and the centrality condition s + μ∇f*(z) = 0, so Δs = −d_s − H Δz.
 * Either way the KKT system sees −H = −WᵀW in its dual block, and the step only needs the
 * block's d̃_s (`rhs`) and the four maps W, Wᵀ, W⁻ᵀ, W⁻¹ applied to columns.
 */
export type ScalingMap = 'W' | 'Wt' | 'WinvT' | 'Winv';

export interface IpmCone {
  readonly kind: 'zero' | 'nonneg' | 'soc' | 'psd' | 'exp' | 'power';
  readonly offset: number;
  readonly size: number;
  /** Barrier degree ν of the block (0 for the zero cone). */
  readonly degree: number;
  /** Writes the initial interior point of the block into s and z. */
  init(s: Float64Array, z: Float64Array): void;
  /** Computes the scaling at (s, z); μ is the current complementarity measure. False on failure. */
  scale(s: Float64Array, z: Float64Array, mu: number): boolean;
  /** d_s of the affine (predictor) direction. */
  affineDs(s: Float64Array, out: Float64Array): void;
  /** d_s of the combined direction from the affine step (Δs_a, Δz_a) and the target σμ. */
  combinedDs(s: Float64Array, z: Float64Array, dsa: Float64Array, dza: Float64Array, sigmaMu: number, out: Float64Array): void;
  /** d̃_s with Δs = −d̃_s − WᵀWΔz (in place allowed: ds may equal out). */
  rhs(ds: Float64Array, out: Float64Array): void;
  /**
   * out = M·x on `ncols` columns of a row-major block (rows offset…offset+size of x with leading
   * dimension ld, the same rows of out), M one of the scaling maps.
   */
  apply(map: ScalingMap, x: Float64Array, out: Float64Array, ld: number, ncols: number): void;
  /** The largest α ≤ αmax keeping s + αΔs ∈ K and z + αΔz ∈ K* (strictly inside). */
  stepLength(s: Float64Array, z: Float64Array, ds: Float64Array, dz: Float64Array, alphaMax: number): number;
  /** H = WᵀW as a dense row-major size×size block (for KKT assembly). */
  hessian(out: Float64Array): void;
  /**
   * Second-order cones: H = diag(d) + uuᵀ − vvᵀ (block-local vectors of length size) with
   * diag(d) − vvᵀ positive definite, so the sparse KKT matrix can carry H as a diagonal and two
   * extra columns (ECOS's expansion) and stay quasi-definite.
   */
  lowRank?(d: Float64Array, u: Float64Array, v: Float64Array): void;
  /** Whether the point is acceptable for the neighbourhood check of nonsymmetric cones. */
  central?(s: Float64Array, z: Float64Array, mu: number): boolean;
}

/** The zero cone: s = 0, z free, no scaling (H = 0). */
export function zeroCone(offset: number, size: number): IpmCone {
  return {
    kind: 'zero',
    offset,
    size,
    degree: 0,
    init(s, z) {
      s.fill(0, offset, offset + size);
      z.fill(0, offset, offset + size);
    },
    scale: () => true,
    affineDs: (_s, out) => out.fill(0, offset, offset + size),
    combinedDs: (_s, _z, _a, _b, _m, out) => out.fill(0, offset, offset + size),
    rhs: (_ds, out) => out.fill(0, offset, offset + size),
    apply(_map, _x, out, ld, ncols) {
      for (let i = offset; i < offset + size; i++) out.fill(0, i * ld, i * ld + ncols);
    },
    stepLength: (_s, _z, _ds, _dz, alphaMax) => alphaMax,
    hessian: (out) => out.fill(0, 0, size * size),
  };
}

/** The nonnegative orthant: W = diag(√(s/z)), λ = √(sz). */
export function nonnegCone(offset: number, size: number): IpmCone {
  const w = new Float64Array(size);
  const lambda = new Float64Array(size);
  return {
    kind: 'nonneg',
    offset,
    size,
    degree: size,
    init(s, z) {
      s.fill(1, offset, offset + size);
      z.fill(1, offset, offset + size);
    },
    scale(s, z) {
      for (let i = 0; i < size; i++) {
        const si = s[offset + i]!;
        const zi = z[offset + i]!;
        if (!(si > 0 && zi > 0)) return false;
        w[i] = Math.sqrt(si / zi);
        lambda[i] = Math.sqrt(si * zi);
      }
      return true;
    },
    affineDs(_s, out) {
      for (let i = 0; i < size; i++) out[offset + i] = lambda[i]! * lambda[i]!;
    },
    combinedDs(_s, _z, dsa, dza, sigmaMu, out) {
      // (W⁻ᵀΔs_a)∘(WΔz_a) = Δs_a·Δz_a elementwise.
      for (let i = 0; i < size; i++) {
        const k = offset + i;
        out[k] = lambda[i]! * lambda[i]! + dsa[k]! * dza[k]! - sigmaMu;
      }
    },
    rhs(ds, out) {
      for (let i = 0; i < size; i++) out[offset + i] = (w[i]! * ds[offset + i]!) / lambda[i]!;
    },
    apply(map, x, out, ld, ncols) {
      const inverse = map === 'WinvT' || map === 'Winv';
      for (let i = 0; i < size; i++) {
        const f = inverse ? 1 / w[i]! : w[i]!;
        const row = (offset + i) * ld;
        for (let j = 0; j < ncols; j++) out[row + j] = f * x[row + j]!;
      }
    },
    stepLength(s, z, ds, dz, alphaMax) {
      let a = alphaMax;
      for (let i = offset; i < offset + size; i++) {
        if (ds[i]! < 0) a = Math.min(a, -s[i]! / ds[i]!);
        if (dz[i]! < 0) a = Math.min(a, -z[i]! / dz[i]!);
      }
      return a;
    },
    hessian(out) {
      out.fill(0, 0, size * size);
      for (let i = 0; i < size; i++) out[i * size + i] = w[i]! * w[i]!;
    },
  };
}
