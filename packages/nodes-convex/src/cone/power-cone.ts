/**
 * Projection onto the 3-dimensional power cone K_α = {(x, y, z): x^α·y^(1−α) ≥ |z|, x, y ≥ 0},
 * α ∈ (0, 1), and its derivative; the root-finding of Hien (2015), as in SCS.
 *
 * Away from the closed-form cases (v ∈ K, v ∈ K° = −K*, z = 0) the projection p lies on the
 * smooth part of ∂K, with r = |p_z| ∈ (0, r̂), r̂ = |z₀|. With g(p) = |p_z| − G(p_x, p_y),
 * G = x^α y^(1−α), its KKT conditions p − v + λ∇g(p) = 0, G(p) = r give λ = r̂ − r and, row by
 * row, x² − x₀x − α·r(r̂ − r) = 0 and y² − y₀y − (1 − α)·r(r̂ − r) = 0: x(r) and y(r) are the
 * positive roots of those quadratics, and r the root of
 *   φ(r) = G(x(r), y(r)) − r
 * on [0, r̂]. φ is concave (x(r), y(r) are concave and G is concave and increasing), φ(0) ≥ 0
 * and φ(r̂) < 0 when v ∉ K, and φ > 0 just right of 0 when −v ∉ K*: its root in (0, r̂) is
 * unique, found by Newton's method safeguarded by bisection.
 */

/** The 3×3 derivative, row-major, of the last projection. */
export type PowerDerivative = Float64Array;

/** x^α·y^(1−α) for x, y ≥ 0. */
export function geoMean(x: number, y: number, alpha: number): number {
  if (x <= 0 || y <= 0) return 0;
  return Math.exp(alpha * Math.log(x) + (1 - alpha) * Math.log(y));
}

/**
 * The positive root of t² − t₀t − q = 0 (q ≥ 0), written without cancellation for t₀ < 0.
 */
function quadRoot(t0: number, q: number): number {
  const d = Math.sqrt(t0 * t0 + 4 * q);
  return t0 >= 0 ? 0.5 * (t0 + d) : (2 * q) / (d - t0);
}

/**
 * Projects (x₀, y₀, z₀) = v[off…off+3] onto K_α into out[outOff…]; when `jac` is given, also
 * writes the derivative there (row-major 3×3).
 */
export function projectPower(v: Float64Array, off: number, alpha: number, out: Float64Array, outOff: number, jac?: PowerDerivative): void {
  const x0 = v[off]!;
  const y0 = v[off + 1]!;
  const z0 = v[off + 2]!;
  const rh = Math.abs(z0);
  const set = (a: number, b: number, c: number) => {
    out[outOff] = a;
    out[outOff + 1] = b;
    out[outOff + 2] = c;
  };
  if (x0 >= 0 && y0 >= 0 && geoMean(x0, y0, alpha) >= rh) {
    set(x0, y0, z0);
    if (jac) diagonal(jac, 1, 1, 1);
    return;
  }
  if (x0 <= 0 && y0 <= 0 && geoMean(-x0 / alpha, -y0 / (1 - alpha), alpha) >= rh) {
    set(0, 0, 0);
    if (jac) diagonal(jac, 0, 0, 0);
    return;
  }
  // z₀ = 0 (and so exactly one of x₀, y₀ positive): the cone's slice z = 0 is the orthant,
  // and by the symmetry z ↦ −z the projection stays in it. Π is not differentiable in z here
  // (|p_z| grows like |z₀|^((1−α)/α)); the derivative of the slice is kept.
  const { r, lambda } = rh > 0 ? solveR(x0, y0, rh, alpha) : { r: 0, lambda: 0 };
  const px = quadRoot(x0, alpha * r * lambda);
  const py = quadRoot(y0, (1 - alpha) * r * lambda);
  if (!(r > 0 && px > 0 && py > 0)) {
    set(Math.max(x0, 0), Math.max(y0, 0), 0);
    if (jac) diagonal(jac, x0 > 0 ? 1 : 0, y0 > 0 ? 1 : 0, 0);
    return;
  }
  set(px, py, z0 < 0 ? -r : r);
  if (!jac) return;
  boundaryDerivative(jac, px, py, r, lambda, z0 < 0 ? -1 : 1, alpha);
  // A coordinate of the projection hundreds of orders below the others (its curvature terms
  // under- or overflow): the point is within round-off of the face, whose derivative is kept.
  if (!jac.every(Number.isFinite)) diagonal(jac, x0 > 0 ? 1 : 0, y0 > 0 ? 1 : 0, 0);
}

function diagonal(jac: Float64Array, a: number, b: number, c: number): void {
  jac.fill(0);
  jac[0] = a;
  jac[4] = b;
  jac[8] = c;
}

/**
 * φ along t, the smaller of r and λ = r̂ − r (`rSide`: t = r), and its derivative in t. Solving
 * for the smaller one keeps q = r·λ accurate at both ends: with r ≈ r̂ (v near K, λ tiny) or
 * r ≈ 0 (v near −K*), the larger one is known to full precision from r̂ − t, while r̂ − r would
 * lose λ to round-off. x' = α(r̂ − 2t)/(2x − x₀) in both cases (q = αt(r̂ − t)).
 */
function phi(t: number, rSide: boolean, x0: number, y0: number, rh: number, alpha: number, out: Float64Array): void {
  const q = t * (rh - t);
  const x = quadRoot(x0, alpha * q);
  const y = quadRoot(y0, (1 - alpha) * q);
  const G = geoMean(x, y, alpha);
  out[0] = rSide ? G - t : G - (rh - t);
  if (!(x > 0 && y > 0)) {
    out[1] = NaN; // at an end of the bracket: the caller bisects
    return;
  }
  const dx = (alpha * (rh - 2 * t)) / (2 * x - x0);
  const dy = ((1 - alpha) * (rh - 2 * t)) / (2 * y - y0);
  out[1] = G * ((alpha * dx) / x + ((1 - alpha) * dy) / y) + (rSide ? -1 : 1);
}

/**
 * The root of φ in (0, r̂) as (r, λ): φ > 0 left of it, φ < 0 right of it. Its half of
 * (0, r̂) is found from the sign of φ(r̂/2), then t ∈ (0, r̂/2] by Newton's method safeguarded
 * by bisection (rtsafe).
 */
function solveR(x0: number, y0: number, rh: number, alpha: number): { r: number; lambda: number } {
  const f = new Float64Array(2);
  phi(0.5 * rh, true, x0, y0, rh, alpha, f);
  if (f[0] === 0) return { r: 0.5 * rh, lambda: 0.5 * rh };
  // φ(r̂/2) > 0: the root is in (r̂/2, r̂), so t = λ; φ along λ then rises through the root.
  const rSide = !(f[0]! > 0);
  const sign = rSide ? 1 : -1; // sign·φ(t) > 0 left of the root
  let lo = 0;
  let hi = 0.5 * rh;
  let t = 0.5 * hi;
  let dxOld = hi;
  let dx = hi;
  phi(t, rSide, x0, y0, rh, alpha, f);
  for (let it = 0; it < 200; it++) {
    if (f[0] === 0) break;
    if (sign * f[0]! > 0) lo = t;
    else hi = t;
    const df = f[1]!;
    const newton = t - f[0]! / df;
    // Newton's step when it stays inside the bracket and at least halves the step before it;
    // bisection otherwise, so a start far from the root cannot crawl.
    if (Number.isFinite(newton) && newton > lo && newton < hi && Math.abs(2 * f[0]!) <= Math.abs(dxOld * df)) {
      dxOld = dx;
      dx = t - newton;
      t = newton;
    } else {
      dxOld = dx;
      dx = 0.5 * (hi - lo);
      t = lo + dx;
    }
    if (Math.abs(dx) <= 1e-16 * t || hi - lo <= 1e-16 * t || t === 0) break;
    phi(t, rSide, x0, y0, rh, alpha, f);
  }
  return rSide ? { r: t, lambda: rh - t } : { r: rh - t, lambda: t };
}

/**
 * DΠ at a point p = (x, y, σr) on the smooth part of ∂K, from the KKT system of
 * min ½‖p − v‖² s.t. g(p) = σp_z − G(p_x, p_y) ≤ 0 with multiplier λ = r̂ − r: with
 * H = I + λ∇²g and a = ∇g, DΠ = H⁻¹ − H⁻¹a(aᵀH⁻¹a)⁻¹aᵀH⁻¹. Here −∇²G = α(1−α)G·uuᵀ with
 * u = (1/x, −1/y), so λ∇²g = κ·ŵŵᵀ in (x, y), ŵ = (y, −x)/‖(x, y)‖ and
 * κ = λα(1−α)r(x² + y²)/(x²y²), and H⁻¹ = I − κ/(1 + κ)·ŵŵᵀ (Sherman–Morrison); a is taken
 * times xy, (−αry, −(1−α)rx, σxy), and normalised (its scale cancels), so tiny x or y cannot
 * overflow it.
 */
function boundaryDerivative(jac: Float64Array, x: number, y: number, r: number, lambda: number, sigma: number, alpha: number): void {
  const nxy = Math.hypot(x, y);
  const w0 = y / nxy;
  const w1 = -x / nxy;
  // e = 1/κ = (xy/‖(x, y)‖)²/(λα(1−α)r), finite where κ overflows; H⁻¹ = (eI + ŵ⊥ŵ⊥ᵀ)/(1 + e)
  // with ŵ⊥ = (−w1, w0) (= I − ŵŵᵀ/(1 + e), written without the cancellation 1 − κ/(1 + κ)·w0²
  // when κ is huge and ŵ nearly a unit vector).
  const curv = lambda * alpha * (1 - alpha) * r;
  const xy = (x / nxy) * y;
  const e = curv > 0 ? (xy * xy) / curv : Infinity;
  const f = Number.isFinite(e) ? 1 / (1 + e) : 0;
  const g = Number.isFinite(e) ? e / (1 + e) : 1;
  const h00 = g + f * w1 * w1;
  const h01 = -f * w0 * w1;
  const h11 = g + f * w0 * w0;
  // The boundary's normal ∝ (−αry, −(1−α)rx, σxy), written as (−α/x, −(1−α)/y, σ/r) so the
  // products do not underflow to a 0/0 normal when x, y and r are far apart in size.
  let a0 = -alpha / x;
  let a1 = -(1 - alpha) / y;
  let a2 = sigma / r;
  if (Number.isFinite(a0) && Number.isFinite(a1) && Number.isFinite(a2)) {
    const na = Math.hypot(a0, a1, a2);
    a0 /= na;
    a1 /= na;
    a2 /= na;
  } else {
    // A subnormal coordinate: the normal is its axis.
    const big = [a0, a1, a2].map((v) => (Number.isFinite(v) ? 0 : Math.sign(v)));
    const k = Math.sqrt(big.reduce((t, v) => t + v * v, 0));
    [a0, a1, a2] = big.map((v) => v / k) as [number, number, number];
  }
  const b = [h00 * a0 + h01 * a1, h01 * a0 + h11 * a1, a2];
  // aᵀH⁻¹a as a sum of squares: g(a0² + a1²) + f(a·ŵ⊥)² + a2².
  const perp = -a0 * w1 + a1 * w0;
  const s = g * (a0 * a0 + a1 * a1) + f * perp * perp + a2 * a2;
  const hinv = [h00, h01, 0, h01, h11, 0, 0, 0, 1];
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) jac[i * 3 + j] = hinv[i * 3 + j]! - (b[i]! * b[j]!) / s;
}
