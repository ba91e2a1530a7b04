import { ShapeError, formatShape } from '../errors.js';
import { broadcastOffsets, broadcastsTo } from '../kernels/broadcast.js';
import { Tensor, sameShape, sizeOf, type Shape } from '../tensor.js';
import { defineOp } from './define-op.js';

type ShapeAttrs = { readonly shape: readonly number[] };

/** broadcastTo and sumTo are each other's adjoint: broadcasting copies, its VJP sums. */
export const broadcastToOp = defineOp<ShapeAttrs>({
  name: 'broadcastTo',
  forward([x], { shape }) {
    if (!broadcastsTo(x!.shape, shape)) {
      throw new ShapeError(`broadcastTo: input 'x' of shape ${formatShape(x!.shape)} cannot be broadcast to ${formatShape(shape)}`);
    }
    const offsets = broadcastOffsets(x!.shape, shape);
    const src = x!.data;
    const out = new Float64Array(offsets.length);
    for (let i = 0; i < offsets.length; i++) out[i] = src[offsets[i]!]!;
    return new Tensor(out, shape);
  },
  vjp(cot, { inputs: [x] }) {
    return [sumTo(cot, x!.shape)];
  },
});

export const sumToOp = defineOp<ShapeAttrs>({
  name: 'sumTo',
  forward([x], { shape }) {
    if (!broadcastsTo(shape, x!.shape)) {
      throw new ShapeError(`sumTo: input 'x' of shape ${formatShape(x!.shape)} cannot be summed to ${formatShape(shape)}`);
    }
    const offsets = broadcastOffsets(shape, x!.shape);
    const src = x!.data;
    const out = new Float64Array(sizeOf(shape));
    for (let i = 0; i < offsets.length; i++) out[offsets[i]!]! += src[i]!;
    return new Tensor(out, shape);
  },
  vjp(cot, { inputs: [x] }) {
    return [broadcastTo(cot, x!.shape)];
  },
});

/** Broadcasts `x` to `shape` (NumPy rules). */
export function broadcastTo(x: Tensor, shape: Shape): Tensor {
  return broadcastToOp.apply([x], { shape: shape.slice() });
}

/** Sums `x` down to `shape`, the adjoint of broadcasting `shape` up to `x.shape`. */
export function sumTo(x: Tensor, shape: Shape): Tensor {
  return sumToOp.apply([x], { shape: shape.slice() });
}

/** A cotangent of a broadcast operand, summed back to the operand's shape. */
export function unbroadcast(g: Tensor, shape: Shape): Tensor {
  return sameShape(g.shape, shape) ? g : sumTo(g, shape);
}
