/**
 * Projection onto the exponential cone K = cl{(x, y, z): y > 0, y·exp(x/y) ≤ z} and its
 * derivative, after Friberg (2021), "Projection onto the exponential cone: a univariate
 * root-finding problem".
 *
 * Away from the three closed-form cases (v ∈ K, v ∈ K° = −K*, and x, y ≤ 0), the projection p
 * and the polar part d = v − p lie on the two cones' boundaries and are orthogonal. Both are
 * fixed by the ratio ρ = x/y of p: p = y_p·(ρ, 1, e^ρ) and d = μ·(e^ρ, (1 − ρ)e^ρ, −1) (the
 * normal of ∂K at p), and v = p + d gives y_p = ((ρ − 1)x₀ + y₀)/(ρ² − ρ + 1),
 * μe^ρ = (x₀ − ρy₀)/(ρ² − ρ + 1), leaving one equation in ρ:
 *   h(ρ) = [((ρ − 1)x₀ + y₀)e^ρ − (x₀ − ρy₀)e^{−ρ}]/(ρ² − ρ + 1) − z₀ = 0,
 * increasing on the interval where y_p > 0 and μ > 0. We bracket its root and run Newton's
 * method safeguarded by bisection, then keep the better of that point and the closed-form
 * candidate (min(x₀, 0), 0, max(z₀, 0)) as Friberg recommends.
 */

/** The 3×3 derivative, row-major, of the last projection. */
export type ExpDerivative = Float64Array;

const RHO_MAX = 700;

function inCone(x: number, y: number, z: number): boolean {
  if (y > 0 && z > 0) return x <= y * (Math.log(z) - Math.log(y)); // z/y may overflow
  return y === 0 && x <= 0 && z >= 0;
}

function inPolar(x: number, y: number, z: number): boolean {
  // −v ∈ K* = cl{(u, v, w): u < 0, −u·exp(v/u) ≤ e·w}.
  if (x > 0 && z < 0) return y <= x * (1 + Math.log(-z) - Math.log(x));
  return x === 0 && y <= 0 && z <= 0;
}

/**
 * Projects (x₀, y₀, z₀) = v[off…off+3] onto K into out[outOff…]; when `jac` is given, also
 * writes the derivative there (row-major 3×3).
 */
export function projectExp(v: Float64Array, off: number, out: Float64Array, outOff: number, jac?: ExpDerivative): void {
  const x0 = v[off]!;
  const y0 = v[off + 1]!;
  const z0 = v[off + 2]!;
  const set = (a: number, b: number, c: number) => {
    out[outOff] = a;
    out[outOff + 1] = b;
    out[outOff + 2] = c;
  };
  if (inCone(x0, y0, z0)) {
    set(x0, y0, z0);
    if (jac) diagonal(jac, 1, 1, 1);
    return;
  }
  if (inPolar(x0, y0, z0)) {
    set(0, 0, 0);
    if (jac) diagonal(jac, 0, 0, 0);
    return;
  }
  if (x0 <= 0 && y0 <= 0) {
    set(x0, 0, Math.max(z0, 0));
    if (jac) diagonal(jac, 1, 0, z0 > 0 ? 1 : 0);
    return;
  }
  if (y0 > 0 && x0 < -600 * y0) {
    // y·e^{x/y} < y·e^{−600}: within round-off of the face y·e^{x/y} = 0, so only z < 0 moves.
    set(x0, y0, Math.max(z0, 0));
    if (jac) diagonal(jac, 1, 1, z0 > 0 ? 1 : 0);
    return;
  }
  const rho = solveRho(x0, y0, z0);
  const heuristicDist = Math.hypot(Math.max(x0, 0), y0, Math.min(z0, 0));
  const hx = Math.min(x0, 0);
  const hz = Math.max(z0, 0);
  let smooth = false;
  if (rho !== null) {
    const den = rho * rho - rho + 1;
    const yp = ((rho - 1) * x0 + y0) / den;
    const m = Math.max((x0 - rho * y0) / den, 0); // ≥ 0 in exact arithmetic on the bracket
    const er = Math.exp(rho);
    const px = yp * rho;
    const pz = yp * er;
    if (yp > 0 && Number.isFinite(pz)) {
      if (Math.hypot(x0 - px, y0 - yp, z0 - pz) <= heuristicDist) {
        set(px, yp, pz);
        if (jac) boundaryDerivative(jac, rho, yp, m);
        return;
      }
      // The two candidates equal to round-off (v within round-off of the ray x = y = 0, where
      // the boundary point's z cannot be had to the heuristic's accuracy): the boundary's
      // derivative is Π's, the heuristic's point the more accurate.
      smooth = Math.hypot(px - hx, yp, pz - hz) <= 1e-9 * Math.hypot(x0, y0, z0);
      if (smooth && jac) boundaryDerivative(jac, rho, yp, m);
    }
  }
  set(hx, 0, hz);
  if (jac && !smooth) diagonal(jac, x0 < 0 ? 1 : 0, 0, z0 > 0 ? 1 : 0);
}

function diagonal(jac: Float64Array, a: number, b: number, c: number): void {
  jac.fill(0);
  jac[0] = a;
  jac[4] = b;
  jac[8] = c;
}

function h(rho: number, x0: number, y0: number, z0: number): number {
  const den = rho * rho - rho + 1;
  return (((rho - 1) * x0 + y0) * Math.exp(rho) - (x0 - rho * y0) * Math.exp(-rho)) / den - z0;
}

function dh(rho: number, x0: number, y0: number): number {
  const den = rho * rho - rho + 1;
  const a = (rho - 1) * x0 + y0;
  const b = x0 - rho * y0;
  const ep = Math.exp(rho);
  const em = Math.exp(-rho);
  return ((a + x0) * ep + (b + y0) * em) / den - ((a * ep - b * em) * (2 * rho - 1)) / (den * den);
}

/** The root of h on the interval where y_p > 0 and μ > 0, or null if it cannot be bracketed. */
function solveRho(x0: number, y0: number, z0: number): number | null {
  // (ρ − 1)x₀ + y₀ > 0 and x₀ − ρy₀ > 0, clipped to |ρ| ≤ RHO_MAX.
  let lo = -RHO_MAX;
  let hi = RHO_MAX;
  if (x0 > 0) lo = Math.max(lo, 1 - y0 / x0);
  else if (x0 < 0) hi = Math.min(hi, 1 - y0 / x0);
  if (y0 > 0) hi = Math.min(hi, x0 / y0);
  else if (y0 < 0) lo = Math.max(lo, x0 / y0);
  if (!(lo < hi)) return null;
  // In exact arithmetic h(lo) ≤ 0 ≤ h(hi); a root at an end (μ = 0 or y_p = 0) may round either way.
  const flo = h(lo, x0, y0, z0);
  const fhi = h(hi, x0, y0, z0);
  if (!(flo < 0)) return lo;
  if (!(fhi > 0)) return hi;
  // Newton safeguarded by bisection (rtsafe): bisect whenever the Newton step leaves the bracket
  // or does not at least halve the step before it, so far-off starts cannot crawl.
  let rho = 0.5 * (lo + hi);
  let dxOld = hi - lo;
  let dx = dxOld;
  let f = h(rho, x0, y0, z0);
  let df = dh(rho, x0, y0);
  for (let it = 0; it < 300; it++) {
    if (((rho - hi) * df - f) * ((rho - lo) * df - f) > 0 || Math.abs(2 * f) > Math.abs(dxOld * df)) {
      dxOld = dx;
      dx = 0.5 * (hi - lo);
      rho = lo + dx;
    } else {
      dxOld = dx;
      dx = f / df;
      rho -= dx;
    }
    if (Math.abs(dx) <= 2e-16 * Math.max(1, Math.abs(rho))) return rho;
    f = h(rho, x0, y0, z0);
    if (f === 0) return rho;
    df = dh(rho, x0, y0);
    if (f < 0) lo = rho;
    else hi = rho;
  }
  return rho;
}

/**
 * DΠ at a boundary point, from the KKT system of min ½‖p − v‖² s.t. g(p) = y·e^{x/y} − z ≤ 0:
 * with H = I + λ∇²g and a = ∇g, DΠ = H⁻¹ − H⁻¹a(aᵀH⁻¹a)⁻¹aᵀH⁻¹. Here λ∇²g = (m/y_p)·
 * [[1, −ρ, 0], [−ρ, ρ², 0], [0, 0, 0]] and a ∝ (e^ρ, (1 − ρ)e^ρ, −1).
 */
function boundaryDerivative(jac: Float64Array, rho: number, yp: number, m: number): void {
  const k = m / yp;
  const det = 1 + k + k * rho * rho;
  // H⁻¹: a 2×2 block in (x, y) and 1 for z.
  const h00 = (1 + k * rho * rho) / det;
  const h01 = (k * rho) / det;
  const h11 = (1 + k) / det;
  // a scaled to unit norm (the scaling cancels).
  const er = Math.exp(rho);
  let a0 = er;
  let a1 = (1 - rho) * er;
  let a2 = -1;
  if (!Number.isFinite(er)) (a0 = 1), (a1 = 1 - rho), (a2 = 0);
  const na = Math.hypot(a0, a1, a2);
  a0 /= na;
  a1 /= na;
  a2 /= na;
  const b0 = h00 * a0 + h01 * a1;
  const b1 = h01 * a0 + h11 * a1;
  const b2 = a2;
  const s = a0 * b0 + a1 * b1 + a2 * b2;
  const hinv = [h00, h01, 0, h01, h11, 0, 0, 0, 1];
  const b = [b0, b1, b2];
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) jac[i * 3 + j] = hinv[i * 3 + j]! - (b[i]! * b[j]!) / s;
}
