import { InvalidInputError, ShapeError, formatShape } from './errors.js';

export type Shape = readonly number[];

/** Nested arrays of numbers, as accepted by {@link tensor}. */
export type NestedArray = number | readonly NestedArray[];

/**
 * A row-major float64 array with a shape. The invariant: a tensor's data is never written after
 * the tensor is made (ops allocate their outputs), so tensors can be shared freely, kept for
 * backward passes and used as map keys by identity.
 */
export class Tensor {
  readonly shape: Shape;
  readonly data: Float64Array;

  /** Takes ownership of `data` without copying; use {@link tensor} to build from user data. */
  constructor(data: Float64Array, shape: Shape) {
    if (data.length !== sizeOf(shape)) {
      throw new ShapeError(`Tensor: data of length ${data.length} does not fit shape ${formatShape(shape)}`);
    }
    this.data = data;
    // Shapes are shared between tensors once frozen (most ops pass an operand's shape on).
    this.shape = Object.isFrozen(shape) ? shape : Object.freeze(shape.slice());
  }

  get size(): number {
    return this.data.length;
  }

  get ndim(): number {
    return this.shape.length;
  }

  /** The single value of a tensor with one element. */
  item(): number {
    if (this.data.length !== 1) {
      throw new ShapeError(`Tensor.item: tensor of shape ${formatShape(this.shape)} has ${this.data.length} elements, not 1`);
    }
    return this.data[0]!;
  }

  /** Nested arrays (a number for a scalar). */
  toArray(): NestedArray {
    const build = (dim: number, offset: number): NestedArray => {
      if (dim === this.shape.length) return this.data[offset]!;
      const n = this.shape[dim]!;
      const stride = sizeOf(this.shape.slice(dim + 1));
      const out: NestedArray[] = [];
      for (let i = 0; i < n; i++) out.push(build(dim + 1, offset + i * stride));
      return out;
    };
    return build(0, 0);
  }

  toString(): string {
    return `Tensor(${formatShape(this.shape)}) ${JSON.stringify(this.toArray())}`;
  }
}

export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Row-major strides of a shape. */
export function stridesOf(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i]!;
  }
  return strides;
}

function inferShape(values: NestedArray): number[] {
  const shape: number[] = [];
  let v: NestedArray = values;
  while (Array.isArray(v)) {
    shape.push(v.length);
    v = (v as readonly NestedArray[])[0] ?? 0;
  }
  return shape;
}

function fill(values: NestedArray, shape: Shape, dim: number, out: Float64Array, offset: number): number {
  if (dim === shape.length) {
    if (typeof values !== 'number') throw new ShapeError(`tensor: ragged nested array (expected a number at depth ${dim})`);
    out[offset] = values;
    return offset + 1;
  }
  if (!Array.isArray(values) || values.length !== shape[dim]) {
    throw new ShapeError(`tensor: ragged nested array (expected length ${shape[dim]} at depth ${dim})`);
  }
  for (const v of values as readonly NestedArray[]) offset = fill(v, shape, dim + 1, out, offset);
  return offset;
}

/**
 * Makes a tensor from a number (shape `[]`), nested arrays, or a flat array / Float64Array with
 * a shape. Always copies, so later changes to the caller's array cannot reach the tensor.
 */
export function tensor(values: NestedArray | Float64Array | readonly number[], shape?: Shape): Tensor {
  if (values instanceof Float64Array || (shape !== undefined && Array.isArray(values) && typeof values[0] !== 'object')) {
    const flat = Float64Array.from(values as ArrayLike<number>);
    const s = shape ?? [flat.length];
    for (const d of s) {
      if (!Number.isInteger(d) || d < 0) throw new ShapeError(`tensor: invalid shape ${formatShape(s)}`);
    }
    return new Tensor(flat, s);
  }
  if (typeof values === 'number') {
    const t = new Tensor(Float64Array.of(values), []);
    return shape ? reshapeData(t, shape) : t;
  }
  const inferred = inferShape(values as NestedArray);
  const out = new Float64Array(sizeOf(inferred));
  fill(values as NestedArray, inferred, 0, out, 0);
  const t = new Tensor(out, inferred);
  return shape ? reshapeData(t, shape) : t;
}

function reshapeData(t: Tensor, shape: Shape): Tensor {
  if (sizeOf(shape) !== t.size) {
    throw new ShapeError(`tensor: ${t.size} values do not fit shape ${formatShape(shape)}`);
  }
  return new Tensor(t.data, shape);
}

export function scalar(value: number): Tensor {
  return new Tensor(Float64Array.of(value), []);
}

export function zeros(shape: Shape): Tensor {
  return new Tensor(new Float64Array(sizeOf(shape)), shape);
}

export function ones(shape: Shape): Tensor {
  return full(shape, 1);
}

export function full(shape: Shape, value: number): Tensor {
  return new Tensor(new Float64Array(sizeOf(shape)).fill(value), shape);
}

/** The n×n identity. */
export function eye(n: number): Tensor {
  const d = new Float64Array(n * n);
  for (let i = 0; i < n; i++) d[i * n + i] = 1;
  return new Tensor(d, [n, n]);
}

export function isTensor(x: unknown): x is Tensor {
  return x instanceof Tensor;
}

export function sameShape(a: Shape, b: Shape): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Throws an {@link InvalidInputError} naming `where` and `name` if `t` holds NaN or ±Infinity. */
export function assertFinite(t: Tensor, where: string, name: string): void {
  const d = t.data;
  for (let i = 0; i < d.length; i++) {
    if (!Number.isFinite(d[i]!)) {
      throw new InvalidInputError(
        `${where}: input '${name}' holds ${d[i]} at flat index ${i} (shape ${formatShape(t.shape)}); finite values are required`,
      );
    }
  }
}
