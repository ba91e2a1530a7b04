import { ShapeError, formatShape } from '../errors.js';
import { stridedGather } from '../kernels/gather.js';
import { Tensor, sameShape, sizeOf, stridesOf, type Shape } from '../tensor.js';
import { normalizeAxes, normalizeAxis } from './axes.js';
import { defineOp } from './define-op.js';

/**
 * Ops that change a tensor's shape or axis order but not its values: reshape (with squeeze and
 * expandDims built on it) and transpose. Each VJP is the inverse layout change.
 */

type ShapeAttrs = { readonly shape: readonly number[] };
type PermAttrs = { readonly perm: readonly number[] };

/** Same data in a new shape. Shares the data array: tensors are immutable, so no copy is needed. */
export const reshapeOp = defineOp<ShapeAttrs>({
  name: 'reshape',
  forward([x], { shape }) {
    if (sizeOf(shape) !== x!.size || shape.some((d) => !Number.isInteger(d) || d < 0)) {
      throw new ShapeError(
        `reshape: input 'x' of shape ${formatShape(x!.shape)} (${x!.size} elements) cannot be reshaped to ${formatShape(shape)} (${sizeOf(shape)} elements)`,
      );
    }
    return new Tensor(x!.data, shape);
  },
  vjp: (cot, { inputs: [x] }) => [reshape(cot, x!.shape)],
});

/**
 * `x` with its elements (in row-major order) laid out in `shape`. One entry may be −1, inferred
 * from the size of `x`.
 */
export function reshape(x: Tensor, shape: Shape): Tensor {
  return reshapeOp.apply([x], { shape: resolveShape(x, shape) });
}

function resolveShape(x: Tensor, shape: Shape): number[] {
  const unknown = shape.filter((d) => d === -1).length;
  const bad = shape.find((d) => !Number.isInteger(d) || d < -1);
  if (bad !== undefined || unknown > 1) {
    const why = bad !== undefined ? `dimension ${bad} is not a non-negative integer or −1` : 'at most one dimension may be −1';
    throw new ShapeError(`reshape: target shape ${formatShape(shape)} for input 'x' of shape ${formatShape(x.shape)} is invalid: ${why}`);
  }
  if (unknown === 0) return shape.slice();
  const known = sizeOf(shape.filter((d) => d !== -1));
  if (known === 0 || x.size % known !== 0) {
    throw new ShapeError(
      `reshape: input 'x' of shape ${formatShape(x.shape)} (${x.size} elements) cannot be reshaped to ${formatShape(shape)}: the −1 cannot be inferred`,
    );
  }
  return shape.map((d) => (d === -1 ? x.size / known : d));
}

/**
 * Removes size-1 axes: the given ones (each must have size 1), or all of them by default.
 */
export function squeeze(x: Tensor, axes?: number | readonly number[]): Tensor {
  const drop = axes === undefined ? x.shape.flatMap((d, i) => (d === 1 ? [i] : [])) : normalizeAxes('squeeze', x.shape, axes);
  for (const a of drop) {
    if (x.shape[a] !== 1) {
      throw new ShapeError(`squeeze: axis ${a} of input 'x' of shape ${formatShape(x.shape)} has size ${x.shape[a]}, not 1`);
    }
  }
  return reshape(
    x,
    x.shape.filter((_, i) => !drop.includes(i)),
  );
}

/** Inserts a size-1 axis at `axis`, which may be from −(rank+1) to rank. */
export function expandDims(x: Tensor, axis: number): Tensor {
  const a = normalizeAxis('expandDims', x.shape, axis, x.ndim + 1);
  return reshape(x, [...x.shape.slice(0, a), 1, ...x.shape.slice(a)]);
}

// --- transpose ---------------------------------------------------------------------------------

function checkPermutation(x: Tensor, perm: readonly number[]): void {
  const seen = new Set(perm);
  const valid = perm.length === x.ndim && seen.size === perm.length && perm.every((p) => Number.isInteger(p) && p >= 0 && p < x.ndim);
  if (!valid) {
    throw new ShapeError(`transpose: ${formatShape(perm)} is not a permutation of the axes of input 'x' of shape ${formatShape(x.shape)}`);
  }
}

function inversePermutation(perm: readonly number[]): number[] {
  const inv = new Array<number>(perm.length);
  perm.forEach((p, i) => (inv[p] = i));
  return inv;
}

/** Output axis i is input axis perm[i]. */
export const transposeOp = defineOp<PermAttrs>({
  name: 'transpose',
  forward([x], { perm }) {
    checkPermutation(x!, perm);
    const shape = perm.map((p) => x!.shape[p]!);
    if (perm.every((p, i) => p === i)) return new Tensor(x!.data, shape);
    const strides = stridesOf(x!.shape);
    return new Tensor(
      stridedGather(
        x!.data,
        shape,
        0,
        perm.map((p) => strides[p]!),
      ),
      shape,
    );
  },
  vjp: (cot, { attrs: { perm } }) => [transpose(cot, inversePermutation(perm))],
});

/**
 * Permutes the axes: output axis i is input axis `perm[i]` (negative entries count from the
 * end). The default reverses the axes.
 */
export function transpose(x: Tensor, perm?: readonly number[]): Tensor {
  const p = perm === undefined ? x.shape.map((_, i) => x.ndim - 1 - i) : perm.map((a) => normalizeAxis('transpose', x.shape, a));
  checkPermutation(x, p);
  return transposeOp.apply([x], { perm: p });
}

/** Exchanges two axes. */
export function swapAxes(x: Tensor, a: number, b: number): Tensor {
  const i = normalizeAxis('swapAxes', x.shape, a);
  const j = normalizeAxis('swapAxes', x.shape, b);
  const perm = x.shape.map((_, k) => (k === i ? j : k === j ? i : k));
  return transposeOp.apply([x], { perm });
}

/** Transposes the last two axes (a batch of matrices `[..., m, n]` becomes `[..., n, m]`). */
export function matrixTranspose(x: Tensor): Tensor {
  if (x.ndim < 2) {
    throw new ShapeError(`matrixTranspose: input 'x' of shape ${formatShape(x.shape)} has rank ${x.ndim}; at least 2 is required`);
  }
  return swapAxes(x, -2, -1);
}

/** `g` reshaped to `shape` unless it already has it (avoids a no-op node in recorded graphs). */
export function reshapeIfNeeded(g: Tensor, shape: Shape): Tensor {
  return sameShape(g.shape, shape) ? g : reshape(g, shape);
}
