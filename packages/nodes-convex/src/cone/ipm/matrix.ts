import { dot as dotView, type CscPattern } from '@argmin/autodiff/kernels';

/**
 * The program's matrices as the engine holds them: A dense (row-major m×n) or sparse (CSC on a
 * pattern); P absent, dense (full symmetric n×n) or sparse (CSC upper triangle incl. diagonal).
 * The engine owns these copies (equilibration scales them), never the caller's tensors.
 */
export type Matrix =
  | { readonly kind: 'dense'; readonly rows: number; readonly cols: number; readonly data: Float64Array }
  | { readonly kind: 'csc'; readonly rows: number; readonly cols: number; readonly pattern: CscPattern; readonly values: Float64Array };

/** out ← α·M·x + β·out. */
export function mulAdd(M: Matrix, x: Float64Array, out: Float64Array, alpha: number, beta: number): void {
  const { rows, cols } = M;
  if (beta !== 1) for (let i = 0; i < rows; i++) out[i] = beta === 0 ? 0 : beta * out[i]!;
  if (M.kind === 'dense') {
    const a = M.data;
    for (let i = 0; i < rows; i++) out[i]! += alpha * dotView(cols, a, x, i * cols);
    return;
  }
  const { colPtr, rowIdx } = M.pattern;
  const vals = M.values;
  for (let j = 0; j < cols; j++) {
    const xj = alpha * x[j]!;
    if (xj === 0) continue;
    for (let p = colPtr[j]!; p < colPtr[j + 1]!; p++) out[rowIdx[p]!]! += vals[p]! * xj;
  }
}

/** out ← α·Mᵀ·y + β·out. */
export function mulTAdd(M: Matrix, y: Float64Array, out: Float64Array, alpha: number, beta: number): void {
  const { rows, cols } = M;
  if (beta !== 1) for (let j = 0; j < cols; j++) out[j] = beta === 0 ? 0 : beta * out[j]!;
  if (M.kind === 'dense') {
    const a = M.data;
    for (let i = 0; i < rows; i++) {
      const yi = alpha * y[i]!;
      if (yi === 0) continue;
      const r = i * cols;
      for (let j = 0; j < cols; j++) out[j]! += a[r + j]! * yi;
    }
    return;
  }
  const { colPtr, rowIdx } = M.pattern;
  const vals = M.values;
  for (let j = 0; j < cols; j++) {
    let v = 0;
    for (let p = colPtr[j]!; p < colPtr[j + 1]!; p++) v += vals[p]! * y[rowIdx[p]!]!;
    out[j]! += alpha * v;
  }
}

/** ax ← M·x and aty ← Mᵀ·y; a dense M is read once for both. */
export function mulBoth(M: Matrix, x: Float64Array, y: Float64Array, ax: Float64Array, aty: Float64Array): void {
  if (M.kind !== 'dense') {
    mulAdd(M, x, ax, 1, 0);
    mulTAdd(M, y, aty, 1, 0);
    return;
  }
  const { rows, cols } = M;
  const a = M.data;
  aty.fill(0, 0, cols);
  for (let i = 0; i < rows; i++) {
    const r = i * cols;
    ax[i] = dotView(cols, a, x, r);
    const yi = y[i]!;
    if (yi === 0) continue;
    for (let j = 0; j < cols; j++) aty[j]! += a[r + j]! * yi;
  }
}

/** out ← α·P·x + β·out for a symmetric P (dense full, or CSC upper triangle). */
export function symMulAdd(P: Matrix | null, x: Float64Array, out: Float64Array, alpha: number, beta: number): void {
  if (P === null) {
    for (let i = 0; i < out.length; i++) out[i] = beta === 0 ? 0 : beta * out[i]!;
    return;
  }
  if (P.kind === 'dense') {
    mulAdd(P, x, out, alpha, beta);
    return;
  }
  const n = P.cols;
  if (beta !== 1) for (let i = 0; i < n; i++) out[i] = beta === 0 ? 0 : beta * out[i]!;
  const { colPtr, rowIdx } = P.pattern;
  const vals = P.values;
  for (let j = 0; j < n; j++)
    for (let p = colPtr[j]!; p < colPtr[j + 1]!; p++) {
      const i = rowIdx[p]!;
      out[i]! += alpha * vals[p]! * x[j]!;
      if (i !== j) out[j]! += alpha * vals[p]! * x[i]!;
    }
}

/** Scales M in place to diag(r)·M·diag(c). */
export function scaleInPlace(M: Matrix, r: Float64Array, c: Float64Array): void {
  if (M.kind === 'dense') {
    const { rows, cols, data: a } = M;
    for (let i = 0; i < rows; i++) {
      const ri = r[i]!;
      const row = i * cols;
      for (let j = 0; j < cols; j++) a[row + j]! *= ri * c[j]!;
    }
    return;
  }
  const { colPtr, rowIdx } = M.pattern;
  for (let j = 0; j < M.cols; j++) for (let p = colPtr[j]!; p < colPtr[j + 1]!; p++) M.values[p]! *= r[rowIdx[p]!]! * c[j]!;
}

/** scaleInPlace(M, r, c), then absMax(M, rowOut, colOut, symmetric) of the result, in one pass. */
export function scaleAbsMax(
  M: Matrix,
  r: Float64Array,
  c: Float64Array,
  rowOut: Float64Array,
  colOut: Float64Array,
  symmetric = false,
): void {
  if (M.kind === 'dense') {
    const a = M.data;
    const cols = M.cols;
    for (let i = 0; i < M.rows; i++) {
      const ri = r[i]!;
      const row = i * cols;
      let rmax = rowOut[i]!;
      for (let j = 0; j < cols; j++) {
        const v = a[row + j]! * (ri * c[j]!);
        a[row + j] = v;
        const av = Math.abs(v);
        if (av > rmax) rmax = av;
        if (av > colOut[j]!) colOut[j] = av;
      }
      rowOut[i] = rmax;
    }
    return;
  }
  scaleInPlace(M, r, c);
  absMax(M, rowOut, colOut, symmetric);
}

/** Column and row ∞-norms of M, maxed into `rowOut` and `colOut` (symmetric storage counts both). */
export function absMax(M: Matrix, rowOut: Float64Array, colOut: Float64Array, symmetric = false): void {
  if (M.kind === 'dense') {
    const { rows, cols, data: a } = M;
    for (let i = 0; i < rows; i++) {
      const row = i * cols;
      let rmax = rowOut[i]!;
      for (let j = 0; j < cols; j++) {
        const v = Math.abs(a[row + j]!);
        if (v > rmax) rmax = v;
        if (v > colOut[j]!) colOut[j] = v;
      }
      rowOut[i] = rmax;
    }
    return;
  }
  const { colPtr, rowIdx } = M.pattern;
  for (let j = 0; j < M.cols; j++)
    for (let p = colPtr[j]!; p < colPtr[j + 1]!; p++) {
      const i = rowIdx[p]!;
      const v = Math.abs(M.values[p]!);
      if (v > rowOut[i]!) rowOut[i] = v;
      if (v > colOut[j]!) colOut[j] = v;
      if (symmetric) {
        if (v > rowOut[j]!) rowOut[j] = v;
        if (v > colOut[i]!) colOut[i] = v;
      }
    }
}

export function normInf(v: Float64Array): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) {
    const a = Math.abs(v[i]!);
    if (a > s) s = a;
  }
  return s;
}

export function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/**
 * out ← |M|·|x| (or |M|ᵀ·|x| with `transpose`; for a symmetric `P`, both triangles): the sums
 * of the magnitudes of the terms in each entry of M·x, the scale its round-off is relative to.
 */
export function absMul(M: Matrix | null, x: Float64Array, out: Float64Array, transpose = false, symmetric = false): void {
  out.fill(0);
  if (M === null) return;
  const { rows, cols } = M;
  if (M.kind === 'dense') {
    const a = M.data;
    for (let i = 0; i < rows; i++) {
      const r = i * cols;
      if (transpose) {
        const xi = Math.abs(x[i]!);
        for (let j = 0; j < cols; j++) out[j]! += Math.abs(a[r + j]!) * xi;
      } else {
        let v = 0;
        for (let j = 0; j < cols; j++) v += Math.abs(a[r + j]! * x[j]!);
        out[i] = v;
      }
    }
    return;
  }
  const { colPtr, rowIdx } = M.pattern;
  const vals = M.values;
  for (let j = 0; j < cols; j++)
    for (let p = colPtr[j]!; p < colPtr[j + 1]!; p++) {
      const i = rowIdx[p]!;
      const v = Math.abs(vals[p]!);
      if (transpose) out[j]! += v * Math.abs(x[i]!);
      else out[i]! += v * Math.abs(x[j]!);
      if (symmetric && i !== j) out[j]! += v * Math.abs(x[i]!);
    }
}

/**
 * Ax, Aᵀy, |A|·|x| and |A|ᵀ·|y| in one pass over a dense A, two rows at a time (each entry loaded
 * once for all four; every sum in mulBoth's and absMulBoth's order, so the results are theirs bit
 * for bit). The engine's residuals and its convergence measure read the same point; `absX` is
 * scratch of A's column count.
 */
export function mulBothWithAbs(
  M: Matrix,
  x: Float64Array,
  y: Float64Array,
  out: { readonly ax: Float64Array; readonly aty: Float64Array; readonly absAx: Float64Array; readonly absAty: Float64Array },
  absX: Float64Array,
): void {
  const { ax, aty, absAx, absAty } = out;
  if (M.kind !== 'dense') {
    mulBoth(M, x, y, ax, aty);
    absMulBoth(M, x, y, absAx, absAty);
    return;
  }
  const { rows, cols } = M;
  const a = M.data;
  for (let j = 0; j < cols; j++) absX[j] = Math.abs(x[j]!);
  aty.fill(0, 0, cols);
  absAty.fill(0, 0, cols);
  let i = 0;
  for (; i + 1 < rows; i += 2) {
    const r = i * cols;
    const q = r + cols;
    const y0 = y[i]!;
    const y1 = y[i + 1]!;
    const u0 = Math.abs(y0);
    const u1 = Math.abs(y1);
    // Row i's and row i+1's dot products with x and |x|, two partial sums each (dot()'s order).
    let s0 = 0;
    let s1 = 0;
    let t0 = 0;
    let t1 = 0;
    let v0 = 0;
    let v1 = 0;
    let w0 = 0;
    let w1 = 0;
    let j = 0;
    for (; j + 1 < cols; j += 2) {
      const a0 = a[r + j]!;
      const a1 = a[r + j + 1]!;
      const c0 = a[q + j]!;
      const c1 = a[q + j + 1]!;
      const x0 = x[j]!;
      const x1 = x[j + 1]!;
      s0 += a0 * x0;
      s1 += a1 * x1;
      t0 += c0 * x0;
      t1 += c1 * x1;
      aty[j] = aty[j]! + a0 * y0 + c0 * y1;
      aty[j + 1] = aty[j + 1]! + a1 * y0 + c1 * y1;
      const b0 = Math.abs(a0);
      const b1 = Math.abs(a1);
      const d0 = Math.abs(c0);
      const d1 = Math.abs(c1);
      const z0 = absX[j]!;
      const z1 = absX[j + 1]!;
      v0 += b0 * z0;
      v1 += b1 * z1;
      w0 += d0 * z0;
      w1 += d1 * z1;
      absAty[j] = absAty[j]! + b0 * u0 + d0 * u1;
      absAty[j + 1] = absAty[j + 1]! + b1 * u0 + d1 * u1;
    }
    if (j < cols) {
      const a0 = a[r + j]!;
      const c0 = a[q + j]!;
      s0 += a0 * x[j]!;
      t0 += c0 * x[j]!;
      aty[j] = aty[j]! + a0 * y0 + c0 * y1;
      v0 += Math.abs(a0) * absX[j]!;
      w0 += Math.abs(c0) * absX[j]!;
      absAty[j] = absAty[j]! + Math.abs(a0) * u0 + Math.abs(c0) * u1;
    }
    ax[i] = s0 + s1;
    ax[i + 1] = t0 + t1;
    absAx[i] = v0 + v1;
    absAx[i + 1] = w0 + w1;
  }
  if (i < rows) {
    const r = i * cols;
    const yi = y[i]!;
    const ui = Math.abs(yi);
    let s0 = 0;
    let s1 = 0;
    let v0 = 0;
    let v1 = 0;
    let j = 0;
    for (; j + 1 < cols; j += 2) {
      s0 += a[r + j]! * x[j]!;
      s1 += a[r + j + 1]! * x[j + 1]!;
      v0 += Math.abs(a[r + j]!) * absX[j]!;
      v1 += Math.abs(a[r + j + 1]!) * absX[j + 1]!;
    }
    if (j < cols) {
      s0 += a[r + j]! * x[j]!;
      v0 += Math.abs(a[r + j]!) * absX[j]!;
    }
    for (let k = 0; k < cols; k++) {
      aty[k]! += a[r + k]! * yi;
      absAty[k]! += Math.abs(a[r + k]!) * ui;
    }
    ax[i] = s0 + s1;
    absAx[i] = v0 + v1;
  }
}

/** absMul(M, x, outX) and absMul(M, y, outY, true) (a general M), a dense M read once for both. */
export function absMulBoth(M: Matrix, x: Float64Array, y: Float64Array, outX: Float64Array, outY: Float64Array): void {
  if (M.kind !== 'dense') {
    absMul(M, x, outX);
    absMul(M, y, outY, true);
    return;
  }
  const { rows, cols } = M;
  const a = M.data;
  outY.fill(0, 0, cols);
  for (let i = 0; i < rows; i++) {
    const r = i * cols;
    const yi = Math.abs(y[i]!);
    let v0 = 0;
    let v1 = 0;
    let j = 0;
    for (; j + 1 < cols; j += 2) {
      const a0 = Math.abs(a[r + j]!);
      const a1 = Math.abs(a[r + j + 1]!);
      v0 += a0 * Math.abs(x[j]!);
      v1 += a1 * Math.abs(x[j + 1]!);
      outY[j]! += a0 * yi;
      outY[j + 1]! += a1 * yi;
    }
    for (; j < cols; j++) {
      const a0 = Math.abs(a[r + j]!);
      v0 += a0 * Math.abs(x[j]!);
      outY[j]! += a0 * yi;
    }
    outX[i] = v0 + v1;
  }
}
