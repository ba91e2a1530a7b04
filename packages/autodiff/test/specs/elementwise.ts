import fc from 'fast-check';
import {
  abs,
  add,
  div,
  exp,
  log,
  maximum,
  minimum,
  mul,
  neg,
  pow,
  relu,
  sigmoid,
  softplus,
  sqrt,
  sub,
  tanh,
  sin,
  cos,
  where,
  greater,
  type Tensor,
} from '@argmin/autodiff';
import { arbBroadcastTensors, arbTensor, arbShape, type OpGradSpec } from '@argmin/autodiff/testing';

const unaryArgs = (range = {}) =>
  arbShape()
    .chain((s) => arbTensor(s, range))
    .map((x) => [x] as const);
const binaryArgs = (a = {}, b = a) => arbBroadcastTensors(a, b).map(([x, y]) => [x, y] as const);

/** Values at least this far apart: central differences must not straddle a tie or a kink. */
const apart = (a: Tensor, b: Tensor) => {
  const d = sub(a, b).data;
  return d.every((v) => Math.abs(v) > 1e-3);
};

export const elementwiseSpecs: OpGradSpec[] = [
  { name: 'add', fn: add, args: binaryArgs() },
  { name: 'sub', fn: sub, args: binaryArgs() },
  { name: 'mul', fn: mul, args: binaryArgs() },
  { name: 'div', fn: div, args: binaryArgs({}, { min: 0.5, max: 3 }) },
  { name: 'pow', fn: pow, args: binaryArgs({ min: 0.5, max: 2 }, { min: -2, max: 2 }) },
  { name: 'maximum', fn: maximum, args: binaryArgs().filter(([a, b]) => apart(a, b)) },
  { name: 'minimum', fn: minimum, args: binaryArgs().filter(([a, b]) => apart(a, b)) },
  { name: 'neg', fn: neg, args: unaryArgs() },
  { name: 'exp', fn: exp, args: unaryArgs() },
  { name: 'log', fn: log, args: unaryArgs({ min: 0.2, max: 5 }) },
  { name: 'sqrt', fn: sqrt, args: unaryArgs({ min: 0.2, max: 5 }) },
  { name: 'abs', fn: abs, args: unaryArgs({ awayFromZero: 1e-3 }) },
  { name: 'relu', fn: relu, args: unaryArgs({ awayFromZero: 1e-3 }) },
  { name: 'sigmoid', fn: sigmoid, args: unaryArgs({ min: -10, max: 10 }) },
  { name: 'tanh', fn: tanh, args: unaryArgs() },
  { name: 'softplus', fn: softplus, args: unaryArgs({ min: -10, max: 10 }) },
  { name: 'sin', fn: sin, args: unaryArgs({ min: -7, max: 7 }) },
  { name: 'cos', fn: cos, args: unaryArgs({ min: -7, max: 7 }) },
  {
    name: 'where',
    fn: (a: Tensor, b: Tensor) => where(greater(a, b), mul(a, a), b),
    args: binaryArgs().filter(([a, b]) => apart(a, b)),
  },
  // Composite: exercises fan-out, broadcasting and accumulation together.
  {
    name: 'composite',
    fn: (a: Tensor, b: Tensor) => div(mul(exp(mul(a, 0.3)), add(b, a)), add(mul(b, b), 1)),
    args: binaryArgs(),
  },
];

export const elementwiseNames = elementwiseSpecs.map((s) => s.name);
void fc;
