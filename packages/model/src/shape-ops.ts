import { ShapeError } from '@argmin/autodiff';
import { asExpr, Expr, format, sizeOf, type ExprLike, type Shape } from './expr.js';

/**
 * Indexing, reshaping and stacking. Every one of them but concat is a gather: a list of row-major
 * source entries and a new shape, so canonicalization has one primitive to handle (lin.ts).
 */
const fmtShape = (s: Shape): string => `[${s.join(',')}]`;

/** Picks entries (row-major flat indices) into a new shape: the one primitive behind indexing. */
export function gather(x: Expr, indices: Int32Array, shape: Shape, text: string): Expr {
  for (const i of indices) {
    if (i < 0 || i >= x.size) throw new ShapeError(`model: index ${i} out of range for ${format(x)} of shape ${fmtShape(x.shape)}`);
  }
  return new Expr('gather', shape, [x], { indices, text });
}

function strides(s: Shape): number[] {
  const out = s.map(() => 1);
  for (let i = s.length - 2; i >= 0; i--) out[i] = out[i + 1]! * s[i + 1]!;
  return out;
}

export function at(x: Expr, ...idx: number[]): Expr {
  if (idx.length === 0 || idx.length > x.ndim)
    throw new ShapeError(`model: ${format(x)} of shape ${fmtShape(x.shape)} indexed with ${idx.length} indices`);
  idx.forEach((i, a) => {
    if (!Number.isInteger(i) || i < 0 || i >= x.shape[a]!) {
      throw new ShapeError(`model: index ${i} out of range on axis ${a} of ${format(x)} with shape ${fmtShape(x.shape)}`);
    }
  });
  const st = strides(x.shape);
  const base = idx.reduce((acc, i, a) => acc + i * st[a]!, 0);
  const rest = x.shape.slice(idx.length);
  const count = sizeOf(rest);
  return gather(
    x,
    Int32Array.from({ length: count }, (_, i) => base + i),
    rest,
    `${format(x)}[${idx.join(',')}]`,
  );
}

export function slice(x: Expr, start: number, end: number, axis = 0): Expr {
  const d = x.shape[axis];
  if (d === undefined || !Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end > d || start >= end) {
    throw new ShapeError(`model: slice ${start}:${end} on axis ${axis} of ${format(x)} with shape ${fmtShape(x.shape)}`);
  }
  const shape = x.shape.map((s, a) => (a === axis ? end - start : s));
  const st = strides(x.shape);
  const outSt = strides(shape);
  const idx = new Int32Array(sizeOf(shape));
  for (let f = 0; f < idx.length; f++) {
    let src = 0;
    for (let a = 0; a < shape.length; a++) {
      const i = Math.floor(f / outSt[a]!) % shape[a]!;
      src += (a === axis ? i + start : i) * st[a]!;
    }
    idx[f] = src;
  }
  const where = x.ndim === 1 ? `${start}:${end}` : axis === 0 ? `${start}:${end},:` : `:,${start}:${end}`;
  return gather(x, idx, shape, `${format(x)}[${where}]`);
}

export function reshape(x: Expr, shape: Shape): Expr {
  if (sizeOf(shape) !== x.size)
    throw new ShapeError(`model: cannot reshape ${format(x)} of shape ${fmtShape(x.shape)} to ${fmtShape(shape)}`);
  return gather(
    x,
    Int32Array.from({ length: x.size }, (_, i) => i),
    shape,
    `reshape(${format(x)}, ${fmtShape(shape)})`,
  );
}

export function transpose(x: Expr): Expr {
  if (x.ndim < 2) return x;
  const [m, n] = x.shape as [number, number];
  const idx = new Int32Array(m * n);
  for (let j = 0; j < n; j++) for (let i = 0; i < m; i++) idx[j * m + i] = i * n + j;
  return gather(x, idx, [n, m], `${format(x)}ᵀ`);
}

/** The diagonal of a square matrix as a vector. */
export function diag(x: Expr): Expr {
  if (x.ndim !== 2 || x.shape[0] !== x.shape[1])
    throw new ShapeError(`model: diag() of ${format(x)} needs a square matrix, got ${fmtShape(x.shape)}`);
  const n = x.shape[0]!;
  return gather(
    x,
    Int32Array.from({ length: n }, (_, i) => i * n + i),
    [n],
    `diag(${format(x)})`,
  );
}

/** Concatenation along an axis; vectors and scalars stack end to end (hstack) when axis = 0. */
export function concat(xs: readonly ExprLike[], axis = 0): Expr {
  const es = xs.map(asExpr).map((e) => (e.ndim === 0 ? reshape(e, [1]) : e));
  const first = es[0];
  if (!first) throw new ShapeError('model: concatenating no expressions');
  const ok = es.every((e) => e.ndim === first.ndim && e.shape.every((d, a) => a === axis || d === first.shape[a]));
  if (!ok || axis >= first.ndim)
    throw new ShapeError(`model: cannot concatenate shapes ${es.map((e) => fmtShape(e.shape)).join(', ')} on axis ${axis}`);
  const shape = first.shape.map((d, a) => (a === axis ? es.reduce((s, e) => s + e.shape[a]!, 0) : d));
  return new Expr('concat', shape, es, { axis });
}

/** Stacks vectors side by side into columns (2-D: along axis 1) or end to end (1-D). */
export function hstack(xs: readonly ExprLike[]): Expr {
  const es = xs.map(asExpr);
  return concat(es, es[0] && es[0].ndim >= 2 ? 1 : 0);
}

/** Stacks vectors as rows of a matrix, or matrices on top of each other. */
export function vstack(xs: readonly ExprLike[]): Expr {
  const es = xs.map(asExpr).map((e) => (e.ndim <= 1 ? reshape(e, [1, e.size]) : e));
  return concat(es, 0);
}
