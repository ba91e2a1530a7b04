import { ShapeError, formatShape } from '../errors.js';
import { broadcastOffsets } from '../kernels/broadcast.js';
import type { Shape, Tensor } from '../tensor.js';
import { reshape } from './shape.js';

// How the linear-algebra ops read a batch of matrices `[..., r, c]`: shapes, batch offsets, vector right-hand sides.

/** Splits `[...batch, r, c]` into its batch shape and the matrix dimensions. */
export function splitMatrix(op: string, name: string, t: Tensor): { batch: number[]; rows: number; cols: number } {
  if (t.ndim < 2) {
    throw new ShapeError(`${op}: input '${name}' of shape ${formatShape(t.shape)} must have at least 2 dimensions`);
  }
  return { batch: t.shape.slice(0, -2), rows: t.shape[t.ndim - 2]!, cols: t.shape[t.ndim - 1]! };
}

export function squareMatrix(op: string, name: string, t: Tensor): { batch: number[]; n: number } {
  const { batch, rows, cols } = splitMatrix(op, name, t);
  if (rows !== cols) throw new ShapeError(`${op}: input '${name}' of shape ${formatShape(t.shape)} is not a batch of square matrices`);
  return { batch, n: rows };
}

/** For each element of the broadcast batch, the data offset of the operand's matrix. */
export function matrixOffsets(batch: Shape, outBatch: Shape, blockSize: number): Int32Array {
  const offsets = broadcastOffsets(batch, outBatch);
  for (let i = 0; i < offsets.length; i++) offsets[i]! *= blockSize;
  return offsets;
}

export function isUnbatched(batch: Shape): boolean {
  return batch.every((d) => d === 1);
}

export function isVectorRhs(a: Tensor, b: Tensor): boolean {
  return b.ndim === 1 || (b.ndim === a.ndim - 1 && b.shape.every((d, i) => d === a.shape[i]));
}

/** `[..., n]` as `[..., n, 1]`, and back. */
export const asColumn = (x: Tensor): Tensor => reshape(x, [...x.shape, 1]);
export const dropLastAxis = (x: Tensor): Tensor => reshape(x, x.shape.slice(0, -1));
