import type { Plugin } from '@argmin/autodiff';
import { ARGMIN_API_VERSION, definePlugin } from '@argmin/autodiff/extend';
import { cemNode } from './cem/node.js';
import { lqrNode } from './lqr/node.js';
import { mpcNode } from './mpc/node.js';
import { PACKAGE_NAME, PACKAGE_VERSION } from './package-info.js';

/** The control node family (LQR, box MPC, CEM/DCEM); pass it to createRuntime({ plugins }). Its dynamics use core ops only. */
export const controlPlugin: Plugin = definePlugin({
  name: PACKAGE_NAME,
  version: PACKAGE_VERSION,
  argminApi: `^${ARGMIN_API_VERSION.split('.')[0]}`,
  nodes: [lqrNode, mpcNode, cemNode],
});
