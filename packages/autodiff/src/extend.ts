/**
 * `@argmin/autodiff/extend`: what node and plugin authors build with. The root export is what
 * users call (tensors, ops, transforms, the node families' results); this subpath holds the
 * machinery behind an optimization node: declaring it (signature, options schema, strategies),
 * calling it (`applyNode`), and the pieces its solve and VJP reuse.
 */
export {
  defineNode,
  type AnyNode,
  type OptimizationNode,
  type NodeSignature,
  type SolveResult,
  type SolveControls,
  type SolverStep,
  type TensorRecord,
  type Cotangents,
  type ObjectiveSpec,
} from './optimization/node.js';
export { applyNode, solveNode, type NodeOutput } from './optimization/apply.js';
export { rootVjp } from './optimization/implicit.js';
export { fixedPointResidual, kktResidual, flattenResidual, type KktProblem } from './optimization/adapters.js';
export { solveLinear, type LinearSolveOptions, type LinearSolveResult } from './optimization/linear-solve.js';
export {
  resolvePlan,
  resolveStrategy,
  supportedStrategies,
  type Plan,
  type Strategy,
  type StrategySpec,
  type GradientPolicy,
  type NodeCallOptions,
} from './optimization/strategy.js';
export {
  batchElement,
  stackBatch,
  paramsOfElement,
  solutionOfElement,
  resolveLayout,
  resolveBatch,
  type BatchLayout,
  type NodeLayout,
} from './optimization/batch.js';
export { parseSpec, rankOf, resolveDims, coreShapeOf, describeValue, type CoreSpec } from './optimization/signature.js';
export { assertFiniteValues, assertPsdBlocks, PSD_RTOL, SYMMETRY_RTOL, type PsdMode } from './optimization/checks.js';
export { commonOptions, optionFields, optionNames, validateOptions, validateWarmStart } from './optimization/options.js';
export { defineOp, type AnyOp, type Op, type OpDefinition, type VjpContext } from './ops/define-op.js';
export { record, isRecording, isTracked, withCluster, withoutRecording, type Cotangent, type Pullback, type Recorded } from './tape.js';
export { ARGMIN_API_VERSION, definePlugin, type Plugin } from './plugin.js';
