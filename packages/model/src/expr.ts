import { ShapeError, type Tensor } from '@argmin/autodiff';
import { at, reshape, slice, transpose } from './shape-ops.js';

/**
 * Expressions of the modeling language: an immutable tree of variables, parameters, constants
 * and atoms, each node with its shape (row-major; [] is a scalar). The tree knows nothing about
 * convexity (dcp.ts) or cones (canon*.ts); it only builds and prints.
 */
export type Shape = readonly number[];

/** Anything an expression method accepts: an expression, a number, a nested array or a Tensor. */
export type ExprLike = Expr | number | readonly number[] | readonly (readonly number[])[] | Tensor;

export type Op = 'variable' | 'parameter' | 'constant' | 'add' | 'neg' | 'mul' | 'matmul' | 'sum' | 'gather' | 'concat' | 'atom';

/** Declared properties of a leaf: signs, and PSD / symmetric matrices. */
export interface LeafOptions {
  readonly name?: string;
  readonly nonneg?: boolean;
  readonly nonpos?: boolean;
  /** A symmetric positive semidefinite matrix (square shapes only). */
  readonly psd?: boolean;
  readonly symmetric?: boolean;
}

let nextId = 0;

export const sizeOf = (s: Shape): number => s.reduce((a, b) => a * b, 1);
const fmtShape = (s: Shape): string => `[${s.join(',')}]`;

export class Expr {
  /** Unique id of a leaf (variables and parameters are compared by identity). */
  readonly id: number = nextId++;
  constructor(
    readonly op: Op,
    readonly shape: Shape,
    readonly args: readonly Expr[] = [],
    /** Op data: the atom name, gather indices, constant values, a leaf's options, an axis … */
    readonly data: ExprData = {},
  ) {}

  get size(): number {
    return sizeOf(this.shape);
  }
  get ndim(): number {
    return this.shape.length;
  }

  add(other: ExprLike): Expr {
    return add(this, other);
  }
  sub(other: ExprLike): Expr {
    return add(this, neg(other));
  }
  neg(): Expr {
    return neg(this);
  }
  /** Elementwise product (a scalar broadcasts). One side must be free of variables (DCP). */
  mul(other: ExprLike): Expr {
    return mul(this, other);
  }
  div(k: number): Expr {
    return mul(this, 1 / k);
  }
  matmul(other: ExprLike): Expr {
    return matmul(this, other);
  }
  /** Inner product of two vectors (or matrices, entrywise). */
  dot(other: ExprLike): Expr {
    return sum(mul(this, other));
  }
  sum(axis?: number): Expr {
    return sum(this, axis);
  }
  /** Row-major entries, like numpy's x[i] on the first axis, or x[i, j] with two indices. */
  at(...idx: number[]): Expr {
    return at(this, ...idx);
  }
  /** x[start:end] along `axis` (default 0). */
  slice(start: number, end: number, axis = 0): Expr {
    return slice(this, start, end, axis);
  }
  reshape(shape: Shape): Expr {
    return reshape(this, shape);
  }
  get T(): Expr {
    return transpose(this);
  }
  le(other: ExprLike): Constraint {
    return new Constraint('le', this, asExpr(other));
  }
  ge(other: ExprLike): Constraint {
    return new Constraint('le', asExpr(other), this);
  }
  eq(other: ExprLike): Constraint {
    return new Constraint('eq', this, asExpr(other));
  }
  /** this ⪰ other in the PSD order (both square, symmetric). */
  psdGe(other: ExprLike = 0): Constraint {
    return new Constraint('psd', asExpr(other), this);
  }
  psdLe(other: ExprLike): Constraint {
    return new Constraint('psd', this, asExpr(other));
  }
  toString(): string {
    return format(this);
  }
}

export interface ExprData {
  readonly atom?: string;
  readonly indices?: Int32Array;
  readonly values?: Float64Array;
  readonly leaf?: LeafOptions;
  readonly axis?: number;
  /** An atom's numeric argument (huber's M, the norm's and power's p). */
  readonly k?: number;
  /** geoMean's weights, normalized to sum 1 (absent: all equal). */
  readonly weights?: Float64Array;
  /** How to print a gather (e.g. 'x[1:3]', 'xᵀ'). */
  readonly text?: string;
}

/** A constraint lhs ≤ rhs, lhs = rhs, or rhs − lhs ⪰ 0 ('psd'). */
export class Constraint {
  readonly id: number = nextId++;
  constructor(
    readonly kind: 'le' | 'eq' | 'psd',
    readonly lhs: Expr,
    readonly rhs: Expr,
  ) {
    if (kind === 'psd') {
      const s = broadcastShape(lhs, rhs, kind === 'psd' ? '⪯' : '');
      if (s.length !== 2 || s[0] !== s[1]) {
        throw new ShapeError(`model: a PSD constraint needs square matrices, got ${fmtShape(lhs.shape)} ⪯ ${fmtShape(rhs.shape)}`);
      }
    } else broadcastShape(lhs, rhs, kind === 'eq' ? '==' : '<=');
  }
  /** The expression constrained to the cone: rhs − lhs (≥ 0, = 0 or ⪰ 0). */
  get expr(): Expr {
    return add(this.rhs, neg(this.lhs));
  }
  get shape(): Shape {
    return broadcastShape(this.lhs, this.rhs, '');
  }
  toString(): string {
    const sym = this.kind === 'le' ? '<=' : this.kind === 'eq' ? '==' : '<<';
    return `${format(this.lhs)} ${sym} ${format(this.rhs)}`;
  }
}

/** Wraps numbers, arrays and tensors as constants. */
export function asExpr(x: ExprLike): Expr {
  if (x instanceof Expr) return x;
  if (typeof x === 'number') return constant(x);
  if (Array.isArray(x)) return constant(x as readonly number[]);
  return constant(x as Tensor);
}

export function constant(value: number | readonly number[] | readonly (readonly number[])[] | Tensor): Expr {
  if (typeof value === 'number') return new Expr('constant', [], [], { values: Float64Array.of(value) });
  if (Array.isArray(value)) {
    if (value.length > 0 && Array.isArray(value[0])) {
      const rows = value as readonly (readonly number[])[];
      const cols = rows[0]!.length;
      if (rows.some((r) => r.length !== cols)) throw new ShapeError('model: constant(): ragged nested array');
      return new Expr('constant', [rows.length, cols], [], { values: Float64Array.from(rows.flat()) });
    }
    return new Expr('constant', [value.length], [], { values: Float64Array.from(value as readonly number[]) });
  }
  const t = value as Tensor;
  return new Expr('constant', t.shape, [], { values: Float64Array.from(t.data) });
}

function leafShape(kind: string, shape: Shape | number, opts: LeafOptions): Shape {
  const s = typeof shape === 'number' ? [shape] : shape;
  if (s.length > 2 || s.some((d) => !Number.isInteger(d) || d < 1)) {
    throw new ShapeError(`model: ${kind} shape must be [], [n] or [m, n] with positive sizes, got ${fmtShape(s)}`);
  }
  if ((opts.psd || opts.symmetric) && (s.length !== 2 || s[0] !== s[1])) {
    throw new ShapeError(`model: a ${opts.psd ? 'PSD' : 'symmetric'} ${kind} must be square, got ${fmtShape(s)}`);
  }
  return s;
}

/** An optimization variable. */
export function variable(shape: Shape | number = [], options: LeafOptions = {}): Expr {
  return new Expr('variable', leafShape('variable', shape, options), [], { leaf: options });
}

/** A parameter: a constant whose value is given at each layer call, and receives gradients. */
export function parameter(shape: Shape | number = [], options: LeafOptions = {}): Expr {
  return new Expr('parameter', leafShape('parameter', shape, options), [], { leaf: options });
}

/** Shape of an elementwise combination: equal shapes, or one side a scalar. */
export function broadcastShape(a: Expr, b: Expr, what: string): Shape {
  if (a.size === 1 && a.ndim <= b.ndim) return b.shape;
  if (b.size === 1 && b.ndim <= a.ndim) return a.shape;
  if (a.shape.length === b.shape.length && a.shape.every((d, i) => d === b.shape[i])) return a.shape;
  throw new ShapeError(`model: shapes ${fmtShape(a.shape)} and ${fmtShape(b.shape)} do not match in ${format(a)} ${what} ${format(b)}`);
}

export function add(a: ExprLike, b: ExprLike): Expr {
  const x = asExpr(a);
  const y = asExpr(b);
  return new Expr('add', broadcastShape(x, y, '+'), [x, y]);
}

export function neg(a: ExprLike): Expr {
  const x = asExpr(a);
  return new Expr('neg', x.shape, [x]);
}

export function sub(a: ExprLike, b: ExprLike): Expr {
  return add(a, neg(b));
}

export function mul(a: ExprLike, b: ExprLike): Expr {
  const x = asExpr(a);
  const y = asExpr(b);
  return new Expr('mul', broadcastShape(x, y, '*'), [x, y]);
}

export function matmul(a: ExprLike, b: ExprLike): Expr {
  const x = asExpr(a);
  const y = asExpr(b);
  const k1 = x.shape[x.ndim - 1];
  const k2 = y.ndim === 1 ? y.shape[0] : y.shape[0];
  if (x.ndim === 0 || y.ndim === 0 || k1 !== k2) {
    throw new ShapeError(`model: matmul of ${fmtShape(x.shape)} by ${fmtShape(y.shape)} in ${format(x)} @ ${format(y)}`);
  }
  const shape = [...x.shape.slice(0, -1), ...y.shape.slice(1)];
  return new Expr('matmul', shape, [x, y]);
}

/** Sum of all entries, or along an axis. */
export function sum(a: ExprLike, axis?: number): Expr {
  const x = asExpr(a);
  if (axis === undefined) return new Expr('sum', [], [x]);
  if (!Number.isInteger(axis) || axis < 0 || axis >= x.ndim) {
    throw new ShapeError(`model: sum over axis ${axis} of ${format(x)} with shape ${fmtShape(x.shape)}`);
  }
  return new Expr(
    'sum',
    x.shape.filter((_, i) => i !== axis),
    [x],
    { axis },
  );
}

/** An atom application (see atoms.ts for the table of atoms). */
export function atom(name: string, args: readonly Expr[], shape: Shape, k?: number): Expr {
  return new Expr('atom', shape, args, k === undefined ? { atom: name } : { atom: name, k });
}

/** The expression in a compact infix form, e.g. `sumSquares(A @ x - b) + 0.1 * norm1(x)`. */
export function format(e: Expr, parent = 0): string {
  const wrap = (s: string, p: number) => (p < parent ? `(${s})` : s);
  switch (e.op) {
    case 'variable':
    case 'parameter':
      return e.data.leaf?.name ?? `${e.op === 'variable' ? 'x' : 'p'}${e.id}`;
    case 'constant': {
      const v = e.data.values!;
      if (v.length === 1) return String(+v[0]!.toPrecision(4));
      return v.length <= 4 ? `[${Array.from(v, (x) => +x.toPrecision(3)).join(',')}]` : `const${fmtShape(e.shape)}`;
    }
    case 'add': {
      const [a, b] = e.args as [Expr, Expr];
      if (b.op === 'neg') return wrap(`${format(a, 1)} - ${format(b.args[0]!, 2)}`, 1);
      return wrap(`${format(a, 1)} + ${format(b, 1)}`, 1);
    }
    case 'neg':
      return wrap(`-${format(e.args[0]!, 3)}`, 2);
    case 'mul':
      return wrap(`${format(e.args[0]!, 3)} * ${format(e.args[1]!, 4)}`, 3);
    case 'matmul':
      return wrap(`${format(e.args[0]!, 3)} @ ${format(e.args[1]!, 4)}`, 3);
    case 'sum':
      return `sum(${format(e.args[0]!)}${e.data.axis === undefined ? '' : `, axis=${e.data.axis}`})`;
    case 'gather':
      return e.data.text ?? `gather(${format(e.args[0]!)})`;
    case 'concat':
      return `concat([${e.args.map((a) => format(a)).join(', ')}]${e.data.axis ? `, ${e.data.axis}` : ''})`;
    case 'atom': {
      const args = e.args.map((a) => format(a));
      if (e.data.k !== undefined) args.push(String(e.data.k));
      if (e.data.weights) args.push(`[${Array.from(e.data.weights, (w) => +w.toPrecision(3)).join(',')}]`);
      return `${e.data.atom}(${args.join(', ')})`;
    }
  }
}

/** Every variable / parameter leaf of a tree, in first-appearance order. */
export function leaves(roots: readonly Expr[], op: 'variable' | 'parameter'): Expr[] {
  const seen = new Set<Expr>();
  const out: Expr[] = [];
  const visit = (e: Expr) => {
    if (e.op === op) {
      if (!seen.has(e)) {
        seen.add(e);
        out.push(e);
      }
      return;
    }
    for (const a of e.args) visit(a);
  };
  for (const r of roots) visit(r);
  return out;
}
