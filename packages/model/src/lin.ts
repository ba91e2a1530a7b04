import { ShapeError } from '@argmin/autodiff';
import { sizeOf, type Shape } from './expr.js';

/**
 * An affine expression of the canonical program, entry by entry: each entry is a sum of terms
 * w · θₚ · xᵥ, stored flat as triples [v, p, w] with v = −1 for "no variable" (an offset) and
 * p = −1 for "no parameter" (the constant 1). A DPP expression never has a term with two
 * parameters or two variables, so this is exactly the form whose coefficients are linear in the
 * parameters (cvxpylayers' ASA form); the compiler reads A, b, c and P off these terms.
 */
export type Row = number[];

export class Lin {
  constructor(
    readonly shape: Shape,
    readonly rows: readonly Row[],
  ) {}
  get size(): number {
    return this.rows.length;
  }
}

export function linLeaf(kind: 'variable' | 'parameter', offset: number, shape: Shape): Lin {
  const rows = Array.from({ length: sizeOf(shape) }, (_, i) => (kind === 'variable' ? [offset + i, -1, 1] : [-1, offset + i, 1]));
  return new Lin(shape, rows);
}

export function linConst(values: ArrayLike<number>, shape: Shape): Lin {
  return new Lin(
    shape,
    Array.from(values, (v) => (v === 0 ? [] : [-1, -1, v])),
  );
}

export function linScale(a: Lin, k: number): Lin {
  if (k === 1) return a;
  return new Lin(
    a.shape,
    a.rows.map((r) => r.map((x, i) => (i % 3 === 2 ? x * k : x))),
  );
}

const pick = (a: Lin, i: number): Row => (a.size === 1 ? a.rows[0]! : a.rows[i]!);

/** a + b, a scalar side broadcasting. */
export function linAdd(a: Lin, b: Lin): Lin {
  const shape = a.size === 1 && b.size !== 1 ? b.shape : a.shape;
  const n = Math.max(a.size, b.size);
  return new Lin(
    shape,
    Array.from({ length: n }, (_, i) => pick(a, i).concat(pick(b, i))),
  );
}

export const linSub = (a: Lin, b: Lin): Lin => linAdd(a, linScale(b, -1));

export function linGather(a: Lin, indices: ArrayLike<number>, shape: Shape): Lin {
  return new Lin(
    shape,
    Array.from(indices, (i) => a.rows[i]!),
  );
}

/** Sum of all entries, or along one axis. */
export function linSum(a: Lin, axis?: number): Lin {
  if (axis === undefined) return new Lin([], [a.rows.flat()]);
  const shape = a.shape;
  const outShape = shape.filter((_, i) => i !== axis);
  const inner = sizeOf(shape.slice(axis + 1));
  const d = shape[axis]!;
  const out: Row[] = Array.from({ length: sizeOf(outShape) }, () => []);
  a.rows.forEach((r, f) => {
    const o = Math.floor(f / (inner * d)) * inner + (f % inner);
    out[o]!.push(...r);
  });
  return new Lin(outShape, out);
}

export function linConcat(xs: readonly Lin[], axis: number, shape: Shape): Lin {
  const outer = sizeOf(shape.slice(0, axis));
  const rows: Row[] = [];
  for (let o = 0; o < outer; o++) {
    for (const x of xs) {
      const chunk = x.size / outer;
      for (let i = 0; i < chunk; i++) rows.push(x.rows[o * chunk + i]!);
    }
  }
  return new Lin(shape, rows);
}

/** The product of two rows, term by term (bilinear: variables and parameters may meet once). */
function rowProduct(a: Row, b: Row, out: Row): void {
  for (let i = 0; i < a.length; i += 3) {
    for (let j = 0; j < b.length; j += 3) {
      const va = a[i]!;
      const vb = b[j]!;
      const pa = a[i + 1]!;
      const pb = b[j + 1]!;
      if ((va >= 0 && vb >= 0) || (pa >= 0 && pb >= 0)) {
        throw new ShapeError(
          'model: internal: a product term is not bilinear in (parameter, variable); DPP analysis should have rejected it',
        );
      }
      out.push(va >= 0 ? va : vb, pa >= 0 ? pa : pb, a[i + 2]! * b[j + 2]!);
    }
  }
}

/** Elementwise product, a scalar side broadcasting. */
export function linMul(a: Lin, b: Lin): Lin {
  const shape = a.size === 1 && b.size !== 1 ? b.shape : a.shape;
  const n = Math.max(a.size, b.size);
  return new Lin(
    shape,
    Array.from({ length: n }, (_, i) => {
      const out: Row = [];
      rowProduct(pick(a, i), pick(b, i), out);
      return out;
    }),
  );
}

/** Matrix product with numpy's rules for vectors ([k] @ [k, n], [m, k] @ [k], [k] @ [k]). */
export function linMatmul(a: Lin, b: Lin, shape: Shape): Lin {
  const k = a.shape[a.shape.length - 1]!;
  const m = a.shape.length === 2 ? a.shape[0]! : 1;
  const n = b.shape.length === 2 ? b.shape[1]! : 1;
  const rows: Row[] = [];
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      const out: Row = [];
      for (let l = 0; l < k; l++) rowProduct(a.rows[i * k + l]!, b.rows[l * n + j]!, out);
      rows.push(out);
    }
  }
  return new Lin(shape, rows);
}

/** Whether every entry is exactly one distinct variable with coefficient 1 (a variable selection). */
export function selectionOf(a: Lin): number[] | null {
  const vars: number[] = [];
  const seen = new Set<number>();
  for (const r of a.rows) {
    if (r.length !== 3 || r[0]! < 0 || r[1] !== -1 || r[2] !== 1 || seen.has(r[0]!)) return null;
    seen.add(r[0]!);
    vars.push(r[0]!);
  }
  return vars;
}
