import { Tensor, abs, add, exp, expandDims, mul, neg, softmax, softplus, sub, sum, zeros } from '@argmin/autodiff';

/**
 * The closed-form implicit VJP of y = σ(x + ν), 1ᵀy = k. With D = diag(y ⊙ (1 − y)),
 * differentiating gives dν = −1ᵀD dx / 1ᵀD1 and dy = D(dx + 1 dν): the Jacobian is the
 * diagonal-plus-rank-one D − D11ᵀD / 1ᵀD1, so
 *   x̄ = D ȳ − w (1ᵀD ȳ + ν̄),  w = D1 / 1ᵀD1,
 * O(n) per row and no linear solve.
 *
 * Given the logits t = x + ν, D is computed as σ(t)σ(−t) = e^{−|t|}/(1 + e^{−|t|})² rather than
 * y(1 − y): at x = [40, −40] the latter is [0, 4e-18] (1 − y rounds to 0) and sends all of ν̄ to
 * one entry instead of half to each. The weights w are formed in the log domain (log Dᵢ − max),
 * so they stay exact even where every Dᵢ underflows; a row whose D underflows entirely still
 * passes ν̄ on through w, and its ȳ-part is zero as it should be.
 */
export function lmlVjp(y: Tensor, yBar: Tensor | null, nuBar: Tensor | null, logits?: { readonly x: Tensor; readonly nu: Tensor }): Tensor {
  const n = y.shape[y.ndim - 1]!;
  const rows = y.size / n;
  const out = new Float64Array(y.size);
  const yd = y.data;
  const d = new Float64Array(n);
  const logD = new Float64Array(n);
  for (let r = 0; r < rows; r++) {
    const off = r * n;
    let top = -Infinity;
    for (let i = 0; i < n; i++) {
      const v = yd[off + i]!;
      if (logits) {
        // For 0 < y ≤ ½ the logit of y is exact to rounding (x + ν may cancel when ν is huge);
        // above ½, 1 − y loses digits, and x + ν is used.
        const a = v > 0 && v <= 0.5 ? Math.log1p(-v) - Math.log(v) : Math.abs(logits.x.data[off + i]! + logits.nu.data[r]!);
        logD[i] = -a - 2 * Math.log1p(Math.exp(-a));
        d[i] = Math.exp(logD[i]!);
      } else {
        d[i] = v * (1 - v);
        logD[i] = Math.log(d[i]!);
      }
      top = Math.max(top, logD[i]!);
    }
    if (top === -Infinity) continue; // a saturated row without logits: zero Jacobian
    let sumW = 0;
    let sumDyBar = 0;
    for (let i = 0; i < n; i++) {
      sumW += Math.exp(logD[i]! - top);
      if (yBar) sumDyBar += d[i]! * yBar.data[off + i]!;
    }
    const shift = sumDyBar + (nuBar ? nuBar.data[r]! : 0);
    for (let i = 0; i < n; i++) {
      const w = Math.exp(logD[i]! - top) / sumW;
      out[off + i] = (yBar ? d[i]! * yBar.data[off + i]! : 0) - w * shift;
    }
  }
  return new Tensor(out, y.shape);
}

/**
 * The same VJP written with differentiable ops, for when it is differentiated again (a
 * Hessian-vector product through the node): x̄ = D ȳ − w (1ᵀD ȳ + ν̄) with t = x + ν,
 * log D = −|t| − 2 softplus(−|t|) (= log σ(t)σ(−t), exact where D underflows) and
 * w = softmax(log D) over the row. ν is the node's output, so the tape also sees how ν
 * moves with x.
 */
export function lmlVjpOps(x: Tensor, nu: Tensor, yBar: Tensor | null, nuBar: Tensor | null): Tensor {
  const t = add(x, expandDims(nu, -1));
  const a = neg(abs(t));
  const logD = sub(a, mul(softplus(a), 2));
  const w = softmax(logD, -1);
  const dy = yBar ? mul(exp(logD), yBar) : null;
  const inner = dy ? sum(dy, -1, true) : null;
  const nb = nuBar ? expandDims(nuBar, -1) : null;
  const shift = inner && nb ? add(inner, nb) : (inner ?? nb);
  if (shift === null) return zeros(x.shape);
  const spread = mul(w, shift);
  return dy ? sub(dy, spread) : neg(spread);
}
