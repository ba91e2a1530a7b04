import { ShapeError, formatShape } from '../errors.js';
import type { Shape } from '../tensor.js';

/**
 * Axis arguments shared by the reduction and shape ops. Negative axes count from the end, as in
 * NumPy. Each normalizer is idempotent, so an op's forward can re-validate the already
 * normalized attrs it was given (attrs may come from a deserialized graph).
 */

/**
 * `axis` as an index in [0, rank). `rank` defaults to the rank of `shape`; ops that insert an
 * axis (stack, expandDims) pass `shape.length + 1`.
 */
export function normalizeAxis(op: string, shape: Shape, axis: number, rank: number = shape.length, input = 'x'): number {
  if (!Number.isInteger(axis) || axis < -rank || axis >= rank) {
    const valid = rank === 0 ? 'a rank-0 tensor has no axes' : `valid axes are ${-rank} to ${rank - 1}`;
    throw new ShapeError(`${op}: axis ${axis} is out of range for input '${input}' of shape ${formatShape(shape)} (${valid})`);
  }
  return axis < 0 ? axis + rank : axis;
}

/**
 * A set of axes as a sorted list of distinct indices in [0, rank); `undefined` means every
 * axis. A repeated axis is an error rather than silently merged: it is almost always a mistake.
 */
export function normalizeAxes(op: string, shape: Shape, axes: number | readonly number[] | undefined): number[] {
  if (axes === undefined) return shape.map((_, i) => i);
  const list = typeof axes === 'number' ? [axes] : axes;
  const out = list.map((a) => normalizeAxis(op, shape, a));
  const sorted = out.slice().sort((a, b) => a - b);
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i] === sorted[i - 1]) {
      throw new ShapeError(
        `${op}: axis ${sorted[i]} is repeated in axes ${formatShape(list)} for input 'x' of shape ${formatShape(shape)}`,
      );
    }
  }
  return sorted;
}

/** The shape with the given (normalized) axes set to 1, or removed unless `keepDims`. */
export function reducedShape(shape: Shape, axes: readonly number[], keepDims: boolean): number[] {
  const out: number[] = [];
  shape.forEach((d, i) => {
    if (!axes.includes(i)) out.push(d);
    else if (keepDims) out.push(1);
  });
  return out;
}

/** The product of the dimensions on the given axes: how many elements each reduction combines. */
export function countAlong(shape: Shape, axes: readonly number[]): number {
  let n = 1;
  for (const a of axes) n *= shape[a]!;
  return n;
}
