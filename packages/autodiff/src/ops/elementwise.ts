import { binaryMap, broadcastShapes, unaryMap } from '../kernels/broadcast.js';
import { Tensor, scalar } from '../tensor.js';
import { unbroadcast } from './broadcast.js';
import { defineOp, type Op } from './define-op.js';

/** A tensor, or a number standing for a scalar tensor. */
export type TensorLike = Tensor | number;

export function asTensor(x: TensorLike): Tensor {
  return typeof x === 'number' ? scalar(x) : x;
}

type NoAttrs = Record<string, never>;
const none: NoAttrs = {};

function unary(name: string, f: (v: number) => number, vjp: (cot: Tensor, x: Tensor, out: Tensor) => Tensor | null): Op<NoAttrs> {
  return defineOp<NoAttrs>({
    name,
    forward: ([x]) => new Tensor(unaryMap(x!.data, f), x!.shape),
    vjp: (cot, { inputs: [x], output }) => [vjp(cot, x!, output)],
  });
}

function binary(
  name: string,
  f: (a: number, b: number) => number,
  vjpA: ((cot: Tensor, a: Tensor, b: Tensor, out: Tensor) => Tensor) | null,
  vjpB: ((cot: Tensor, a: Tensor, b: Tensor, out: Tensor) => Tensor) | null,
): Op<NoAttrs> {
  return defineOp<NoAttrs>({
    name,
    forward([a, b]) {
      const shape = broadcastShapes(a!.shape, b!.shape, name);
      return new Tensor(binaryMap(a!.data, a!.shape, b!.data, b!.shape, shape, f), shape);
    },
    vjp(cot, { inputs: [a, b], output, needs }) {
      return [
        needs[0] && vjpA ? unbroadcast(vjpA(cot, a!, b!, output), a!.shape) : null,
        needs[1] && vjpB ? unbroadcast(vjpB(cot, a!, b!, output), b!.shape) : null,
      ];
    },
  });
}

// --- binary arithmetic -------------------------------------------------------------------------

export const addOp = binary(
  'add',
  (a, b) => a + b,
  (c) => c,
  (c) => c,
);
export const subOp = binary(
  'sub',
  (a, b) => a - b,
  (c) => c,
  (c) => neg(c),
);
export const mulOp = binary(
  'mul',
  (a, b) => a * b,
  (c, _a, b) => mul(c, b),
  (c, a) => mul(c, a),
);
export const divOp = binary(
  'div',
  (a, b) => a / b,
  (c, _a, b) => div(c, b),
  (c, _a, b, out) => neg(div(mul(c, out), b)),
);
export const powOp = binary(
  'pow',
  (a, b) => a ** b,
  (c, a, b) => mul(c, mul(b, pow(a, sub(b, 1)))),
  // d/db a^b = a^b log a; where a = 0 and a^b = 0 the limit is 0, not 0·(−∞).
  (c, a, _b, out) => mul(c, mul(out, safeLog(a))),
);
/** Ties send the gradient to the first argument. */
export const maximumOp = binary(
  'maximum',
  (a, b) => Math.max(a, b),
  (c, a, b) => mul(c, greaterEqual(a, b)),
  (c, a, b) => mul(c, less(a, b)),
);
export const minimumOp = binary(
  'minimum',
  (a, b) => Math.min(a, b),
  (c, a, b) => mul(c, lessEqual(a, b)),
  (c, a, b) => mul(c, greater(a, b)),
);

// --- comparisons (0/1 masks, no gradient) ------------------------------------------------------

export const greaterOp = binary('greater', (a, b) => (a > b ? 1 : 0), null, null);
export const greaterEqualOp = binary('greaterEqual', (a, b) => (a >= b ? 1 : 0), null, null);
export const lessOp = binary('less', (a, b) => (a < b ? 1 : 0), null, null);
export const lessEqualOp = binary('lessEqual', (a, b) => (a <= b ? 1 : 0), null, null);
/** log with log(0) = 0: the a = 0 limit inside the VJP of pow. */
export const safeLogOp = unary(
  'safeLog',
  (v) => (v === 0 ? 0 : Math.log(v)),
  (c, x) => div(c, x),
);

// --- unary -------------------------------------------------------------------------------------

export const negOp = unary(
  'neg',
  (v) => -v,
  (c) => neg(c),
);
export const expOp = unary('exp', Math.exp, (c, _x, out) => mul(c, out));
export const logOp = unary('log', Math.log, (c, x) => div(c, x));
export const sqrtOp = unary('sqrt', Math.sqrt, (c, _x, out) => div(mul(c, 0.5), out));
export const absOp = unary('abs', Math.abs, (c, x) => mul(c, sign(x)));
/** sign has a zero derivative wherever it has one. */
export const signOp = unary('sign', Math.sign, () => null);
export const reluOp = unary(
  'relu',
  (v) => Math.max(v, 0),
  (c, x) => mul(c, greater(x, 0)),
);
export const sigmoidOp = unary('sigmoid', stableSigmoid, (c, _x, out) => mul(c, mul(out, sub(1, out))));
export const tanhOp = unary('tanh', Math.tanh, (c, _x, out) => mul(c, sub(1, mul(out, out))));
// VJPs written with ops, so sin and cos differentiate twice (dynamics models need second derivatives).
export const sinOp = unary('sin', Math.sin, (c, x) => mul(c, cos(x)));
export const cosOp = unary('cos', Math.cos, (c, x) => neg(mul(c, sin(x))));
/** softplus(x) = log(1 + eˣ), computed without overflow. */
export const softplusOp = unary(
  'softplus',
  (v) => Math.max(v, 0) + Math.log1p(Math.exp(-Math.abs(v))),
  (c, x) => mul(c, sigmoid(x)),
);

function stableSigmoid(v: number): number {
  if (v >= 0) return 1 / (1 + Math.exp(-v));
  const e = Math.exp(v);
  return e / (1 + e);
}

/** where(cond, a, b): a where cond ≠ 0, else b; broadcasting all three. No gradient to cond. */
export const whereOp = defineOp<NoAttrs>({
  name: 'where',
  forward([cond, a, b]) {
    const ab = broadcastShapes(a!.shape, b!.shape, 'where');
    const shape = broadcastShapes(cond!.shape, ab, 'where');
    const av = binaryMap(a!.data, a!.shape, new Float64Array(1), [], shape, (x) => x);
    const bv = binaryMap(b!.data, b!.shape, new Float64Array(1), [], shape, (x) => x);
    const cv = binaryMap(cond!.data, cond!.shape, new Float64Array(1), [], shape, (x) => x);
    const out = new Float64Array(cv.length);
    for (let i = 0; i < out.length; i++) out[i] = cv[i] !== 0 ? av[i]! : bv[i]!;
    return new Tensor(out, shape);
  },
  vjp(cot, { inputs: [cond, a, b], needs }) {
    const zero = scalar(0);
    return [
      null,
      needs[1] ? unbroadcast(where(cond!, cot, zero), a!.shape) : null,
      needs[2] ? unbroadcast(where(cond!, zero, cot), b!.shape) : null,
    ];
  },
});

// --- public functions ----------------------------------------------------------------------------

export const add = (a: TensorLike, b: TensorLike): Tensor => addOp.apply([asTensor(a), asTensor(b)], none);
export const sub = (a: TensorLike, b: TensorLike): Tensor => subOp.apply([asTensor(a), asTensor(b)], none);
export const mul = (a: TensorLike, b: TensorLike): Tensor => mulOp.apply([asTensor(a), asTensor(b)], none);
export const div = (a: TensorLike, b: TensorLike): Tensor => divOp.apply([asTensor(a), asTensor(b)], none);
export const pow = (a: TensorLike, b: TensorLike): Tensor => powOp.apply([asTensor(a), asTensor(b)], none);
export const maximum = (a: TensorLike, b: TensorLike): Tensor => maximumOp.apply([asTensor(a), asTensor(b)], none);
export const minimum = (a: TensorLike, b: TensorLike): Tensor => minimumOp.apply([asTensor(a), asTensor(b)], none);
export const greater = (a: TensorLike, b: TensorLike): Tensor => greaterOp.apply([asTensor(a), asTensor(b)], none);
export const greaterEqual = (a: TensorLike, b: TensorLike): Tensor => greaterEqualOp.apply([asTensor(a), asTensor(b)], none);
export const less = (a: TensorLike, b: TensorLike): Tensor => lessOp.apply([asTensor(a), asTensor(b)], none);
export const lessEqual = (a: TensorLike, b: TensorLike): Tensor => lessEqualOp.apply([asTensor(a), asTensor(b)], none);
export const neg = (x: Tensor): Tensor => negOp.apply([x], none);
export const exp = (x: Tensor): Tensor => expOp.apply([x], none);
export const log = (x: Tensor): Tensor => logOp.apply([x], none);
export const sqrt = (x: Tensor): Tensor => sqrtOp.apply([x], none);
export const abs = (x: Tensor): Tensor => absOp.apply([x], none);
export const sign = (x: Tensor): Tensor => signOp.apply([x], none);
export const relu = (x: Tensor): Tensor => reluOp.apply([x], none);
export const sigmoid = (x: Tensor): Tensor => sigmoidOp.apply([x], none);
export const tanh = (x: Tensor): Tensor => tanhOp.apply([x], none);
export const sin = (x: Tensor): Tensor => sinOp.apply([x], none);
export const cos = (x: Tensor): Tensor => cosOp.apply([x], none);
export const softplus = (x: Tensor): Tensor => softplusOp.apply([x], none);
export const where = (cond: Tensor, a: TensorLike, b: TensorLike): Tensor => whereOp.apply([cond, asTensor(a), asTensor(b)], none);
const safeLog = (x: Tensor): Tensor => safeLogOp.apply([x], none);
