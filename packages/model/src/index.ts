/**
 * @argmin/model: convex problems written with variables, parameters and atoms, checked by the
 * DCP and DPP rules, and compiled once into a differentiable layer (cvxpylayers' design).
 */
export {
  Expr,
  Constraint,
  variable,
  parameter,
  constant,
  add,
  sub,
  neg,
  mul,
  matmul,
  sum,
  type Shape,
  type ExprLike,
  type LeafOptions,
} from './expr.js';
export { at, slice, reshape, transpose, diag, concat, hstack, vstack, gather } from './shape-ops.js';
export {
  sumSquares,
  quadForm,
  norm,
  abs,
  pos,
  maximum,
  minimum,
  max,
  min,
  entr,
  exp,
  log,
  logSumExp,
  logistic,
  huber,
  lambdaMax,
  logDet,
  power,
  geoMean,
  psd,
  ATOMS,
  type Sign,
  type Monotonicity,
  type AtomSpec,
} from './atoms.js';
export { analyze, type Curvature, type ExprInfo } from './dcp.js';
export { DcpError, DppError } from './errors.js';
export { problem, minimize, maximize, Problem, type Objective } from './problem.js';
export { compileProblem, type Program, type CompileOptions } from './compile.js';
export type { ConeEngine } from './assemble.js';
export type { AffineMap, Segment } from './affine-map.js';
export {
  convexLayer,
  type ConvexLayer,
  type ConvexLayerOptions,
  type LayerCallOptions,
  type LayerOutput,
  type LayerState,
} from './layer.js';
