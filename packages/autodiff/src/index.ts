export { ArgminError, ConvergenceError, DifferentiationError, InvalidInputError, PluginError, ShapeError } from './errors.js';
export { Tensor, tensor, scalar, zeros, ones, full, eye, sizeOf, isTensor, type Shape, type NestedArray } from './tensor.js';
export { Rng, randn, randu } from './random.js';
export { flatten, type Tree } from './tree.js';
export { withCluster } from './tape.js';
export { vjp, grad, valueAndGrad, stopGradient, type GradOptions, type VjpResult } from './transforms.js';
export { trace, type TraceOptions } from './trace.js';
export { broadcastTo, sumTo } from './ops/broadcast.js';
export {
  add,
  sub,
  mul,
  div,
  pow,
  maximum,
  minimum,
  neg,
  exp,
  log,
  sqrt,
  abs,
  sign,
  relu,
  sigmoid,
  tanh,
  sin,
  cos,
  softplus,
  where,
  greater,
  greaterEqual,
  less,
  lessEqual,
  asTensor,
  type TensorLike,
} from './ops/elementwise.js';
export { sum, mean, max, min, logsumexp, norm, softmax, logSoftmax, type Axes } from './ops/reduce.js';
export { reshape, squeeze, expandDims, transpose, swapAxes, matrixTranspose } from './ops/shape.js';
export { slice, scatterSlice, index, take, scatterAdd, concat, stack } from './ops/index-ops.js';
export { matmul, matmulT, solve, triangularSolve, triangle, symmetrize, cholesky, quadForm } from './ops/linalg.js';
export type { OptimizationNode, SolveInfo, SolveStatus } from './optimization/node.js';
export type { NodeOutput } from './optimization/apply.js';
export type { Strategy, GradientPolicy, NodeCallOptions } from './optimization/strategy.js';
export type { WorkerPool } from './parallel/pool.js';
export type { Plugin } from './plugin.js';
export { createRuntime, type Runtime, type RuntimeOptions } from './runtime.js';
export { compileGraph, type CompiledGraph, type CompileOptions } from './compile.js';
export { corePlugin } from './core-plugin.js';
