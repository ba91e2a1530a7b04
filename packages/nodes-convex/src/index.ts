export { reluNode, reluLayer } from './layers/relu.js';
export { sigmoidNode, sigmoidLayer } from './layers/sigmoid.js';
export { softmaxNode, softmaxLayer, type SoftmaxOptions } from './layers/softmax.js';
export { sparsemaxNode, sparsemaxLayer } from './layers/sparsemax.js';
export { convexPlugin } from './plugin.js';
