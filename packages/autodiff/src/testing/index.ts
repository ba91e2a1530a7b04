export { checkVjp, type CheckVjpOptions, type CheckVjpResult } from './check-vjp.js';
export {
  arbTensor,
  arbShape,
  arbBroadcastPair,
  arbBroadcastTensors,
  arbVector,
  arbMatrix,
  arbSpd,
  arbSimplex,
  arbInteriorBox,
  numRuns,
  type ValueRange,
} from './arbitraries.js';
export type { OpGradSpec } from './op-specs.js';
export { describeOptimizationNode, type NodeContractOptions } from './node-contract.js';
