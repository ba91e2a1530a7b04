import { ARGMIN_API_VERSION, definePlugin, type Plugin } from '@argmin/autodiff';
import { cosOp, sinOp } from './dynamics/trig.js';
import { lqrNode } from './lqr/node.js';
import { mpcNode } from './mpc/node.js';

/** The control node family (LQR, box MPC) and the ops its dynamics use; pass it to createRuntime({ plugins }). */
export const controlPlugin: Plugin = definePlugin({
  name: '@argmin/nodes-control',
  version: '0.1.0',
  argminApi: `^${ARGMIN_API_VERSION.split('.')[0]}`,
  ops: [sinOp, cosOp],
  nodes: [lqrNode, mpcNode],
});
