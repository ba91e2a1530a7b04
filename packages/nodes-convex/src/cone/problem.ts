import { InvalidInputError, ShapeError, type Tensor } from '@argmin/autodiff';
import type { CscPattern } from '@argmin/autodiff/kernels';

/**
 * A cone program  min ½xᵀPx + cᵀx  s.t.  b − Ax = s ∈ K,  with dual
 * max −½xᵀPx − bᵀy  s.t.  Px + Aᵀy + c = 0, y ∈ K*  (P optional: an LP or conic LP without it).
 * A is given dense (`A`, [m, n]) or sparse (`Aval`, its values on `options.sparsity.A`, a CSC
 * pattern); P dense (`P`, [n, n], symmetric PSD) or sparse (`Pval` on `options.sparsity.P`, the
 * upper triangle incl. the diagonal).
 * K is the Cartesian product of the listed cones, in this order (SCS's convention):
 * zero {0}, nonnegative orthant, second-order cones {(t, x): ‖x‖ ≤ t}, PSD cones (each an order-k
 * symmetric matrix stored as its lower triangle column by column, off-diagonals scaled by √2, so
 * k(k+1)/2 rows), exponential cones {(x, y, z): y·exp(x/y) ≤ z, y > 0} (3 rows each), and
 * power cones {(x, y, z): x^α·y^(1−α) ≥ |z|, x, y ≥ 0} (3 rows each, one α ∈ (0, 1) per cone;
 * dual {(u, v, w): (u/α)^α·(v/(1−α))^(1−α) ≥ |w|, u, v ≥ 0}).
 */
export type ConeParams = { A?: Tensor; Aval?: Tensor; b: Tensor; c: Tensor; P?: Tensor; Pval?: Tensor };
export type ConeSolution = { x: Tensor; y: Tensor; s: Tensor };

export interface ConeSpec {
  readonly zero?: number;
  readonly nonneg?: number;
  /** Sizes of the second-order cones (each ≥ 1, the first entry is t). */
  readonly soc?: readonly number[];
  /** Orders of the PSD matrices (each k uses k(k+1)/2 rows). */
  readonly psd?: readonly number[];
  /** Number of exponential cones (3 rows each). */
  readonly exp?: number;
  /** Exponents α ∈ (0, 1) of the power cones, one per cone (3 rows each), after the exponential cones. */
  readonly power?: readonly number[];
}

export type ConeKind = 'zero' | 'nonneg' | 'soc' | 'psd' | 'exp' | 'power';

export interface ConeBlock {
  readonly kind: ConeKind;
  /** First row of the block. */
  readonly offset: number;
  /** Rows of the block. */
  readonly size: number;
  /** Matrix order of a PSD block. */
  readonly order?: number;
  /** Exponent α of a power-cone block. */
  readonly alpha?: number;
}

/** Where each cone's rows sit; built once per call from a {@link ConeSpec}. */
export interface ConeLayout {
  readonly m: number;
  readonly blocks: readonly ConeBlock[];
  /** Whether every cone is self-dual (no zero, exponential or power cone). */
  readonly selfDual: boolean;
}

const NODE = 'convex.cone';

function count(name: string, v: number | undefined): number {
  if (v === undefined) return 0;
  if (!Number.isInteger(v) || v < 0) throw new InvalidInputError(`${NODE}: cones.${name} must be a non-negative integer, got ${v}`);
  return v;
}

function sizes(name: string, v: readonly number[] | undefined, what: string): readonly number[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw new InvalidInputError(`${NODE}: cones.${name} must be an array of ${what}`);
  v.forEach((k, i) => {
    if (!Number.isInteger(k) || k < 1) {
      throw new InvalidInputError(`${NODE}: cones.${name}[${i}] must be a positive integer (${what}), got ${k}`);
    }
  });
  return v;
}

function exponents(v: readonly number[] | undefined): readonly number[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw new InvalidInputError(`${NODE}: cones.power must be an array of exponents α in (0, 1), one per power cone`);
  v.forEach((a, i) => {
    if (typeof a !== 'number' || !Number.isFinite(a) || a <= 0 || a >= 1) {
      throw new InvalidInputError(
        `${NODE}: cones.power[${i}] must be a finite number strictly between 0 and 1 (the exponent α of power cone ${i}), got ${a}`,
      );
    }
  });
  return v;
}

/** The rows taken by a PSD cone of order k. */
export function psdRows(k: number): number {
  return (k * (k + 1)) / 2;
}

/** Checks a cone specification and lays its blocks out row by row. */
export function coneLayout(spec: ConeSpec | undefined): ConeLayout {
  if (spec === undefined || spec === null || typeof spec !== 'object') {
    throw new InvalidInputError(`${NODE}: options.cones is required, e.g. { cones: { nonneg: 3, soc: [4] } }`);
  }
  const known = new Set(['zero', 'nonneg', 'soc', 'psd', 'exp', 'power']);
  for (const key of Object.keys(spec)) {
    if (!known.has(key))
      throw new InvalidInputError(`${NODE}: unknown cone '${key}' in options.cones (expected zero, nonneg, soc, psd, exp, power)`);
  }
  const blocks: ConeBlock[] = [];
  let offset = 0;
  const push = (kind: ConeKind, size: number, extra?: { order: number } | { alpha: number }) => {
    if (size === 0) return;
    blocks.push({ kind, offset, size, ...extra });
    offset += size;
  };
  push('zero', count('zero', spec.zero));
  push('nonneg', count('nonneg', spec.nonneg));
  for (const k of sizes('soc', spec.soc, 'cone sizes')) push('soc', k);
  for (const k of sizes('psd', spec.psd, 'matrix orders')) push('psd', psdRows(k), { order: k });
  const nExp = count('exp', spec.exp);
  for (let i = 0; i < nExp; i++) push('exp', 3);
  for (const alpha of exponents(spec.power)) push('power', 3, { alpha });
  return { m: offset, blocks, selfDual: blocks.every((b) => b.kind !== 'zero' && b.kind !== 'exp' && b.kind !== 'power') };
}

function describeSpec(spec: ConeSpec): string {
  const parts: string[] = [];
  if (spec.zero) parts.push(`zero ${spec.zero}`);
  if (spec.nonneg) parts.push(`nonneg ${spec.nonneg}`);
  if (spec.soc?.length) parts.push(`soc [${spec.soc.join(',')}] = ${spec.soc.reduce((a, b) => a + b, 0)}`);
  if (spec.psd?.length) parts.push(`psd [${spec.psd.join(',')}] = ${spec.psd.map(psdRows).join('+')} (k(k+1)/2 rows per order k)`);
  if (spec.exp) parts.push(`exp ${spec.exp}×3`);
  if (spec.power?.length) parts.push(`power ${spec.power.length}×3`);
  return parts.join(', ') || 'no cones';
}

/**
 * Checks that A (or Aval on its pattern), b, c and P (or Pval) fit together and that the cones
 * take exactly A's rows. Ranks, batch sizes and finiteness are checked by applyNode; this adds
 * what only the cone node knows.
 */
export function validateCone(
  params: ConeParams,
  spec: ConeSpec | undefined,
  sparsity?: { readonly A?: CscPattern; readonly P?: CscPattern },
): ConeLayout {
  const layout = coneLayout(spec);
  const { A, Aval, b, c, P, Pval } = params;
  for (const [name, t] of Object.entries({ b, c })) {
    if (t === undefined) throw new InvalidInputError(`${NODE}: parameter '${name}' is required`);
  }
  if ((A === undefined) === (Aval === undefined))
    throw new InvalidInputError(
      `${NODE}: give exactly one of parameter 'A' (dense [m, n]) and parameter 'Aval' (values on options.sparsity.A)`,
    );
  if (P !== undefined && Pval !== undefined) throw new InvalidInputError(`${NODE}: give at most one of parameter 'P' and parameter 'Pval'`);
  const cn = c.shape[c.ndim - 1];
  let m: number | undefined;
  let n: number | undefined;
  let aShape: string;
  if (A) {
    m = A.shape[A.ndim - 2];
    n = A.shape[A.ndim - 1];
    aShape = `A has ${m} rows and ${n} columns (shape [${A.shape.join(',')}])`;
    if (m === undefined || n === undefined)
      throw new ShapeError(`${NODE}: parameter 'A' must be a matrix [m, n] (or [B, m, n]), got shape [${A.shape.join(',')}]`);
  } else {
    const pat = sparsity?.A;
    if (!pat) throw new InvalidInputError(`${NODE}: parameter 'Aval' needs its pattern in options.sparsity.A (a CscPattern)`);
    checkPattern(pat, 'A');
    m = pat.nrows;
    n = pat.ncols;
    aShape = `A (options.sparsity.A) has ${m} rows and ${n} columns`;
    const nnz = pat.colPtr[pat.ncols]!;
    const len = Aval!.shape[Aval!.ndim - 1];
    if (len !== nnz)
      throw new ShapeError(`${NODE}: parameter 'Aval' has ${len} entries per program but options.sparsity.A has ${nnz} nonzeros`);
  }
  const bm = b.shape[b.ndim - 1];
  if (bm !== m) throw new ShapeError(`${NODE}: parameter 'b' has ${bm} entries (shape [${b.shape.join(',')}]) but ${aShape}`);
  if (cn !== n)
    throw new ShapeError(`${NODE}: parameter 'c' has ${cn} entries (shape [${c.shape.join(',')}]) but A has ${n} columns (${aShape})`);
  if (layout.m !== m) throw new ShapeError(`${NODE}: the cones take ${layout.m} rows (${describeSpec(spec!)}) but ${aShape}`);
  if (n === 0) throw new ShapeError(`${NODE}: parameter 'A' has no columns (the program has no variables)`);
  if (P) {
    if (P.shape[P.ndim - 1] !== n || P.shape[P.ndim - 2] !== n)
      throw new ShapeError(`${NODE}: parameter 'P' must be [${n}, ${n}] (n = ${n} variables), got shape [${P.shape.join(',')}]`);
    const k = n * n;
    for (let o = 0; o < P.size; o += k)
      for (let i = 0; i < n; i++)
        for (let j = 0; j < i; j++) {
          const u = P.data[o + i * n + j]!;
          const v = P.data[o + j * n + i]!;
          if (Math.abs(u - v) > 1e-9 * (1 + Math.abs(u) + Math.abs(v)))
            throw new InvalidInputError(`${NODE}: parameter 'P' must be symmetric, but P[${i}][${j}] = ${u} and P[${j}][${i}] = ${v}`);
        }
  }
  if (Pval) {
    const pat = sparsity?.P;
    if (!pat) throw new InvalidInputError(`${NODE}: parameter 'Pval' needs its pattern in options.sparsity.P (upper triangle of P)`);
    checkPattern(pat, 'P');
    if (pat.nrows !== n || pat.ncols !== n)
      throw new ShapeError(`${NODE}: options.sparsity.P is ${pat.nrows}×${pat.ncols}, but there are ${n} variables`);
    for (let j = 0; j < n; j++)
      for (let q = pat.colPtr[j]!; q < pat.colPtr[j + 1]!; q++)
        if (pat.rowIdx[q]! > j)
          throw new InvalidInputError(`${NODE}: options.sparsity.P must hold P's upper triangle, but column ${j} has row ${pat.rowIdx[q]}`);
    const len = Pval.shape[Pval.ndim - 1];
    if (len !== pat.colPtr[n])
      throw new ShapeError(`${NODE}: parameter 'Pval' has ${len} entries per program but options.sparsity.P has ${pat.colPtr[n]} nonzeros`);
  }
  return layout;
}

function checkPattern(p: CscPattern, name: string): void {
  const where = `${NODE}: options.sparsity.${name}`;
  if (!(p.colPtr instanceof Int32Array) || !(p.rowIdx instanceof Int32Array) || p.colPtr.length !== p.ncols + 1)
    throw new InvalidInputError(`${where} must be a CscPattern (colPtr: Int32Array of ncols + 1, rowIdx: Int32Array)`);
  if (p.colPtr[0] !== 0 || p.colPtr[p.ncols] !== p.rowIdx.length)
    throw new InvalidInputError(`${where}: colPtr must start at 0 and end at nnz = ${p.rowIdx.length}`);
  for (let j = 0; j < p.ncols; j++)
    for (let q = p.colPtr[j]!; q < p.colPtr[j + 1]!; q++) {
      const i = p.rowIdx[q]!;
      if (!(i >= 0 && i < p.nrows) || (q > p.colPtr[j]! && i <= p.rowIdx[q - 1]!))
        throw new InvalidInputError(`${where}: column ${j} has row indices out of range or not strictly increasing`);
    }
}
