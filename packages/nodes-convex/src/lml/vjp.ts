import { Tensor } from '@argmin/autodiff';

/**
 * The closed-form implicit VJP of y = σ(x + ν), 1ᵀy = k. With D = diag(y ⊙ (1 − y)),
 * differentiating gives dν = −1ᵀD dx / 1ᵀD1 and dy = D(dx + 1 dν): the Jacobian is the
 * diagonal-plus-rank-one D − D11ᵀD / 1ᵀD1, so
 *   x̄ = D ȳ − D1 (1ᵀD ȳ + ν̄) / 1ᵀD1,
 * O(n) per row and no linear solve. A fully saturated row (D = 0 in floating point) has a zero
 * Jacobian: its gradient is zero, not 0/0.
 */
export function lmlVjp(y: Tensor, yBar: Tensor | null, nuBar: Tensor | null): Tensor {
  const n = y.shape[y.ndim - 1]!;
  const rows = y.size / n;
  const out = new Float64Array(y.size);
  const yd = y.data;
  for (let r = 0; r < rows; r++) {
    const off = r * n;
    let sumD = 0;
    let sumDyBar = 0;
    for (let i = off; i < off + n; i++) {
      const d = yd[i]! * (1 - yd[i]!);
      sumD += d;
      if (yBar) sumDyBar += d * yBar.data[i]!;
    }
    if (sumD === 0) continue;
    const shift = (sumDyBar + (nuBar ? nuBar.data[r]! : 0)) / sumD;
    for (let i = off; i < off + n; i++) {
      const d = yd[i]! * (1 - yd[i]!);
      out[i] = d * ((yBar ? yBar.data[i]! : 0) - shift);
    }
  }
  return new Tensor(out, y.shape);
}
