import type { Plugin } from '@argmin/autodiff';
import { ARGMIN_API_VERSION, definePlugin } from '@argmin/autodiff/extend';
import { reluNode } from './layers/relu.js';
import { sigmoidNode } from './layers/sigmoid.js';
import { softmaxNode } from './layers/softmax.js';
import { sparsemaxNode } from './layers/sparsemax.js';
import { lmlNode } from './lml/node.js';
import { qpNode } from './qp/node.js';
import { sinkhornNode } from './sinkhorn/node.js';
import { centredGradientOp } from './sinkhorn/step.js';
import { coneNode } from './cone/node.js';
import { coneProjectionDerivativeOp, coneProjectionOp } from './cone/projection-op.js';
import { PACKAGE_NAME, PACKAGE_VERSION } from './package-info.js';

/** The convex node family; pass it to createRuntime({ plugins }). */
export const convexPlugin: Plugin = definePlugin({
  name: PACKAGE_NAME,
  version: PACKAGE_VERSION,
  argminApi: `^${ARGMIN_API_VERSION.split('.')[0]}`,
  ops: [centredGradientOp, coneProjectionOp, coneProjectionDerivativeOp],
  nodes: [reluNode, sigmoidNode, softmaxNode, sparsemaxNode, qpNode, lmlNode, sinkhornNode, coneNode],
});
