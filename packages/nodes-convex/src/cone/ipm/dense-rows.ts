/**
 * Matrix–vector products over a range of rows of a row-major matrix, four rows per pass: the
 * vector is read once for four rows (and, for the transposed product, the output is loaded and
 * stored once for four), which halves the memory operations of a row-at-a-time loop. These are
 * the dense KKT solve's two products with W⁻ᵀA per right side, and the PSD cone's scaling maps.
 */

/** out[outOff + i] = a_i·x[xOff…] for the rows i ∈ [from, to) of a (n columns). */
export function rowsTimesVector(
  a: Float64Array,
  from: number,
  to: number,
  n: number,
  x: Float64Array,
  out: Float64Array,
  xOff = 0,
  outOff = 0,
): void {
  let i = from;
  for (; i + 3 < to; i += 4) {
    const r0 = i * n;
    const r1 = r0 + n;
    const r2 = r1 + n;
    const r3 = r2 + n;
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    for (let j = 0; j < n; j++) {
      const xj = x[xOff + j]!;
      s0 += a[r0 + j]! * xj;
      s1 += a[r1 + j]! * xj;
      s2 += a[r2 + j]! * xj;
      s3 += a[r3 + j]! * xj;
    }
    out[outOff + i] = s0;
    out[outOff + i + 1] = s1;
    out[outOff + i + 2] = s2;
    out[outOff + i + 3] = s3;
  }
  for (; i < to; i++) {
    const r = i * n;
    let s = 0;
    for (let j = 0; j < n; j++) s += a[r + j]! * x[xOff + j]!;
    out[outOff + i] = s;
  }
}

/** out[outOff…] += Σ_{i ∈ [from, to)} a_i·v[vOff + i] (Aᵀv by rows, n columns). */
export function addRowsTimes(
  a: Float64Array,
  from: number,
  to: number,
  n: number,
  v: Float64Array,
  out: Float64Array,
  vOff = 0,
  outOff = 0,
): void {
  let i = from;
  for (; i + 3 < to; i += 4) {
    const r0 = i * n;
    const r1 = r0 + n;
    const r2 = r1 + n;
    const r3 = r2 + n;
    const v0 = v[vOff + i]!;
    const v1 = v[vOff + i + 1]!;
    const v2 = v[vOff + i + 2]!;
    const v3 = v[vOff + i + 3]!;
    for (let j = 0; j < n; j++) out[outOff + j]! += a[r0 + j]! * v0 + a[r1 + j]! * v1 + (a[r2 + j]! * v2 + a[r3 + j]! * v3);
  }
  for (; i < to; i++) {
    const r = i * n;
    const vi = v[vOff + i]!;
    if (vi === 0) continue;
    for (let j = 0; j < n; j++) out[outOff + j]! += a[r + j]! * vi;
  }
}
