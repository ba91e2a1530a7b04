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
  FULL_TIER_RUNS,
  type ValueRange,
} from './arbitraries.js';
export type { OpGradSpec } from './op-specs.js';
export { describeOptimizationNode, nodeContract, type ContractProperty, type NodeContractOptions } from './node-contract.js';
export { recordCase, recordingFigures, setTestNameSource, takeFigures, type CaseFigures } from './report.js';
