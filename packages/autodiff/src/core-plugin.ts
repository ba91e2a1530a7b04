import * as broadcast from './ops/broadcast.js';
import type { AnyOp } from './ops/define-op.js';
import * as elementwise from './ops/elementwise.js';
import * as indexOps from './ops/index-ops.js';
import * as linalg from './ops/linalg.js';
import * as reduce from './ops/reduce.js';
import * as shape from './ops/shape.js';
import { ARGMIN_API_VERSION, definePlugin, type Plugin } from './plugin.js';
import { identityOp, stopGradientOp } from './transforms.js';
import { PACKAGE_NAME, PACKAGE_VERSION } from './package-info.js';

/** Every exported `…Op` handle of the given modules. */
function opsOf(...modules: Record<string, unknown>[]): AnyOp[] {
  const out: AnyOp[] = [];
  for (const m of modules) {
    for (const [key, value] of Object.entries(m)) {
      if (key.endsWith('Op') && value && typeof value === 'object' && 'definition' in value) out.push(value as AnyOp);
    }
  }
  return out;
}

/** The built-in ops, present in every runtime. */
export const corePlugin: Plugin = definePlugin({
  name: PACKAGE_NAME,
  version: PACKAGE_VERSION,
  argminApi: `^${ARGMIN_API_VERSION.split('.')[0]}`,
  ops: [identityOp, stopGradientOp, ...opsOf(elementwise, broadcast, reduce, shape, indexOps, linalg)],
});
