import type { SolveInfo, Tensor } from '@argmin/autodiff';
import { cone, qp, type ConeOptions, type QpOptions } from '@argmin/nodes-convex';
import type { Program } from './compile.js';
import type { LayerCallOptions, LayerState } from './layer.js';

/** The solve of a compiled program: canonical x, the dual rows of each cone kind, the report. */
export interface ProgramSolution {
  readonly x: Tensor;
  dualOf(kind: 'zero' | 'nonneg' | 'psd'): Tensor;
  readonly info: SolveInfo;
  readonly state: LayerState;
}

/** The controls every node takes, copied from a layer call (only those given). */
function controls(call: LayerCallOptions): Record<string, unknown> {
  const out: Record<string, unknown> = { ...(call.solver ?? {}) };
  for (const k of ['strategy', 'onUnconverged', 'tol', 'maxIter', 'linearSolve', 'warmStart'] as const) {
    if (call[k] !== undefined) out[k] = call[k];
  }
  return out;
}

/**
 * Calls the node the program was compiled for on the data tensors `seg` (the affine map's
 * segments). Both nodes order their duals like the compiled rows: the QP node's `nu` are the
 * zero-cone rows and `lam` the nonnegative rows; the cone node's `y` is every row in cone order.
 */
export function solveProgram(program: Program, seg: Readonly<Record<string, Tensor>>, call: LayerCallOptions): ProgramSolution {
  const opts = controls(call);
  if (program.target === 'qp') {
    const params = {
      Q: seg.Q!,
      p: seg.p!,
      ...(seg.A ? { A: seg.A, b: seg.b! } : {}),
      ...(seg.G ? { G: seg.G, h: seg.h! } : {}),
    };
    const out = qp(params, opts as QpOptions);
    return {
      x: out.z,
      dualOf: (kind) => (kind === 'zero' ? out.nu : out.lam),
      info: out.info,
      state: { z: out.z, lam: out.lam, nu: out.nu, slack: out.slack },
    };
  }
  const data = { ...(seg.Aval ? { Aval: seg.Aval } : { A: seg.A! }), b: seg.b!, c: seg.c!, ...(seg.Pval ? { Pval: seg.Pval } : {}) };
  const coneOptions = { ...opts, cones: program.cones, ...(program.sparsity ? { sparsity: program.sparsity } : {}) };
  const out = cone(data as Parameters<typeof cone>[0], coneOptions as ConeOptions);
  return { x: out.x, dualOf: () => out.y, info: out.info, state: { x: out.x, y: out.y, s: out.s } };
}
