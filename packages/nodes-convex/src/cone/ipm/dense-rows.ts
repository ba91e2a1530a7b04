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

/**
 * rowsTimesVector for two vectors at once (x → out, y → outY): each entry of a loaded once for
 * both; every sum in rowsTimesVector's order, so each result is that function's bit for bit.
 */
export function rowsTimesTwo(
  a: Float64Array,
  from: number,
  to: number,
  n: number,
  x: Float64Array,
  y: Float64Array,
  out: Float64Array,
  outY: Float64Array,
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
    let t0 = 0;
    let t1 = 0;
    let t2 = 0;
    let t3 = 0;
    for (let j = 0; j < n; j++) {
      const xj = x[j]!;
      const yj = y[j]!;
      const a0 = a[r0 + j]!;
      const a1 = a[r1 + j]!;
      const a2 = a[r2 + j]!;
      const a3 = a[r3 + j]!;
      s0 += a0 * xj;
      s1 += a1 * xj;
      s2 += a2 * xj;
      s3 += a3 * xj;
      t0 += a0 * yj;
      t1 += a1 * yj;
      t2 += a2 * yj;
      t3 += a3 * yj;
    }
    out[i] = s0;
    out[i + 1] = s1;
    out[i + 2] = s2;
    out[i + 3] = s3;
    outY[i] = t0;
    outY[i + 1] = t1;
    outY[i + 2] = t2;
    outY[i + 3] = t3;
  }
  for (; i < to; i++) {
    const r = i * n;
    let s = 0;
    let t = 0;
    for (let j = 0; j < n; j++) {
      s += a[r + j]! * x[j]!;
      t += a[r + j]! * y[j]!;
    }
    out[i] = s;
    outY[i] = t;
  }
}

/** addRowsTimes for two vectors at once (v → out, w → outW), bit for bit that function's results. */
export function addRowsTimesTwo(
  a: Float64Array,
  from: number,
  to: number,
  n: number,
  v: Float64Array,
  w: Float64Array,
  out: Float64Array,
  outW: Float64Array,
): void {
  let i = from;
  for (; i + 3 < to; i += 4) {
    const r0 = i * n;
    const r1 = r0 + n;
    const r2 = r1 + n;
    const r3 = r2 + n;
    const v0 = v[i]!;
    const v1 = v[i + 1]!;
    const v2 = v[i + 2]!;
    const v3 = v[i + 3]!;
    const w0 = w[i]!;
    const w1 = w[i + 1]!;
    const w2 = w[i + 2]!;
    const w3 = w[i + 3]!;
    for (let j = 0; j < n; j++) {
      const a0 = a[r0 + j]!;
      const a1 = a[r1 + j]!;
      const a2 = a[r2 + j]!;
      const a3 = a[r3 + j]!;
      out[j]! += a0 * v0 + a1 * v1 + (a2 * v2 + a3 * v3);
      outW[j]! += a0 * w0 + a1 * w1 + (a2 * w2 + a3 * w3);
    }
  }
  for (; i < to; i++) {
    const r = i * n;
    const vi = v[i]!;
    const wi = w[i]!;
    if (vi !== 0) for (let j = 0; j < n; j++) out[j]! += a[r + j]! * vi;
    if (wi !== 0) for (let j = 0; j < n; j++) outW[j]! += a[r + j]! * wi;
  }
}
