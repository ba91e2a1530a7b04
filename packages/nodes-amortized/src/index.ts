export { mlp, type MlpOptions, type MlpParams, type Activation } from './mlp.js';
export { parameterCount, type Model } from './model.js';
export { adam, cosineDecay, type AdamOptions, type AdamState, type Optimizer } from './adam.js';
export { validateDataset, split, type Dataset } from './data.js';
export { train, type TrainOptions, type TrainProgress, type TrainResult } from './train.js';
export { amortize, type Amortized, type AmortizeOptions, type AmortizationLoss } from './amortize.js';
export type { ObjectiveSpec } from '@argmin/autodiff/extend';
export type { Refinement } from './refine.js';
export type { SolutionLayout } from './layout.js';
export { solveWarm, compareWarmStart, type WarmStartOptions, type WarmStartReport, type WarmStartSide } from './warm-start.js';
export { evaluateAmortized, medianMs, type AmortizationReport, type EvaluateOptions } from './measure.js';
export { amortizeLatent, latentSearchModel, type LatentSearch } from './latent.js';
export {
  gridGeometry,
  randomImage,
  measurePairs,
  type GridGeometry,
  type ImageKind,
  type ImageOptions,
  type MeasurePairs,
} from './ot-data.js';
export { otSemiDual, otSemiDualLoss, semiDualOp, type SemiDualAttrs } from './meta-ot-dual.js';
export { metaOt, trainMetaOt, type MetaOt, type MetaOtOptions, type MetaOtTrainOptions } from './meta-ot.js';
export { evaluateMetaOt, marginalErrorCurve, type MetaOtEvalOptions, type MetaOtPairReport, type MetaOtReport } from './meta-ot-eval.js';
export { coarseStart, type CoarseStart, type CoarseStartOptions } from './meta-ot-coarse.js';
export { icnn, type Icnn, type IcnnOptions, type IcnnParams } from './icnn.js';
export { conjugate, type ConjugateOptions, type ConjugateResult, type ValueAndGrad } from './conjugate.js';
export {
  trainW2Dual,
  transportMap,
  solveConjugate,
  conjugateValue,
  envelopeConjugate,
  amortizedStart,
  type W2DualOptions,
  type W2DualResult,
  type W2Step,
} from './conjugate-w2.js';
export { gaussianPair, sampleGaussian, optimalMap, l2Uvp, symmetricEigen, matrixFunction, type GaussianPair } from './w2-gaussian.js';
export { amortizedNode, amortizedPredict, amortizedPlugin, type AmortizedParams } from './amortized-node.js';
