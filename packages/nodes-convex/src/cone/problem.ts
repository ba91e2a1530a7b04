import { InvalidInputError, ShapeError, type Tensor } from '@argmin/autodiff';

/**
 * A cone program  min cᵀx  s.t.  b − Ax = s ∈ K,  with dual  max −bᵀy  s.t.  Aᵀy + c = 0, y ∈ K*.
 * K is the Cartesian product of the listed cones, in this order (SCS's convention):
 * zero {0}, nonnegative orthant, second-order cones {(t, x): ‖x‖ ≤ t}, PSD cones (each an order-k
 * symmetric matrix stored as its lower triangle column by column, off-diagonals scaled by √2, so
 * k(k+1)/2 rows), and exponential cones {(x, y, z): y·exp(x/y) ≤ z, y > 0} (3 rows each).
 */
export type ConeParams = { A: Tensor; b: Tensor; c: Tensor };
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
}

export type ConeKind = 'zero' | 'nonneg' | 'soc' | 'psd' | 'exp';

export interface ConeBlock {
  readonly kind: ConeKind;
  /** First row of the block. */
  readonly offset: number;
  /** Rows of the block. */
  readonly size: number;
  /** Matrix order of a PSD block. */
  readonly order?: number;
}

/** Where each cone's rows sit; built once per call from a {@link ConeSpec}. */
export interface ConeLayout {
  readonly m: number;
  readonly blocks: readonly ConeBlock[];
  /** Whether every cone is self-dual (no zero or exponential cone). */
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

/** The rows taken by a PSD cone of order k. */
export function psdRows(k: number): number {
  return (k * (k + 1)) / 2;
}

/** Checks a cone specification and lays its blocks out row by row. */
export function coneLayout(spec: ConeSpec | undefined): ConeLayout {
  if (spec === undefined || spec === null || typeof spec !== 'object') {
    throw new InvalidInputError(`${NODE}: options.cones is required, e.g. { cones: { nonneg: 3, soc: [4] } }`);
  }
  const known = new Set(['zero', 'nonneg', 'soc', 'psd', 'exp']);
  for (const key of Object.keys(spec)) {
    if (!known.has(key))
      throw new InvalidInputError(`${NODE}: unknown cone '${key}' in options.cones (expected zero, nonneg, soc, psd, exp)`);
  }
  const blocks: ConeBlock[] = [];
  let offset = 0;
  const push = (kind: ConeKind, size: number, order?: number) => {
    if (size === 0) return;
    blocks.push(order === undefined ? { kind, offset, size } : { kind, offset, size, order });
    offset += size;
  };
  push('zero', count('zero', spec.zero));
  push('nonneg', count('nonneg', spec.nonneg));
  for (const k of sizes('soc', spec.soc, 'cone sizes')) push('soc', k);
  for (const k of sizes('psd', spec.psd, 'matrix orders')) push('psd', psdRows(k), k);
  const nExp = count('exp', spec.exp);
  for (let i = 0; i < nExp; i++) push('exp', 3);
  return { m: offset, blocks, selfDual: blocks.every((b) => b.kind !== 'zero' && b.kind !== 'exp') };
}

function describeSpec(spec: ConeSpec): string {
  const parts: string[] = [];
  if (spec.zero) parts.push(`zero ${spec.zero}`);
  if (spec.nonneg) parts.push(`nonneg ${spec.nonneg}`);
  if (spec.soc?.length) parts.push(`soc [${spec.soc.join(',')}] = ${spec.soc.reduce((a, b) => a + b, 0)}`);
  if (spec.psd?.length) parts.push(`psd [${spec.psd.join(',')}] = ${spec.psd.map(psdRows).join('+')} (k(k+1)/2 rows per order k)`);
  if (spec.exp) parts.push(`exp ${spec.exp}×3`);
  return parts.join(', ') || 'no cones';
}

/**
 * Checks that A, b and c fit together and that the cones take exactly A's rows. Ranks, batch
 * sizes and finiteness are checked by applyNode; this adds what only the cone node knows.
 */
export function validateCone(params: ConeParams, spec: ConeSpec | undefined): ConeLayout {
  const layout = coneLayout(spec);
  const { A, b, c } = params;
  for (const [name, t] of Object.entries({ A, b, c })) {
    if (t === undefined) throw new InvalidInputError(`${NODE}: parameter '${name}' is required`);
  }
  const m = A.shape[A.ndim - 2];
  const n = A.shape[A.ndim - 1];
  if (m === undefined || n === undefined)
    throw new ShapeError(`${NODE}: parameter 'A' must be a matrix [m, n] (or [B, m, n]), got shape [${A.shape.join(',')}]`);
  const bm = b.shape[b.ndim - 1];
  const cn = c.shape[c.ndim - 1];
  if (bm !== m)
    throw new ShapeError(
      `${NODE}: parameter 'b' has ${bm} entries (shape [${b.shape.join(',')}]) but A has ${m} rows (shape [${A.shape.join(',')}])`,
    );
  if (cn !== n)
    throw new ShapeError(
      `${NODE}: parameter 'c' has ${cn} entries (shape [${c.shape.join(',')}]) but A has ${n} columns (shape [${A.shape.join(',')}])`,
    );
  if (layout.m !== m) {
    throw new ShapeError(
      `${NODE}: the cones take ${layout.m} rows (${describeSpec(spec!)}) but A has ${m} rows (shape [${A.shape.join(',')}])`,
    );
  }
  if (n === 0) throw new ShapeError(`${NODE}: parameter 'A' has no columns (the program has no variables)`);
  return layout;
}
