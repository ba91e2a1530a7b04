/**
 * The central difference of a projection Π at v along t with step h, or null where the two
 * one-sided differences disagree by more than `kink` (a kink of Π within the step, where the
 * central difference says nothing about the derivative).
 */
export function centralDifference(
  project: (v: Float64Array) => Float64Array,
  v: Float64Array,
  t: Float64Array,
  h: number,
  kink: number,
): Float64Array | null {
  const p0 = project(v);
  const plus = project(v.map((x, i) => x + h * t[i]!));
  const minus = project(v.map((x, i) => x - h * t[i]!));
  let gap = 0;
  const out = new Float64Array(v.length);
  for (let i = 0; i < out.length; i++) {
    const forward = (plus[i]! - p0[i]!) / h;
    const backward = (p0[i]! - minus[i]!) / h;
    gap = Math.max(gap, Math.abs(forward - backward));
    out[i] = 0.5 * (forward + backward);
  }
  return gap < kink ? out : null;
}
