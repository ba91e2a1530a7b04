/**
 * Symmetric eigendecomposition A = V·diag(d)·Vᵀ by Householder tridiagonalisation and the
 * implicit QL algorithm (EISPACK tred2/tql2, as in JAMA): O(n³), backward stable, eigenvalues
 * ascending, eigenvectors in the columns of V (row-major n×n). Used by the PSD cone (projection and
 * scaling) and by the modeling layer to factor constant quadratic forms.
 */
export interface SymmetricEigen {
  readonly n: number;
  /** Eigenvalues, ascending. */
  readonly values: Float64Array;
  /** Row-major n×n; column j is the eigenvector of values[j]. */
  readonly vectors: Float64Array;
}

const EPS = 2 ** -52;
/** Relative to the matrix's largest entry, magnitudes below this are zero (see symmetricEigen). */
const TINY = 1e-100;

/** Eigendecomposition of the symmetric n×n matrix at `a[off…]` (only read). */
export function symmetricEigen(a: Float64Array, n: number, off = 0): SymmetricEigen {
  const V = a.slice(off, off + n * n);
  // Symmetrise from the lower triangle so round-off in the caller's upper half is ignored.
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) V[j * n + i] = V[i * n + j]!;
  const d = new Float64Array(n);
  const e = new Float64Array(n);
  // Scale to unit max magnitude and flush entries below 1e-100 of it (far below the ε·‖A‖ the
  // method promises): their squares and products would underflow and make the QL shifts divide
  // by zero (entries spanning 1e-34 to 1e-211 gave NaN eigenvectors).
  let scale = 0;
  for (let i = 0; i < n * n; i++) scale = Math.max(scale, Math.abs(V[i]!));
  if (scale === 0 || !Number.isFinite(scale)) {
    V.fill(0);
    for (let i = 0; i < n; i++) V[i * n + i] = 1;
    if (!Number.isFinite(scale)) d.fill(NaN);
    return { n, values: d, vectors: V };
  }
  for (let i = 0; i < n * n; i++) {
    const x = V[i]! / scale;
    V[i] = Math.abs(x) < TINY ? 0 : x;
  }
  if (n === 1) {
    d[0] = V[0]! * scale;
    V[0] = 1;
    return { n, values: d, vectors: V };
  }
  tred2(V, d, e, n);
  tql2(V, d, e, n);
  for (let i = 0; i < n; i++) d[i]! *= scale;
  return { n, values: d, vectors: V };
}

function tred2(V: Float64Array, d: Float64Array, e: Float64Array, n: number): void {
  for (let j = 0; j < n; j++) d[j] = V[(n - 1) * n + j]!;
  for (let i = n - 1; i > 0; i--) {
    let scale = 0;
    let h = 0;
    for (let k = 0; k < i; k++) scale += Math.abs(d[k]!);
    if (scale === 0) {
      e[i] = d[i - 1]!;
      for (let j = 0; j < i; j++) {
        d[j] = V[(i - 1) * n + j]!;
        V[i * n + j] = 0;
        V[j * n + i] = 0;
      }
    } else {
      for (let k = 0; k < i; k++) {
        d[k]! /= scale;
        h += d[k]! * d[k]!;
      }
      let f = d[i - 1]!;
      let g = Math.sqrt(h);
      if (f > 0) g = -g;
      e[i] = scale * g;
      h -= f * g;
      d[i - 1] = f - g;
      for (let j = 0; j < i; j++) e[j] = 0;
      for (let j = 0; j < i; j++) {
        f = d[j]!;
        V[j * n + i] = f;
        g = e[j]! + V[j * n + j]! * f;
        for (let k = j + 1; k <= i - 1; k++) {
          g += V[k * n + j]! * d[k]!;
          e[k]! += V[k * n + j]! * f;
        }
        e[j] = g;
      }
      f = 0;
      for (let j = 0; j < i; j++) {
        e[j]! /= h;
        f += e[j]! * d[j]!;
      }
      const hh = f / (h + h);
      for (let j = 0; j < i; j++) e[j]! -= hh * d[j]!;
      for (let j = 0; j < i; j++) {
        f = d[j]!;
        g = e[j]!;
        for (let k = j; k <= i - 1; k++) V[k * n + j]! -= f * e[k]! + g * d[k]!;
        d[j] = V[(i - 1) * n + j]!;
        V[i * n + j] = 0;
      }
    }
    d[i] = h;
  }
  // Accumulate the transformations.
  for (let i = 0; i < n - 1; i++) {
    V[(n - 1) * n + i] = V[i * n + i]!;
    V[i * n + i] = 1;
    const h = d[i + 1]!;
    if (h !== 0) {
      for (let k = 0; k <= i; k++) d[k] = V[k * n + i + 1]! / h;
      for (let j = 0; j <= i; j++) {
        let g = 0;
        for (let k = 0; k <= i; k++) g += V[k * n + i + 1]! * V[k * n + j]!;
        for (let k = 0; k <= i; k++) V[k * n + j]! -= g * d[k]!;
      }
    }
    for (let k = 0; k <= i; k++) V[k * n + i + 1] = 0;
  }
  for (let j = 0; j < n; j++) {
    d[j] = V[(n - 1) * n + j]!;
    V[(n - 1) * n + j] = 0;
  }
  V[(n - 1) * n + n - 1] = 1;
  e[0] = 0;
}

function tql2(V: Float64Array, d: Float64Array, e: Float64Array, n: number): void {
  for (let i = 1; i < n; i++) e[i - 1] = e[i]!;
  e[n - 1] = 0;
  let f = 0;
  // The deflation test is relative to the part of T seen so far (small eigenvalues keep relative
  // accuracy) but never below TINY·‖T‖, where the rotations' products would underflow.
  let norm = 0;
  for (let i = 0; i < n; i++) norm = Math.max(norm, Math.abs(d[i]!) + Math.abs(e[i]!));
  let tst1 = (TINY / EPS) * norm;
  for (let l = 0; l < n; l++) {
    tst1 = Math.max(tst1, Math.abs(d[l]!) + Math.abs(e[l]!));
    let m = l;
    while (m < n - 1 && Math.abs(e[m]!) > EPS * tst1) m++;
    if (m > l) {
      let iter = 0;
      do {
        if (++iter > 60) break; // never seen in practice; keeps a NaN input from looping forever
        let g = d[l]!;
        let p = (d[l + 1]! - g) / (2 * e[l]!);
        let r = Math.hypot(p, 1);
        if (p < 0) r = -r;
        d[l] = e[l]! / (p + r);
        d[l + 1] = e[l]! * (p + r);
        const dl1 = d[l + 1]!;
        let h = g - d[l]!;
        for (let i = l + 2; i < n; i++) d[i]! -= h;
        f += h;
        p = d[m]!;
        let c = 1;
        let c2 = c;
        let c3 = c;
        const el1 = e[l + 1]!;
        let s = 0;
        let s2 = 0;
        for (let i = m - 1; i >= l; i--) {
          c3 = c2;
          c2 = c;
          s2 = s;
          g = c * e[i]!;
          h = c * p;
          r = Math.hypot(p, e[i]!);
          e[i + 1] = s * r;
          s = e[i]! / r;
          c = p / r;
          p = c * d[i]! - s * g;
          d[i + 1] = h + s * (c * g + s * d[i]!);
          for (let k = 0; k < n; k++) {
            const row = k * n;
            h = V[row + i + 1]!;
            V[row + i + 1] = s * V[row + i]! + c * h;
            V[row + i] = c * V[row + i]! - s * h;
          }
        }
        p = (-s * s2 * c3 * el1 * e[l]!) / dl1;
        e[l] = s * p;
        d[l] = c * p;
      } while (Math.abs(e[l]!) > EPS * tst1);
    }
    d[l] = d[l]! + f;
    e[l] = 0;
  }
  // Selection sort, ascending, moving the eigenvector columns along.
  for (let i = 0; i < n - 1; i++) {
    let k = i;
    let p = d[i]!;
    for (let j = i + 1; j < n; j++) if (d[j]! < p) (k = j), (p = d[j]!);
    if (k !== i) {
      d[k] = d[i]!;
      d[i] = p;
      for (let j = 0; j < n; j++) {
        const t = V[j * n + i]!;
        V[j * n + i] = V[j * n + k]!;
        V[j * n + k] = t;
      }
    }
  }
}
