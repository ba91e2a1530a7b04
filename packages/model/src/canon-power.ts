import type { ConeBuilder } from './canon.js';
import type { Expr } from './expr.js';
import { Lin, linSub, linSum, type Row } from './lin.js';

/**
 * Cone forms of the atoms on the 3-d power cone K_α = {(x, y, z): x^α·y^(1−α) ≥ |z|, x, y ≥ 0}
 * (one cone per entry, as CVXPY's power-cone canonicalizations do):
 *
 * | atom                    | form                                                                |
 * | ----------------------- | ------------------------------------------------------------------- |
 * | absPower, p > 1         | (t, 1, x) ∈ K_{1/p}: t^(1/p) ≥ |x|, i.e. |x|ᵖ ≤ t                   |
 * | concavePower, 0 < p < 1 | (x, 1, t) ∈ K_p: |t| ≤ xᵖ (so t ≤ xᵖ, and x ≥ 0)                    |
 * | inversePower, p < 0     | (t, x, 1) ∈ K_{1/(1−p)}: t^(1/(1−p))·x^(−p/(1−p)) ≥ 1, i.e. xᵖ ≤ t  |
 * | normP                   | Σᵢ rᵢ = t, (rᵢ, t, xᵢ) ∈ K_{1/p}: |xᵢ|ᵖ ≤ rᵢ·t^(p−1), so ‖x‖ₚᵖ ≤ tᵖ |
 * | geoMean, weights w      | a chain (xₖ, tₖ₊₁, tₖ) ∈ K_{wₖ/(wₖ + … + wₙ)}, tₙ = xₙ, value t₁    |
 *
 * Each bound is tight at the optimum by DCP (the atom's epigraph or hypograph variable is pushed
 * against it), and the cones impose the domains: x ≥ 0 for concavePower and geoMean, x > 0 for
 * inversePower (x = 0 would need t = ∞).
 */
const ONE: Row = [-1, -1, 1];

export function canonPower(e: Expr, x: Lin, cones: ConeBuilder): Lin | null {
  switch (e.data.atom) {
    case 'absPower': {
      const alpha = 1 / e.data.k!;
      const t = cones.newVar(x.shape);
      x.rows.forEach((xi, i) => cones.addPower(t.rows[i]!, ONE, xi, alpha));
      return t;
    }
    case 'concavePower': {
      const alpha = e.data.k!;
      const t = cones.newVar(x.shape);
      x.rows.forEach((xi, i) => cones.addPower(xi, ONE, t.rows[i]!, alpha));
      return t;
    }
    case 'inversePower': {
      const alpha = 1 / (1 - e.data.k!);
      const t = cones.newVar(x.shape);
      x.rows.forEach((xi, i) => cones.addPower(t.rows[i]!, xi, ONE, alpha));
      return t;
    }
    case 'normP': {
      const alpha = 1 / e.data.k!;
      const t = cones.newVar([]);
      const r = cones.newVar([x.size]);
      cones.addZero(linSub(linSum(r), t));
      x.rows.forEach((xi, i) => cones.addPower(r.rows[i]!, t.rows[0]!, xi, alpha));
      return t;
    }
    case 'geoMean':
      return geoMeanOf(x, e.data.weights, cones);
  }
  return null;
}

/**
 * t₁ ≤ Πᵢ xᵢ^wᵢ by the chain tₖ ≤ xₖ^αₖ·tₖ₊₁^(1−αₖ), αₖ = wₖ/Sₖ with Sₖ = wₖ + … + wₙ: if tₖ₊₁
 * is the mean of xₖ₊₁ … xₙ with weights wⱼ/Sₖ₊₁, then tₖ is the one of xₖ … xₙ with wⱼ/Sₖ.
 * n − 1 cones (one for two entries: (x₁, x₂, t) ∈ K_{w₁}); a single entry is x itself, x ≥ 0.
 */
function geoMeanOf(x: Lin, weights: Float64Array | undefined, cones: ConeBuilder): Lin {
  const n = x.size;
  if (n === 1) {
    cones.addNonneg(x);
    return new Lin([], [x.rows[0]!]);
  }
  const w = weights ?? new Float64Array(n).fill(1 / n);
  const t = cones.newVar([n - 1]);
  // Suffix sums S_k from the back, so that each αₖ = wₖ/(wₖ + Sₖ₊₁) is a ratio of exact sums.
  const suffix = new Float64Array(n + 1);
  for (let k = n - 1; k >= 0; k--) suffix[k] = suffix[k + 1]! + w[k]!;
  for (let k = 0; k < n - 1; k++) {
    const next = k + 1 < n - 1 ? t.rows[k + 1]! : x.rows[n - 1]!;
    cones.addPower(x.rows[k]!, next, t.rows[k]!, w[k]! / suffix[k]!);
  }
  return new Lin([], [t.rows[0]!]);
}
