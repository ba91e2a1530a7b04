export { ArgminError, ConvergenceError, DifferentiationError, InvalidInputError, PluginError, ShapeError } from './errors.js';
export { Tensor, tensor, scalar, zeros, ones, full, eye, sizeOf, isTensor, type Shape, type NestedArray } from './tensor.js';
export { Rng, randn, randu } from './random.js';
export { flatten, type Tree } from './tree.js';
export { defineOp, type Op, type OpDefinition, type VjpContext } from './ops/define-op.js';
export { record, isRecording, isTracked, withCluster, withoutRecording, type Cotangent, type Pullback, type Recorded } from './tape.js';
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
export {
  defineNode,
  type OptimizationNode,
  type NodeSignature,
  type SolveInfo,
  type SolveResult,
  type SolveStatus,
  type SolveControls,
  type SolverStep,
  type TensorRecord,
  type Cotangents,
  type ObjectiveSpec,
} from './optimization/node.js';
export { applyNode, type NodeOutput } from './optimization/apply.js';
export { rootVjp } from './optimization/implicit.js';
export { fixedPointResidual, kktResidual, flattenResidual, type KktProblem } from './optimization/adapters.js';
export type { LinearSolveOptions } from './optimization/linear-solve.js';
export { resolveStrategy, type Strategy, type GradientPolicy, type NodeCallOptions } from './optimization/strategy.js';
export { batchElement, stackBatch } from './optimization/batch.js';
export { ARGMIN_API_VERSION, definePlugin, type Plugin } from './plugin.js';
export { createRuntime, type Runtime, type RuntimeOptions } from './runtime.js';
export { compileGraph, type CompiledGraph, type CompileOptions } from './compile.js';
export { corePlugin } from './core-plugin.js';
