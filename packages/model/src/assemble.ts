import type { CscPattern } from '@argmin/autodiff/kernels';
import type { ConeSpec } from '@argmin/nodes-convex';
import { buildAffineMap, type AffineMap, type Segment } from './affine-map.js';
import type { ConeBuilder } from './canon.js';
import type { Lin, Row } from './lin.js';

/** What the cone node accepts: a quadratic term P, and A's values on a sparse pattern. */
export interface ConeEngine {
  /** P as the node's quadratic term; 'auto': when the program has curved cones (else rewritten). */
  readonly quadratic: boolean | 'auto';
  /** A's values on a CSC pattern (`Aval`); 'auto': when A is large and mostly empty (see SPARSE_DENSITY). */
  readonly sparse: boolean | 'auto';
}

/** 'auto' emits a sparse A when it has at least SPARSE_MIN_ENTRIES cells and at most this fraction filled. */
export const SPARSE_DENSITY = 0.05;
export const SPARSE_MIN_ENTRIES = 20_000;

/**
 * The default ('auto' for both): A dense for small or dense programs and on its sparsity pattern
 * (`Aval`) when it is large and mostly empty; a quadratic objective that meets curved cones as the
 * node's quadratic term P (`Pval`: the node polishes and differentiates such programs exactly on
 * its natural residual map, nodes-convex/src/cone/quadratic-map.ts), and one without curved cones
 * rewritten into a rotated SOC (sumSquares) or a PSD Schur complement (a parametric quadForm),
 * where the LP-form polish covers it. Pure QPs go to the qp node (compile.ts).
 */
export function coneEngine(): ConeEngine {
  return { quadratic: 'auto', sparse: 'auto' };
}

export interface Assembled {
  readonly target: 'qp' | 'cone';
  readonly n: number;
  readonly cones: ConeSpec;
  readonly rows: { readonly zero: number; readonly nonneg: number; readonly total: number };
  readonly map: AffineMap;
  readonly segments: readonly Segment[];
  readonly sparsity?: { readonly A?: CscPattern; readonly P?: CscPattern };
}

/** The CSC pattern of the (row, column) pairs, and each pair's position in it. */
function patternOf(
  pairs: readonly (readonly [number, number])[],
  nrows: number,
  ncols: number,
): { pattern: CscPattern; pos: Map<number, number> } {
  const keys = [...new Set(pairs.map(([i, j]) => j * nrows + i))].sort((a, b) => a - b);
  const colPtr = new Int32Array(ncols + 1);
  const rowIdx = new Int32Array(keys.length);
  const pos = new Map<number, number>();
  keys.forEach((k, p) => {
    const j = Math.floor(k / nrows);
    rowIdx[p] = k % nrows;
    colPtr[j + 1]!++;
    pos.set(k, p);
  });
  for (let j = 0; j < ncols; j++) colPtr[j + 1]! += colPtr[j]!;
  return { pattern: { nrows, ncols, colPtr, rowIdx }, pos };
}

/**
 * Lays the program's data out as one vector and emits the affine map's entries: rows s = Fx + g
 * become A = −F and b = g; the objective's linear part becomes c (or p); P (keyed a·2²⁶ + b,
 * both triangles) becomes Q dense for the QP node, or its upper triangle on a pattern.
 */
export function assemble(
  target: 'qp' | 'cone',
  cones: ConeBuilder,
  objective: Lin,
  P: ReadonlyMap<number, Row>,
  nTheta: number,
  engine: ConeEngine,
): Assembled {
  const n = cones.nVars;
  const socRows = cones.soc.flat();
  const psdRows = cones.psd.flatMap((b) => b.rows);
  const expRows = cones.exp.flat();
  const powerRows = cones.power.flatMap((b) => b.rows);
  const spec: ConeSpec = {
    ...(cones.zero.length ? { zero: cones.zero.length } : {}),
    ...(cones.nonneg.length ? { nonneg: cones.nonneg.length } : {}),
    ...(cones.soc.length ? { soc: cones.soc.map((b) => b.length) } : {}),
    ...(cones.psd.length ? { psd: cones.psd.map((b) => b.order) } : {}),
    ...(cones.exp.length ? { exp: cones.exp.length } : {}),
    ...(cones.power.length ? { power: cones.power.map((b) => b.alpha) } : {}),
  };
  const segments: Segment[] = [];
  const entries: [number, number, number][] = [];
  let offset = 0;
  const segment = (name: string, shape: readonly number[]): number => {
    const start = offset;
    segments.push({ name, offset: start, shape });
    offset += shape.reduce((a, b) => a * b, 1);
    return start;
  };
  const term = (data: number, p: number, w: number) => entries.push([data, p < 0 ? nTheta : p, w]);
  const sparsity: { A?: CscPattern; P?: CscPattern } = {};

  /** Rows s = Fx + g as A (dense row-major, or values on a pattern) and b. */
  const constraintBlock = (rows: readonly Row[], aName: string, bName: string, sparse: boolean) => {
    if (rows.length === 0) return;
    const m = rows.length;
    let where: (i: number, v: number) => number;
    if (sparse) {
      const pairs: [number, number][] = [];
      rows.forEach((r, i) => {
        for (let t = 0; t < r.length; t += 3) if (r[t]! >= 0) pairs.push([i, r[t]!]);
      });
      const { pattern, pos } = patternOf(pairs, m, n);
      sparsity.A = pattern;
      const a = segment(aName, [pattern.colPtr[n]!]);
      where = (i, v) => a + pos.get(v * m + i)!;
    } else {
      const a = segment(aName, [m, n]);
      where = (i, v) => a + i * n + v;
    }
    const b = segment(bName, [m]);
    rows.forEach((r, i) => {
      for (let t = 0; t < r.length; t += 3) {
        if (r[t]! >= 0) term(where(i, r[t]!), r[t + 1]!, -r[t + 2]!);
        else term(b + i, r[t + 1]!, r[t + 2]!);
      }
    });
  };
  const pEntries = [...P].map(([key, r]) => [Math.floor(key / 2 ** 26), key % 2 ** 26, r] as const);
  if (target === 'qp') {
    const q = segment('Q', [n, n]);
    for (const [i, j, r] of pEntries) for (let t = 0; t < r.length; t += 3) term(q + i * n + j, r[t + 1]!, r[t + 2]!);
  }
  const c = segment(target === 'qp' ? 'p' : 'c', [n]);
  const obj = objective.rows[0]!;
  for (let t = 0; t < obj.length; t += 3) if (obj[t]! >= 0) term(c + obj[t]!, obj[t + 1]!, obj[t + 2]!);
  if (target === 'qp') {
    constraintBlock(cones.zero, 'A', 'b', false);
    constraintBlock(cones.nonneg, 'G', 'h', false);
  } else {
    const all = [...cones.zero, ...cones.nonneg, ...socRows, ...psdRows, ...expRows, ...powerRows];
    const sparse = engine.sparse === 'auto' ? mostlyEmpty(all, n) : engine.sparse;
    constraintBlock(all, sparse ? 'Aval' : 'A', 'b', sparse);
    const upper = pEntries.filter(([i, j]) => i <= j);
    if (upper.length > 0) {
      const { pattern, pos } = patternOf(
        upper.map(([i, j]) => [i, j] as const),
        n,
        n,
      );
      sparsity.P = pattern;
      const p = segment('Pval', [pattern.colPtr[n]!]);
      for (const [i, j, r] of upper) for (let t = 0; t < r.length; t += 3) term(p + pos.get(j * n + i)!, r[t + 1]!, r[t + 2]!);
    }
  }
  const total = cones.zero.length + cones.nonneg.length + socRows.length + psdRows.length + expRows.length + powerRows.length;
  return {
    target,
    n,
    cones: spec,
    rows: { zero: cones.zero.length, nonneg: cones.nonneg.length, total },
    map: buildAffineMap(offset, nTheta, entries),
    segments,
    ...(sparsity.A || sparsity.P ? { sparsity } : {}),
  };
}

/** Whether rows over n variables fill at most SPARSE_DENSITY of a matrix of SPARSE_MIN_ENTRIES cells or more. */
function mostlyEmpty(rows: readonly Row[], n: number): boolean {
  const cells = rows.length * n;
  if (cells < SPARSE_MIN_ENTRIES) return false;
  const seen = new Set<number>();
  rows.forEach((r, i) => {
    for (let t = 0; t < r.length; t += 3) if (r[t]! >= 0) seen.add(i * n + r[t]!);
  });
  return seen.size <= SPARSE_DENSITY * cells;
}
