import { logSumExpAxes, normAxes, reduceAxes, softmaxAxis, type ReduceKind } from '../kernels/reduce.js';
import { Tensor, type Shape } from '../tensor.js';
import { countAlong, normalizeAxes, normalizeAxis, reducedShape } from './axes.js';
import { broadcastTo } from './broadcast.js';
import { defineOp, type Op } from './define-op.js';
import { div, exp, greater, greaterEqual, lessEqual, mul, sub, where } from './elementwise.js';
import { reshapeIfNeeded } from './shape.js';

/**
 * Reductions over a set of axes (sum, max, min, logsumexp, norm; mean is a scaled sum) and the
 * normalizations along one axis (softmax, logSoftmax). `axes` may be one axis, a list, or
 * omitted for all axes; negative axes count from the end. Reduced axes are removed unless
 * `keepDims`, which keeps them with size 1.
 */

type ReduceAttrs = { readonly axes: readonly number[]; readonly keepDims: boolean };
type AxisAttrs = { readonly axis: number };
export type Axes = number | readonly number[];

/** A reduced value or cotangent with the reduced axes restored as size 1, so it broadcasts against x. */
function keptDims(g: Tensor, xShape: Shape, axes: readonly number[]): Tensor {
  return reshapeIfNeeded(g, reducedShape(xShape, axes, true));
}

function reduceForward(name: string, x: Tensor, attrs: ReduceAttrs, kernel: (x: Tensor, axes: number[]) => Float64Array): Tensor {
  const axes = normalizeAxes(name, x.shape, attrs.axes);
  return new Tensor(kernel(x, axes), reducedShape(x.shape, axes, attrs.keepDims));
}

export const sumOp = defineOp<ReduceAttrs>({
  name: 'sum',
  forward: ([x], attrs) => reduceForward('sum', x!, attrs, (t, axes) => reduceAxes(t.data, t.shape, axes, 'sum')),
  // Summing is the adjoint of broadcasting: every input element receives its slot's cotangent.
  vjp: (cot, { inputs: [x], attrs: { axes } }) => [broadcastTo(keptDims(cot, x!.shape, axes), x!.shape)],
});

/**
 * max and min send the cotangent to the extremal elements. Ties split it evenly (each of k
 * tied elements gets 1/k), as JAX does: the result is a valid subgradient, symmetric in the
 * tied elements, and the same whichever order they come in.
 */
function extremumOp(kind: Extract<ReduceKind, 'max' | 'min'>): Op<ReduceAttrs> {
  return defineOp<ReduceAttrs>({
    name: kind,
    forward: ([x], attrs) => reduceForward(kind, x!, attrs, (t, axes) => reduceAxes(t.data, t.shape, axes, kind)),
    vjp(cot, { inputs: [x], output, attrs: { axes } }) {
      const extremum = keptDims(output, x!.shape, axes);
      // A 0/1 mask of the extremal elements; comparisons have no gradient, so this is a constant.
      const mask = kind === 'max' ? greaterEqual(x!, extremum) : lessEqual(x!, extremum);
      const ties = sum(mask, axes, true);
      return [mul(keptDims(cot, x!.shape, axes), div(mask, ties))];
    },
  });
}

export const maxOp: Op<ReduceAttrs> = extremumOp('max');
export const minOp: Op<ReduceAttrs> = extremumOp('min');

export const logsumexpOp = defineOp<ReduceAttrs>({
  name: 'logsumexp',
  forward: ([x], attrs) => reduceForward('logsumexp', x!, attrs, (t, axes) => logSumExpAxes(t.data, t.shape, axes)),
  // d/dx log Σ eˣ = eˣ / Σ eˣ = exp(x − output): the softmax, from the stable output.
  vjp(cot, { inputs: [x], output, attrs: { axes } }) {
    return [mul(keptDims(cot, x!.shape, axes), exp(sub(x!, keptDims(output, x!.shape, axes))))];
  },
});

export const normOp = defineOp<ReduceAttrs>({
  name: 'norm',
  forward: ([x], attrs) => reduceForward('norm', x!, attrs, (t, axes) => normAxes(t.data, t.shape, axes)),
  /**
   * d‖x‖/dx = x / ‖x‖. Where ‖x‖ = 0 (so x = 0 there) this gives 0, the minimum-norm
   * subgradient: dividing by 1 instead of 0 keeps 0/0 out of this and of higher derivatives.
   * x / ‖x‖ is formed first because it lies in [−1, 1] even for subnormal x, where cot / ‖x‖
   * would overflow.
   */
  vjp(cot, { inputs: [x], output, attrs: { axes } }) {
    const n = keptDims(output, x!.shape, axes);
    const safe = where(greater(n, 0), n, 1);
    return [mul(div(x!, safe), keptDims(cot, x!.shape, axes))];
  },
});

function reduceAttrs(op: string, x: Tensor, axes: Axes | undefined, keepDims: boolean): ReduceAttrs {
  return { axes: normalizeAxes(op, x.shape, axes), keepDims };
}

/** Σ x over `axes` (default: all). */
export function sum(x: Tensor, axes?: Axes, keepDims = false): Tensor {
  return sumOp.apply([x], reduceAttrs('sum', x, axes, keepDims));
}

/** The mean over `axes` (default: all); NaN over an empty axis, as 0/0. */
export function mean(x: Tensor, axes?: Axes, keepDims = false): Tensor {
  const attrs = reduceAttrs('mean', x, axes, keepDims);
  return mul(sumOp.apply([x], attrs), 1 / countAlong(x.shape, attrs.axes));
}

/** The maximum over `axes`; the gradient splits evenly between tied maxima. */
export function max(x: Tensor, axes?: Axes, keepDims = false): Tensor {
  return maxOp.apply([x], reduceAttrs('max', x, axes, keepDims));
}

/** The minimum over `axes`; the gradient splits evenly between tied minima. */
export function min(x: Tensor, axes?: Axes, keepDims = false): Tensor {
  return minOp.apply([x], reduceAttrs('min', x, axes, keepDims));
}

/** log Σ exp(x) over `axes`, computed without overflow. */
export function logsumexp(x: Tensor, axes?: Axes, keepDims = false): Tensor {
  return logsumexpOp.apply([x], reduceAttrs('logsumexp', x, axes, keepDims));
}

/** The Euclidean (2-)norm over `axes`; its gradient at 0 is 0. */
export function norm(x: Tensor, axes?: Axes, keepDims = false): Tensor {
  return normOp.apply([x], reduceAttrs('norm', x, axes, keepDims));
}

// --- normalizations along one axis ------------------------------------------------------------

function alongAxis(name: string, log: boolean) {
  return ([x]: readonly Tensor[], { axis }: AxisAttrs): Tensor => {
    const a = normalizeAxis(name, x!.shape, axis);
    return new Tensor(softmaxAxis(x!.data, x!.shape, a, log), x!.shape);
  };
}

export const softmaxOp = defineOp<AxisAttrs>({
  name: 'softmax',
  forward: alongAxis('softmax', false),
  // J = diag(y) − y yᵀ along the axis, so Jᵀg = y ⊙ (g − ⟨g, y⟩).
  vjp(cot, { output: y, attrs: { axis } }) {
    return [mul(y, sub(cot, sum(mul(cot, y), axis, true)))];
  },
});

export const logSoftmaxOp = defineOp<AxisAttrs>({
  name: 'logSoftmax',
  forward: alongAxis('logSoftmax', true),
  // J = I − 1 softmaxᵀ along the axis, so Jᵀg = g − softmax · Σ g, with softmax = exp(output).
  vjp(cot, { output, attrs: { axis } }) {
    return [sub(cot, mul(exp(output), sum(cot, axis, true)))];
  },
});

/** exp(x) / Σ exp(x) along `axis` (default the last), computed without overflow. */
export function softmax(x: Tensor, axis = -1): Tensor {
  return softmaxOp.apply([x], { axis: normalizeAxis('softmax', x.shape, axis) });
}

/** x − logsumexp(x) along `axis` (default the last): log-probabilities, stable for large x. */
export function logSoftmax(x: Tensor, axis = -1): Tensor {
  return logSoftmaxOp.apply([x], { axis: normalizeAxis('logSoftmax', x.shape, axis) });
}
