export { ArgminError, ConvergenceError, InvalidInputError, PluginError, ShapeError } from './errors.js';
export { Tensor, tensor, scalar, zeros, ones, full, eye, sizeOf, isTensor, type Shape, type NestedArray } from './tensor.js';
export { flatten, type Tree } from './tree.js';
export { defineOp, type Op, type OpDefinition, type VjpContext } from './ops/define-op.js';
export { record, isRecording, isTracked, withCluster, type Cotangent, type Pullback, type Recorded } from './tape.js';
export { vjp, grad, valueAndGrad, stopGradient, type GradOptions, type VjpResult } from './transforms.js';
export { broadcastTo, sumTo } from './ops/broadcast.js';
export {
  add, sub, mul, div, pow, maximum, minimum, neg, exp, log, sqrt, abs, sign, relu, sigmoid, tanh, softplus, where,
  greater, greaterEqual, less, lessEqual, asTensor, type TensorLike,
} from './ops/elementwise.js';
